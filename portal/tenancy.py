"""Buyer isolation in one place: every ORM query of a buyer's staff sees only that buyer.

A request signed in as staff puts the user's buyer into ``db.session.info``; from then on a
``do_orm_execute`` listener adds the buyer's criteria to every ORM SELECT (lazy loads and
``session.get`` included) through ``with_loader_criteria``, the SQLAlchemy recipe "Adding
global WHERE / ON criteria". Routes therefore need no filter of their own: another buyer's
id simply finds nothing, and the route answers 404.

Records with a ``buyer_id`` (``BuyerOwned``) are filtered on it; records that belong to a
buyer through their agreement or response are filtered through those. Supplier
organisations are shared between buyers: staff see those in their buyer's register
(``buyer_supplier``: on one of its agreements, or registered by it).

Joint agreements (felles rammeavtaler): a buyer taking part in another buyer's agreement
(``agreement_participant``) reads its follow-up: the agreement, its responses as submitted,
verdicts and comments to the supplier, confirmed deviations and their shared updates, and the
activities that count in chapter 4. It reads them only: those rows are admitted for reads
(GET of a page that takes no POST, ``JOINT_READS``), a request that may change something sees its own
buyer's rows alone (another buyer's id answers 404), and a flush that would change another
buyer's record is refused (``ForeignBuyerWrite``, 403). A GET of a form (a route that also
takes POST) counts as a write. The lead's internal notes on deviations and activities are
blanked as rows load, so no page or export of a participant can show them.

Suppliers' users and command-line work are not scoped here: suppliers see records by their
own supplier id (see the models' ``can_*`` predicates), commands act for the installation.
Core statements on ``Table`` objects and ``text()`` bypass the listener: code that writes
them takes the buyer explicitly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache, lru_cache
from typing import Any

from flask import Flask, current_app, has_app_context, request
from flask_login import current_user
from sqlalchemy import Column, Table, and_, event, or_, select
from sqlalchemy.orm import (
    Load,
    Mapper,
    ORMExecuteState,
    RelationshipProperty,
    Session,
    with_loader_criteria,
)
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import AliasedInsp
from sqlalchemy.sql import visitors
from werkzeug.exceptions import Forbidden

from portal.extensions import db
from portal.models import (
    Agreement,
    Answer,
    Attachment,
    AuditEvent,
    Base,
    Buyer,
    BuyerOwned,
    Clarification,
    ClarificationReply,
    CompanyAnswerSet,
    Deviation,
    DeviationUpdate,
    EvidenceFile,
    FollowUpActivity,
    FollowUpRound,
    ProductionSite,
    PublishedReport,
    PublishedReportFile,
    QuestionReview,
    Response,
    Submission,
    Supplier,
    User,
    agreement_participant,
    agreement_supplier,
    buyer_supplier,
)

BUYER_KEY = "buyer_id"
#: Execution option for the few statements that must see every buyer (e.g. uniqueness checks).
ALL_BUYERS = "all_buyers"
#: Session flag: reads also see the joint agreements the buyer takes part in.
JOINT_READS = "joint_reads"


class ForeignBuyerWrite(Forbidden):
    """A flush would change a record of another buyer (e.g. a joint agreement's lead's)."""


def scope_to(session: Session, buyer_id: int | None, *, joint_reads: bool = False) -> None:
    """Scope ``session`` to one buyer (None: no scoping).

    ``joint_reads`` also admits, read-only, the joint agreements the buyer takes part in.
    """
    if buyer_id is None:
        session.info.pop(BUYER_KEY, None)
        session.info.pop(JOINT_READS, None)
    else:
        session.info[BUYER_KEY] = buyer_id
        session.info[JOINT_READS] = joint_reads


@contextmanager
def joint_reads(session: Session) -> Iterator[None]:
    """Within: reads of a scoped session also see, read-only, the joint agreements its buyer
    takes part in, as a read-only page does (e.g. a report published by a form's POST must hold
    what the report page shows). Writes stay checked against the buyer's own records."""
    before = session.info.get(JOINT_READS)
    if scoped_buyer(session) is not None:
        session.info[JOINT_READS] = True
    try:
        yield
    finally:
        if before is None:
            session.info.pop(JOINT_READS, None)
        else:
            session.info[JOINT_READS] = before


