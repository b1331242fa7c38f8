"""The report PDF's column headings stay inside their cells (static/css/report-pdf.css): a
heading longer than its column is hyphenated or broken, never drawn over the next cell."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from weasyprint import HTML
from weasyprint.formatting_structure import boxes

from portal import clock
from portal.extensions import db as _db
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


# Every table of the real report, in each of its forms (full, grouped, summarised), in nb
# and en: the town of conftest, 2025. WeasyPrint's layout boxes give each heading's text
# lines and each cell's content box, so a heading drawn over the next cell fails.

FORMS = (
    {"detected_layout": "rows", "earlier_layout": "rows", "requirements_listed": True,
     "agreements_listed": True},
    {"detected_layout": "grouped", "earlier_layout": "grouped", "requirements_listed": False,
     "agreements_listed": False},
    {"detected_layout": "summary", "earlier_layout": "summary", "requirements_listed": True,
     "agreements_listed": False},
    {"detected_layout": "types", "earlier_layout": "types", "requirements_listed": False,
     "agreements_listed": True},
)


def _tables(box: Any) -> Any:
    if isinstance(box, boxes.TableBox):
        yield box
    for child in getattr(box, "children", []):
        yield from _tables(child)


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_every_heading_of_the_report_pdf_stays_inside_its_cell(app, town, lang):
    from portal.models import Buyer
    from portal.reports import queries
    from portal.reports.pdf import PDF_LIMIT, report_layout

    with app.app_context():
        report = queries.year_report(2025, clock.today(), want=queries.ReportRequest.pdf(PDF_LIMIT),
                                     as_of=date(2025, 12, 31))
        name = _db.session.scalars(select(Buyer).order_by(Buyer.id)).one().name
        seen: set[str] = set()
        for forms in FORMS:
            document = report_layout(report, lang, name, **forms)
            for page in document.pages:
                for table in _tables(page._page_box):
                    seen.add(table.element.get("class") or "")
                for cell in _cells(page._page_box):
                    left = cell.content_box_x()
                    right = left + cell.width
                    for text in _texts(cell):
                        assert left - 0.5 <= text.position_x, (text.text, lang, forms)
                        assert text.position_x + text.width <= right + 0.5, (text.text, lang, forms)
    # Every form of every table was drawn and measured.
    assert {"facts", "req5", "req6", "risks", "m3", "a4", "dev4", "dev5"} <= seen
