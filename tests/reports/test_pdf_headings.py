"""The report PDF's column headings stay inside their cells (static/css/report-pdf.css): a
heading longer than its column is hyphenated or broken, never drawn over the next cell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from weasyprint import HTML
from weasyprint.formatting_structure import boxes

from portal.pdf import StaticOnlyFetcher

STATIC = Path(__file__).resolve().parents[2] / "static"
HEADINGS = {
    "nb": ("Metode", "Oppfølgingsaktiviteter", "Leverandører fulgt opp", "Antall avvik",
           "Registreringsnummer"),
    "en": ("Method", "Follow-up activities", "Suppliers followed up", "Number of deviations",
           "Registrationnumbers"),
}


def _cells(box: Any) -> Any:
    if isinstance(box, boxes.TableCellBox) and box.element_tag == "th":
        yield box
    for child in getattr(box, "children", []):
        yield from _cells(child)


def _texts(box: Any) -> Any:
    if isinstance(box, boxes.TextBox):
        yield box
    for child in getattr(box, "children", []):
        yield from _texts(child)


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_long_headings_stay_inside_narrow_columns(lang):
    heads = "".join(f'<th scope="col" class="num">{h}</th>' for h in HEADINGS[lang])
    html = (f'<!doctype html><html lang="{lang}"><head><link rel="stylesheet" '
            f'href="css/report-pdf.css"></head><body><table class="dev5"><thead><tr>{heads}'
            f'</tr></thead><tbody><tr>{"<td>1</td>" * 5}</tr></tbody></table></body></html>')
    document = HTML(string=html, base_url=STATIC.as_uri() + "/",
                    url_fetcher=StaticOnlyFetcher(STATIC)).render()
    cells = list(_cells(document.pages[0]._page_box))
    assert len(cells) == 5
    for cell in cells:
        right = cell.content_box_x() + cell.width
        for text in _texts(cell):
            assert text.position_x + text.width <= right + 0.5, (text.text, lang)