def scoped_buyer(session: Session) -> int | None:
    value = session.info.get(BUYER_KEY)
    return int(value) if value is not None else None


def archived_suppliers(session: Session) -> Any:
    """The ids of suppliers the scoped buyer has archived in its register (for ``not_in``):
    they leave its lists and pickers, not its history. Empty without a scoped buyer."""
    return select(buyer_supplier.c.supplier_id).where(
        buyer_supplier.c.buyer_id == (scoped_buyer(session) or 0),
        buyer_supplier.c.archived_at.is_not(None),
    )


def owner_id(actor: User | None, buyer: Buyer | None = None) -> int:
    """The buyer a new record of ``actor`` belongs to: the one named, else the actor's own."""
    if buyer is not None:
        return buyer.id
    if actor is not None and actor.buyer_id is not None:
        return actor.buyer_id
    raise ValueError("a buyer's record needs its buyer: pass buyer= or a staff actor")


@cache
def buyer_owned_classes() -> tuple[type[BuyerOwned], ...]:
    """Every mapped class with its own ``buyer_id`` (found from the mappers, so none is missed)."""
    return tuple(
        sorted(
            (m.class_ for m in Base.registry.mappers if issubclass(m.class_, BuyerOwned)),
            key=lambda cls: cls.__name__,
        )
    )


def _own_published_files(buyer_id: int) -> Any:
    """The files of the buyer's own published reports (never a lead's, for a participant)."""
    return with_loader_criteria(
        PublishedReportFile,
        lambda cls: cls.report_id.in_(
            select(PublishedReport.id).where(PublishedReport.buyer_id == buyer_id)),
        include_aliases=True,
    )


def _replies_of(responses: Any) -> Any:
    """A supplier's replies to clarification rounds: those of the responses the buyer reads."""
    return with_loader_criteria(
        ClarificationReply,
        lambda cls: cls.clarification_id.in_(
            select(Clarification.id).where(Clarification.response_id.in_(responses))),
        include_aliases=True,
    )
#: A supplier's company answers (issue 14) are its own: staff read them only in the submissions
#: that froze them. Their answer and file rows have no response, so the per-response criteria
#: below already leave them out.
_NO_COMPANY_SETS = with_loader_criteria(CompanyAnswerSet, lambda cls: cls.id.is_(None), include_aliases=True)

#: The criteria are a pure function of the buyer: its options are built once per buyer and
#: process, not for every statement. Building them (some 30 ``with_loader_criteria``, each
#: analysing its lambda) cost about 5 ms a statement: most of a staff page's time. They are
#: immutable SQL constructs, shared safely between threads and sessions; the lambdas' closure
#: variables (the buyer id, the subqueries) are bound as parameters, so SQLAlchemy's statement
#: cache still holds one compiled form for every buyer.
_CRITERIA_CACHE = 1024


