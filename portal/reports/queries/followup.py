"""Key figures and 4.A.2: agreements and the suppliers followed up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    distinct,
    exists,
    func,
    or_,
    select,
)

from portal.codes import ACTIVITY_KINDS, DFO_CATEGORIES
from portal.models import (
    Agreement,
    FollowUpActivity,
    FollowUpRound,
    Response,
    ResponseStatus,
    agreement_supplier,
)
from portal.reports.queries.base import (
    EVER_SUBMITTED,
    RESPONSE_STATUS_ORDER,
    UNANSWERED,
    _counted_activity,
    _dated_in,
    _joint,
    _leads,
    _qualifying_activities,
    _run,
    active_in,
    first_day,
    response_status_at,
)

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
              categories: bool = True, as_of: date | None = None,
              leads: dict[int, str] | None = None) -> FollowUp:
    """4.A.2 for the year; ``categories`` adds the counts by DFØ category (PDF and JSON).
    ``leads``: the joint agreements' leads (``_leads``), when the caller has read them."""
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
    leads = _leads() if leads is None else leads
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


