"""Read-only queries behind the review pages: a fixed number of statements, never one per row."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, extract, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from portal import audit_labels
from portal.codes import ACTIVITY_KINDS, DFO_CATEGORIES, OPEN_DEVIATION_STATUSES
from portal.extensions import db
from portal.i18n import collation_key, current_locale
from portal.inputs import to_int
from portal.models import (
    AWAITING_REVIEW,
    EDITABLE_STATUSES,
    Agreement,
    Answer,
    AuditEvent,
    Buyer,
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
from portal.questionnaires.types import answer_of
from portal.review import rollup
from portal.review.services import section_facts
from portal.tenancy import ALL_BUYERS, archived_suppliers, scoped_buyer

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

#: What needs the reviewer: answers waiting for review, and answers past their deadline.
ACTION = "action"
ALL = "all"
VIEWS = (ACTION, ALL)
SORTS = ("deadline", "supplier", "agreement", "round", "status", "light")
SEARCH_LENGTH = 100
#: Ascending light order puts what needs attention first.
_LIGHT_ORDER = {rollup.RED: 0, rollup.YELLOW: 1, rollup.GREEN: 2, None: 3}
_STATUS_ORDER = {status: index for index, status in enumerate(STATUSES)}
_AWAITING = {status.value for status in AWAITING_REVIEW}
_DRAFT = {ResponseStatus.NOT_STARTED.value, ResponseStatus.IN_PROGRESS.value}


@dataclass(frozen=True)
class InboxFilters:
    round_id: int | None = None
    #: A response status, "action" (the default: what needs the reviewer) or "all".
    status: str = ACTION
    agreement_id: int | None = None
    category: str = ""
    supplier_id: int | None = None
    overdue: bool = False
    light: str = ""
    sort: str = "deadline"
    q: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> InboxFilters:
        status = args.get("status") or ACTION
        category = args.get("category", "")
        light = args.get("light", "")
        sort = args.get("sort", "deadline")
        return cls(
            round_id=int_arg(args.get("round")),
            status=status if status in STATUSES or status in VIEWS else ACTION,
            agreement_id=int_arg(args.get("agreement")),
            category=category if category in DFO_CATEGORIES else "",
            supplier_id=int_arg(args.get("supplier")),
            overdue=args.get("overdue") == "1",
            light=light if light in LIGHTS else "",
            sort=sort if sort.removeprefix("-") in SORTS else "deadline",
            q=" ".join((args.get("q") or "").split())[:SEARCH_LENGTH],
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """The filters as query arguments, for links that keep them (pagination, sorting)."""
        values = {"round": self.round_id, "status": self.status if self.status != ACTION else None,
                  "agreement": self.agreement_id, "category": self.category,
                  "supplier": self.supplier_id, "overdue": "1" if self.overdue else None,
                  "light": self.light, "q": self.q,
                  "sort": self.sort if self.sort != "deadline" else None}
        values.update(changes)
        if values.get("status") == ACTION:
            values["status"] = None
        if values.get("sort") == "deadline":
            values["sort"] = None
        return {key: value for key, value in values.items() if value not in (None, "")}

    @property
    def sort_key(self) -> str:
        return self.sort.removeprefix("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    def sort_link(self, column: str) -> dict[str, Any]:
        """Arguments of a column heading's link: its column ascending, or reversed if it is
        the current one."""
        if self.sort_key == column:
            return self.args(sort=column if self.descending else f"-{column}", page=None)
        return self.args(sort=column, page=None)

    def aria_sort(self, column: str) -> str | None:
        if self.sort_key != column:
            return None
        return "descending" if self.descending else "ascending"


@dataclass
class InboxRow:
    response: Response
    light: str | None
    overdue: bool
    open_deviations: int = 0
    overdue_deviations: int = 0
    #: The lead buyer's name, for a joint agreement's response another buyer follows up: the
    #: reader takes part and reads it, and has nothing to do on it.
    lead: str | None = None


@dataclass
class Inbox:
    page: Page[InboxRow]
    counts: dict[str, int] = field(default_factory=dict)
    #: Responses that need the reviewer (the default view), under the same filters.
    action: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def needs_action(response: Response, today: date, buyer_id: int | None = None) -> bool:
    """Awaiting review or overdue, on an agreement ``buyer_id`` follows up itself (a joint
    agreement's participant reads the lead's responses and has nothing to do on them)."""
    if buyer_id is not None and response.agreement.buyer_id != buyer_id:
        return False
    return response.status in _AWAITING or response.is_overdue(today)


def _lead_names(responses: list[Response], buyer_id: int | None) -> dict[int, str]:
    """The names of the buyers leading the joint agreements among ``responses`` (one statement)."""
    leads = {r.agreement.buyer_id for r in responses} - {buyer_id}
    if buyer_id is None or not leads:
        return {}
    rows = db.session.execute(select(Buyer.id, Buyer.name).where(Buyer.id.in_(leads))
                              .execution_options(**{ALL_BUYERS: True}))
    return {row.id: row.name for row in rows}


def _filtered(filters: InboxFilters, today: date) -> Select[Any]:
    """Every filter that SQL can apply; the status view, search and light are applied to the
    loaded rows, so that the counts per status share one query with the list."""
    query = (
        select(Response)
        .join(Response.round).join(Response.agreement).join(Response.supplier)
    )
    if filters.round_id:
        query = query.where(Response.round_id == filters.round_id)
    if filters.agreement_id:
        query = query.where(Response.agreement_id == filters.agreement_id)
    if filters.category:
        query = query.where(Agreement.dfo_category == filters.category)
    if filters.supplier_id:
        query = query.where(Response.supplier_id == filters.supplier_id)
    if filters.overdue:
        query = query.where(Response.deadline < today, Response.status.in_(_EDITABLE))
    return query


def _matches(response: Response, words: list[str]) -> bool:
    """Every word in the supplier's name or organisation number or the agreement's names or
    reference, ignoring case and spaces in numbers (folded in Python: SQLite's lower() knows
    only ASCII, and "Ø" must find "ø")."""
    supplier, agreement = response.supplier, response.agreement
    haystack = " ".join((
        supplier.name, supplier.org_number or "", supplier.registry_id or "",
        agreement.name_nb, agreement.name_en, agreement.reference,
    )).casefold()
    digits = "".join(ch for ch in haystack if ch.isascii() and ch.isdigit())
    for word in words:
        if word in haystack:
            continue
        compact = word.replace(" ", "")
        if compact.isascii() and compact.isdigit() and compact in digits:
            continue
        return False
    return True


def search(responses: list[Response], text: str) -> list[Response]:
    words = text.casefold().split()
    if not words:
        return responses
    # A number written with spaces ("123 456 785") is one word for the search.
    if all(w.isascii() and w.isdigit() for w in words):
        words = ["".join(words)]
    return [r for r in responses if _matches(r, words)]


def deviation_facts_for(responses: list[Response]) -> dict[int, list[rollup.DeviationFacts]]:
    """The deviations that colour each response's light: those found through the response
    itself (its own state). Proposals do not count; one query."""
    if not responses:
        return {}
    rows = db.session.execute(
        select(Deviation.response_id, Deviation.status, Deviation.deadline, Deviation.closed_date)
        .where(Deviation.response_id.in_([r.id for r in responses]),
               Deviation.is_proposed.is_(False), Deviation.status != "WITHDRAWN")
    ).all()
    result: dict[int, list[rollup.DeviationFacts]] = {r.id: [] for r in responses}
    for response_id, status, deadline, closed_date in rows:
        result[response_id or 0].append(rollup.DeviationFacts(status, deadline, closed_date))
    return result


def open_deviations_by_supplier(supplier_ids: Any, today: date) -> dict[int, tuple[int, int]]:
    """(open, of which overdue) confirmed deviations per supplier, whatever their agreement:
    shown as a tag of their own beside the light, never as its colour."""
    if not supplier_ids:
        return {}
    rows = db.session.execute(
        select(Deviation.supplier_id, Deviation.deadline)
        .where(Deviation.supplier_id.in_(supplier_ids), Deviation.is_proposed.is_(False),
               Deviation.status.in_(OPEN_DEVIATION_STATUSES))
    ).all()
    counts: dict[int, tuple[int, int]] = {}
    for supplier_id, deadline in rows:
        total, late = counts.get(supplier_id, (0, 0))
        counts[supplier_id] = (total + 1, late + (deadline is not None and deadline < today))
    return counts


def verdict_values(response_ids: Any) -> dict[int, dict[str, str | None]]:
    rows = db.session.execute(
        select(QuestionReview.response_id, QuestionReview.question_id, QuestionReview.verdict)
        .where(QuestionReview.response_id.in_(response_ids))
    )
    verdicts: dict[int, dict[str, str | None]] = defaultdict(dict)
    for response_id, question_id, verdict in rows:
        verdicts[response_id][question_id] = verdict
    return verdicts


def gates_said_no(sections: Any, answers: Mapping[str, Any]) -> frozenset[str]:
    """The gate questions whose opening yes/no part the supplier answered "No"."""
    return frozenset(
        q.id for s in sections for q in s.questions
        if q.gate and answer_of(answers, q.id).get(q.parts[0].id) == "no"
    )


def gate_answers(responses: list[Response]) -> dict[int, dict[str, Any]]:
    """The answers to gate questions of responses the supplier has submitted (a draft's
    "No" may still change), in one query."""
    ids = [r.id for r in responses if r.status not in _DRAFT]
    gate_ids: set[str] = set()
    for response in responses:
        if response.id in ids:
            definition = engine.definition_of(response.round.questionnaire_version)
            gate_ids.update(q.id for s in definition.sections for q in s.questions if q.gate)
    if not ids or not gate_ids:
        return {}
    rows = db.session.execute(
        select(Answer.response_id, Answer.question_id, Answer.value)
        .where(Answer.response_id.in_(ids), Answer.question_id.in_(gate_ids))
    )
    answers: dict[int, dict[str, Any]] = defaultdict(dict)
    for response_id, question_id, value in rows:
        answers[response_id][question_id] = value
    return answers


def light_of(
    response: Response, verdicts: Mapping[str, str | None],
    deviations: list[rollup.DeviationFacts], today: date,
    answers: Mapping[str, Any] | None = None,
) -> rollup.Rollup:
    definition = engine.definition_of(response.round.questionnaire_version)
    sections = engine.sections_for_agreement(definition, response.agreement)
    return rollup.rollup(section_facts(sections), verdicts, deviations, today,
                         gates_said_no(sections, answers or {}))


def _sorted(rows: list[InboxRow], filters: InboxFilters, locale: str) -> list[InboxRow]:
    def name_key(row: InboxRow) -> Any:
        return collation_key(row.response.supplier.name, locale)

    def column_key(row: InboxRow) -> Any:
        r = row.response
        column = filters.sort_key
        if column == "supplier":
            return name_key(row)
        if column == "agreement":
            return collation_key(r.agreement.name, locale)
        if column == "round":
            return (r.round.year, collation_key(r.round.name, locale))
        if column == "status":
            return _STATUS_ORDER.get(r.status, len(_STATUS_ORDER))
        if column == "light":
            return _LIGHT_ORDER.get(row.light, len(_LIGHT_ORDER))
        return r.deadline

    # Stable sorts: the tie-breakers first (deadline, supplier, id), the column last.
    rows = sorted(rows, key=lambda row: row.response.id)
    rows.sort(key=name_key)
    rows.sort(key=lambda row: row.response.deadline)
    rows.sort(key=column_key, reverse=filters.descending)
    return rows


def inbox_rows(filters: InboxFilters, today: date, locale: str) -> tuple[list[InboxRow], Inbox]:
    """Every response that matches, with its light, sorted; and the counts per status.

    The light, search and sorting by name run in Python: the light is computed from the
    definition, not stored, and names sort by the reader's alphabet. A fixed number of
    statements whatever the number of responses."""
    query = _filtered(filters, today).options(
        contains_eager(Response.round).selectinload(FollowUpRound.questionnaire_version),
        contains_eager(Response.agreement),
        contains_eager(Response.supplier),
    )
    found = search(list(db.session.scalars(query).unique()), filters.q)
    counts: dict[str, int] = defaultdict(int)
    for response in found:
        counts[response.status] += 1
    own = scoped_buyer(db.session())
    action = sum(1 for r in found if needs_action(r, today, own))
    if filters.status == ACTION:
        responses = [r for r in found if needs_action(r, today, own)]
    elif filters.status == ALL:
        responses = found
    else:
        responses = [r for r in found if r.status == filters.status]
    ids = [r.id for r in responses]
    verdicts = verdict_values(ids) if ids else {}
    deviations = deviation_facts_for(responses)
    answers = gate_answers(responses)
    open_deviations = open_deviations_by_supplier({r.supplier_id for r in responses}, today)
    leads = _lead_names(responses, own)
    rows = []
    for response in responses:
        light = light_of(response, verdicts.get(response.id, {}), deviations[response.id],
                         today, answers.get(response.id)).light
        if filters.light and (light or "none") != filters.light:
            continue
        total, late = open_deviations.get(response.supplier_id, (0, 0))
        rows.append(InboxRow(response, light, response.is_overdue(today), total, late,
                             leads.get(response.agreement.buyer_id)))
    rows = _sorted(rows, filters, locale)
    empty: Page[InboxRow] = Page(items=[], number=1, size=1, total=0)
    return rows, Inbox(page=empty, counts=dict(counts), action=action)


def inbox(filters: InboxFilters, today: date, page_number: int, page_size: int,
          locale: str = "nb") -> Inbox:
    """One page of the inbox; a page past the end shows the last one."""
    rows, result = inbox_rows(filters, today, locale)
    pages = max(1, -(-len(rows) // page_size))
    number = min(max(1, page_number), pages)
    start = (number - 1) * page_size
    result.page = Page(items=rows[start:start + page_size], number=number, size=page_size,
                       total=len(rows))
    return result


def responses_by_ids(ids: list[int]) -> list[Response]:
    """The responses a bulk action names (another buyer's are not found), with what their
    e-mails need."""
    if not ids:
        return []
    return list(db.session.scalars(
        select(Response).where(Response.id.in_(ids))
        .options(selectinload(Response.round), selectinload(Response.agreement),
                 selectinload(Response.supplier))
        .order_by(Response.id)
    ))


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


#: The audit log's "Who" filter value for what the system did itself.
SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    actor_id: int | None = None
    by_system: bool = False  # "Aktsom": what the system did itself
    object_type: str = ""
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> AuditFilters:
        return cls(
            action=(args.get("action") or "")[:60],
            actor_id=int_arg(args.get("actor")),
            by_system=args.get("actor") == SYSTEM_ACTOR,
            object_type=(args.get("object_type") or "")[:40],
            date_from=_date(args.get("from")),
            date_to=_date(args.get("to")),
        )

    def args(self) -> dict[str, Any]:
        values = {"action": self.action,
                  "actor": SYSTEM_ACTOR if self.by_system else self.actor_id,
                  "object_type": self.object_type,
                  "from": self.date_from.isoformat() if self.date_from else None,
                  "to": self.date_to.isoformat() if self.date_to else None}
        return {key: value for key, value in values.items() if value not in (None, "")}


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def audit_log(filters: AuditFilters, page_number: int, page_size: int) -> Page[AuditEvent]:
    query = select(AuditEvent).options(selectinload(AuditEvent.actor))
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.by_system:
        query = query.where(or_(AuditEvent.by_system.is_(True), AuditEvent.actor_id.is_(None),
                                AuditEvent.action.in_(audit_labels.ALWAYS_SYSTEM)))
    elif filters.actor_id:
        query = query.where(AuditEvent.actor_id == filters.actor_id,
                            AuditEvent.by_system.is_(False),
                            AuditEvent.action.not_in(audit_labels.ALWAYS_SYSTEM))
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
    return {"actions": audit_labels.action_choices(actions),
            "object_types": audit_labels.kind_choices(types),
            "actors": [(SYSTEM_ACTOR, audit_labels.SYSTEM_NAME),
                       *((a.id, a.name or a.email) for a in actors)]}


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