@lru_cache(maxsize=_CRITERIA_CACHE)
def _criteria(buyer_id: int) -> tuple[Any, ...]:
    """The buyer's own rows: for writes, and for reads of a buyer in no joint agreement."""
    agreements = select(Agreement.id).where(Agreement.buyer_id == buyer_id).scalar_subquery()
    responses = (
        select(Response.id)
        .join(Agreement, Agreement.id == Response.agreement_id)
        .where(Agreement.buyer_id == buyer_id)
        .scalar_subquery()
    )
    suppliers = (
        select(buyer_supplier.c.supplier_id)
        .where(buyer_supplier.c.buyer_id == buyer_id)
        .scalar_subquery()
    )
    deviations = select(Deviation.id).where(Deviation.buyer_id == buyer_id).scalar_subquery()
    activities = (
        select(FollowUpActivity.id).where(FollowUpActivity.buyer_id == buyer_id).scalar_subquery()
    )
    per_response = (Answer, EvidenceFile, Submission, QuestionReview, Clarification)
    return (
        *(
            with_loader_criteria(owned, lambda cls: cls.buyer_id == buyer_id, include_aliases=True)
            for owned in buyer_owned_classes()
        ),
        with_loader_criteria(Buyer, lambda cls: cls.id == buyer_id),
        with_loader_criteria(
            Response, lambda cls: cls.agreement_id.in_(agreements), include_aliases=True
        ),
        *(
            with_loader_criteria(
                entity, lambda cls: cls.response_id.in_(responses), include_aliases=True
            )
            for entity in per_response
        ),
        _replies_of(responses),
        with_loader_criteria(
            DeviationUpdate, lambda cls: cls.deviation_id.in_(deviations), include_aliases=True
        ),
        with_loader_criteria(
            Attachment,
            lambda cls: or_(
                cls.activity_id.in_(activities),
                cls.deviation_update_id.in_(
                    select(DeviationUpdate.id).where(DeviationUpdate.deviation_id.in_(deviations))
                ),
            ),
            include_aliases=True,
        ),
        _own_published_files(buyer_id),
        with_loader_criteria(Supplier, lambda cls: cls.id.in_(suppliers), include_aliases=True),
        # A supplier's site register: only for the buyers it supplies (and, on their pages, only
        # what portal/sites/answers.py admits; see there).
        with_loader_criteria(ProductionSite, lambda cls: cls.supplier_id.in_(suppliers), include_aliases=True),
        with_loader_criteria(
            User,
            lambda cls: or_(cls.buyer_id == buyer_id, cls.supplier_id.in_(suppliers)),
            include_aliases=True,
        ),
        with_loader_criteria(AuditEvent, lambda cls: cls.buyer_id == buyer_id),
        _NO_COMPANY_SETS,
    )


#: Buyer-owned classes whose rows of a joint agreement a participant reads; the others
#: (priority risks, report texts, audit events, questionnaire versions …) stay the lead's own.
_JOINT_OWNED = (Agreement, Deviation, FollowUpActivity, FollowUpRound)


