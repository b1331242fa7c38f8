"""Questionnaire versions, follow-up rounds, invitations, deadlines and reminders.

Functions here flush and never commit; the route or the CLI commits once and
sends the e-mails that belong to the change (reminders excepted: they are a
cron job, see ``send_due_reminders``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import selectinload

from portal import audit, clock, notifications
from portal.codes import DFO_CATEGORIES
from portal.extensions import db
from portal.models import (
    EDITABLE_STATUSES,
    Agreement,
    Buyer,
    FollowUpRound,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
    Role,
    Supplier,
    User,
    utcnow,
)
from portal.questionnaires.definition import parse_definition, shipped_definitions
from portal.tenancy import owner_id

log = logging.getLogger(__name__)

#: Rules for adding agreements in bulk.
BULK_CONTRACT_CONDITION = "contract_condition"
BULK_CATEGORY = "category"
BULK_RULES = (BULK_CONTRACT_CONDITION, BULK_CATEGORY)

#: Reminder stages, in the order a response meets them.
REMIND_14 = "14_days"
REMIND_3 = "3_days"
REMIND_OVERDUE = "overdue"
REMINDER_DAYS = {REMIND_14: 14, REMIND_3: 3}


class VersionExists(Exception):
    """The file's key and version are already registered with different content."""

    def __init__(self, key: str, version: str) -> None:
        super().__init__(f"{key} {version} is already registered with different content")
        self.key = key
        self.version = version


class DeadlineError(ValueError):
    """A deadline extension that cannot be made (not later, or the response is closed)."""


# Questionnaire versions


@dataclass(frozen=True, slots=True)
class StoredVersion:
    version: QuestionnaireVersion
    created: bool


def store_version(content: str, filename: str, *, actor: User | None) -> StoredVersion:
    """Register a definition file and say whether it was new; see ``register_version``."""
    definition = parse_definition(content, filename)
    same = db.session.scalar(
        select(QuestionnaireVersion).where(QuestionnaireVersion.content_hash == definition.content_hash)
    )
    if same is not None:
        return StoredVersion(same, created=False)
    clash = db.session.scalar(
        select(QuestionnaireVersion.id).where(
            QuestionnaireVersion.key == definition.id,
            QuestionnaireVersion.version == definition.version,
        )
    )
    if clash is not None:
        raise VersionExists(definition.id, definition.version)
    version = QuestionnaireVersion(
        key=definition.id,
        version=definition.version,
        title_nb=definition.title.nb[:300],
        title_en=definition.title.en[:300],
        content=content,
        content_hash=definition.content_hash,
        filename=Path(filename).name[:200],
        published_at=utcnow(),
        published_by_id=actor.id if actor is not None else None,
    )
    db.session.add(version)
    db.session.flush()
    audit.record(
        "questionnaire.registered",
        version,
        actor=actor,
        after={
            "key": version.key,
            "version": version.version,
            "content_hash": version.content_hash,
            "filename": version.filename,
        },
    )
    return StoredVersion(version, created=True)


def register_version(content: str, filename: str, *, actor: User | None) -> QuestionnaireVersion:
    """Store a definition file as a published version.

    A ``DefinitionError`` from the parser propagates. Registering identical content
    again returns the stored row; the same key and version with other content raises
    ``VersionExists``, because a published version never changes.
    """
    return store_version(content, filename, actor=actor).version


def ensure_shipped_versions(actor: User | None = None) -> list[QuestionnaireVersion]:
    """Register every definition shipped with the code (idempotent).

    A published version never changes: where an installation stored a shipped version
    before the file gained annotations (a table's role, say), the stored content stays the
    version's content and is returned, and the difference is logged once per call.
    """
    versions = []
    for path in shipped_definitions():
        try:
            versions.append(register_version(path.read_text(encoding="utf-8"), path.name, actor=actor))
        except VersionExists as error:
            stored = db.session.scalar(select(QuestionnaireVersion).where(
                QuestionnaireVersion.key == error.key, QuestionnaireVersion.version == error.version))
            if stored is None:
                raise
            log.warning("shipped_version_differs key=%s version=%s file=%s kept=stored",
                        error.key, error.version, path.name)
            versions.append(stored)
    return versions


