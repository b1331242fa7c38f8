"""The exports are a published format: the demo data's JSON and CSV files are byte for byte,
and the workbook's cells value for value, what they were before the report's tables were
described once per column (portal/reports/columns.py, issue 16).

The demo data is loaded under a frozen clock and the report computed for a fixed day, so
every stamp is the same on each run (``generated_at`` is set to that day). ``golden/exports.json`` holds each file's SHA-256 (the XLSX's: of its cells' values);
``AKTSOM_WRITE_GOLDEN=1`` writes it again after a deliberate change of a format.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from datetime import date
from pathlib import Path
from typing import Any

from freezegun import freeze_time
from openpyxl import load_workbook
from sqlalchemy import select

from portal.demo import load_demo_data
from portal.extensions import db as _db
from portal.models import Buyer
from portal.reports import exports, queries
from portal.reports.tables import TABLE_KEYS
from portal.tenancy import scope_to

GOLDEN = Path(__file__).with_name("golden") / "exports.json"
NOW = "2026-06-01 10:00:00"
TODAY = date(2026, 6, 1)
YEARS = (2024, 2025)


def _cells(body: bytes) -> bytes:
    book = load_workbook(io.BytesIO(body), read_only=True)
    values = [[sheet.title, *[[repr(cell) for cell in row]
                              for row in sheet.iter_rows(values_only=True)]]
              for sheet in book.worksheets]
    return json.dumps(values, ensure_ascii=False).encode()


def _digests() -> dict[str, str]:
    found: dict[str, bytes] = {}
    buyer = _db.session.scalars(select(Buyer).where(Buyer.name == "Lillestrøm kommune")).one()
    scope_to(_db.session(), buyer.id)
    try:
        years = queries.available_years(TODAY)
        for year in YEARS:
            as_of = queries.report_basis(year, TODAY)
            for locale in ("nb", "en"):
                document = exports.json_document(year, TODAY, years, locale, buyer.name, as_of)
                document["generated_at"] = NOW  # the one field that says when, not what
                found[f"{year}-{locale}.json"] = exports.json_bytes(document)
                found[f"{year}-{locale}.xlsx"] = _cells(
                    exports.xlsx_bytes(year, TODAY, years, locale, buyer.name, as_of))
                for name in TABLE_KEYS:
                    found[f"{year}-{locale}-{name}.csv"] = exports.csv_bytes(
                        year, TODAY, years, locale, name, as_of)
    finally:
        scope_to(_db.session(), None)
    return {key: hashlib.sha256(body).hexdigest() for key, body in sorted(found.items())}


def test_the_exports_of_the_demo_data_are_unchanged(app: Any, db: Any) -> None:
    with app.test_request_context():
        with freeze_time(NOW):
            load_demo_data()
            db.session.commit()
        digests = _digests()
    if os.environ.get("AKTSOM_WRITE_GOLDEN"):
        GOLDEN.write_text(json.dumps(digests, indent=1) + "\n", encoding="utf-8")
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert len(expected) == len(YEARS) * 2 * (2 + len(TABLE_KEYS))
    changed = [key for key in expected if digests.get(key) != expected[key]]
    assert changed == []
    assert digests == expected