@lru_cache(maxsize=_CRITERIA_CACHE)
def _joint_criteria(buyer_id: int) -> tuple[Any, ...]:
    """The buyer's own rows plus, read-only, the follow-up of joint agreements it takes part in."""
    joint = (
        select(agreement_participant.c.agreement_id)
        .where(agreement_participant.c.buyer_id == buyer_id)
        .scalar_subquery()
    )
    readable = (
        select(Agreement.id)
        .where(or_(Agreement.buyer_id == buyer_id, Agreement.id.in_(joint)))
        .scalar_subquery()
    )
    responses = select(Response.id).where(Response.agreement_id.in_(readable)).scalar_subquery()
    rounds = select(Response.round_id).where(Response.agreement_id.in_(joint)).scalar_subquery()
    suppliers = (
        select(buyer_supplier.c.supplier_id)
        .where(buyer_supplier.c.buyer_id == buyer_id)
        .scalar_subquery()
    )
    joint_suppliers = (
        select(agreement_supplier.c.supplier_id)
        .where(agreement_supplier.c.agreement_id.in_(joint))
        .scalar_subquery()
    )
    # Only confirmed deviations of a joint agreement: proposals are the lead's working notes.
    deviations = (
        select(Deviation.id)
        .where(or_(
            Deviation.buyer_id == buyer_id,
            and_(Deviation.agreement_id.in_(joint), Deviation.is_proposed.is_(False)),
        ))
        .scalar_subquery()
    )
    updates = (
        select(DeviationUpdate.id)
        .join(Deviation, Deviation.id == DeviationUpdate.deviation_id)
        .where(or_(
            Deviation.buyer_id == buyer_id,
            and_(
                Deviation.agreement_id.in_(joint), Deviation.is_proposed.is_(False),
                DeviationUpdate.is_internal.is_(False),
            ),
        ))
        .scalar_subquery()
    )
    activities = (
        select(FollowUpActivity.id)
        .where(or_(FollowUpActivity.buyer_id == buyer_id, FollowUpActivity.agreement_id.in_(joint)))
        .scalar_subquery()
    )
    leads_and_partners = (
        select(Agreement.buyer_id).where(Agreement.id.in_(joint))
        .union(
            select(agreement_participant.c.buyer_id)
            .join(Agreement, Agreement.id == agreement_participant.c.agreement_id)
            .where(Agreement.buyer_id == buyer_id)
        )
        .scalar_subquery()
    )
    per_response = (Answer, EvidenceFile, Submission, QuestionReview, Clarification)
    return (
        *(
            with_loader_criteria(owned, lambda cls: cls.buyer_id == buyer_id, include_aliases=True)
            for owned in buyer_owned_classes()
            if owned not in _JOINT_OWNED
        ),
        with_loader_criteria(
            Agreement, lambda cls: cls.id.in_(readable), include_aliases=True
        ),
        with_loader_criteria(
            FollowUpRound,
            lambda cls: or_(cls.buyer_id == buyer_id, cls.id.in_(rounds)),
            include_aliases=True,
        ),
        with_loader_criteria(Deviation, lambda cls: cls.id.in_(deviations), include_aliases=True),
        with_loader_criteria(
            FollowUpActivity, lambda cls: cls.id.in_(activities), include_aliases=True
        ),
        with_loader_criteria(
            Buyer, lambda cls: or_(cls.id == buyer_id, cls.id.in_(leads_and_partners))
        ),
        with_loader_criteria(
            Response, lambda cls: cls.agreement_id.in_(readable), include_aliases=True
        ),
        *(
            with_loader_criteria(
                entity, lambda cls: cls.response_id.in_(responses), include_aliases=True
            )
            for entity in per_response
        ),
        _replies_of(responses),
        with_loader_criteria(
            DeviationUpdate, lambda cls: cls.id.in_(updates), include_aliases=True
        ),
        with_loader_criteria(
            Attachment,
            lambda cls: or_(
                cls.activity_id.in_(activities), cls.deviation_update_id.in_(updates)
            ),
            include_aliases=True,
        ),
        # A participant publishes its own report; the lead's published versions stay the lead's.
        _own_published_files(buyer_id),
        with_loader_criteria(
            Supplier,
            lambda cls: or_(cls.id.in_(suppliers), cls.id.in_(joint_suppliers)),
            include_aliases=True,
        ),
        with_loader_criteria(ProductionSite, lambda cls: cls.supplier_id.in_(suppliers), include_aliases=True),
        with_loader_criteria(
            User,
            lambda cls: or_(cls.buyer_id == buyer_id, cls.supplier_id.in_(suppliers)),
            include_aliases=True,
        ),
        # The lead's audit trail stays its own (its internal notes are in it).
        with_loader_criteria(AuditEvent, lambda cls: cls.buyer_id == buyer_id),
        _NO_COMPANY_SETS,
    )


# Only the criteria a statement can use. A ``with_loader_criteria`` option takes effect only
# where the ORM compiles an entity of its mapper (``("additional_entity_criteria", mapper)``
# in SQLAlchemy's compile state): in the statement, in its subqueries, in a joined eager load,
# or inside another option's criteria (Response's criteria select from Agreement, so Agreement's
# criteria apply there too). The options of mappers that appear nowhere change neither the SQL
# nor the rows; they only cost Python on every statement (some 40 bound parameters extracted
# from the shared subqueries, cache-key generation, and matching those parameters to the cached
# compiled form). So each statement gets the options of the mappers it names (its columns,
# tables, relationships and the paths of its loader options such as ``joinedload``), closed
# over what their criteria and any default eager loads name, in the full set's order. A
# statement with any other option (a lazy load carries its parent's criteria) or a wildcard
# loader path keeps the full set. ``CHECK_SUBSETS`` proves it statement by statement.


