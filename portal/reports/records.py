"""The records a report warning counts, so that each warning can name its rows.

Each warning's list uses the very predicate its count uses (portal/reports/queries.py), so
the list and the number cannot disagree. Staff pages only: the rows name suppliers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Agreement, Deviation, FollowUpActivity, FollowUpRound, Response, Supplier
from portal.reports import queries

ACTIVITY = "activity"
DEVIATION = "deviation"
RESPONSE = "response"

#: Warning codes that count records, and the kind of record each lists.
CODES = {
    "none_found_but_open": DEVIATION,
    "proposed_unconfirmed": DEVIATION,
    "activities_not_counted": ACTIVITY,
    "unanswered_without_pdoc": RESPONSE,
    "activity_outside_agreement": ACTIVITY,
    "unreviewed_submissions": RESPONSE,
    "deviation_without_activity": DEVIATION,
}


@dataclass(frozen=True)
class Record:
    kind: str
    id: int
    day: date | None  # the activity's date, the deviation's detection, the response's deadline
    supplier: str
    agreement: str  # the agreement's reference ("" when a deviation has none)
    code: str  # the activity's kind, the deviation's type or the response's status
    detail: str = ""  # how a deviation was found


def _statement(code: str, year: int, today: date, days: int) -> Any:
    if CODES[code] == ACTIVITY:
        where = (queries.not_counted_activity_in(year) if code == "activities_not_counted"
                 else queries.outside_agreement_in(year))
        return (select(FollowUpActivity.id, FollowUpActivity.date, Supplier.name,
                       Agreement.reference, FollowUpActivity.kind, Agreement.start_date)
                .join(Agreement, Agreement.id == FollowUpActivity.agreement_id)
                .join(Supplier, Supplier.id == FollowUpActivity.supplier_id)
                .where(where).order_by(FollowUpActivity.date, FollowUpActivity.id))
    if CODES[code] == RESPONSE:
        where = (queries.unanswered_without_pdoc_in(year, today) if code == "unanswered_without_pdoc"
                 else queries.unreviewed_in(year, today, days))
        return (select(Response.id, Response.deadline, Supplier.name, Agreement.reference,
                       Response.status, Response.submitted_at)
                .join(FollowUpRound, FollowUpRound.id == Response.round_id)
                .join(Agreement, Agreement.id == Response.agreement_id)
                .join(Supplier, Supplier.id == Response.supplier_id)
                .where(where).order_by(Response.deadline, Response.id))
    where = {"none_found_but_open": queries._earlier_open_in(year),
             "proposed_unconfirmed": queries.proposed_in(year),
             "deviation_without_activity": queries.without_method_activity_in(year)}[code]
    return (select(Deviation.id, Deviation.detected_date, Supplier.name,
                   func.coalesce(Agreement.reference, ""), Deviation.type, Deviation.detected_by)
            .join(Supplier, Supplier.id == Deviation.supplier_id)
            .outerjoin(Agreement, Agreement.id == Deviation.agreement_id)
            .where(where).order_by(Deviation.detected_date, Deviation.id))


def records(code: str, year: int, today: date, days: int, *,
            limit: int | None = None) -> tuple[tuple[Record, ...], int]:
    """The records behind warning ``code`` (the first ``limit``), and how many there are."""
    statement = _statement(code, year, today, days)
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = db.session.execute(statement.limit(limit) if limit is not None else statement)
    kind = CODES[code]
    return tuple(
        Record(kind, int(row[0]), row[1], str(row[2]), str(row[3] or ""), str(row[4]),
               str(row[5]) if kind == DEVIATION else "")
        for row in rows
    ), int(total or 0)