# Rounds


def create_round(
    *,
    year: int,
    name_nb: str,
    name_en: str,
    version: QuestionnaireVersion,
    deadline: date,
    intro_nb: str = "",
    intro_en: str = "",
    actor: User | None,
    buyer: Buyer | None = None,
    historical: bool = False,
) -> FollowUpRound:
    """A new round; a ``historical`` one (a past year, entered afterwards) is marked as such
    in the audit trail."""
    round = FollowUpRound(
        is_historical=historical,
        buyer_id=owner_id(actor, buyer),
        year=year,
        name_nb=name_nb,
        name_en=name_en,
        questionnaire_version=version,
        deadline=deadline,
        intro_nb=intro_nb or "",
        intro_en=intro_en or "",
        created_by_id=actor.id if actor is not None else None,
    )
    db.session.add(round)
    db.session.flush()
    audit.record(
        "round.created",
        round,
        actor=actor,
        after={
            "year": year,
            "name_nb": name_nb,
            "name_en": name_en,
            "questionnaire_version_id": version.id,
            "deadline": deadline.isoformat(),
            **({"historical": True, "backfilled": True} if historical else {}),
        },
    )
    return round


def _existing_pairs(round: FollowUpRound) -> set[tuple[int, int]]:
    rows = db.session.execute(
        select(Response.agreement_id, Response.supplier_id).where(Response.round_id == round.id)
    )
    return {(row.agreement_id, row.supplier_id) for row in rows}


def _add_agreement(
    round: FollowUpRound,
    agreement: Agreement,
    existing: set[tuple[int, int]],
    actor: User | None,
) -> list[Response]:
    created: list[Response] = []
    now = utcnow()
    for supplier in agreement.suppliers:
        if (agreement.id, supplier.id) in existing:
            continue
        response = Response(
            round=round,
            agreement=agreement,
            supplier=supplier,
            status=ResponseStatus.NOT_STARTED.value,
            deadline=round.deadline,
            invited_at=now,
        )
        db.session.add(response)
        existing.add((agreement.id, supplier.id))
        created.append(response)
    if created:
        db.session.flush()
    for response in created:
        audit.record(
            "response.created",
            response,
            actor=actor,
            supplier_id=response.supplier_id,
            after={
                "round_id": round.id,
                "agreement_id": agreement.id,
                "supplier_id": response.supplier_id,
                "deadline": response.deadline.isoformat(),
            },
        )
    return created


def add_agreement_to_round(
    round: FollowUpRound, agreement: Agreement, *, actor: User | None
) -> list[Response]:
    """One response per supplier on the agreement; suppliers already in the round are skipped.

    Returns only the responses created now, so the caller invites exactly those. A round
    takes only its own buyer's agreements.
    """
    if agreement.buyer_id != round.buyer_id:
        raise ValueError("an agreement joins only its own buyer's rounds")
    return _add_agreement(round, agreement, _existing_pairs(round), actor)


def active_agreements_query(today: date) -> Select[Agreement]:
    """Agreements running on ``today`` (started, not ended, not archived)."""
    return select(Agreement).where(
        Agreement.archived_at.is_(None),
        Agreement.start_date <= today,
        or_(Agreement.end_date.is_(None), Agreement.end_date >= today),
    )


def joinable_agreements_query(round: FollowUpRound, today: date) -> Select[Agreement]:
    """The agreements a round can take: running today, or for a historical round, active in
    its year (DOMAIN 7.2: started by 31.12, not ended before 1.1; not archived)."""
    if not round.is_historical:
        return active_agreements_query(today)
    return select(Agreement).where(
        Agreement.archived_at.is_(None),
        Agreement.start_date <= date(round.year, 12, 31),
        or_(Agreement.end_date.is_(None), Agreement.end_date >= date(round.year, 1, 1)),
    )


