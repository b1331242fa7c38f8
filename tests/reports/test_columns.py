"""One column specification per table (portal/reports/columns.py): the page and the PDF show
the same columns with the same headings, in that order; the spreadsheet's are the spec's too."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask_babel import force_locale

from portal import pdf as portal_pdf
from portal.reports import columns

YEAR = 2025
TABLES = {  # table key -> how the page and the PDF mark the table
    "2a2": ('id="caption-2a2"', 'class="req5"'),
    "2a3": ('id="caption-2a3"', 'class="risks"'),
    "4a2_by_method": ('id="caption-4a2-methods"', 'class="m3"'),
    "4a2_by_agreement": ('id="caption-4a2-agreements"', 'class="a4"'),
}


def _headings(html: str, marker: str) -> list[str]:
    start = html.index(marker)
    head = html[start:html.index("</thead>", start)]
    found = re.findall(r"<th scope=\"col\"[^>]*>(.*?)</th>", head, re.S)
    return [re.sub(r"\s+", " ", h).strip() for h in found]


@pytest.fixture
def pdf_html(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    captured: list[str] = []
    real = portal_pdf.HTML

    def spy(*args: Any, **kwargs: Any) -> Any:
        captured.append(kwargs["string"])
        return real(*args, **kwargs)

    monkeypatch.setattr(portal_pdf, "HTML", spy)
    return captured


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_page_and_pdf_show_the_columns_of_the_spec(app, client, town, login_as, pdf_html, lang):
    login_as("reviewer", locale=lang)
    page = client.get(f"/reports?year={YEAR}").get_data(as_text=True)
    assert client.get(f"/reports/{YEAR}.pdf?lang={lang}").status_code == 200
    [pdf] = pdf_html
    with app.test_request_context(), force_locale(lang):
        expected = {key: list(columns.SPECS[key].headers(columns.SCREEN)) for key in TABLES}
        sheet = {key: list(columns.SPECS[key].headers(columns.SHEET)) for key in TABLES}
        # The page's and the PDF's period of an agreement is its start and end dates in the sheet.
        screen_only = {str(c.heading) for spec in columns.SPECS.values()
                       for c in spec.columns if columns.SHEET not in c.formats}
    for key, (on_page, in_pdf) in TABLES.items():
        assert _headings(page, on_page) == expected[key], key
        assert _headings(pdf, in_pdf) == expected[key], key
        # The spreadsheet has the columns a reader sees, and more (codes, references).
        assert set(expected[key]) - screen_only <= set(sheet[key]), key
