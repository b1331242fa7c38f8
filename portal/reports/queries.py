"""The annual report's figures (DOMAIN 7) as pure query functions.

Every function takes a year (and ``today`` where the answer depends on it), runs a
fixed number of SQL statements with the counting done by the database (GROUP BY,
COUNT DISTINCT, EXISTS), and returns frozen dataclasses holding codes, never
translated labels: the presentation layer (``labels``, the templates and the
exporters) turns codes into words in the reader's language.

Definitions (DOMAIN 7.2):

* an agreement is *active in Y* when it started on or before 31.12.Y and had not
  ended before 1.1.Y;
* 4.A.2 counts distinct suppliers (by id; the organisation number is unique) with
  at least one follow-up activity dated in Y on an agreement active in Y;
* 4.A.3 lists deviations detected in Y that are confirmed (not proposed) and not
  withdrawn; the production site is never read.

Joint agreements (DOMAIN 0b): a participant's report reads, through portal/tenancy.py, the
joint agreements it takes part in with their activities and deviations, so they count in its
figures like its own; the queries mark what comes from another buyer's (the lead's) follow-up,
so the report can say which figures are joint follow-up and who led it.
"""

from __future__ import annotations

import heapq
import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    Executable,
    Integer,
    Result,
    SQLColumnExpression,
    String,
    and_,
    case,
    cast,
    distinct,
    exists,
    extract,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)

