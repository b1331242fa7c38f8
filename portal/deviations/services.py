"""Deviations (avvik, DOMAIN 5): register, propose, confirm, follow 5.5, and the supplier's part.

Every change is audited with its value before and after. Status changes go only
along ``DEVIATION_TRANSITIONS``; each one also leaves a dated entry the supplier
sees (unless marked internal). Functions flush and never commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from portal import audit
from portal.codes import (
    CLOSED_DEVIATION_STATUSES,
    DETECTION_METHODS,
    DEVIATION_STATUSES,
    DEVIATION_TRANSITIONS,
    DEVIATION_TYPES,
    MEASURES,
    SEVERITIES,
    TIERS,
)
from portal.extensions import db
from portal.models import (
    Agreement,
    Attachment,
    Deviation,
    DeviationUpdate,
    Response,
    Supplier,
    User,
    utcnow,
)
from portal.tenancy import owner_id
from portal.uploads import StoredFile

#: The fields staff set on the form, in the order the audit trail lists them.
DEVIATION_FIELDS = (
    "agreement_id", "type", "severity", "tier", "country", "site", "description", "detected_date",
    "detected_by", "root_cause", "measures", "measures_text", "responsible", "deadline",
    "remediation_for_workers", "internal_note",
)


class DeviationError(Exception):
    """A deviation cannot be changed this way; ``reason`` says why (routes word it)."""

    def __init__(self, reason: str, **details: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


class TransitionRefused(DeviationError):
    def __init__(self, before: str, after: str) -> None:
        super().__init__("transition", before=before, after=after)
        self.before = before
        self.after = after


def jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _check_codes(values: Mapping[str, Any]) -> None:
    """The forms refuse codes outside the lists; this keeps scripts and tests honest too."""
    lists = {"type": DEVIATION_TYPES, "severity": SEVERITIES, "tier": TIERS,
             "detected_by": DETECTION_METHODS}
    for name, codes in lists.items():
        if name in values and values[name] not in codes:
            raise DeviationError("code", field=name, value=values[name])
    for measure in values.get("measures") or ():
        if measure not in MEASURES:
            raise DeviationError("code", field="measures", value=measure)


def _check_agreement(supplier_id: int, agreement_id: int | None) -> None:
    if agreement_id is None:
        return
    agreement = db.session.get(Agreement, agreement_id, populate_existing=True)
    if agreement is None or supplier_id not in {s.id for s in agreement.suppliers}:
        raise DeviationError("agreement")


def _snapshot(deviation: Deviation) -> dict[str, Any]:
    return {name: jsonable(getattr(deviation, name)) for name in DEVIATION_FIELDS}


def create_deviation(
    supplier: Supplier,
    values: Mapping[str, Any],
    *,
    actor: User,
    response: Response | None = None,
    question_id: str | None = None,
) -> Deviation:
    """Register a confirmed deviation (status REGISTERED); the caller e-mails the supplier."""
    _check_codes(values)
    _check_agreement(supplier.id, values.get("agreement_id"))
    if response is not None and response.supplier_id != supplier.id:
        raise DeviationError("response")
    deviation = Deviation(supplier=supplier, status="REGISTERED", is_proposed=False,
                          created_by=actor, response=response, question_id=question_id,
                          measures=[], buyer_id=owner_id(actor))
    for name in DEVIATION_FIELDS:
        if name in values:
            setattr(deviation, name, _clean(name, values[name]))
    db.session.add(deviation)
    db.session.flush()
    audit.record("deviation.created", deviation, actor=actor, supplier_id=supplier.id,
                 after={**_snapshot(deviation), "status": deviation.status,
                        "response_id": deviation.response_id, "question_id": question_id})
    return deviation


def _clean(name: str, value: Any) -> Any:
    if name == "measures":
        return list(value or [])
    if name in ("country", "agreement_id", "deadline"):
        return value or None
    if value is None and name not in ("detected_date",):
        return ""
    return value


def existing_for_question(response: Response, question_id: str) -> Deviation | None:
    return db.session.scalar(
        select(Deviation).where(Deviation.response_id == response.id,
                                Deviation.question_id == question_id).limit(1)
    )


def propose_deviation(
    response: Response, question_id: str, deviation_type: str, *, actor: User | None, today: date
) -> Deviation | None:
    """A draft deviation for a breach found in a response; one per (response, question).

    Returns None when the question already has one, proposed or confirmed.
    """
    if deviation_type not in DEVIATION_TYPES:
        raise DeviationError("code", field="type", value=deviation_type)
    if existing_for_question(response, question_id) is not None:
        return None
    deviation = Deviation(
        supplier_id=response.supplier_id, agreement_id=response.agreement_id, response=response,
        question_id=question_id, type=deviation_type, severity="MAJOR", tier="TU",
        detected_date=today, detected_by="SAQ", status="REGISTERED", is_proposed=True,
        created_by=actor, measures=[], buyer_id=response.agreement.buyer_id,
    )
    db.session.add(deviation)
    db.session.flush()
    # Proposed by the rules, not by the person whose save or submission found the breach.
    audit.record("deviation.proposed", deviation, actor=actor, supplier_id=response.supplier_id,
                 by_system=True, after={"type": deviation_type, "response_id": response.id,
                        "question_id": question_id, "severity": "MAJOR",
                        "detected_date": today.isoformat()})
    return deviation


def confirm_deviation(deviation: Deviation, *, actor: User) -> None:
    """A reviewer accepts a proposal: it becomes REGISTERED and visible to the supplier."""
    if not deviation.is_proposed:
        raise DeviationError("not_proposed")
    if not deviation.description.strip():
        raise DeviationError("description")
    deviation.is_proposed = False
    deviation.status = "REGISTERED"
    audit.record("deviation.confirmed", deviation, actor=actor, supplier_id=deviation.supplier_id,
                 field="is_proposed", before=True, after=False)


def discard_deviation(deviation: Deviation, *, actor: User) -> None:
    """Delete a proposed deviation; the audit trail keeps what it was, also on its response."""
    if not deviation.is_proposed:
        raise DeviationError("not_proposed")
    before = {**_snapshot(deviation), "id": deviation.id, "response_id": deviation.response_id,
              "question_id": deviation.question_id}
    audit.record("deviation.discarded", deviation, actor=actor, supplier_id=deviation.supplier_id,
                 before=before)
    if deviation.response is not None:
        # Kept on the response too, so its history shows it and it is not proposed again.
        audit.record("deviation.discarded", deviation.response, actor=actor,
                     supplier_id=deviation.supplier_id, field=deviation.question_id, before=before)
    db.session.delete(deviation)
    db.session.flush()


def update_deviation(deviation: Deviation, values: Mapping[str, Any], *, actor: User) -> list[str]:
    """Change the staff's fields; one audit event per field changed."""
    _check_codes(values)
    if "agreement_id" in values:
        _check_agreement(deviation.supplier_id, values.get("agreement_id"))
    changed: list[str] = []
    for name in DEVIATION_FIELDS:
        if name not in values:
            continue
        old, new = getattr(deviation, name), _clean(name, values[name])
        if old == new:
            continue
        setattr(deviation, name, new)
        changed.append(name)
        audit.record("deviation.changed", deviation, actor=actor, supplier_id=deviation.supplier_id,
                     field=name, before=jsonable(old), after=jsonable(new))
    if "deadline" in changed and deviation.overdue_notified_at is not None:
        # A new deadline earns a new notice when it too passes.
        deviation.overdue_notified_at = None
    return changed