def bulk_agreements(
    round: FollowUpRound, *, rule: str, category: str | None = None, today: date | None = None
) -> list[Agreement]:
    """The round's buyer's agreements a bulk rule takes: every joinable one with the contract
    condition, or every one in a DFØ category."""
    query = (
        joinable_agreements_query(round, today or clock.today())
        .where(Agreement.buyer_id == round.buyer_id)
        .options(selectinload(Agreement.suppliers))
    )
    if rule == BULK_CONTRACT_CONDITION:
        query = query.where(Agreement.contract_condition.is_(True))
    elif rule == BULK_CATEGORY:
        if category not in DFO_CATEGORIES:
            raise ValueError(f"unknown DFØ category {category!r}")
        query = query.where(Agreement.dfo_category == category)
    else:
        raise ValueError(f"unknown bulk rule {rule!r}")
    return list(db.session.scalars(query.order_by(Agreement.name_nb, Agreement.id)))


def add_agreements(
    round: FollowUpRound, agreements: Iterable[Agreement], *, actor: User | None
) -> list[Response]:
    """``add_agreement_to_round`` for several agreements; returns the responses created."""
    existing = _existing_pairs(round)
    created: list[Response] = []
    for agreement in agreements:
        if agreement.buyer_id != round.buyer_id:
            raise ValueError("an agreement joins only its own buyer's rounds")
        created += _add_agreement(round, agreement, existing, actor)
    return created


def add_agreements_in_bulk(
    round: FollowUpRound,
    *,
    rule: str,
    category: str | None = None,
    actor: User | None,
    today: date | None = None,
) -> list[Response]:
    """Add every active agreement with the contract condition, or every one in a DFØ category."""
    return add_agreements(round, bulk_agreements(round, rule=rule, category=category, today=today),
                          actor=actor)


# What adding agreements would do, shown before it is done


@dataclass(frozen=True)
class Pair:
    """One agreement and one of its suppliers: a response to create, or one already there."""

    agreement: Agreement
    supplier: Supplier


@dataclass(frozen=True)
class AgreementPlan:
    """What adding ``agreements`` to ``round`` would do now: the responses to create, the pairs
    skipped because the supplier already has a response for the agreement in the round, and who
    would get the invitation (each supplier's active users who completed their account)."""

    round: FollowUpRound
    agreements: list[Agreement]
    to_create: list[Pair]
    skipped: list[Pair]
    recipients: dict[int, list[User]]
    #: Per supplier without recipients: users invited to an account who have not accepted yet.
    pending: dict[int, int]

    @property
    def suppliers(self) -> list[Supplier]:
        """The suppliers that get new responses, each once, by name."""
        unique = {pair.supplier.id: pair.supplier for pair in self.to_create}
        return sorted(unique.values(), key=lambda s: (s.name.casefold(), s.id))

    @property
    def without_users(self) -> list[Supplier]:
        return [s for s in self.suppliers if not self.recipients.get(s.id)]

    @property
    def emails(self) -> int:
        """Invitation e-mails confirming would queue: one per user of each supplier with new
        responses (notify groups a supplier's new responses of a round into one e-mail); none
        for a historical round."""
        if self.round.is_historical:
            return 0
        return sum(len(self.recipients.get(s.id, [])) for s in self.suppliers)

    @property
    def fingerprint(self) -> str:
        """The same for the same responses to create, recipients and e-mails: what the
        administrator confirmed is what is done, or the plan is shown again."""
        parts = [f"round:{self.round.id}:{int(self.round.is_historical)}"]
        parts += sorted(f"r:{p.agreement.id}:{p.supplier.id}" for p in self.to_create)
        parts += sorted(f"u:{s.id}:{u.id}" for s in self.suppliers for u in self.recipients.get(s.id, []))
        return hashlib.sha256("|".join(parts).encode()).hexdigest()