from portal.codes import ACTIVITY_KINDS, DFO_CATEGORIES, OPEN_DEVIATION_STATUSES
from portal.extensions import db
from portal.models import (
    Agreement,
    Answer,
    Buyer,
    Deviation,
    DeviationUpdate,
    FollowUpActivity,
    FollowUpRound,
    PriorityRisk,
    QuestionnaireVersion,
    QuestionReview,
    ReportText,
    Response,
    ResponseStatus,
    Role,
    Submission,
    User,
    agreement_supplier,
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


# Key figures and 4.A.2


@dataclass(frozen=True)
class AgreementCounts:
    """Agreements active in the year and their estimated value where known."""

    active: int
    with_value: int
    without_value: int
    total_value: Decimal | None
    #: Active agreements with any ethical requirement: the rows of 2.A.2.
    with_requirements: int


def _has_requirements() -> ColumnElement[bool]:
    return or_(
        Agreement.qualification_requirement.is_(True),
        Agreement.award_criterion.is_(True),
        Agreement.contract_condition.is_(True),
    )


def agreement_counts(year: int) -> AgreementCounts:
    known = func.sum(case((Agreement.estimated_value.is_not(None), 1), else_=0))
    flagged = func.sum(case((_has_requirements(), 1), else_=0))
    row = _run(
        select(func.count(Agreement.id), known, func.sum(Agreement.estimated_value), flagged)
        .where(active_in(year))
    ).one()
    active, with_value = int(row[0] or 0), int(row[1] or 0)
    total = None if row[2] is None else Decimal(row[2]).quantize(Decimal("0.01"))
    return AgreementCounts(active, with_value, active - with_value, total, int(row[3] or 0))


@dataclass(frozen=True)
class AgreementFollowUp:
    """One agreement with follow-up in the year (4.A.2 by agreement)."""

    agreement_id: int
    name_nb: str
    name_en: str
    reference: str
    kind: str
    dfo_category: str | None
    start_date: date
    end_date: date | None
    is_new: bool  # started in the reporting year
    suppliers_on_agreement: int
    suppliers_followed_up: int
    activities: int
    #: The buyer leading the follow-up, when it is a joint agreement of another buyer's.
    lead: str | None = None


@dataclass(frozen=True)
class CategoryFollowUp:
    """4.A.2 by DFØ category: short enough for the PDF however many agreements there are."""

    category: str | None
    agreements: int
    suppliers: int
    activities: int


@dataclass(frozen=True)
class MethodCount:
    """One kind of follow-up activity (4.A.2 by method)."""

    kind: str
    activities: int
    suppliers: int
    #: Joint follow-up led by this buyer (``kind`` is then ``JOINT_METHOD``): the lead's
    #: activities on joint agreements, whatever their kind, counted apart from the buyer's own.
    lead: str | None = None
    #: A shared self-assessment or reused follow-up: the buyer whose follow-up it rests on
    #: (one row per kind and source buyer).
    source: str | None = None


#: The by-method row of joint follow-up led by another buyer.
JOINT_METHOD = "joint_follow_up"


@dataclass(frozen=True)
class Funnel:
    """The year's questionnaires: invited → submitted → accepted; not answered apart."""

    invited: int
    submitted: int
    accepted: int
    not_answered: int
    by_status: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class FollowUp:
    """4.A.2 and the key-information count of agreements with follow-up."""

    suppliers: int
    agreements: int
    activities: int
    new_agreements: int
    older_agreements: int
    suppliers_on_new: int
    suppliers_on_older: int
    #: One row per agreement with follow-up (the first ``limit`` by name when limited).
    by_agreement: tuple[AgreementFollowUp, ...]
    by_category: tuple[CategoryFollowUp, ...]
    by_method: tuple[MethodCount, ...]
    funnel: Funnel
    #: Activities dated in the year on agreements not active in it: not counted.
    activities_not_counted: int
    #: Agreements with follow-up that have no supplier on them (7.4 check).
    agreements_without_suppliers: int
    #: Of the figures above, what comes from joint follow-up led by other buyers.
    joint_suppliers: int = 0
    joint_agreements: int = 0
    joint_activities: int = 0


def _supplier_count(agreement_id: ColumnElement[int]) -> ColumnElement[int]:
    return (
        select(func.count())
        .select_from(agreement_supplier)
        .where(agreement_supplier.c.agreement_id == agreement_id)
        .scalar_subquery()
    )


def follow_up(year: int, today: date, *, limit: int | None = None,
              categories: bool = True, as_of: date | None = None) -> FollowUp:
    """4.A.2 for the year; ``categories`` adds the counts by DFØ category (PDF and JSON)."""
    active = active_in(year)
    new = and_(active, Agreement.start_date >= first_day(year))
    older = and_(active, Agreement.start_date < first_day(year))
    has_supplier = exists().where(agreement_supplier.c.agreement_id == FollowUpActivity.agreement_id)
    joint = and_(active, _joint(Agreement.buyer_id))
    # Every activity dated in the year, once; CASE picks the ones that count (agreement active
    # in the year) and, apart, those that do not.
    totals = _run(
        select(
            func.count(distinct(case((active, FollowUpActivity.supplier_id)))),
            func.count(distinct(case((active, FollowUpActivity.agreement_id)))),
            func.sum(case((active, 1), else_=0)),
            func.count(distinct(case((new, FollowUpActivity.agreement_id)))),
            func.count(distinct(case((older, FollowUpActivity.agreement_id)))),
            func.count(distinct(case((new, FollowUpActivity.supplier_id)))),
            func.count(distinct(case((older, FollowUpActivity.supplier_id)))),
            func.count(distinct(case((and_(active, ~has_supplier), FollowUpActivity.agreement_id)))),
            func.sum(case((active, 0), else_=1)),
            func.count(distinct(case((joint, FollowUpActivity.supplier_id)))),
            func.count(distinct(case((joint, FollowUpActivity.agreement_id)))),
            func.sum(case((joint, 1), else_=0)),
        )
        .join(Agreement, Agreement.id == FollowUpActivity.agreement_id)
        .where(_dated_in(FollowUpActivity.date, year), _counted_activity())
    ).one()

    # The page and the PDF want the first rows by name only; the supplier count of each
    # agreement is looked up for those rows alone.
    listed = (
        select(
            Agreement.id, Agreement.name_nb, Agreement.name_en, Agreement.reference,
            Agreement.kind, Agreement.dfo_category, Agreement.start_date, Agreement.end_date,
            Agreement.buyer_id,
            func.count(distinct(FollowUpActivity.supplier_id)).label("followed"),
            func.count(FollowUpActivity.id).label("activities"),
        )
        .join(FollowUpActivity, FollowUpActivity.agreement_id == Agreement.id)
        .where(_qualifying_activities(year))
        .group_by(
            Agreement.id, Agreement.name_nb, Agreement.name_en, Agreement.reference,
            Agreement.kind, Agreement.dfo_category, Agreement.start_date, Agreement.end_date,
            Agreement.buyer_id,
        )
        .order_by(Agreement.name_nb, Agreement.id)
        .limit(limit)
        .subquery()
    )
    rows = select(listed, _supplier_count(listed.c.id).label("on_agreement")).order_by(
        listed.c.name_nb, listed.c.id
    )
    # Rows unpacked as tuples: named access costs a microsecond a field on thousands of rows.
    year_start = first_day(year)
    leads = _leads()
    by_agreement = tuple(
        AgreementFollowUp(
            id_, name_nb, name_en, reference, kind, category, start, end, start >= year_start,
            int(on_agreement), int(followed), int(activities), leads.get(owner),
        )
        for id_, name_nb, name_en, reference, kind, category, start, end, owner, followed,
        activities, on_agreement in _run(rows)
    )

    by_category = () if not categories else tuple(
        CategoryFollowUp(category, int(a), int(s), int(n))
        for category, a, s, n in _run(
            select(
                Agreement.dfo_category,
                func.count(distinct(FollowUpActivity.agreement_id)),
                func.count(distinct(FollowUpActivity.supplier_id)),
                func.count(FollowUpActivity.id),
            )
            .join(Agreement, Agreement.id == FollowUpActivity.agreement_id)
            .where(_qualifying_activities(year))
            .group_by(Agreement.dfo_category)
        )
    )
    order = {code: i for i, code in enumerate(DFO_CATEGORIES.codes)}
    by_category = tuple(sorted(by_category, key=lambda c: order.get(c.category or "", 99)))

    # The buyer's own activities by kind; joint follow-up as one row per lead buyer; shared
    # self-assessments and reused follow-up as one row per kind and source buyer.
    counted: dict[tuple[str, str | None], tuple[int, int]] = {}
    joint_rows: list[MethodCount] = []
    # Grouped by the inner query's labels: PostgreSQL would not match a CASE with bound
    # parameters in the select list to the same CASE in GROUP BY.
    is_joint = _joint(Agreement.buyer_id)
    methods = (
        select(
            case((is_joint, JOINT_METHOD), else_=FollowUpActivity.kind).label("method"),
            case((is_joint, Agreement.buyer_id), else_=None).label("lead"),
            case((and_(~is_joint, FollowUpActivity.share_id.is_not(None)),
                  FollowUpActivity.source_buyer_name), else_=None).label("source"),
            FollowUpActivity.id, FollowUpActivity.supplier_id,
        )
        .join(Agreement, Agreement.id == FollowUpActivity.agreement_id)
        .where(_qualifying_activities(year))
        .subquery()
    )
    for kind, owner, source, n, s in _run(
        select(methods.c.method, methods.c.lead, methods.c.source, func.count(methods.c.id),
               func.count(distinct(methods.c.supplier_id)))
        .group_by(methods.c.method, methods.c.lead, methods.c.source)
    ):
        if owner is None:
            counted[(kind, source)] = (int(n), int(s))
        else:
            joint_rows.append(MethodCount(JOINT_METHOD, int(n), int(s), leads.get(int(owner), "")))
    kind_order = {code: i for i, code in enumerate(ACTIVITY_KINDS.codes)}
    by_method = tuple(
        MethodCount(kind, n, s, source=source)
        for (kind, source), (n, s) in sorted(
            counted.items(), key=lambda item: (kind_order.get(item[0][0], 99), item[0][1] or ""))
    ) + tuple(sorted(joint_rows, key=lambda m: m.lead or ""))

    return FollowUp(
        suppliers=int(totals[0]), agreements=int(totals[1]), activities=int(totals[2] or 0),
        new_agreements=int(totals[3]), older_agreements=int(totals[4]),
        suppliers_on_new=int(totals[5]), suppliers_on_older=int(totals[6]),
        by_agreement=by_agreement, by_category=by_category, by_method=by_method,
        funnel=funnel(year, today, as_of), activities_not_counted=int(totals[8] or 0),
        agreements_without_suppliers=int(totals[7]), joint_suppliers=int(totals[9]),
        joint_agreements=int(totals[10]), joint_activities=int(totals[11] or 0),
    )


def funnel(year: int, today: date, as_of: date | None = None) -> Funnel:
    """The year's responses by status on ``as_of`` (None: now); "not answered" on ``today``."""
    statuses = (
        select(response_status_at(as_of).label("status"), Response.deadline)
        .join(FollowUpRound, FollowUpRound.id == Response.round_id)
        .where(FollowUpRound.year == year)
        .subquery("statuses")
    )
    late = func.sum(
        case((and_(statuses.c.status.in_(UNANSWERED), statuses.c.deadline < today), 1), else_=0)
    )
    counts: dict[str, int] = {}
    not_answered = 0
    for status, number, overdue in _run(
        select(statuses.c.status, func.count(), late).group_by(statuses.c.status)
    ):
        counts[status] = int(number)
        not_answered += int(overdue or 0)
    return Funnel(
        invited=sum(counts.values()),
        submitted=sum(counts.get(s, 0) for s in EVER_SUBMITTED),
        accepted=counts.get(ResponseStatus.ACCEPTED.value, 0),
        not_answered=not_answered,
        by_status=tuple((s, counts.get(s, 0)) for s in RESPONSE_STATUS_ORDER),
    )


# 4.A.3


@dataclass(frozen=True)
class DeviationRow:
    """One deviation as the public report shows it: never a site or a supplier.

    The JSON export writes these fields as they are (orjson serialises data classes
    natively), so each one is public and its name is part of schema ``aktsom.report/1``.
    """

    type: str
    tier: str
    country: str | None
    measures: tuple[str, ...]
    measures_text: str
    status: str
    #: The status as Etisk handel Norge's 4.A.3 table words it (``EHN_STATUS_KEY``).
    ehn_status: str
    severity: str
    detected_date: date


@dataclass(frozen=True)
class DeviationGroup:
    """Equal rows (type, tier, country, measures, EHN status) with their count."""

    type: str
    tier: str
    country: str | None
    measures: tuple[str, ...]
    ehn_status: str
    count: int


@dataclass(frozen=True)
class DeviationSummary:
    """Rows grouped by (type, tier) as DOMAIN 7.2 suggests: bounded, for the PDF.

    ``measures`` are the most used ones (``SUMMARY_MEASURES`` at most).
    """

    type: str
    tier: str
    count: int
    countries: tuple[str, ...]
    measures: tuple[str, ...]
    statuses: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class DeviationTypeSummary:
    """Rows grouped by type only, the places in the chain counted: the shortest 4.A.3 table.

    ``measures`` are the most used ones (``SUMMARY_MEASURES`` at most).
    """

    type: str
    count: int
    tiers: tuple[tuple[str, int], ...]
    measures: tuple[str, ...]
    statuses: tuple[tuple[str, int], ...]


#: A summary row names at most this many measures: the most used ones.
SUMMARY_MEASURES = 3


def _most_used(counts: dict[str, int]) -> tuple[str, ...]:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return tuple(code for code, _n in ranked[:SUMMARY_MEASURES])


def _summarise(groups: Iterable[DeviationGroup]) -> tuple[DeviationSummary, ...]:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    countries: dict[tuple[str, str], set[str]] = defaultdict(set)
    measures: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    statuses: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for g in groups:
        key = (g.type, g.tier)
        counts[key] += g.count
        if g.country:
            countries[key].add(g.country)
        for m in g.measures:
            measures[key][m] += g.count
        statuses[key][g.ehn_status] += g.count
    return tuple(
        DeviationSummary(
            type=key[0], tier=key[1], count=counts[key], countries=tuple(sorted(countries[key])),
            measures=_most_used(measures[key]),
            statuses=tuple((s, statuses[key][s]) for s in EHN_STATUS_ORDER if statuses[key].get(s)),
        )
        for key in sorted(counts, key=lambda k: (-counts[k], k))
    )


def _summarise_types(groups: Iterable[DeviationGroup]) -> tuple[DeviationTypeSummary, ...]:
    counts: dict[str, int] = defaultdict(int)
    tiers: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    measures: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    statuses: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for g in groups:
        counts[g.type] += g.count
        tiers[g.type][g.tier] += g.count
        for m in g.measures:
            measures[g.type][m] += g.count
        statuses[g.type][g.ehn_status] += g.count
    return tuple(
        DeviationTypeSummary(
            type=t, count=counts[t],
            tiers=tuple(sorted(tiers[t].items(), key=lambda item: (-item[1], item[0]))),
            measures=_most_used(measures[t]),
            statuses=tuple((s, statuses[t][s]) for s in EHN_STATUS_ORDER if statuses[t].get(s)),
        )
        for t in sorted(counts, key=lambda k: (-counts[k], k))
    )


@dataclass(frozen=True)
class DeviationSet:
    """One group of 4.A.3 (the year's deviations, or earlier ones still open in it)."""

    count: int
    #: (type, tier, count): always there, small, for the charts.
    by_type_tier: tuple[tuple[str, str, int], ...]
    #: Equal rows grouped, largest first: all of them, or the first ``group_limit``; empty
    #: when the caller did not ask for them. ``summary`` and ``type_summary`` need them all.
    groups: tuple[DeviationGroup, ...]
    #: How many groups there are in all.
    group_count: int
    #: The rows by detection date: all of them, or the first ``row_limit``.
    rows: tuple[DeviationRow, ...]

    @property
    def has_every_row(self) -> bool:
        return len(self.rows) == self.count

    @property
    def summary(self) -> tuple[DeviationSummary, ...]:
        return _summarise(self.groups)

    @property
    def type_summary(self) -> tuple[DeviationTypeSummary, ...]:
        return _summarise_types(self.groups)

    def count_by(self, attribute: str) -> tuple[tuple[str, int], ...]:
        """Counts by "type" or "tier", largest first."""
        counts: dict[str, int] = defaultdict(int)
        for type_, tier, n in self.by_type_tier:
            counts[type_ if attribute == "type" else tier] += n
        return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


@dataclass(frozen=True)
class Deviations:
    """4.A.3: the yes/no answer follows from whether the year has any rows."""

    year: int
    detected: DeviationSet
    earlier_open: DeviationSet
    #: Proposed (unconfirmed) deviations detected in the year: not counted, but worth a look.
    proposed: int
    #: Of the deviations detected in the year, those found on joint agreements led by others.
    joint_detected: int = 0

    @property
    def found(self) -> bool:
        return self.detected.count > 0


@lru_cache(maxsize=4096)
def _measures(value: str | None) -> tuple[str, ...]:
    """The stored JSON list (as text) as a sorted tuple, so equal sets group together.

    Few distinct lists exist, so parsing is cached: a year's rows repeat them.
    """
    parsed = json.loads(value) if value else []
    return tuple(sorted(str(m) for m in (parsed or ())))


def proposed_in(year: int) -> ColumnElement[bool]:
    """Proposed deviations detected in Y, neither confirmed nor discarded."""
    return and_(Deviation.is_proposed.is_(True), Deviation.status != "WITHDRAWN",
                _dated_in(Deviation.detected_date, year))


def _detected_in(year: int) -> ColumnElement[bool]:
    return and_(_counted_deviation(), _dated_in(Deviation.detected_date, year))


def _earlier_open_in(year: int) -> ColumnElement[bool]:
    """Detected before Y and still open in Y: open now, or closed on or after 1.1.Y."""
    return and_(
        _counted_deviation(),
        Deviation.detected_date < first_day(year),
        or_(
            Deviation.status.in_(OPEN_DEVIATION_STATUSES),
            Deviation.closed_date >= first_day(year),
        ),
    )


def _deviation_set(where: ColumnElement[bool], row_limit: int | None, with_groups: bool,
                   group_limit: int | None = None, as_of: date | None = None) -> DeviationSet:
    groups: tuple[DeviationGroup, ...] = ()
    group_count = 0
    if with_groups:
        # The status (on ``as_of``) is worked out per row first, then grouped on.
        chosen_rows = (
            select(
                Deviation.id, Deviation.type, Deviation.tier, Deviation.country,
                cast(Deviation.measures, String).label("measures"),  # groupable on PG
                deviation_status_at(as_of).label("status"),
            )
            .where(where)
            .subquery("chosen")
        )
        c = chosen_rows.c
        merged: dict[tuple[str, str, str | None, tuple[str, ...], str], int] = defaultdict(int)
        for type_, tier, country, measures, status, number in _run(
            select(c.type, c.tier, c.country, c.measures, c.status, func.count(c.id))
            .group_by(c.type, c.tier, c.country, c.measures, c.status)
        ):
            key = (type_, tier, country, _measures(measures), EHN_STATUS_KEY.get(status, status))
            merged[key] += int(number)
        def largest_first(item: tuple[tuple[str, str, str | None, tuple[str, ...], str], int]
                          ) -> tuple[object, ...]:
            (type_, tier, country, measures, ehn_status), n = item
            return (-n, type_, tier, country or "", measures, ehn_status)

        # The page shows the first groups only: those are picked without sorting them all.
        chosen = (sorted(merged.items(), key=largest_first) if group_limit is None
                  else heapq.nsmallest(group_limit, merged.items(), key=largest_first))
        groups = tuple(
            DeviationGroup(type=k[0], tier=k[1], country=k[2], measures=k[3], ehn_status=k[4],
                           count=n)
            for k, n in chosen
        )
        group_count = len(merged)
        by_type_tier: dict[tuple[str, str], int] = defaultdict(int)
        for (type_, tier, *_rest), n in merged.items():
            by_type_tier[(type_, tier)] += n
        type_tier = tuple((t, r, n) for (t, r), n in sorted(by_type_tier.items()))
    else:
        type_tier = tuple(
            (t, r, int(n))
            for t, r, n in _run(
                select(Deviation.type, Deviation.tier, func.count(Deviation.id))
                .where(where)
                .group_by(Deviation.type, Deviation.tier)
                .order_by(Deviation.type, Deviation.tier)
            )
        )
    count = sum(n for _t, _r, n in type_tier)
    rows: tuple[DeviationRow, ...] = ()
    if row_limit != 0 and count:
        rows = tuple(
            DeviationRow(type_, tier, country, _measures(measures), text or "", status,
                         EHN_STATUS_KEY.get(status, status), severity, detected)
            # Only the public columns are selected: the site is never read.
            for type_, tier, country, measures, text, status, severity, detected in _run(
                select(
                    Deviation.type, Deviation.tier, Deviation.country,
                    cast(Deviation.measures, String), Deviation.measures_text,
                    deviation_status_at(as_of), Deviation.severity, Deviation.detected_date,
                )
                .where(where)
                .order_by(Deviation.detected_date, Deviation.id)
                .limit(row_limit)
            )
        )
    return DeviationSet(count=count, by_type_tier=type_tier, groups=groups,
                        group_count=group_count, rows=rows)


def deviations(year: int, *, row_limit: int | None = None, with_groups: bool = True,
               earlier_groups: bool | None = None, group_limit: int | None = None,
               as_of: date | None = None) -> Deviations:
    """The year's deviations and the earlier ones still open in it.

    At most ``row_limit`` rows are read (None: all of them, 0: none). Counts cover
    everything; equal rows are grouped only ``with_groups`` (the page's default view
    and the charts need just the counts by type and tier), and the earlier ones only
    ``earlier_groups`` (default: the same); ``group_limit`` keeps the largest groups only.
    Statuses are those on ``as_of`` (None: today).
    """
    proposed, joint = _run(
        select(
            func.count(Deviation.id).filter(Deviation.is_proposed.is_(True)),
            func.count(Deviation.id).filter(_detected_in(year), _joint(Deviation.buyer_id)),
        ).where(Deviation.status != "WITHDRAWN", _dated_in(Deviation.detected_date, year))
    ).one()
    return Deviations(
        year=year,
        detected=_deviation_set(_detected_in(year), row_limit, with_groups, group_limit, as_of),
        earlier_open=_deviation_set(
            _earlier_open_in(year), row_limit,
            with_groups if earlier_groups is None else earlier_groups, group_limit, as_of,
        ),
        proposed=int(proposed or 0),
        joint_detected=int(joint or 0),
    )


# 2.A.2 and 2.A.3


@dataclass(frozen=True)
class RequirementRow:
    """One agreement with ethical requirements (the 2.A.2 table)."""

    agreement_id: int
    name_nb: str
    name_en: str
    reference: str
    kind: str
    dfo_category: str | None
    start_date: date
    suppliers: int
    qualification_requirement: bool
    award_criterion: bool
    contract_condition: bool
    #: The buyer leading the agreement, when it is a joint agreement of another buyer's.
    lead: str | None = None


def requirements(year: int, *, limit: int | None = None) -> tuple[RequirementRow, ...]:
    """Agreements active in the year with ethical requirements, by name (the first ``limit``)."""
    listed = (
        select(
            Agreement.id, Agreement.name_nb, Agreement.name_en, Agreement.reference, Agreement.kind,
            Agreement.dfo_category, Agreement.start_date, Agreement.qualification_requirement,
            Agreement.award_criterion, Agreement.contract_condition, Agreement.buyer_id,
        )
        .where(active_in(year), _has_requirements())
        .order_by(Agreement.name_nb, Agreement.id)
        .limit(limit)
        .subquery()
    )
    rows = _run(
        select(listed, _supplier_count(listed.c.id).label("suppliers"))
        .order_by(listed.c.name_nb, listed.c.id)
    )
    leads = _leads()
    return tuple(
        RequirementRow(id_, name_nb, name_en, reference, kind, category, start, int(suppliers),
                       bool(qualification), bool(award), bool(condition), leads.get(owner))
        for id_, name_nb, name_en, reference, kind, category, start, qualification, award,
        condition, owner, suppliers in rows
    )


@dataclass(frozen=True)
class RequirementSummary:
    """2.A.2 grouped by kind and the three flags, for the PDF when there are many agreements."""

    kind: str
    qualification_requirement: bool
    award_criterion: bool
    contract_condition: bool
    agreements: int
    suppliers: int


def requirement_summary(year: int) -> tuple[RequirementSummary, ...]:
    links = (
        select(
            Agreement.kind, Agreement.qualification_requirement, Agreement.award_criterion,
            Agreement.contract_condition, agreement_supplier.c.supplier_id,
        )
        .join(agreement_supplier, agreement_supplier.c.agreement_id == Agreement.id, isouter=True)
        .where(active_in(year), _has_requirements())
        .subquery()
    )
    agreements = (
        select(Agreement.kind, Agreement.qualification_requirement, Agreement.award_criterion,
               Agreement.contract_condition, func.count(Agreement.id).label("agreements"))
        .where(active_in(year), _has_requirements())
        .group_by(Agreement.kind, Agreement.qualification_requirement, Agreement.award_criterion,
                  Agreement.contract_condition)
    )
    suppliers = {
        (k, bool(q), bool(a), bool(c)): int(n)
        for k, q, a, c, n in _run(
            select(links.c.kind, links.c.qualification_requirement, links.c.award_criterion,
                   links.c.contract_condition, func.count(distinct(links.c.supplier_id)))
            .group_by(links.c.kind, links.c.qualification_requirement, links.c.award_criterion,
                      links.c.contract_condition)
        )
    }
    return tuple(
        RequirementSummary(k, bool(q), bool(a), bool(c), int(n),
                           suppliers.get((k, bool(q), bool(a), bool(c)), 0))
        for k, q, a, c, n in sorted(_run(agreements),
                                    key=lambda r: (r[0], not r[1], not r[2], not r[3]))
    )


@dataclass(frozen=True)
class RiskRow:
    """One priority risk (the 2.A.3 table), kept by administrators."""

    impact_nb: str
    impact_en: str
    themes: tuple[str, ...]
    geography: str


def priority_risks() -> tuple[RiskRow, ...]:
    rows = _run(
        select(PriorityRisk.impact_nb, PriorityRisk.impact_en, PriorityRisk.themes,
               PriorityRisk.geography)
        .order_by(PriorityRisk.position, PriorityRisk.id)
    )
    return tuple(
        RiskRow(impact_nb=r.impact_nb, impact_en=r.impact_en or "", themes=tuple(r.themes or ()),
                geography=r.geography or "")
        for r in rows
    )


# Traffic lights


@dataclass(frozen=True)
class TrafficLights:
    """Responses of the year's rounds by DFØ category (None: none) and light."""

    category: str | None
    green: int
    yellow: int
    red: int
    #: Not assessed yet: the review's roll-up has no light for them either.
    none: int = 0

    @property
    def total(self) -> int:
        return self.green + self.yellow + self.red + self.none


@dataclass(frozen=True)
class _ShownQuestions:
    """The questions of one questionnaire version as one kind of agreement shows them."""

    #: Every scored question: only verdicts on these colour the light.
    scored: tuple[str, ...]
    #: Gate and required ones: a "does not meet" makes the section N and the light red.
    critical: tuple[str, ...]
    #: Those without a condition: the light is green only once each has a verdict.
    assessed: tuple[str, ...]
    #: Gate questions and their opening yes/no part: a "No" not yet judged makes it red.
    gates: tuple[tuple[str, str], ...] = ()


# (questionnaire version id, variant, social-dialogue requirement) -> the questions shown
_Shown = dict[tuple[int, str, bool], _ShownQuestions]


def _shown_questions(year: int) -> _Shown:
    """The review's roll-up inputs (``portal.review.services.section_facts``) for every kind
    of agreement and every questionnaire version of the year's rounds."""
    from portal.questionnaires.definition import VARIANTS, DefinitionError
    from portal.questionnaires.engine import definition_of

    shown: _Shown = {}
    for version in db.session.scalars(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.id.in_(
                select(FollowUpRound.questionnaire_version_id).where(FollowUpRound.year == year)
            )
        )
    ):
        try:
            definition = definition_of(version)
        except DefinitionError:
            continue  # a stored version that no longer parses colours nothing
        for variant in VARIANTS:
            for social_dialogue in (False, True):
                scored = [q for section in definition.sections_for(variant, social_dialogue)
                          for q in section.questions if q.scored]
                shown[(version.id, variant, social_dialogue)] = _ShownQuestions(
                    scored=tuple(q.id for q in scored),
                    critical=tuple(q.id for q in scored if q.gate or q.required),
                    assessed=tuple(q.id for q in scored if q.condition is None),
                    gates=tuple((q.id, q.parts[0].id) for q in scored if q.gate),
                )
    return shown


