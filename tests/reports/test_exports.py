"""PDF, XLSX, CSV and JSON of the 2025 report: typed, guarded, public-safe, 404 on bad input."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from weasyprint import HTML

from portal import clock
from portal import pdf as portal_pdf
from portal.reports.csvfile import cell_text, guard
from portal.reports.tables import TABLE_KEYS
from tests.auth.helpers import text, tr
from tests.reports.conftest import EVIL_FORMULA, SECRET_SITE, YEAR

#: The spreadsheet's tabs in English.
EN_SHEETS = {
    "about": "About", "key_figures": "Key information", "4a1": "4.A.1 Monitoring",
    "4a2_by_agreement": "4.A.2 By agreement", "4a2_by_method": "4.A.2 By method",
    "4a3": "4.A.3 Deviations", "4a3_grouped": "4.A.3 Deviations grouped",
    "4a3_earlier_open": "4.A.3 Earlier, still open", "2a2": "2.A.2 Requirements",
    "2a3": "2.A.3 Priority risks", "five_years": "Five years", "checks": "Checks",
}

SUPPLIER_NAMES = ("Alfa Leverandør AB", "Beta Leverandør AB", "Zeta Leverandør AB")


@pytest.fixture
def reviewer(client, login_as):
    return login_as("reviewer", locale="en")


@pytest.fixture
def pdf_html(monkeypatch):
    """The HTML each PDF was rendered from (WeasyPrint compresses the PDF's text)."""
    captured: list[str] = []
    real = portal_pdf.HTML

    def spy(*args, **kwargs):
        captured.append(kwargs["string"])
        return real(*args, **kwargs)

    monkeypatch.setattr(portal_pdf, "HTML", spy)
    return captured


def _csv(response) -> list[list[str]]:
    body = response.data
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body[3:].decode("utf-8")), delimiter=";"))


# CSV