@cache
def _mappers_of_table() -> dict[Any, tuple[Mapper[Any], ...]]:
    """The mappers that read each table (to name the entity behind a bare column or table)."""
    out: dict[Any, list[Mapper[Any]]] = {}
    for mapper in Base.registry.mappers:
        for table in mapper.tables:
            out.setdefault(table, []).append(mapper)
    return {table: tuple(mappers) for table, mappers in out.items()}


def _named_mappers(element: Any) -> set[Mapper[Any]]:
    """Every mapper an SQL construct refers to: by an ORM annotation, by a relationship (its
    target), or by one of its tables or columns. A superset of the entities the ORM compiles."""
    by_table = _mappers_of_table()
    found: set[Mapper[Any]] = set()
    for el in visitors.iterate(element):
        annotations = el._annotations
        if annotations:
            if (mapper := annotations.get("parentmapper")) is not None:
                found.add(mapper)
            if (owner := annotations.get("proxy_owner")) is not None:
                prop = owner.mapper.attrs.get(annotations.get("proxy_key", ""))
                if isinstance(prop, RelationshipProperty):
                    found.add(prop.mapper)
        if isinstance(el, Table):
            found.update(by_table.get(el, ()))
        elif isinstance(el, Column):
            found.update(by_table.get(el.table, ()))
    return {m for mapper in found for m in mapper.self_and_descendants}


#: The mappers each shape of statement names, by its SQLAlchemy cache key (two statements with
#: equal keys compile to the same SQL: SQLAlchemy's own compiled cache relies on it). The key
#: costs a fraction of a walk of the statement; the walk runs once per shape and process.
_NAMED: dict[Any, frozenset[Mapper[Any]]] = {}
_NAMED_MAX = 4096


def _loaded_mappers(options: Iterable[Any]) -> set[Mapper[Any]] | None:
    """Every mapper on the paths of loader options (``joinedload``, ``contains_eager``,
    ``selectinload``, ``load_only`` …); None for any other option or a wildcard path."""
    found: set[Mapper[Any]] = set()
    for option in options:
        if type(option) is not Load:  # e.g. a wildcard ``lazyload("*")``, criteria
            return None
        for element in option.context:
            for entry in element.path.path:
                if isinstance(entry, Mapper):
                    found.add(entry)
                elif isinstance(entry, AliasedInsp):
                    found.add(entry.mapper)
                elif isinstance(entry, RelationshipProperty):
                    found.update((entry.parent, entry.mapper))
                elif isinstance(entry, str):  # "*": every relationship
                    return None
    return found


def _statement_mappers(statement: Any) -> frozenset[Mapper[Any]] | None:
    """What a statement names, with its loader options; None: it needs every criterion."""
    key = statement._generate_cache_key()
    if key is None:  # a statement SQLAlchemy does not cache: walked every time
        return _walk(statement)
    found = _NAMED.get(key.key)
    if found is None:
        found = _walk(statement)
        if found is None:
            return None
        if len(_NAMED) >= _NAMED_MAX:
            _NAMED.clear()
        _NAMED[key.key] = found
    return found


def _walk(statement: Any) -> frozenset[Mapper[Any]] | None:
    loaded = _loaded_mappers(statement._with_options)
    if loaded is None:
        return None
    named = _named_mappers(statement) | {m for mapper in loaded for m in mapper.self_and_descendants}
    return frozenset(named)


def _eager_targets(mapper: Mapper[Any]) -> set[Mapper[Any]]:
    """Mappers a load of ``mapper`` may join in the same statement by default (none today)."""
    return {rel.mapper for rel in mapper.relationships if rel.lazy not in _LAZY_ALONE}


#: Relationship loading that never joins the target into the parent's statement (a lazy load
#: is its own statement, which this listener scopes on its own).
_LAZY_ALONE = frozenset({"select", "raise", "raise_on_sql", "noload", "dynamic", "write_only",
                         "selectin"})