def plan_agreements(round: FollowUpRound, agreements: Sequence[Agreement]) -> AgreementPlan:
    """What ``add_agreements`` would create and whom it would invite, changing nothing."""
    existing = _existing_pairs(round)
    to_create: list[Pair] = []
    skipped: list[Pair] = []
    seen: set[tuple[int, int]] = set()
    for agreement in agreements:
        if agreement.buyer_id != round.buyer_id:
            raise ValueError("an agreement joins only its own buyer's rounds")
        for supplier in sorted(agreement.suppliers, key=lambda s: (s.name.casefold(), s.id)):
            key = (agreement.id, supplier.id)
            if key in seen:
                continue
            seen.add(key)
            (skipped if key in existing else to_create).append(Pair(agreement, supplier))
    recipients = notifications.supplier_users({p.supplier.id for p in to_create})
    lacking = {p.supplier.id for p in to_create} - set(recipients)
    pending: dict[int, int] = {}
    if lacking:
        for row in db.session.execute(
            select(User.supplier_id, User.id).where(
                User.supplier_id.in_(lacking), User.role == Role.SUPPLIER.value,
                User.is_active.is_(True), User.password_hash.is_(None),
                User.invited_at.is_not(None))
        ):
            pending[row.supplier_id] = pending.get(row.supplier_id, 0) + 1
    return AgreementPlan(round, list(agreements), to_create, skipped, recipients, pending)


# Deadlines and reminders


def _clear_stale_reminders(response: Response, today: date) -> list[str]:
    """Forget reminders whose moment lies ahead again under the response's deadline."""
    days_left = (response.deadline - today).days
    cleared = []
    if days_left >= 0 and response.reminded_overdue_at is not None:
        response.reminded_overdue_at = None
        cleared.append(REMIND_OVERDUE)
    if days_left > REMINDER_DAYS[REMIND_3] and response.reminded_3_at is not None:
        response.reminded_3_at = None
        cleared.append(REMIND_3)
    if days_left > REMINDER_DAYS[REMIND_14] and response.reminded_14_at is not None:
        response.reminded_14_at = None
        cleared.append(REMIND_14)
    return cleared


def extend_deadline(
    response: Response,
    new_deadline: date,
    *,
    actor: User | None,
    reason: str,
    today: date | None = None,
) -> None:
    """Move one response's deadline later; reminders not yet due again are re-armed."""
    if not response.is_editable:
        raise DeadlineError("only a response that is not yet submitted can get a later deadline")
    if new_deadline <= response.deadline:
        raise DeadlineError("the new deadline must be later than the current one")
    before = response.deadline
    response.deadline = new_deadline
    cleared = _clear_stale_reminders(response, today or clock.today())
    db.session.flush()
    audit.record(
        "response.deadline_extended",
        response,
        actor=actor,
        supplier_id=response.supplier_id,
        field="deadline",
        before={"deadline": before.isoformat()},
        after={"deadline": new_deadline.isoformat(), "reason": reason, "reminders_reset": cleared},
    )


def reminder_stage(response: Response, today: date) -> str | None:
    """The reminder due for a response today, or None; each stage is sent at most once.

    Only the latest stage reached counts: a response first seen two days before its
    deadline gets the 3-day reminder and never a late 14-day one.
    """
    if response.status not in EDITABLE_STATUSES:
        return None
    days_left = (response.deadline - today).days
    if days_left < 0:
        return REMIND_OVERDUE if response.reminded_overdue_at is None else None
    if days_left <= REMINDER_DAYS[REMIND_3]:
        return REMIND_3 if response.reminded_3_at is None else None
    if days_left <= REMINDER_DAYS[REMIND_14]:
        return REMIND_14 if response.reminded_14_at is None else None
    return None