def _kind_of_response(key: tuple[int, str, bool]) -> ColumnElement[bool]:
    version_id, variant, social_dialogue = key
    return and_(FollowUpRound.questionnaire_version_id == version_id,
                Agreement.questionnaire_variant == variant,
                Agreement.social_dialogue_required.is_(social_dialogue))


def _verdict_on(shown: _Shown, part: str) -> ColumnElement[bool]:
    """A verdict on one of the ``part`` questions (scored, critical, assessed) as its response's
    questionnaire and agreement show them."""
    return or_(false(), *(
        and_(_kind_of_response(key), QuestionReview.question_id.in_(getattr(questions, part)))
        for key, questions in shown.items() if getattr(questions, part)
    ))


def _assessed_needed(shown: _Shown) -> ColumnElement[int]:
    """How many verdicts a response needs before its light can be green."""
    if not shown:
        return literal(0)
    return case(
        *((_kind_of_response(key), len(questions.assessed)) for key, questions in shown.items()),
        else_=0,
    )


def _deviation_colours(today: date, as_of: date | None = None
                       ) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """(red, yellow) of one deviation, exactly as ``portal.review.rollup.deviation_light``.

    ``today`` judges "overdue"; the status is the one on ``as_of`` (None: now).
    """
    return rollup.deviation_colours(SQL, deviation_status_at(as_of), Deviation.deadline,
                                    Deviation.closed_date, today)