def test_csv_has_bom_semicolons_and_a_header(client, town, reviewer):
    response = client.get(f"/reports/{YEAR}/key_figures.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv(response)
    # The last column is the day the statuses are as of, on every row (issue 16).
    assert rows[0] == ["Code", "Figure", "Value", "Status as of"]
    assert {row[3] for row in rows[1:]} == {date(YEAR, 12, 31).isoformat()
                                            if clock.today().year > YEAR else clock.today().isoformat()}
    values = {row[0]: row[2] for row in rows[1:]}
    # Numbers unformatted: no thousands separator, no decimals for whole kroner.
    assert values["total_estimated_value_nok"] == "1800000"
    assert values["active_agreements"] == "4"
    assert values["suppliers_followed_up"] == "3"
    assert values["agreements_with_follow_up"] == "4"
    assert values["questionnaires_not_answered"] == "2"
    assert values["deviations_found"] == "Yes"
    assert values["deviations_earlier_open"] == "2"
    assert b";" in response.data.splitlines()[0]


def test_csv_guards_formulas(client, town, reviewer):
    rows = _csv(client.get(f"/reports/{YEAR}/4a3.csv"))

    header = rows[0]
    texts = [row[header.index("Further description of the measures")] for row in rows[1:]]
    assert "'" + EVIL_FORMULA in texts
    assert EVIL_FORMULA not in texts


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_guard_prefixes_every_formula_start(value):
    assert guard(value) == "'" + value
    assert cell_text(value) == "'" + value


def test_guard_leaves_numbers_and_plain_text():
    assert cell_text(-5) == "-5"
    assert cell_text(Decimal("1234.50")) == "1234.50"
    assert cell_text("Lønn") == "Lønn"


def test_every_csv_table_downloads(client, town, reviewer):
    for key in TABLE_KEYS:
        response = client.get(f"/reports/{YEAR}/{key}.csv")
        assert response.status_code == 200, key
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8", key
        assert len(_csv(response)) >= 1


def test_2a2_csv_in_norwegian(client, town, reviewer):
    rows = _csv(client.get(f"/reports/{YEAR}/2a2.csv?lang=nb"))

    assert rows[0][:3] == [tr("In which type of procurement"), tr("Kind of agreement"),
                           tr("Number of suppliers on the agreement")]
    assert rows[1][0] == "Arbeidstøy"
    assert rows[1][2:6] == ["2", tr("Yes"), tr("No"), tr("Yes")]


# XLSX


def _workbook(client):
    response = client.get(f"/reports/{YEAR}.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(response.data))


def test_xlsx_has_one_sheet_per_table(client, town, reviewer):
    workbook = _workbook(client)

    # Named in the reader's language, within Excel's 31 characters.
    assert workbook.sheetnames == [EN_SHEETS[key] for key in ("about", *TABLE_KEYS)]
    assert all(len(name) <= 31 for name in workbook.sheetnames)


def test_xlsx_carries_the_4a1_text_and_the_checks(client, town, reviewer):
    workbook = _workbook(client)

    text_rows = list(workbook[EN_SHEETS["4a1"]].iter_rows(min_row=2, values_only=True))
    assert text_rows
    assert [row[0] for row in text_rows] == list(range(1, len(text_rows) + 1))
    assert all(row[2] == "Draft written from the data" for row in text_rows)
    checks = list(workbook[EN_SHEETS["checks"]].iter_rows(values_only=True))
    assert checks[0] == ("Check", "Code")
    page = text(client.get(f"/reports?year={YEAR}"))
    assert [row[0] for row in checks[1:]]  # the town's year raises checks (see test_pages)
    assert all(message in page for message, _code in checks[1:])


def test_xlsx_cells_are_typed(client, town, reviewer):
    workbook = _workbook(client)

    key_figures = {row[0].value: row[2] for row in workbook[EN_SHEETS["key_figures"]].iter_rows(min_row=2)}
    assert key_figures["active_agreements"].value == 4
    assert key_figures["active_agreements"].data_type == "n"
    assert key_figures["total_estimated_value_nok"].value == 1800000
    assert key_figures["total_estimated_value_nok"].data_type == "n"
    sheet = workbook[EN_SHEETS["4a3"]]
    header = [cell.value for cell in sheet[1]]
    assert all(cell.font.bold for cell in sheet[1])
    detected = [row[header.index("Detected")].value for row in sheet.iter_rows(min_row=2)]
    assert all(isinstance(value, datetime) for value in detected)
    assert sorted(d.date().isoformat() for d in detected) == ["2025-02-10", "2025-05-10", "2025-06-01"]
    by_agreement = workbook[EN_SHEETS["4a2_by_agreement"]]
    assert {row[6].value for row in by_agreement.iter_rows(min_row=2)} == {1, 2}
    assert workbook[EN_SHEETS["4a2_by_agreement"]].column_dimensions["A"].width == 40


def test_xlsx_never_writes_a_formula(client, town, reviewer):
    sheet = _workbook(client)[EN_SHEETS["4a3"]]

    header = [cell.value for cell in sheet[1]]
    cells = [row[header.index("Further description of the measures")] for row in sheet.iter_rows(min_row=2)]
    evil = [cell for cell in cells if cell.value == EVIL_FORMULA]
    assert len(evil) == 1
    assert evil[0].data_type == "s"


# JSON


def test_json_fields(client, town, reviewer):
    response = client.get(f"/reports/{YEAR}.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    doc = json.loads(response.data)
    assert doc["schema"] == "aktsom.report/1"
    assert doc["year"] == YEAR
    assert doc["language"] == "en"
    assert doc["key_figures"] == {"active_agreements": 4, "agreements_with_follow_up": 4,
                                  "total_estimated_value_nok": 1800000, "agreements_with_value": 3,
                                  "agreements_without_value": 1, "agreements_with_requirements": 3}
    follow = doc["follow_up_4a2"]
    assert (follow["suppliers"], follow["agreements"], follow["activities"]) == (3, 4, 4)
    assert follow["questionnaires"] == {
        "invited": 6, "submitted": 4, "accepted": 2, "not_answered": 2,
        "by_status": {"not_started": 1, "in_progress": 1, "submitted": 1, "returned": 1,
                      "resubmitted": 0, "accepted": 2},
    }
    assert [a["reference"] for a in follow["by_agreement"]] == ["LK-A1", "LK-A2", "LK-A3", "LK-A5"]
    found = doc["deviations_4a3"]
    assert (found["found"], found["count"], found["earlier_open"]["count"]) == (True, 3, 2)
    assert found["none_sentence"] is None
    row = next(r for r in found["rows"] if r["type"] == "P-DOC")
    assert row == {
        "type": "P-DOC", "tier": "T0", "country": "NO", "measures": [], "measures_text": "",
        "status": "REGISTERED", "ehn_status": "not_started", "severity": "MAJOR",
        "detected_date": "2025-05-10",
    }
    names = doc["labels"]
    assert names["deviation_types"]["P-DOC"] == "Failure to answer or document by the deadline"
    assert names["tiers"]["T0"] == "Supplier's own operations"
    assert names["countries"] == {"BD": "Bangladesh", "CN": "China", "NO": "Norway", "VN": "Vietnam"}
    assert names["ehn_statuses"]["not_started"] == "Identified, not started"
    assert found["by_type_and_tier"] == [{"type": "P-DOC", "tier": "T0", "count": 1},
                                         {"type": "WAGES", "tier": "T1", "count": 2}]
    assert "grouped" not in found
    assert [r["reference"] for r in doc["requirements_2a2"]] == ["LK-A1", "LK-A2", "LK-A3"]
    assert doc["priority_risks_2a3"][0]["themes"] == ["FORCED", "FOA"]
    assert "five_years" not in doc  # one document per year
    assert {w["code"] for w in doc["warnings"]} >= {"suppliers_below_agreements"}
    assert doc["text_4a1"]["is_saved"] is False


def test_json_standard_sentence_when_none_found(client, town, reviewer):
    doc = json.loads(client.get("/reports/2022.json?lang=nb").data)

    assert doc["deviations_4a3"]["found"] is False
    assert doc["deviations_4a3"]["none_sentence"] == tr("No deviations were found in the reporting year.")
    assert doc["deviations_4a3"]["answer"] == tr("No")


# PDF


def test_pdf_has_the_report_sections(app, client, town, reviewer, pdf_html):
    response = client.get(f"/reports/{YEAR}.pdf?lang=en")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert len(response.data) > 10_000
    html = pdf_html[-1]
    assert '<html lang="en">' in html
    for heading in ("Key information", "2.A.2 Ethical/social requirements in the procurement process",
                    "2.A.3 List the organisation", "<h3>4.A.1</h3>", "<h3>4.A.2</h3>",
                    "<h3>4.A.3</h3>", "4 Monitoring implementation and results"):
        assert heading in html, heading
    # Few deviations: every one is listed, as the report's table wants.
    assert "Etterbetaling avtalt" in html
    static = Path(app.static_folder)
    document = HTML(string=html, base_url=static.resolve().as_uri() + "/",
                    url_fetcher=portal_pdf.StaticOnlyFetcher(static)).render()
    # A4 (210 mm = 793.7 CSS px) from report-pdf.css, which also numbers the pages.
    assert round(document.pages[0].width) == 794
    assert len(document.pages) >= 3  # key information, chapter 2, chapter 4 each start a page


def test_pdf_in_norwegian(client, town, reviewer, pdf_html):
    response = client.get(f"/reports/{YEAR}.pdf?lang=nb")

    assert response.status_code == 200
    html = pdf_html[-1]
    assert '<html lang="nb">' in html
    assert tr("2.A.2 Ethical/social requirements in the procurement process") in html
    assert tr("Where in the supply chain?") in html


def test_pdf_groups_many_deviations(client, town, reviewer, pdf_html, monkeypatch):
    # Three deviations in two groups: with room for two rows, the groups are drawn.
    monkeypatch.setattr("portal.reports.pdf.PDF_LIMIT", 2)
    monkeypatch.setattr("portal.reports.exports.PDF_LIMIT", 2)

    assert client.get(f"/reports/{YEAR}.pdf?lang=en").status_code == 200
    html = pdf_html[-1]
    assert "Equal deviations are grouped in one row with their number" in html
    assert "Etterbetaling avtalt" not in html  # the free text is in the XLSX and CSV


def test_pdf_condenses_every_long_table(client, town, reviewer, pdf_html, monkeypatch):
    # Room for one row only: 4.A.3 by type, 2.A.2 by kind, 4.A.2 by DFØ category.
    monkeypatch.setattr("portal.reports.pdf.PDF_LIMIT", 1)
    monkeypatch.setattr("portal.reports.exports.PDF_LIMIT", 1)

    assert client.get(f"/reports/{YEAR}.pdf?lang=en").status_code == 200
    html = pdf_html[-1]
    assert "summarised by type, with the places in the supply chain where most were found" in html
    # WAGES: both at final production; measures of both; one status text with its count.
    assert "Final production / assembly (2)" in html
    assert "Being remedied: 2" in html
    assert "3 agreements have ethical or social requirements: too many to list here" in html
    assert "Suppliers followed up per DFØ category" in html


def test_pdf_deviation_layouts(monkeypatch):
    from portal.reports.pdf import deviation_layout
    from portal.reports.queries import DeviationGroup, DeviationSet

    monkeypatch.setattr("portal.reports.pdf.PDF_LIMIT", 2)

    def group(type_, tier, country):
        return DeviationGroup(type_, tier, country, (), "closed", 1)

    def deviation_set(count, groups, rows):
        return DeviationSet(count=count, by_type_tier=(), groups=groups, group_count=len(groups),
                            rows=rows)

    few = deviation_set(2, (group("OHS", "T1", "CN"),), ("r1", "r2"))
    cut = deviation_set(3, (group("OHS", "T1", "CN"),), ("r1", "r2"))
    by_tier = deviation_set(3, tuple(group("OHS", "T1", c) for c in ("CN", "IN", "BD")), ())
    by_type = deviation_set(3, tuple(group("OHS", t, "CN") for t in ("T1", "T2", "T3")), ())

    assert deviation_layout(few) == "rows"
    assert deviation_layout(cut) == "grouped"  # not every row was read
    assert deviation_layout(by_tier) == "summary"  # three groups, one (type, tier)
    assert deviation_layout(by_type) == "types"  # three (type, tier), one type


# Nothing confidential, anywhere


def test_no_export_names_a_site_or_a_supplier(client, town, reviewer, pdf_html):
    bodies = {
        "json": client.get(f"/reports/{YEAR}.json").get_data(as_text=True),
        "page": client.get(f"/reports?year={YEAR}").get_data(as_text=True),
        "grouped": client.get(f"/reports?year={YEAR}&view=grouped").get_data(as_text=True),
    }
    for key in TABLE_KEYS:
        bodies[key] = client.get(f"/reports/{YEAR}/{key}.csv").data.decode("utf-8-sig")
    workbook = load_workbook(io.BytesIO(client.get(f"/reports/{YEAR}.xlsx").data))
    bodies["xlsx"] = "\n".join(
        str(cell.value) for sheet in workbook for row in sheet.iter_rows() for cell in row
    )
    client.get(f"/reports/{YEAR}.pdf")
    bodies["pdf"] = pdf_html[-1]

    for name, body in bodies.items():
        assert SECRET_SITE not in body, name
        for supplier in SUPPLIER_NAMES:
            assert supplier not in body, (name, supplier)


# Bad input


@pytest.mark.parametrize("path", [
    f"/reports/{YEAR}.docx",
    f"/reports/{YEAR}.tar.gz",
    f"/reports/{YEAR}.PDF",
    "/reports/1999.json",
    "/reports/2100.pdf",
    "/reports/abc.json",
    "/reports/99999999999999999999.xlsx",
    f"/reports/{YEAR}/unknown.csv",
    f"/reports/{YEAR}/4a3.txt",
    "/reports/1999/4a3.csv",
    f"/reports/{YEAR}.json?lang=de",
])
def test_bad_exports_are_a_translated_404(client, town, login_as, path):
    login_as("reviewer", locale="nb")

    response = client.get(path)

    assert response.status_code == 404
    assert tr("Page not found") in text(response)


@pytest.mark.parametrize("path", [f"/reports/{YEAR}.pdf", f"/reports/{YEAR}.xlsx",
                                  f"/reports/{YEAR}.json", f"/reports/{YEAR}/4a3.csv"])
def test_suppliers_get_no_export(client, town, login_as, path):
    login_as("supplier")

    assert client.get(path).status_code == 403


@pytest.mark.parametrize("locale", ["nb", "en"])
def test_every_tab_name_fits_excel_in_both_languages(app, locale):
    from flask_babel import force_locale

    from portal.reports.tables import SHEET_NAMES
    from portal.reports.xlsx import sheet_title

    with app.test_request_context(), force_locale(locale):
        names = [str(name) for name in SHEET_NAMES.values()]
    taken: set[str] = set()
    assert [sheet_title(name, taken) for name in names] == names  # valid and unique as written
    assert sheet_title("A/B: [x]?*", set()) == "A-B- -x---"
    assert sheet_title("x" * 40, {"x" * 31}) == "x" * 27 + " (2)"