class _Scope:
    """A buyer's criteria options, and for any set of mappers the options it needs."""

    def __init__(self, options: tuple[Any, ...]) -> None:
        self.options = options
        self._mappers = tuple(frozenset(opt._all_mappers()) for opt in options)
        needs: dict[Mapper[Any], set[Mapper[Any]]] = {}
        for opt, mappers in zip(options, self._mappers, strict=True):
            named = _named_mappers(opt._resolve_where_criteria(opt.entity))
            for mapper in mappers:
                needs.setdefault(mapper, set()).update(named)
        self._needs = needs
        #: The options for each set of mappers named by a statement.
        self._subsets: dict[frozenset[Mapper[Any]], tuple[Any, ...]] = {}

    def _closure(self, mappers: Iterable[Mapper[Any]]) -> frozenset[Mapper[Any]]:
        todo = list(mappers)
        seen: set[Mapper[Any]] = set()
        while todo:
            mapper = todo.pop()
            if mapper in seen:
                continue
            seen.add(mapper)
            todo.extend(self._needs.get(mapper, ()))
            todo.extend(_eager_targets(mapper))
        return frozenset(seen)

    def for_statement(self, statement: Any) -> tuple[Any, ...]:
        named = _statement_mappers(statement)
        if named is None:
            return self.options
        subset = self._subsets.get(named)
        if subset is None:
            wanted = self._closure(named)
            subset = tuple(opt for opt, mappers in zip(self.options, self._mappers, strict=True)
                           if mappers & wanted)
            if len(self._subsets) < _SUBSETS_PER_BUYER:
                self._subsets[named] = subset
        return subset


#: Distinct sets of mappers a buyer's statements name (a few dozen in practice); past this the
#: subset is computed for each statement, and nothing grows without bound.
_SUBSETS_PER_BUYER = 256


@lru_cache(maxsize=_CRITERIA_CACHE)
def _scope(buyer_id: int, joint: bool) -> _Scope:
    return _Scope(_joint_criteria(buyer_id) if joint else _criteria(buyer_id))


def _add_buyer_criteria(state: ORMExecuteState) -> None:
    buyer_id = scoped_buyer(state.session)
    if buyer_id is None or state.execution_options.get(ALL_BUYERS):
        return
    if state.is_select and state.session.info.get(JOINT_READS):
        scope = _scope(buyer_id, True)
    elif state.is_select or state.is_update or state.is_delete:
        scope = _scope(buyer_id, False)
    else:
        return
    options = scope.for_statement(state.statement)
    if options is not scope.options and has_app_context() and current_app.config.get(CHECK_SUBSETS):
        _check_subset(state, options, scope.options)
    state.statement = state.statement.options(*options)


#: Config key (env ``PORTAL_TENANCY_CHECK_SUBSETS=true``; tests/test_tenancy_subsets.py): compile
#: every statement given a subset of the criteria with the full set too, and fail when the SQL
#: or its parameters differ. The proof, statement by statement, that the subset is exact.
CHECK_SUBSETS = "TENANCY_CHECK_SUBSETS"


class CriteriaSubsetError(AssertionError):
    """A statement's subset of the buyer's criteria compiles differently from the full set."""


def _check_subset(state: ORMExecuteState, subset: tuple[Any, ...], full: tuple[Any, ...]) -> None:
    dialect = state.session.get_bind().dialect
    statement: Any = state.statement
    mine = statement.options(*subset).compile(dialect=dialect)
    every = statement.options(*full).compile(dialect=dialect)
    if str(mine) != str(every) or mine.params != every.params:
        raise CriteriaSubsetError(f"criteria subset differs from the full set:\n{every}\n---\n{mine}")