class _Sql:
    """The traffic-light rule of ``portal.review.rollup`` on SQL expressions."""

    def any(self, *terms: ColumnElement[bool]) -> ColumnElement[bool]:
        return or_(*terms)

    def all(self, *terms: ColumnElement[bool]) -> ColumnElement[bool]:
        return and_(*terms)

    def negate(self, term: ColumnElement[bool]) -> ColumnElement[bool]:
        return ~term

    def is_in(self, value: Any, options: Collection[str]) -> ColumnElement[bool]:
        return value == next(iter(options)) if len(options) == 1 else value.in_(tuple(options))

    def before(self, first: Any, second: Any) -> ColumnElement[bool]:
        # A column (or a mapped attribute) may be NULL; a Python date given for "today" is not.
        known = [term.is_not(None) for term in (first, second) if not isinstance(term, date)]
        return and_(*known, first < second)

    def choose(self, cases: Sequence[tuple[ColumnElement[bool], str]],
               otherwise: str | None) -> ColumnElement[str]:
        return case(*((condition, literal(colour)) for condition, colour in cases),
                    else_=literal(otherwise))


SQL = _Sql()


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """1 when any row of the group meets the condition, else 0."""
    return func.max(case((condition, 1), else_=0))


def traffic_lights(year: int, today: date, as_of: date | None = None) -> tuple[TrafficLights, ...]:
    """One light per response of the year's rounds, counted by the agreement's DFØ category.

    The light is the review's roll-up (``portal.review.rollup``, DOMAIN 4.6) in SQL, so
    that thousands of responses need no per-response Python, and a response has the same
    light here as in the inbox: red on a "does not meet" on a gate or required question or
    a red deviation; yellow on any "partly" or "does not meet" or a deviation being
    handled; green once every scored question without a condition has a verdict and
    nothing above; otherwise not assessed. The questions are those the response's
    questionnaire shows its agreement (variant, social dialogue); the deviations are those
    found through the response (the response's own state: another deviation of the same
    supplier is no part of its light), and a gate question the supplier answered "No" in a
    submitted response is red until the reviewer has judged it.
    """
    red_deviation, yellow_deviation = _deviation_colours(today, as_of)
    # Each deviation's colour first (its status may need its history), then one per response.
    coloured = (
        select(Deviation.response_id.label("response_id"),
               case((red_deviation, 1), else_=0).label("red"),
               case((yellow_deviation, 1), else_=0).label("yellow"))
        .where(_counted_deviation(), Deviation.response_id.is_not(None),
               # On a past day, only what had been found by then.
               true() if as_of is None else Deviation.detected_date <= as_of)
        .subquery("coloured")
    )
    through_response = (
        select(coloured.c.response_id, func.max(coloured.c.red).label("red"),
               func.max(coloured.c.yellow).label("yellow"))
        .group_by(coloured.c.response_id)
        .subquery("through_response")
    )
    shown = _shown_questions(year)
    # Every verdict of the year's responses is read, since green needs them all; the
    # question lists are tested only where the verdict itself does not decide.
    verdicts = (
        select(
            QuestionReview.response_id.label("response_id"),
            _flag(and_(QuestionReview.verdict == "not_met", _verdict_on(shown, "critical")))
            .label("n"),
            _flag(and_(QuestionReview.verdict.in_(("partly", "not_met")),
                       _verdict_on(shown, "scored"))).label("p"),
            func.sum(case((_verdict_on(shown, "assessed"), 1), else_=0)).label("assessed"),
        )
        .join(Response, Response.id == QuestionReview.response_id)
        .join(FollowUpRound, FollowUpRound.id == Response.round_id)
        .join(Agreement, Agreement.id == Response.agreement_id)
        .where(FollowUpRound.year == year, QuestionReview.verdict.is_not(None))
        .group_by(QuestionReview.response_id)
        .subquery("verdicts")
    )
    judged = (
        select(QuestionReview.id)
        .where(QuestionReview.response_id == Answer.response_id,
               QuestionReview.question_id == Answer.question_id,
               QuestionReview.verdict.is_not(None))
        .exists()
    )
    said_no = or_(false(), *(
        and_(_kind_of_response(key), Answer.question_id == question_id,
             Answer.value[part_id].as_string() == "no")
        for key, questions in shown.items() for question_id, part_id in questions.gates
    ))
    gates_no = (
        select(Answer.response_id.label("response_id"))
        .join(Response, Response.id == Answer.response_id)
        .join(FollowUpRound, FollowUpRound.id == Response.round_id)
        .join(Agreement, Agreement.id == Response.agreement_id)
        .where(FollowUpRound.year == year, said_no, ~judged,
               Response.status.not_in(("not_started", "in_progress")))
        .group_by(Answer.response_id)
        .subquery("gates_no")
    )
    needed = _assessed_needed(shown)
    light = rollup.light(
        SQL,
        or_(verdicts.c.n == 1, through_response.c.red == 1, gates_no.c.response_id.is_not(None)),
        or_(verdicts.c.p == 1, through_response.c.yellow == 1),
        and_(needed > 0, verdicts.c.assessed == needed),
        otherwise="none",
    ).label("light")
    inner = (
        select(Agreement.dfo_category.label("category"), light)
        .select_from(Response)
        .join(FollowUpRound, FollowUpRound.id == Response.round_id)
        .join(Agreement, Agreement.id == Response.agreement_id)
        .outerjoin(verdicts, verdicts.c.response_id == Response.id)
        .outerjoin(through_response, through_response.c.response_id == Response.id)
        .outerjoin(gates_no, gates_no.c.response_id == Response.id)
        .where(FollowUpRound.year == year)
        .subquery()
    )
    counts: dict[str | None, dict[str, int]] = defaultdict(lambda: dict.fromkeys(LIGHT_KEYS, 0))
    for category, colour, number in _run(
        select(inner.c.category, inner.c.light, func.count()).group_by(inner.c.category, inner.c.light)
    ):
        counts[category][colour] = int(number)
    order = {code: i for i, code in enumerate(DFO_CATEGORIES.codes)}
    return tuple(
        TrafficLights(category, c["green"], c["yellow"], c["red"], c["none"])
        for category, c in sorted(counts.items(), key=lambda item: order.get(item[0] or "", 99))
    )


