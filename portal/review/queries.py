"""Read-only queries behind the review pages: a fixed number of statements, never one per row."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, extract, func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from portal.codes import ACTIVITY_KINDS, DFO_CATEGORIES, OPEN_DEVIATION_STATUSES
from portal.extensions import db
from portal.i18n import current_locale
from portal.inputs import to_int
from portal.models import (
    EDITABLE_STATUSES,
    Agreement,
    AuditEvent,
    Deviation,
    FollowUpActivity,
    FollowUpRound,
    QuestionReview,
    Response,
    ResponseStatus,
    Supplier,
    User,
)
from portal.pagination import Page, paginate
from portal.questionnaires import engine
from portal.review import rollup
from portal.review.services import section_facts
from portal.tenancy import archived_suppliers

LIGHTS = (rollup.GREEN, rollup.YELLOW, rollup.RED, "none")
STATUSES = tuple(status.value for status in ResponseStatus)
_EDITABLE = [status.value for status in EDITABLE_STATUSES]


def int_arg(value: str | None) -> int | None:
    return to_int(value, low=1)


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


# The inbox


@dataclass(frozen=True)
class InboxFilters:
    round_id: int | None = None
    status: str = ""
    agreement_id: int | None = None
    category: str = ""
    supplier_id: int | None = None
    overdue: bool = False
    light: str = ""
    sort: str = "deadline"

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> InboxFilters:
        status = args.get("status", "")
        category = args.get("category", "")
        light = args.get("light", "")
        sort = args.get("sort", "deadline")
        return cls(
            round_id=int_arg(args.get("round")),
            status=status if status in STATUSES else "",
            agreement_id=int_arg(args.get("agreement")),
            category=category if category in DFO_CATEGORIES else "",
            supplier_id=int_arg(args.get("supplier")),
            overdue=args.get("overdue") == "1",
            light=light if light in LIGHTS else "",
            sort=sort if sort in ("deadline", "-deadline") else "deadline",
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """The filters as query arguments, for links that keep them (pagination, sorting)."""
        values = {"round": self.round_id, "status": self.status, "agreement": self.agreement_id,
                  "category": self.category, "supplier": self.supplier_id,
                  "overdue": "1" if self.overdue else None, "light": self.light,
                  "sort": self.sort if self.sort != "deadline" else None}
        values.update(changes)
        return {key: value for key, value in values.items() if value not in (None, "")}


@dataclass
class InboxRow:
    response: Response
    light: str | None
    overdue: bool


@dataclass
class Inbox:
    page: Page[InboxRow]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _filtered(filters: InboxFilters, today: date, *, with_status: bool = True) -> Select[Any]:
    query = (
        select(Response)
        .join(Response.round).join(Response.agreement).join(Response.supplier)
    )
    if filters.round_id:
        query = query.where(Response.round_id == filters.round_id)
    if with_status and filters.status:
        query = query.where(Response.status == filters.status)
    if filters.agreement_id:
        query = query.where(Response.agreement_id == filters.agreement_id)
    if filters.category:
        query = query.where(Agreement.dfo_category == filters.category)
    if filters.supplier_id:
        query = query.where(Response.supplier_id == filters.supplier_id)
    if filters.overdue:
        query = query.where(Response.deadline < today, Response.status.in_(_EDITABLE))
    return query


def deviation_facts_for(responses: list[Response]) -> dict[int, list[rollup.DeviationFacts]]:
    """The deviations that colour each response's light, in one query.

    Those found through the response itself, and the open ones of the same supplier and
    agreement (found some other way, or in an earlier round). Proposals do not count.
    """
    if not responses:
        return {}
    supplier_ids = {r.supplier_id for r in responses}
    rows = db.session.execute(
        select(Deviation.response_id, Deviation.supplier_id, Deviation.agreement_id,
               Deviation.status, Deviation.deadline, Deviation.closed_date)
        .where(Deviation.supplier_id.in_(supplier_ids), Deviation.is_proposed.is_(False),
               Deviation.status != "WITHDRAWN")
    ).all()
    by_response: dict[int, list[rollup.DeviationFacts]] = defaultdict(list)
    open_by_pair: dict[tuple[int, int | None], list[tuple[int | None, rollup.DeviationFacts]]] = (
        defaultdict(list))
    for response_id, supplier_id, agreement_id, status, deadline, closed_date in rows:
        facts = rollup.DeviationFacts(status, deadline, closed_date)
        if response_id is not None:
            by_response[response_id].append(facts)
        if status in OPEN_DEVIATION_STATUSES:
            open_by_pair[(supplier_id, agreement_id)].append((response_id, facts))
    result: dict[int, list[rollup.DeviationFacts]] = {}
    for response in responses:
        own = list(by_response.get(response.id, []))
        others = [facts for rid, facts in open_by_pair.get((response.supplier_id,
                                                            response.agreement_id), [])
                  if rid != response.id]
        result[response.id] = own + others
    return result


def verdict_values(response_ids: Any) -> dict[int, dict[str, str | None]]:
    rows = db.session.execute(
        select(QuestionReview.response_id, QuestionReview.question_id, QuestionReview.verdict)
        .where(QuestionReview.response_id.in_(response_ids))
    )
    verdicts: dict[int, dict[str, str | None]] = defaultdict(dict)
    for response_id, question_id, verdict in rows:
        verdicts[response_id][question_id] = verdict
    return verdicts


def light_of(
    response: Response, verdicts: Mapping[str, str | None],
    deviations: list[rollup.DeviationFacts], today: date,
) -> rollup.Rollup:
    definition = engine.definition_of(response.round.questionnaire_version)
    sections = engine.sections_for_agreement(definition, response.agreement)
    return rollup.rollup(section_facts(sections), verdicts, deviations, today)


def inbox(filters: InboxFilters, today: date, page_number: int, page_size: int) -> Inbox:
    """Every response that matches, with its light; the light filter and paging run in Python
    because the light is computed from the definition, not stored."""
    order = Response.deadline.desc() if filters.sort == "-deadline" else Response.deadline.asc()
    query = (
        _filtered(filters, today)
        .options(
            contains_eager(Response.round).selectinload(FollowUpRound.questionnaire_version),
            contains_eager(Response.agreement),
            contains_eager(Response.supplier),
        )
        .order_by(order, Supplier.name, Response.id)
    )
    responses = list(db.session.scalars(query).unique())
    ids = [r.id for r in responses]
    verdicts = verdict_values(ids) if ids else {}
    deviations = deviation_facts_for(responses)
    rows = []
    for response in responses:
        light = light_of(response, verdicts.get(response.id, {}), deviations[response.id],
                         today).light
        if filters.light and (light or "none") != filters.light:
            continue
        rows.append(InboxRow(response, light, response.is_overdue(today)))
    pages = max(1, -(-len(rows) // page_size))
    number = min(max(1, page_number), pages)
    start = (number - 1) * page_size
    page = Page(items=rows[start:start + page_size], number=number, size=page_size, total=len(rows))
    counts_query = (
        _filtered(filters, today, with_status=False)
        .with_only_columns(Response.status, func.count(Response.id))
        .group_by(Response.status)
    )
    counts = {status: int(number) for status, number in db.session.execute(counts_query)}
    return Inbox(page=page, counts=counts)


def filter_choices() -> dict[str, list[tuple[int, str]]]:
    """Rounds, agreements and suppliers for the filter menus (three small queries)."""
    rounds = db.session.execute(
        select(FollowUpRound.id, FollowUpRound.year, FollowUpRound.name_nb, FollowUpRound.name_en)
        .order_by(FollowUpRound.year.desc(), FollowUpRound.id.desc())
    ).all()
    english = current_locale() == "en"
    return {
        "rounds": [(r.id, r.name_en if english else r.name_nb) for r in rounds],
        "agreements": agreement_choices(archived=True),
        "suppliers": supplier_choices(archived=True),
    }


def agreement_choices(*, archived: bool = False) -> list[tuple[int, str]]:
    """Agreements to pick; archived ones only where history is searched (``archived``)."""
    query = (select(Agreement.id, Agreement.reference, Agreement.name_nb, Agreement.name_en)
             .order_by(Agreement.name_nb))
    if not archived:
        query = query.where(Agreement.archived_at.is_(None))
    english = current_locale() == "en"
    return [(r.id, f"{r.name_en if english else r.name_nb} ({r.reference})")
            for r in db.session.execute(query)]


def supplier_choices(*, archived: bool = False) -> list[tuple[int, str]]:
    """Suppliers to pick; those this buyer archived only where history is searched."""
    query = select(Supplier.id, Supplier.name).order_by(Supplier.name)
    if not archived:
        query = query.where(Supplier.id.not_in(archived_suppliers(db.session())))
    return [(r.id, r.name) for r in db.session.execute(query)]


# History and the audit log


def response_history(response: Response) -> list[AuditEvent]:
    """Everything recorded about a response: answers, verdicts, statuses, clarification
    rounds, and its deviations and follow-up activities."""
    deviation_ids = select(Deviation.id).where(Deviation.response_id == response.id)
    activity_ids = select(FollowUpActivity.id).where(FollowUpActivity.response_id == response.id)
    return list(db.session.scalars(
        select(AuditEvent)
        .where(or_(
            and_(AuditEvent.object_type == "Response", AuditEvent.object_id == response.id),
            and_(AuditEvent.object_type == "Deviation", AuditEvent.object_id.in_(deviation_ids)),
            and_(AuditEvent.object_type == "FollowUpActivity",
                 AuditEvent.object_id.in_(activity_ids)),
        ))
        .options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.at, AuditEvent.id)
    ))


def object_history(object_type: str, object_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
        .options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.at, AuditEvent.id)
    ))


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    actor_id: int | None = None
    object_type: str = ""
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> AuditFilters:
        return cls(
            action=(args.get("action") or "")[:60],
            actor_id=int_arg(args.get("actor")),
            object_type=(args.get("object_type") or "")[:40],
            date_from=_date(args.get("from")),
            date_to=_date(args.get("to")),
        )

    def args(self) -> dict[str, Any]:
        values = {"action": self.action, "actor": self.actor_id, "object_type": self.object_type,
                  "from": self.date_from.isoformat() if self.date_from else None,
                  "to": self.date_to.isoformat() if self.date_to else None}
        return {key: value for key, value in values.items() if value not in (None, "")}


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def audit_log(filters: AuditFilters, page_number: int, page_size: int) -> Page[AuditEvent]:
    query = select(AuditEvent).options(selectinload(AuditEvent.actor))
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.actor_id:
        query = query.where(AuditEvent.actor_id == filters.actor_id)
    if filters.object_type:
        query = query.where(AuditEvent.object_type == filters.object_type)
    if filters.date_from:
        query = query.where(AuditEvent.at >= _start_of(filters.date_from))
    if filters.date_to and filters.date_to < date.max:  # up to the last day there is: no bound
        query = query.where(AuditEvent.at < _start_of(filters.date_to + timedelta(days=1)))
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    return paginate(query, page_number, page_size)


def audit_filter_choices() -> dict[str, list[Any]]:
    actions = db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    types = db.session.scalars(
        select(AuditEvent.object_type).distinct().order_by(AuditEvent.object_type))
    actors = db.session.execute(
        select(User.id, User.name, User.email)
        .where(User.id.in_(select(AuditEvent.actor_id).distinct()))
        .order_by(User.email)
    ).all()
    return {"actions": list(actions), "object_types": [t for t in types if t],
            "actors": [(a.id, a.name or a.email) for a in actors]}


# Follow-up activities


@dataclass(frozen=True)
class ActivityFilters:
    year: int | None = None
    kind: str = ""
    agreement_id: int | None = None
    supplier_id: int | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ActivityFilters:
        kind = args.get("kind", "")
        year = int_arg(args.get("year"))
        return cls(
            year=year if year and 2000 <= year <= 2100 else None,
            kind=kind if kind in ACTIVITY_KINDS else "",
            agreement_id=int_arg(args.get("agreement")),
            supplier_id=int_arg(args.get("supplier")),
        )

    def args(self) -> dict[str, Any]:
        values = {"year": self.year, "kind": self.kind, "agreement": self.agreement_id,
                  "supplier": self.supplier_id}
        return {key: value for key, value in values.items() if value not in (None, "")}


def activities(
    filters: ActivityFilters, page_number: int, page_size: int
) -> Page[FollowUpActivity]:
    query = select(FollowUpActivity).options(
        selectinload(FollowUpActivity.agreement), selectinload(FollowUpActivity.supplier),
        selectinload(FollowUpActivity.attachments), selectinload(FollowUpActivity.created_by),
    )
    if filters.year:
        query = query.where(extract("year", FollowUpActivity.date) == filters.year)
    if filters.kind:
        query = query.where(FollowUpActivity.kind == filters.kind)
    if filters.agreement_id:
        query = query.where(FollowUpActivity.agreement_id == filters.agreement_id)
    if filters.supplier_id:
        query = query.where(FollowUpActivity.supplier_id == filters.supplier_id)
    query = query.order_by(FollowUpActivity.date.desc(), FollowUpActivity.id.desc())
    return paginate(query, page_number, page_size)


def activity_years() -> list[int]:
    rows = db.session.scalars(
        select(extract("year", FollowUpActivity.date)).distinct()
    )
    return sorted({int(year) for year in rows if year is not None}, reverse=True)
