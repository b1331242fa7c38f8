"""Building blocks of the report's queries: constants, the statement runner, years."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Executable,
    Integer,
    Result,
    SQLColumnExpression,
    and_,
    case,
    cast,
    extract,
    false,
    func,
    literal,
    or_,
    select,
)

from portal.extensions import db
from portal.models import (
    Agreement,
    Buyer,
    Deviation,
    DeviationUpdate,
    FollowUpActivity,
    FollowUpRound,
    Response,
    ResponseStatus,
    Submission,
)
from portal.review import rollup
from portal.tenancy import scoped_buyer

#: Response statuses that mean "the supplier has submitted at least once".
EVER_SUBMITTED = (
    ResponseStatus.SUBMITTED.value,
    ResponseStatus.RETURNED.value,
    ResponseStatus.RESUBMITTED.value,
    ResponseStatus.ACCEPTED.value,
)
#: Not answered: never submitted, and the deadline has passed.
UNANSWERED = (ResponseStatus.NOT_STARTED.value, ResponseStatus.IN_PROGRESS.value)
RESPONSE_STATUS_ORDER = tuple(status.value for status in ResponseStatus)

#: The 4.A.3 "Status" column (DOMAIN 5.5): several statuses share one EHN text,
#: so rows are grouped by these keys, not by the status itself.
EHN_STATUS_KEY = {
    "REGISTERED": "not_started",
    "NOTIFIED": "not_started",
    "AWAITING_CAP": "being_handled",
    "IN_PROGRESS": "being_remedied",
    "VERIFYING": "being_remedied",
    "CLOSED_OK": "closed",
    "ESCALATED": "escalated",
    "CLOSED_NOT_OK": "closed_not_remedied",
}
EHN_STATUS_ORDER = (
    "not_started", "being_handled", "being_remedied", "escalated", "closed", "closed_not_remedied",
)
#: A status that shows each EHN key (for its label).
EHN_REPRESENTATIVE = {key: status for status, key in reversed(EHN_STATUS_KEY.items())}

TRAFFIC_LIGHTS = (rollup.GREEN, rollup.YELLOW, rollup.RED)
#: The lights and "none" (not assessed), as the review inbox counts them.
LIGHT_KEYS = (*TRAFFIC_LIGHTS, "none")
REPORT_TEXT_4A1 = "4A1"
FIVE_YEARS = 5


# Building blocks


def _run(statement: Executable) -> Result[*tuple[Any, ...]]:
    """Run a read-only statement through the session, so the buyer's scope applies.

    Every statement here selects columns, never entities. It goes through the ORM session
    (not its bare connection) because that is where portal/tenancy.py adds the buyer's
    criteria: a report contains only the buyer's own records.
    """
    return db.session.execute(statement)


def first_day(year: int) -> date:
    return date(year, 1, 1)


def last_day(year: int) -> date:
    return date(year, 12, 31)


def active_in(year: int) -> ColumnElement[bool]:
    """DOMAIN 7.2: started on or before 31.12.Y, not ended before 1.1.Y."""
    return and_(
        Agreement.start_date <= last_day(year),
        or_(Agreement.end_date.is_(None), Agreement.end_date >= first_day(year)),
    )


def _year_of(column: SQLColumnExpression[date | None]) -> ColumnElement[int]:
    return cast(extract("year", column), Integer)


def _dated_in(column: SQLColumnExpression[date | None], year: int) -> ColumnElement[bool]:
    return column.between(first_day(year), last_day(year))


def report_basis(year: int, today: date, *, as_of_today: bool = False) -> date | None:
    """The date a year's statuses are taken on: None for today (the current year, or asked).

    A past year's report is by default as of 31 December of that year, so what happens later
    (a deviation closed, a response accepted) does not move it.
    """
    if as_of_today or year >= today.year:
        return None
    return last_day(year)


def _end_of(day: date) -> datetime:
    """The first instant after ``day`` (UTC): timestamps before it happened on or before it."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def deviation_status_at(as_of: date | None) -> ColumnElement[str]:
    """A deviation's status on ``as_of`` (None: its status now), from its status history.

    Every status change is a ``DeviationUpdate`` with ``status_before`` and ``status_after``
    stamped when it was made: the status on a day is the ``status_before`` of the first change
    made after that day, or the present status when none was (a closure dated after the day
    with no change recorded: the status it was closed from). A deviation registered in error
    (WITHDRAWN) stays out of every year: withdrawal is a correction, not an event.
    """
    if as_of is None:
        return Deviation.status.expression
    first_later = (
        select(DeviationUpdate.status_before)
        .where(DeviationUpdate.deviation_id == Deviation.id,
               DeviationUpdate.status_before.is_not(None),
               DeviationUpdate.status_after.is_not(None),
               DeviationUpdate.created_at >= _end_of(as_of))
        .order_by(DeviationUpdate.created_at, DeviationUpdate.id)
        .limit(1)
        .correlate(Deviation)
        .scalar_subquery()
    )
    # Closed after the day with no change recorded (entered closed, or before the history was
    # kept): open on the day, in the one status each closure comes from (DOMAIN 5.5).
    closed_later = case(
        (and_(Deviation.status == "CLOSED_OK", Deviation.closed_date > as_of), literal("VERIFYING")),
        (and_(Deviation.status == "CLOSED_NOT_OK", Deviation.closed_date > as_of),
         literal("ESCALATED")),
        else_=Deviation.status,
    )
    return func.coalesce(first_later, closed_later)