# Five years


@dataclass(frozen=True)
class YearFigures:
    """The key numbers of one year, for the side-by-side table."""

    year: int
    active_agreements: int
    agreements_with_follow_up: int
    suppliers_followed_up: int
    activities: int
    deviations: int
    responses: tuple[tuple[str, int], ...]

    @property
    def invited(self) -> int:
        return sum(n for _s, n in self.responses)

    def responses_in(self, status: str) -> int:
        return dict(self.responses).get(status, 0)


def five_years(year: int, years: Iterable[int],
               known: dict[int, tuple[int, int, int]] | None = None) -> tuple[YearFigures, ...]:
    """The year and up to four before it that have data (4 statements whatever the range).

    ``known`` maps years whose 4.A.2 figures the caller already has to (suppliers,
    agreements, activities), so they are not counted again.
    """
    chosen = sorted(y for y in years if year - FIVE_YEARS < y <= year)
    if not chosen:
        return ()
    first, last = chosen[0], chosen[-1]
    active_row = _run(
        select(*(func.sum(case((active_in(y), 1), else_=0)) for y in chosen))
        .select_from(Agreement)  # names the entity, so the buyer's scope applies
    ).one()
    active = {y: int(n or 0) for y, n in zip(chosen, active_row, strict=True)}

    # One statement, one indexed date range per year, each with the agreements active in
    # that year (DOMAIN 7.2): cheaper than grouping every activity by its year.
    followed = dict(known or {})
    missing = [y for y in chosen if y not in followed]
    if missing:
        per_year = union_all(*(
            select(
                literal(y).label("year"),
                func.count(distinct(FollowUpActivity.supplier_id)),
                func.count(distinct(FollowUpActivity.agreement_id)),
                func.count(FollowUpActivity.id),
            )
            .join(Agreement, Agreement.id == FollowUpActivity.agreement_id)
            .where(_qualifying_activities(y))
            for y in missing
        ))
        followed.update(
            (int(y), (int(s), int(a), int(n))) for y, s, a, n in _run(per_year)
        )

    found_row = _run(
        select(*(func.sum(case((_dated_in(Deviation.detected_date, y), 1), else_=0)) for y in chosen))
        .select_from(Deviation)
        .where(_counted_deviation(),
               Deviation.detected_date.between(first_day(first), last_day(last)))
    ).one()
    found = {y: int(n or 0) for y, n in zip(chosen, found_row, strict=True)}

    responses: dict[int, dict[str, int]] = defaultdict(dict)
    for y, status, n in _run(
        select(FollowUpRound.year, Response.status, func.count(Response.id))
        .join(FollowUpRound, FollowUpRound.id == Response.round_id)
        .where(FollowUpRound.year.between(first, last))
        .group_by(FollowUpRound.year, Response.status)
    ):
        responses[int(y)][status] = int(n)

    return tuple(
        YearFigures(
            year=y, active_agreements=active[y],
            agreements_with_follow_up=followed.get(y, (0, 0, 0))[1],
            suppliers_followed_up=followed.get(y, (0, 0, 0))[0],
            activities=followed.get(y, (0, 0, 0))[2],
            deviations=found.get(y, 0),
            responses=tuple((s, responses[y].get(s, 0)) for s in RESPONSE_STATUS_ORDER),
        )
        for y in chosen
    )