def _due_condition(today: date) -> ColumnElement[bool]:
    return and_(
        Response.status.in_([status.value for status in EDITABLE_STATUSES]),
        # A historical round's deadline has passed by design: it sends no reminders.
        ~Response.round_id.in_(select(FollowUpRound.id).where(FollowUpRound.is_historical)),
        or_(
            and_(Response.deadline < today, Response.reminded_overdue_at.is_(None)),
            and_(
                Response.deadline >= today,
                Response.deadline <= today + timedelta(days=REMINDER_DAYS[REMIND_3]),
                Response.reminded_3_at.is_(None),
            ),
            and_(
                Response.deadline > today + timedelta(days=REMINDER_DAYS[REMIND_3]),
                Response.deadline <= today + timedelta(days=REMINDER_DAYS[REMIND_14]),
                Response.reminded_14_at.is_(None),
            ),
        ),
    )


def _batches(groups: Iterable[Sequence[int]], size: int) -> Iterable[list[int]]:
    """Whole groups packed into batches of about ``size`` ids; a group is never split, so a
    group larger than ``size`` is a batch of its own."""
    batch: list[int] = []
    for group in groups:
        if batch and len(batch) + len(group) > size:
            yield batch
            batch = []
        batch += group
    if batch:
        yield batch


_MARKERS = {REMIND_14: "reminded_14_at", REMIND_3: "reminded_3_at", REMIND_OVERDUE: "reminded_overdue_at"}


def send_due_reminders(
    today: date,
    *,
    after_batch: Callable[[], None] | None = None,
    batch_size: int = 50,
) -> dict[str, int]:
    """Remind suppliers 14 and 3 days before their deadline and once when overdue.

    Each response's marker is set in the same transaction that queues its e-mails
    (sent by jobs after the commit), so a run that is repeated, or overlaps another,
    reminds nobody twice, and a mail server that fails part-way cannot undo the
    markers of reminders already sent; ``after_batch`` is where the caller commits.
    Rows another run holds locked are skipped (PostgreSQL).

    A supplier user gets one e-mail per round and stage listing every response due at it
    (see ``notify.send_reminders``); a supplier's responses of one round are in one batch.
    """
    from portal.rounds import notify

    counts = {REMIND_14: 0, REMIND_3: 0, REMIND_OVERDUE: 0, "emails": 0}
    # Grouped before batching: a supplier's due responses of one round share a batch, and so
    # one e-mail per user and stage.
    groups: dict[tuple[int, int], list[int]] = {}
    for row in db.session.execute(
        select(Response.id, Response.round_id, Response.supplier_id)
        .where(_due_condition(today)).order_by(Response.id)
    ):
        groups.setdefault((row.round_id, row.supplier_id), []).append(row.id)
    for batch in _batches(groups.values(), batch_size):
        responses = db.session.scalars(
            select(Response)
            .where(Response.id.in_(batch), _due_condition(today))
            .options(
                selectinload(Response.round),
                selectinload(Response.agreement).selectinload(Agreement.buyer),
                selectinload(Response.supplier),
            )
            .order_by(Response.id)
            .with_for_update(skip_locked=True, of=Response)
        ).all()
        recipients = notifications.supplier_users({r.supplier_id for r in responses})
        due: dict[tuple[int, int, str], list[Response]] = {}
        for response in responses:
            stage = reminder_stage(response, today)
            if stage is None:
                continue
            setattr(response, _MARKERS[stage], utcnow())
            counts[stage] += 1
            due.setdefault((response.round_id, response.supplier_id, stage), []).append(response)
        db.session.flush()
        for (_round_id, supplier_id, stage), group in due.items():
            counts["emails"] += notify.send_reminders(group, stage, today,
                                                      recipients.get(supplier_id, []))
        if after_batch is not None:
            after_batch()
    log.info("reminders_queued %s", counts)
    return counts
