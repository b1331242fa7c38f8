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

Suppliers' users and command-line work are not scoped here: suppliers see records by their
own supplier id (see the models' ``can_*`` predicates), commands act for the installation.
Core statements on ``Table`` objects and ``text()`` bypass the listener: code that writes
them takes the buyer explicitly.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Flask
from flask_login import current_user
from sqlalchemy import event, or_, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

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
    Deviation,
    DeviationUpdate,
    EvidenceFile,
    FollowUpActivity,
    PublishedReport,
    PublishedReportFile,
    QuestionReview,
    Response,
    Submission,
    Supplier,
    User,
    buyer_supplier,
)

BUYER_KEY = "buyer_id"
#: Execution option for the few statements that must see every buyer (e.g. uniqueness checks).
ALL_BUYERS = "all_buyers"


def scope_to(session: Session, buyer_id: int | None) -> None:
    """Scope ``session`` to one buyer (None: no scoping)."""
    if buyer_id is None:
        session.info.pop(BUYER_KEY, None)
    else:
        session.info[BUYER_KEY] = buyer_id


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


def _criteria(buyer_id: int) -> list[Any]:
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
    return [
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
        with_loader_criteria(
            PublishedReportFile,
            lambda cls: cls.report_id.in_(
                select(PublishedReport.id).where(PublishedReport.buyer_id == buyer_id)),
            include_aliases=True,
        ),
        with_loader_criteria(Supplier, lambda cls: cls.id.in_(suppliers), include_aliases=True),
        with_loader_criteria(
            User,
            lambda cls: or_(cls.buyer_id == buyer_id, cls.supplier_id.in_(suppliers)),
            include_aliases=True,
        ),
        with_loader_criteria(AuditEvent, lambda cls: cls.buyer_id == buyer_id),
    ]


def _add_buyer_criteria(state: ORMExecuteState) -> None:
    buyer_id = scoped_buyer(state.session)
    if buyer_id is None or state.execution_options.get(ALL_BUYERS):
        return
    if state.is_select or state.is_update or state.is_delete:
        state.statement = state.statement.options(*_criteria(buyer_id))


def _scope_request() -> None:
    """Staff requests see their own buyer; every other request is left as it is."""
    if current_user.is_authenticated and current_user.is_staff:
        scope_to(db.session(), current_user.buyer_id)


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


def init_app(app: Flask) -> None:
    if not event.contains(Session, "do_orm_execute", _add_buyer_criteria):
        event.listen(Session, "do_orm_execute", _add_buyer_criteria)
        event.listen(Session, "before_flush", _derive_owner)
    app.before_request(_scope_request)
    app.teardown_request(_unscope)
