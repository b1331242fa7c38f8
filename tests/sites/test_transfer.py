"""Import and export of the register through the XLSX/CSV template; a bad file changes nothing."""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Iterator
from datetime import date

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from portal.models import ProductionSite
from portal.sites import services
from tests.auth.helpers import flashed, location, markup, post, sign_in, text
from tests.conftest import csrf_token
from tests.sites.conftest import add_site

IMPORT = "/company/sites/2025/import"
HEADINGS_EN = ["Site name", "Street address", "City/region", "Country", "Supply chain tier", "Number of workers"]


def _count(db, supplier_id: int | None = None) -> int:
    db.session.expire_all()
    statement = select(func.count(ProductionSite.id))
    if supplier_id is not None:
        statement = statement.where(ProductionSite.supplier_id == supplier_id)
    return db.session.scalar(statement) or 0


def _sites(db, supplier_id: int) -> list[ProductionSite]:
    db.session.expire_all()
    return list(db.session.scalars(select(ProductionSite).where(ProductionSite.supplier_id == supplier_id)
                                   .order_by(ProductionSite.name)))


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _upload(client, data: bytes, filename: str):
    return client.post(IMPORT, data={"csrf_token": csrf_token(client, IMPORT),
                                     "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def _confirm(client, preview) -> object:
    plan = re.search(r'name="plan" value="([^"]+)"', markup(preview))
    assert plan, "no confirmation form in the preview"
    return post(client, f"{IMPORT}/confirm", {"plan": plan.group(1)}, token_from=IMPORT)


def test_an_xlsx_import_previews_then_adds_and_updates_in_one_go(client, alfa, db):
    add_site(db, alfa["supplier"], name="Dhaka Garments Ltd", workers=100)
    db.session.commit()
    sign_in(client, "kari@alfa.example")
    data = _xlsx([HEADINGS_EN,
                  ["Dhaka Garments Ltd", "Plot 7", "Dhaka", "Bangladesh", "Final production / assembly", 450],
                  [None, None, None, None, None, None],
                  ["Ho Chi Minh Sewing", "1 Le Loi", "HCMC", "VN", "T2", "80"]])

    preview = _upload(client, data, "sites.xlsx")
    assert preview.status_code == 200
    assert "1 sites will be added, 1 updated" in text(preview)
    assert _count(db) == 1  # nothing stored before confirming

    reply = _confirm(client, preview)
    assert location(reply) == "/company/sites/2025"
    assert "1 added, 1 updated, 0 unchanged" in flashed(client)[0]
    sites = {s.name: s for s in _sites(db, alfa["supplier"].id)}
    assert sites["Dhaka Garments Ltd"].workers == 450
    assert (sites["Ho Chi Minh Sewing"].country, sites["Ho Chi Minh Sewing"].tier) == ("VN", "T2")


def test_a_tampered_confirmation_changes_nothing(client, alfa, db):
    sign_in(client, "kari@alfa.example")
    reply = post(client, f"{IMPORT}/confirm", {"plan": "eyJzdXBwbGllciI6MX0.forged"}, token_from=IMPORT)
    assert location(reply) == IMPORT
    assert "could not be confirmed" in flashed(client)[0]
    assert _count(db) == 0


def test_a_csv_with_commas_and_a_byte_order_mark_in_norwegian(client, alfa, db):
    sign_in(client, "kari@alfa.example")
    data = ("Navn på produksjonssted,Land,Ledd i kjeden,Andel kvinner (%),Fortrolig\r\n"
            "Østfold Veveri,Norge,Sluttproduksjon / montering,\"45,0\",nei\r\n").encode("utf-8-sig")
    preview = _upload(client, data, "steder.csv")
    assert preview.status_code == 200, text(preview)
    _confirm(client, preview)
    [site] = _sites(db, alfa["supplier"].id)
    assert (site.name, site.country, site.tier, site.women_pct, site.is_confidential) == (
        "Østfold Veveri", "NO", "T1", 45, False)


def _refused(client, db, data: bytes, filename: str, *messages: str) -> None:
    before = _count(db)
    reply = _upload(client, data, filename)
    assert reply.status_code == 422
    page = text(reply)
    for message in messages:
        assert message in page, page
    assert "The file was not imported" in page
    assert 'name="plan"' not in markup(reply)
    assert _count(db) == before


def test_import_errors_name_the_row_and_column_and_change_nothing(client, alfa, db):
    add_site(db, alfa["supplier"], name="Kept as it is")
    db.session.commit()
    sign_in(client, "kari@alfa.example")
    _refused(client, db, _xlsx([HEADINGS_EN,
                                ["Good site", "", "", "NO", "T1", 5],
                                ["Bad country", "", "", "Atlantis", "T1", 5],
                                ["Bad number", "", "", "SE", "T1", "many"],
                                ["Negative", "", "", "SE", "T1", -2]]), "sites.xlsx",
             "Row 3, Country: Choose a country from the list",
             "Row 4, Number of workers: Write a number, for example 120",
             "Row 5, Number of workers: Write a number of at least 0")
    # The good row of a bad file is not stored either.
    assert [s.name for s in _sites(db, alfa["supplier"].id)] == ["Kept as it is"]


def test_wrong_headings_are_refused(client, alfa, db):
    sign_in(client, "kari@alfa.example")
    _refused(client, db, _xlsx([["Factory", "Land of origin"], ["A", "NO"]]), "sites.xlsx",
             "The heading «Factory» in column A is not one of the template's",
             "The column «Site name» is missing")


def test_too_many_rows_are_refused(client, alfa, db):
    sign_in(client, "kari@alfa.example")
    rows = [HEADINGS_EN[:5]] + [[f"Site {i}", "", "", "NO", "T1"] for i in range(services.MAX_SITES + 1)]
    _refused(client, db, _xlsx(rows), "sites.xlsx", f"more than {services.MAX_SITES} sites")


def test_a_file_that_is_not_a_workbook_and_an_empty_file_are_refused(client, alfa, db):
    sign_in(client, "kari@alfa.example")
    _refused(client, db, b"%PDF-1.4 not a workbook", "sites.xlsx", "could not be read as an XLSX workbook")
    _refused(client, db, b"PK\x03\x04broken zip", "sites.csv", "could not be read as an XLSX workbook")
    _refused(client, db, b"", "sites.csv", "The file is empty")
    _refused(client, db, b"\xff\xfe\x00n\x00a", "sites.csv", "not in UTF-8")


def test_export_and_import_again_round_trip_and_guard_formulas(client, alfa, db):
    add_site(db, alfa["supplier"], name="=HYPERLINK(\"http://evil\")", products="-Trousers",
             last_audit_date=date(2024, 5, 2), last_audit_scheme="smeta", relation="via_agent",
             certifications=["fair_wear", "fsc"], is_confidential=False)
    add_site(db, alfa["supplier"], name="Plain Mill", country="IN", tier="T3", workers=None, women_pct=None,
             certifications=[])
    add_site(db, alfa["beta"], name="Beta's secret mill")
    db.session.commit()
    sign_in(client, "kari@alfa.example")

    csv_reply = client.get("/company/sites/2025/export.csv")
    assert csv_reply.headers["Content-Type"].startswith("text/csv")
    body = csv_reply.data.decode("utf-8-sig")
    assert body.splitlines()[0].startswith("Site name;Street address")
    assert "'=HYPERLINK" in body
    assert "'-Trousers" in body
    assert "Beta's secret mill" not in body

    xlsx_reply = client.get("/company/sites/2025/export.xlsx")
    wb = load_workbook(io.BytesIO(xlsx_reply.data))
    sheet = wb.worksheets[0]
    name_cell = sheet["A2"] if sheet["A2"].value.startswith("=") else sheet["A3"]
    assert name_cell.data_type == "s"  # text, never a formula
    assert wb.worksheets[1].title == "Allowed values"

    for data, filename in ((xlsx_reply.data, "export.xlsx"), (csv_reply.data, "export.csv")):
        preview = _upload(client, data, filename)
        assert preview.status_code == 200, text(preview)
        assert "0 sites will be added, 0 updated and 2 are unchanged" in text(preview)


def test_the_template_has_the_headings_in_the_users_language(client, alfa, db):
    sign_in(client, "kari@alfa.example")
    wb = load_workbook(io.BytesIO(client.get("/company/sites/2025/template.xlsx").data))
    assert [c.value for c in wb.worksheets[0][1]][:2] == ["Site name", "Street address"]
    allowed = [c.value for c in wb.worksheets[1][1]]
    assert "Supply chain tier" in allowed
    assert "Country" in allowed
    client.post("/language/nb", data={"csrf_token": csrf_token(client, "/company/")})
    csv_template = client.get("/company/sites/2025/template.csv").data.decode("utf-8-sig")
    assert csv_template.startswith("Navn på produksjonssted;Gateadresse;By/region;Land")


def _unreadable_workbook(flags: int, zip_version: int) -> bytes:
    """A real workbook whose sheet claims ``flags`` and a zip version needed to extract it."""
    data = bytearray(_xlsx([HEADINGS_EN[:5], ["Mill", "", "", "NO", "T1"]]))
    sheet = b"xl/worksheets/sheet1.xml"
    local = next(i for i in _offsets(data, b"PK\x03\x04") if data[i + 30:i + 30 + len(sheet)] == sheet)
    entry = next(i for i in _offsets(data, b"PK\x01\x02") if data[i + 46:i + 46 + len(sheet)] == sheet)
    struct.pack_into("<H", data, local + 6, flags)
    struct.pack_into("<HH", data, entry + 6, zip_version, flags)
    return bytes(data)


def _offsets(data: bytearray, signature: bytes) -> Iterator[int]:
    at = data.find(signature)
    while at != -1:
        yield at
        at = data.find(signature, at + 1)


def test_a_workbook_zipfile_cannot_read_is_refused_not_a_server_error(client, alfa, db):
    sign_in(client, "kari@alfa.example")
    for flags, zip_version in ((0x01, 20), (0x40, 20), (0x00, 99)):  # encrypted, strong encryption, zip 9.9
        _refused(client, db, _unreadable_workbook(flags, zip_version), "sites.xlsx",
                 "could not be read as an XLSX workbook")