# 4.A.1


@dataclass(frozen=True)
class StaffRole:
    """Staff who recorded follow-up in the year, by role and job title (never by name)."""

    role: str
    job_title: str
    people: int
    activities: int


def follow_up_staff(year: int) -> tuple[StaffRole, ...]:
    """Who recorded the buyer's own follow-up of the year: the same activities as the own
    rows of 4.A.2 by method (dated in the year, on an agreement active in it, not joint)."""
    rows = _run(
        select(User.role, User.job_title, func.count(distinct(User.id)),
               func.count(FollowUpActivity.id))
        .join(Agreement, Agreement.id == FollowUpActivity.agreement_id)
        .join(User, User.id == FollowUpActivity.created_by_id)
        .where(_qualifying_activities(year), ~_joint(Agreement.buyer_id),
               User.role.in_((Role.REVIEWER.value, Role.ADMIN.value)))
        .group_by(User.role, User.job_title)
        .order_by(func.count(FollowUpActivity.id).desc(), User.job_title)
    )
    return tuple(StaffRole(r[0], r[1] or "", int(r[2]), int(r[3])) for r in rows)


@dataclass(frozen=True)
class SavedText:
    text: str
    updated_at: object
    updated_by_id: int | None


def saved_text(year: int, key: str = REPORT_TEXT_4A1) -> SavedText | None:
    row = _run(
        select(ReportText.text, ReportText.updated_at, ReportText.updated_by_id)
        .where(ReportText.year == year, ReportText.key == key)
    ).first()
    return None if row is None else SavedText(row[0], row[1], row[2])