def _move(
    deviation: Deviation, new_status: str, *, actor: User, today: date, text: str = "",
    is_internal: bool = False,
) -> DeviationUpdate:
    before = deviation.status
    if new_status not in DEVIATION_TRANSITIONS.get(before, ()):
        raise TransitionRefused(before, new_status)
    deviation.status = new_status
    if new_status in CLOSED_DEVIATION_STATUSES:
        deviation.closed_date = today
    update = DeviationUpdate(kind="status", text=text, status_before=before,
                             status_after=new_status, is_internal=is_internal, author=actor,
                             created_at=utcnow())
    deviation.updates.append(update)
    audit.record("deviation.status_changed", deviation, actor=actor,
                 supplier_id=deviation.supplier_id, field="status", before=before, after=new_status)
    if new_status in CLOSED_DEVIATION_STATUSES:
        # The closing date follows from the status: set by Aktsom, not typed by the reviewer.
        audit.record("deviation.changed", deviation, actor=actor, supplier_id=deviation.supplier_id,
                     field="closed_date", before=None, after=today.isoformat(), by_system=True)
    return update


def change_deviation_status(
    deviation: Deviation, new_status: str, *, actor: User, today: date, comment: str = ""
) -> DeviationUpdate:
    """Move along DOMAIN 5.5; anything else raises TransitionRefused and changes nothing."""
    if deviation.is_proposed:
        raise DeviationError("proposed")
    if new_status not in DEVIATION_STATUSES:
        raise TransitionRefused(deviation.status, new_status)
    update = _move(deviation, new_status, actor=actor, today=today, text=comment)
    if deviation.status == "IN_PROGRESS" and update.status_before == "AWAITING_CAP":
        _mark_plan_approved(deviation, actor=actor)
    return update


def _mark_plan_approved(deviation: Deviation, *, actor: User) -> None:
    if deviation.plan_approved_at is None:
        deviation.plan_approved_at = utcnow()
        audit.record("deviation.plan_approved", deviation, actor=actor,
                     supplier_id=deviation.supplier_id, field="plan_approved_at",
                     after=deviation.plan_approved_at.isoformat())


def plan_text(actions: Sequence[Mapping[str, str]], note: str = "") -> str:
    """A structured plan as text (e-mails, the update history): one line per action."""
    lines = [
        _("%(number)s. %(action)s (responsible: %(responsible)s; deadline: %(deadline)s)",
          number=number, action=a.get("action", ""), responsible=a.get("responsible", ""),
          deadline=a.get("deadline", ""))
        for number, a in enumerate(actions, start=1)
    ]
    return "\n".join([*lines, *([note.strip()] if note.strip() else [])])