_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _is_read_only_page() -> bool:
    """A GET of a route that takes no POST: a page to read, not a form to change something.

    A form's GET (an edit page, a picker of agreements) sees the buyer's own rows only, as
    its POST will: a participant is never offered a joint agreement to change or pick.
    """
    rule = request.url_rule
    return (
        request.method in _READ_METHODS
        and rule is not None
        and set(rule.methods or ()) <= _READ_METHODS
    )


def _scope_request() -> None:
    """Staff requests see their own buyer; read-only pages also their joint agreements."""
    if current_user.is_authenticated and current_user.is_staff:
        scope_to(db.session(), current_user.buyer_id, joint_reads=_is_read_only_page())


def _unscope(_error: BaseException | None) -> None:
    scope_to(db.session(), None)


def _derive_owner(session: Session, _context: Any, _instances: Any) -> None:
    """A deviation or activity belongs to the buyer of its agreement (or of its response's)."""
    for obj in session.new:
        if not isinstance(obj, Deviation | FollowUpActivity) or obj.buyer_id is not None:
            continue
        agreement = obj.agreement or (
            session.get(Agreement, obj.agreement_id) if obj.agreement_id else None
        )
        if agreement is None and isinstance(obj, Deviation):
            response = obj.response or (
                session.get(Response, obj.response_id) if obj.response_id else None
            )
            agreement = response.agreement if response is not None else None
        if agreement is not None:
            obj.buyer_id = agreement.buyer_id
        elif (scoped := scoped_buyer(session)) is not None:
            obj.buyer_id = scoped


def _owner_of(obj: object) -> int | None:
    """The buyer a record belongs to, for the records a staff user can load and change."""
    if isinstance(obj, BuyerOwned):
        return obj.buyer_id
    if isinstance(obj, Response):
        return obj.agreement.buyer_id if obj.agreement is not None else None
    if isinstance(obj, Answer | EvidenceFile | Submission | QuestionReview | Clarification):
        response = obj.response
        return _owner_of(response) if response is not None else None
    if isinstance(obj, DeviationUpdate):
        return obj.deviation.buyer_id if obj.deviation is not None else None
    if isinstance(obj, ClarificationReply):
        return _owner_of(obj.clarification) if obj.clarification is not None else None
    return None


def _refuse_foreign_writes(session: Session, _context: Any, _instances: Any) -> None:
    """No flush of a scoped session changes another buyer's record (writes checked here)."""
    buyer_id = scoped_buyer(session)
    if buyer_id is None:
        return
    with session.no_autoflush:
        for obj in (*session.new, *session.dirty, *session.deleted):
            if obj in session.dirty and not session.is_modified(obj):
                continue
            owner = _owner_of(obj)
            if owner is not None and owner != buyer_id:
                raise ForeignBuyerWrite()


#: Internal notes of the lead, blanked (without marking the row changed) when a participant
#: loads a joint agreement's records.
_INTERNAL_FIELDS: dict[type[Any], tuple[str, ...]] = {
    Deviation: ("internal_note",),
    FollowUpActivity: ("notes",),
}


def _blank_internal_notes(target: Any, context: Any) -> None:
    session = context.session
    buyer_id = scoped_buyer(session) if session is not None else None
    if buyer_id is None or target.buyer_id in (None, buyer_id):
        return
    for name in _INTERNAL_FIELDS[type(target)]:
        set_committed_value(target, name, "")


def _blank_internal_notes_refresh(target: Any, context: Any, _attrs: Any) -> None:
    _blank_internal_notes(target, context)


def init_app(app: Flask) -> None:
    if not event.contains(Session, "do_orm_execute", _add_buyer_criteria):
        event.listen(Session, "do_orm_execute", _add_buyer_criteria)
        event.listen(Session, "before_flush", _derive_owner)
        event.listen(Session, "before_flush", _refuse_foreign_writes)
        for cls in _INTERNAL_FIELDS:
            event.listen(cls, "load", _blank_internal_notes)
            event.listen(cls, "refresh", _blank_internal_notes_refresh)
    app.before_request(_scope_request)
    app.teardown_request(_unscope)