# Consistency checks (DOMAIN 7.4)


@dataclass(frozen=True)
class ReportWarning:
    """A consistency problem to show; ``code`` picks the translated message."""

    code: str
    numbers: dict[str, int] = field(default_factory=dict)


def unanswered_without_pdoc(year: int, today: date, as_of: date | None = None) -> int:
    """Not-answered questionnaires of the year with no P-DOC deviation for that supplier."""
    return int(
        _run(
            select(func.count(Response.id))
            .join(FollowUpRound, FollowUpRound.id == Response.round_id)
            .where(unanswered_without_pdoc_in(year, today, as_of))
        ).scalar()
        or 0
    )


def unanswered_without_pdoc_in(year: int, today: date, as_of: date | None = None
                               ) -> ColumnElement[bool]:
    """Responses of Y's rounds not answered by the deadline, the supplier without a P-DOC
    deviation since 1.1.Y (join FollowUpRound)."""
    has_pdoc = exists().where(
        Deviation.supplier_id == Response.supplier_id,
        Deviation.type == "P-DOC",
        Deviation.status != "WITHDRAWN",
        Deviation.detected_date >= first_day(year),
    )
    return and_(FollowUpRound.year == year, response_status_at(as_of).in_(UNANSWERED),
                Response.deadline < today, ~has_pdoc)


def consistency_warnings(
    follow: FollowUp, found: Deviations, unanswered_no_pdoc: int
) -> tuple[ReportWarning, ...]:
    warnings: list[ReportWarning] = []
    if follow.suppliers < follow.agreements and not follow.agreements_without_suppliers:
        warnings.append(ReportWarning("suppliers_below_agreements",
                                {"suppliers": follow.suppliers, "agreements": follow.agreements}))
    if not found.found and found.earlier_open.count:
        warnings.append(ReportWarning("none_found_but_open", {"open": found.earlier_open.count}))
    if found.proposed:
        warnings.append(ReportWarning("proposed_unconfirmed", {"proposed": found.proposed}))
    if follow.activities_not_counted:
        warnings.append(ReportWarning("activities_not_counted", {"activities": follow.activities_not_counted}))
    if unanswered_no_pdoc:
        warnings.append(ReportWarning("unanswered_without_pdoc", {"responses": unanswered_no_pdoc}))
    if follow.joint_agreements or found.joint_detected:
        warnings.append(ReportWarning("joint_follow_up", {
            "suppliers": follow.joint_suppliers, "agreements": follow.joint_agreements,
            "activities": follow.joint_activities, "deviations": found.joint_detected,
        }))
    return tuple(warnings)


#: How each way of finding a deviation (DOMAIN 5.7) shows as a follow-up activity; the
#: other ways (grievances, media, the supplier's own report) need none.
DETECTION_ACTIVITY = {
    "SAQ": "questionnaire_reviewed",
    "DESK": "document_review",
    "SITE": "site_audit",
    "MEETING": "status_meeting",
    "SPOT": "spot_check",
}


def not_counted_activity_in(year: int) -> ColumnElement[bool]:
    """Activities dated in Y on an agreement not active in Y (join Agreement)."""
    return and_(_dated_in(FollowUpActivity.date, year), _counted_activity(), ~active_in(year))


def outside_agreement_in(year: int) -> ColumnElement[bool]:
    """Counted activities of Y dated before their agreement started or after it ended
    (join Agreement); those on agreements not active in Y have their own warning."""
    return and_(
        _dated_in(FollowUpActivity.date, year), _counted_activity(), active_in(year),
        or_(FollowUpActivity.date < Agreement.start_date,
            and_(Agreement.end_date.is_not(None), FollowUpActivity.date > Agreement.end_date)),
    )


