"""The traffic-light rule is written once (portal.review.rollup.deviation_colours and
light) and evaluated two ways: on Python values by the inbox and the review page, in SQL by
the report's counts. Every status, with and without deadlines, late and on time, gives the
same colour both ways."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Date, String, literal, select, true

from portal.codes import DEVIATION_STATUSES
from portal.reports.queries import SQL
from portal.review import rollup

TODAY = date(2025, 6, 1)
DAYS = (None, date(2025, 5, 1), date(2025, 6, 1), date(2025, 7, 1))
STATUSES = [code for code in DEVIATION_STATUSES.codes if code != "WITHDRAWN"]


def _sql_light(db: Any, status: str, deadline: date | None, closed: date | None) -> str:
    red, yellow = rollup.deviation_colours(
        SQL, literal(status, String), literal(deadline, Date), literal(closed, Date), TODAY)
    return str(db.session.scalar(select(rollup.light(SQL, red, yellow, true(), "none"))))


@pytest.mark.parametrize("status", STATUSES)
def test_python_and_sql_give_every_deviation_the_same_colour(app, db, status):
    with app.app_context():
        for deadline, closed in itertools.product(DAYS, DAYS):
            facts = rollup.DeviationFacts(status, deadline, closed)
            assert _sql_light(db, status, deadline, closed) == rollup.deviation_light(facts, TODAY), (
                status, deadline, closed)


def test_the_rule_by_hand():
    def colour(status: str, deadline: date | None = None, closed: date | None = None) -> Any:
        return rollup.deviation_light(rollup.DeviationFacts(status, deadline, closed), TODAY)

    assert colour("ESCALATED", date(2025, 7, 1)) == rollup.RED  # red wins over "being handled"
    assert colour("IN_PROGRESS", date(2025, 7, 1)) == rollup.YELLOW
    assert colour("IN_PROGRESS", date(2025, 5, 1)) == rollup.RED  # past its deadline
    assert colour("IN_PROGRESS") == rollup.YELLOW  # no deadline: never late
    assert colour("CLOSED_OK", date(2025, 5, 1), date(2025, 5, 2)) == rollup.RED  # closed late
    assert colour("CLOSED_OK", date(2025, 5, 1), date(2025, 5, 1)) == rollup.GREEN
    assert colour("CLOSED_NOT_OK") == rollup.RED
    assert colour("WITHDRAWN") is None