def response_status_at(as_of: date | None) -> ColumnElement[str]:
    """A response's status on ``as_of`` (None: its status now), from its dates.

    The dates are the reliable record (the audit trail holds the same moments, but per event
    and not queryable per response in one statement): ``accepted_at`` (the acceptance, or the
    date a reviewer gave a historical round's acceptance), the submissions' ``submitted_at``
    and ``started_at``. A status whose date is not recorded stands; one dated after the day
    falls back to the one before it. A return for clarification is not dated on the response,
    so a response returned after the day shows with its present status.
    """
    if as_of is None:
        return Response.status.expression
    end = _end_of(as_of)
    submitted = (
        select(Submission.id)
        .where(Submission.response_id == Response.id, Submission.submitted_at < end)
        .correlate(Response)
        .exists()
    )
    any_submission = (
        select(Submission.id).where(Submission.response_id == Response.id).correlate(Response).exists()
    )
    undated_submission = and_(Response.submitted_at.is_(None), ~any_submission)
    accepted = ResponseStatus.ACCEPTED.value
    return case(
        # Unchanged since: the present status stands.
        (Response.updated_at < end, Response.status),
        # A present status with no date recorded stands too (nothing shows it came later).
        (and_(Response.status == accepted,
              or_(Response.accepted_at.is_(None), Response.accepted_at < end)), literal(accepted)),
        (and_(Response.status.in_(EVER_SUBMITTED),
              or_(submitted, Response.submitted_at < end, undated_submission)),
         case((Response.status == accepted, literal(ResponseStatus.SUBMITTED.value)),
              else_=Response.status)),
        (and_(Response.status != ResponseStatus.NOT_STARTED.value,
              or_(Response.started_at.is_(None), Response.started_at < end)),
         literal(ResponseStatus.IN_PROGRESS.value)),
        else_=literal(ResponseStatus.NOT_STARTED.value),
    )


def _counted_deviation() -> ColumnElement[bool]:
    """A real deviation: confirmed by a reviewer and not registered in error."""
    return and_(Deviation.is_proposed.is_(False), Deviation.status != "WITHDRAWN")


def _own_buyer() -> int | None:
    return scoped_buyer(db.session())


def _joint(owner: SQLColumnExpression[int]) -> ColumnElement[bool]:
    """Rows of another buyer's joint agreement (false when the session is not a buyer's)."""
    own = _own_buyer()
    return false() if own is None else owner != own


def _leads() -> dict[int, str]:
    """Names of the buyers leading the joint agreements the report's buyer takes part in."""
    own = _own_buyer()
    if own is None:
        return {}
    return {
        int(id_): name
        for id_, name in _run(
            select(Buyer.id, Buyer.name)
            .where(Buyer.id.in_(select(Agreement.buyer_id).where(Agreement.buyer_id != own)))
        )
    }
def _counted_activity() -> ColumnElement[bool]:
    """An activity that counts: not withdrawn (recorded in error; it stays in the history)."""
    return FollowUpActivity.withdrawn_at.is_(None)


def _qualifying_activities(year: int) -> ColumnElement[bool]:
    """Activities dated in Y on an agreement active in Y (join Agreement first)."""
    return and_(_dated_in(FollowUpActivity.date, year), active_in(year), _counted_activity())


# Years


def available_years(today: date) -> tuple[int, ...]:
    """Years with something to report: rounds, activities, deviations or active agreements.

    Activities and deviations give the range from the first to the last year with
    one (read from the date indexes, not by scanning every row). Agreements without
    an end date are active every year from their start; they count up to the current
    year only, so the list never runs into the future.
    """
    counted = _counted_deviation()
    first_activity, last_activity, first_deviation, last_deviation = _run(
        select(
            select(func.min(FollowUpActivity.date)).select_from(FollowUpActivity).scalar_subquery(),
            select(func.max(FollowUpActivity.date)).select_from(FollowUpActivity).scalar_subquery(),
            select(func.min(Deviation.detected_date)).select_from(Deviation).where(counted)
            .scalar_subquery(),
            select(func.max(Deviation.detected_date)).select_from(Deviation).where(counted)
            .scalar_subquery(),
        )
    ).one()
    years = {int(y) for y in _run(select(FollowUpRound.year).distinct()).scalars()}
    for first, last in ((first_activity, last_activity), (first_deviation, last_deviation)):
        if first is not None and last is not None:
            years.update(range(_as_date(first).year, _as_date(last).year + 1))
    spans = _run(
        select(_year_of(Agreement.start_date), _year_of(Agreement.end_date))
        .group_by(_year_of(Agreement.start_date), _year_of(Agreement.end_date))
    )
    for start, end in spans:
        last = today.year if end is None else min(int(end), today.year)
        years.update(range(int(start), last + 1))
    return tuple(sorted(years))


def _as_date(value: date | str) -> date:
    """A date from a scalar subquery (SQLite may hand back its ISO text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def latest_year(today: date) -> int | None:
    years = available_years(today)
    return years[-1] if years else None


