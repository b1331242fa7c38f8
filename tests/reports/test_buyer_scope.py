"""Each buyer's report counts only its own records: another buyer's data changes nothing.

The same municipality is built twice, under two buyers. Every figure of the first buyer's
report (as JSON, the format that carries them all) is the same before and after the second
buyer's records exist, so no report query escapes the buyer's scope (portal/tenancy.py).
"""

from __future__ import annotations

from datetime import date

import orjson
from flask import Flask

from portal.extensions import db as _db
from portal.reports import jsondoc, queries
from portal.tenancy import scope_to
from tests.reports.conftest import YEAR, build_municipality

TODAY = date(2026, 3, 1)


def _document(app: Flask, buyer_id: int) -> dict:
    scope_to(_db.session(), buyer_id)
    try:
        with app.test_request_context():
            years = queries.available_years(TODAY)
            found = {}
            for year in (YEAR - 1, YEAR):
                report = queries.year_report(year, TODAY, years)
                document = jsondoc.document(report, "nb", "Testkommune")
                document.pop("generated_at", None)
                found[year] = orjson.loads(orjson.dumps(document, default=str))
            return found
    finally:
        scope_to(_db.session(), None)


def test_another_buyers_records_change_no_figure_of_the_report(app, db, make):
    build_municipality(db, make)
    db.session.commit()
    home = make.default_buyer.id
    alone = _document(app, home)

    make._default_buyer = make.buyer(name="Annen kommune")
    build_municipality(db, make, domain="annen.example")
    db.session.commit()
    beside_another = _document(app, home)

    assert beside_another == alone