def unreviewed_in(year: int, today: date, days: int) -> ColumnElement[bool]:
    """Responses of Y's rounds submitted more than ``days`` days ago and still waiting for
    review (join FollowUpRound)."""
    before = datetime.combine(today - timedelta(days=days), time.min, tzinfo=UTC)
    return and_(FollowUpRound.year == year,
                Response.status.in_((ResponseStatus.SUBMITTED.value, ResponseStatus.RESUBMITTED.value)),
                Response.submitted_at < before)


def without_method_activity_in(year: int) -> ColumnElement[bool]:
    """Deviations of 4.A.3 found by a method that is a follow-up activity (a site audit, a
    questionnaire ...) while the supplier has no counted activity of that kind dated in Y."""
    kind = case(DETECTION_ACTIVITY, value=Deviation.detected_by)
    matching = exists().where(
        FollowUpActivity.supplier_id == Deviation.supplier_id, FollowUpActivity.kind == kind,
        _dated_in(FollowUpActivity.date, year), _counted_activity(),
    )
    return and_(_detected_in(year), Deviation.detected_by.in_(DETECTION_ACTIVITY), ~matching)


def more_warnings(year: int, today: date, unreviewed_days: int) -> tuple[ReportWarning, ...]:
    """The checks that name records (issue 16), counted in one statement."""
    outside, unreviewed, without = _run(select(
        select(func.count(FollowUpActivity.id))
        .join(Agreement, Agreement.id == FollowUpActivity.agreement_id)
        .where(outside_agreement_in(year)).scalar_subquery(),
        select(func.count(Response.id))
        .join(FollowUpRound, FollowUpRound.id == Response.round_id)
        .where(unreviewed_in(year, today, unreviewed_days)).scalar_subquery(),
        select(func.count(Deviation.id)).where(without_method_activity_in(year)).scalar_subquery(),
    )).one()
    warnings: list[ReportWarning] = []
    if outside:
        warnings.append(ReportWarning("activity_outside_agreement", {"activities": int(outside)}))
    if unreviewed:
        warnings.append(ReportWarning("unreviewed_submissions",
                                      {"responses": int(unreviewed), "days": unreviewed_days}))
    if without:
        warnings.append(ReportWarning("deviation_without_activity", {"deviations": int(without)}))
    return tuple(warnings)


# The whole report


@dataclass(frozen=True)
class YearReport:
    year: int
    #: The day the statuses are taken on and "overdue" is judged: today, or 31.12 of a past
    #: year (``as_of``).
    today: date
    years: tuple[int, ...]
    agreements: AgreementCounts
    follow_up: FollowUp
    deviations: Deviations
    requirements: tuple[RequirementRow, ...]
    requirement_summary: tuple[RequirementSummary, ...]
    risks: tuple[RiskRow, ...]
    traffic_lights: tuple[TrafficLights, ...]
    five_years: tuple[YearFigures, ...]
    staff: tuple[StaffRole, ...]
    saved_4a1: SavedText | None
    warnings: tuple[ReportWarning, ...]
    #: The day the report is as of, when it is not today (``report_basis``).
    as_of: date | None = None


@dataclass(frozen=True)
class ReportRequest:
    """What one format of the report shows, so ``year_report`` reads only that.

    ``limit`` caps the long lists (deviation rows, agreements with follow-up, 2.A.2
    rows) for the page and the PDF; counts always cover everything. ``groups``
    groups equal 4.A.3 rows (``earlier_groups`` those of earlier years; default: the
    same), keeping the ``group_limit`` largest (the page; the PDF's summaries need every
    group); ``summaries`` adds the condensed 2.A.2 table of the PDF; ``categories`` the
    4.A.2 counts by DFØ category; ``five`` the last five years side by side.
    """

    limit: int | None = None
    groups: bool = True
    earlier_groups: bool | None = None
    group_limit: int | None = None
    summaries: bool = False
    categories: bool = True
    five: bool = True

    @classmethod
    def page(cls, limit: int, grouped: bool) -> ReportRequest:
        return cls(limit=limit, groups=grouped, group_limit=limit, categories=False)

    @classmethod
    def pdf(cls, limit: int) -> ReportRequest:
        """Condensed tables of at most ``limit`` rows, no five years."""
        return cls(limit=limit, summaries=True, five=False)

    @classmethod
    def csv(cls, table: str) -> ReportRequest:
        return cls(groups=table == "4a3_grouped", earlier_groups=False, categories=False,
                   five=table == "five_years")


#: Everything, every row (the default; the hand-count tests and the benchmark).
FULL = ReportRequest()
#: The JSON document: one year with its rows and DFØ categories; groups are derivable.
JSON = ReportRequest(groups=False, earlier_groups=False, categories=True, five=False)
#: The workbook: every row, this year's groups and the last five years.
XLSX = ReportRequest(groups=True, earlier_groups=False, categories=False, five=True)
#: Only the counts and warnings (the warning's records page).
WARNINGS = ReportRequest(limit=0, groups=False, categories=False, five=False)


def year_report(year: int, today: date, years: tuple[int, ...] | None = None,
                want: ReportRequest = FULL, *, unreviewed_days: int | None = None,
                as_of: date | None = None) -> YearReport:
    """Everything ``want`` asks of the report for a year, in a fixed number of statements.

    ``as_of`` (``report_basis``) takes statuses on that day and judges "overdue" on it;
    None: today. Activities and deviations withdrawn since stay out: a withdrawal corrects
    a record made in error, so it applies to every year (the published version keeps what
    was published, and lists the corrections made after it).
    """
    years = available_years(today) if years is None else years
    if as_of is not None:
        today = as_of
    follow = follow_up(year, today, limit=want.limit, categories=want.categories, as_of=as_of)
    found = deviations(year, row_limit=want.limit, with_groups=want.groups,
                       earlier_groups=want.earlier_groups, group_limit=want.group_limit,
                       as_of=as_of)
    saved = saved_text(year)
    return YearReport(
        year=year,
        today=today,
        years=years,
        agreements=agreement_counts(year),
        follow_up=follow,
        deviations=found,
        requirements=requirements(year, limit=want.limit),
        requirement_summary=requirement_summary(year) if want.summaries else (),
        risks=priority_risks(),
        traffic_lights=traffic_lights(year, today, as_of),
        five_years=five_years(
            year, years, {year: (follow.suppliers, follow.agreements, follow.activities)}
        ) if want.five else (),
        # Only the generated draft names the staff; a saved text replaces it.
        staff=follow_up_staff(year) if saved is None else (),
        saved_4a1=saved,
        warnings=consistency_warnings(follow, found, unanswered_without_pdoc(year, today, as_of))
        + more_warnings(year, today, unreviewed_days if unreviewed_days is not None
                        else int(current_app.config["REPORT_UNREVIEWED_DAYS"])),
        as_of=as_of,
    )