def propose_plan(deviation: Deviation, text: str, *, actor: User, today: date,
                 actions: Sequence[Mapping[str, str]] = ()) -> DeviationUpdate:
    """The supplier's corrective action plan; a notified deviation then awaits approval.

    ``actions`` are the plan's actions (what, who, by when); ``text`` is what else the
    supplier wrote (the whole plan, for a plan without actions). A plan proposed before
    the formal notice counts as the notice having reached the supplier. Returns the plan's
    entry on the deviation.
    """
    if not deviation.can_propose_plan(actor):
        raise DeviationError("plan_state")
    if actions:
        text = plan_text(actions, text)
    if not text.strip():
        raise DeviationError("plan_empty")
    before = deviation.supplier_plan
    deviation.supplier_plan = text
    deviation.plan_actions = [dict(a) for a in actions]
    deviation.supplier_plan_at = utcnow()
    update = DeviationUpdate(kind="plan", text=text, author=actor, created_at=utcnow())
    deviation.updates.append(update)
    audit.record("deviation.plan_proposed", deviation, actor=actor,
                 supplier_id=deviation.supplier_id, field="supplier_plan", before=before,
                 after=text)
    if deviation.status == "REGISTERED":
        _move(deviation, "NOTIFIED", actor=actor, today=today)
    if deviation.status == "NOTIFIED":
        _move(deviation, "AWAITING_CAP", actor=actor, today=today)
    return update


@dataclass(frozen=True)
class ProgressReport:
    update: DeviationUpdate
    moved_to: str | None


def report_progress(
    deviation: Deviation,
    text: str,
    files: Sequence[StoredFile],
    *,
    closure: bool,
    actor: User,
    today: date,
) -> ProgressReport:
    """A progress report with optional evidence; evidence of closure sends it to verification."""
    may = deviation.can_report_closure if closure else deviation.can_report_progress
    if not may(actor):
        raise DeviationError("closure_state" if closure else "progress_state")
    if not text.strip():
        raise DeviationError("progress_empty")
    update = DeviationUpdate(kind="closure" if closure else "progress", text=text, author=actor,
                             created_at=utcnow())
    deviation.updates.append(update)
    for stored in files:
        update.attachments.append(_attachment(stored, actor))
    db.session.flush()
    audit.record("deviation.progress_reported", deviation, actor=actor,
                 supplier_id=deviation.supplier_id, field=update.kind,
                 after={"update_id": update.id, "text": text,
                        "files": [{"name": f.original_name, "sha256": f.sha256} for f in files]})
    moved_to = None
    if closure:
        _move(deviation, "VERIFYING", actor=actor, today=today)
        moved_to = "VERIFYING"
    return ProgressReport(update, moved_to)


def _attachment(stored: StoredFile, actor: User) -> Attachment:
    return Attachment(original_name=stored.original_name, stored_name=stored.stored_name,
                      size=stored.size, sha256=stored.sha256, mimetype=stored.mimetype,
                      uploaded_by=actor, uploaded_at=utcnow())


def approve_plan(deviation: Deviation, *, actor: User, today: date, comment: str = "") -> None:
    """The municipality approves the supplier's plan: remediation is under way."""
    if not deviation.can_approve_plan(actor):
        raise DeviationError("approve_state")
    _move(deviation, "IN_PROGRESS", actor=actor, today=today, text=comment)
    _mark_plan_approved(deviation, actor=actor)


def add_note(deviation: Deviation, text: str, *, is_internal: bool, actor: User) -> DeviationUpdate:
    """A dated note by staff; internal notes are never shown to the supplier."""
    if not text.strip():
        raise DeviationError("note_empty")
    update = DeviationUpdate(kind="note", text=text, is_internal=is_internal, author=actor,
                             created_at=utcnow())
    deviation.updates.append(update)
    db.session.flush()
    audit.record("deviation.note_added", deviation, actor=actor, supplier_id=deviation.supplier_id,
                 field="note",
                 after={"update_id": update.id, "text": text, "internal": is_internal})
    return update


def attach_documents(deviation: Deviation, text: str, files: Sequence[StoredFile], *, is_internal: bool,
                     actor: User) -> DeviationUpdate:
    """Files staff add to the deviation, with a note: an audit report received by e-mail, say.
    Like a note, an internal entry (files included) is never shown to the supplier."""
    if not deviation.is_led_by(actor):
        raise DeviationError("documents_state")
    if not files:
        raise DeviationError("documents_empty")
    update = DeviationUpdate(kind="documents", text=text, is_internal=is_internal, author=actor,
                             created_at=utcnow())
    deviation.updates.append(update)
    for stored in files:
        update.attachments.append(_attachment(stored, actor))
    db.session.flush()
    audit.record("deviation.documents_added", deviation, actor=actor, supplier_id=deviation.supplier_id,
                 field="documents",
                 after={"update_id": update.id, "text": text, "internal": is_internal,
                        "files": [{"name": f.original_name, "sha256": f.sha256} for f in files]})
    return update
