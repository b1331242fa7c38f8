"""Erasing a person who has left (GDPR art. 17), keeping the records the buyer must keep.

The account row stays, because submissions, verdicts, deviations, activities and the audit
trail point at it: what the person did stays on record, by "Former contact #id" instead of
by name. Their name, e-mail address and job title are removed from the account and replaced
by that label wherever the portal copied them as text: the answers naming them (question A1
and free text), the frozen submissions, deviation entries, the audit trail's before/after
values and the e-mails kept. Receipts they signed are made again by the receipt job, so no
stored PDF still names them. A year report the person published keeps them as its
publisher by the account, so its page shows the label; its stored files (PDF, XLSX, JSON,
CSV) never name a person (portal/reports/pdf.py ``Publication``) and stay exactly as
published. No figure changes: nothing is counted by a person's name.

What cannot be erased this way (the contents of uploaded documents, e-mails already
delivered, backups) is listed on the confirmation page (``NOT_ERASED``).
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, Table, and_, cast, delete, func, or_, select, update

from portal import audit, jobs, storage
from portal.extensions import db
from portal.models import (
    Agreement,
    Answer,
    Attempt,
    AuditEvent,
    Clarification,
    ClarificationReply,
    Deviation,
    DeviationUpdate,
    MailDelivery,
    PendingInput,
    Response,
    Role,
    Submission,
    User,
    utcnow,
)
from portal.models.followup import AWAITING_REVIEW
from portal.models.user import erased_label
from portal.tenancy import ALL_BUYERS

#: What erasure leaves as it is, and why: shown on the confirmation page, never kept silently.
NOT_ERASED = (
    _l("What the person did stays on record: submissions, verdicts, deviations, follow-up activities "
       "and audit events are kept, with the label instead of the name, because the buyer must be able "
       "to document its follow-up (the Archives Act and the Public Procurement Act). Every figure in "
       "the reports stays the same."),
    _l("The contents of uploaded documents (evidence files and attachments) cannot be changed: a "
       "document that names the person inside it is kept until the retention period of its agreement "
       "ends, or until the supplier removes it."),
    _l("Free text that names the person in another form than the full name or e-mail address (a first "
       "name alone, initials) is not found automatically. Read the answers and deviation entries of the "
       "supplier and correct them if needed."),
    _l("E-mails already delivered to recipients' mailboxes are outside the portal; the portal's own "
       "copies are changed."),
    _l("Backups taken before the erasure keep the old data until they expire."),
)

MIN_NAME_LENGTH = 5  # a shorter "name" (initials) would match inside unrelated words


@dataclass
class Erasure:
    """What an erasure changed, for the audit event and the confirmation."""

    label: str
    answers: int = 0
    submissions: int = 0
    receipts: list[int] = field(default_factory=list)
    deviations: int = 0
    audit_events: int = 0
    mails: int = 0
    agreements_reassigned: int = 0


class ErasureRefused(ValueError):
    """The erasure cannot go ahead as asked; ``str(error)`` says which rule."""


def placeholder_email(user_id: int) -> str:
    """A unique address that can never receive mail (the ``.invalid`` top-level domain, RFC 2606)."""
    return f"former-contact-{user_id}@erased.invalid"


def is_last_active_user(user: User) -> bool:
    """Would the person's supplier have no other active user afterwards?"""
    if not user.is_supplier or user.supplier_id is None:
        return False
    others = db.session.scalar(
        select(func.count(User.id)).where(User.supplier_id == user.supplier_id, User.id != user.id,
                                          User.is_active.is_(True))
    )
    return not others


def agreements_with_open_reviews(user: User) -> list[Agreement]:
    """The agreements the staff member manages that have responses waiting for review."""
    if not user.is_staff:
        return []
    waiting = select(Response.id).where(Response.agreement_id == Agreement.id,
                                        Response.status.in_([s.value for s in AWAITING_REVIEW]))
    return list(db.session.scalars(
        select(Agreement).where(Agreement.contract_manager_id == user.id, waiting.exists())
        .order_by(Agreement.reference)
    ))


def new_owner_choices(user: User) -> list[User]:
    """Active staff of the same buyer who can take over the person's reviews."""
    return list(db.session.scalars(
        select(User).where(User.buyer_id == user.buyer_id, User.id != user.id, User.is_active.is_(True),
                           User.erased_at.is_(None),
                           User.role.in_([Role.REVIEWER.value, Role.ADMIN.value]))
        .order_by(User.name, User.email)
    ))


def _replacer(strings: Iterable[str], label: str) -> Callable[[str], str]:
    """Replace each of ``strings`` (case-insensitively) by ``label`` inside a text."""
    import re

    wanted = sorted({s for s in strings if s}, key=len, reverse=True)
    if not wanted:
        return lambda text: text
    pattern = re.compile("|".join(re.escape(s) for s in wanted), re.IGNORECASE)
    return lambda text: pattern.sub(label, text)


def _rewrite(value: Any, replace: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return replace(value)
    if isinstance(value, dict):
        return {k: _rewrite(v, replace) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite(v, replace) for v in value]
    return value


@dataclass(frozen=True)
class _Replacer:
    """Replaces the name and e-mail address anywhere, and the job title only beside them (as
    in question A1's name / job title / e-mail): a title alone may be someone else's."""

    identity: Callable[[str], str]
    with_title: Callable[[str], str]

    def __call__(self, text: str) -> str:
        return self.identity(text)

    def rewrite(self, value: Any) -> Any:
        if isinstance(value, dict):
            names_here = any(isinstance(v, str) and self.identity(v) != v for v in value.values())
            return {k: (self.with_title(v) if names_here and isinstance(v, str) else self.rewrite(v))
                    for k, v in value.items()}
        if isinstance(value, list):
            return [self.rewrite(v) for v in value]
        return _rewrite(value, self.identity)


def _like_any(column: Any, strings: Iterable[str]) -> Any:
    """Rows whose text (or JSON as text, also with non-ASCII escaped) may contain one of them."""
    forms: set[str] = set()
    for s in strings:
        forms.add(s.lower())
        forms.add(json.dumps(s)[1:-1].lower())
    text = func.lower(cast(column, String))
    return or_(*(text.contains(form, autoescape=True) for form in forms))


def _searchable(user: User) -> list[str]:
    """The person's identifying strings as they may have been copied into text."""
    strings = [user.email]
    name = (user.name or "").strip()
    if len(name) >= MIN_NAME_LENGTH:
        strings.append(name)
    return strings


def erase_person(user: User, *, actor: User, new_owner: User | None = None,
                 last_user_confirmed: bool = False) -> Erasure:
    """Erase ``user``'s name, e-mail, phone and title everywhere; flush, never commit.

    Refuses the actor's own account, an account already erased, a staff member with open
    reviews and no new owner, and the last active user of a supplier unless confirmed.
    """
    if user.id == actor.id:
        raise ErasureRefused("self")
    if user.is_erased:
        raise ErasureRefused("erased")
    if user.is_supplier and is_last_active_user(user) and not last_user_confirmed:
        raise ErasureRefused("last_user")
    open_reviews = agreements_with_open_reviews(user)
    if open_reviews and (new_owner is None or new_owner.id == user.id or new_owner.is_erased
                         or not new_owner.is_active or not new_owner.is_staff
                         or new_owner.buyer_id != user.buyer_id):
        raise ErasureRefused("new_owner")

    old_email = user.email
    strings = _searchable(user)
    # Text copied into records is changed in the language of the installation.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        label = erased_label(user.id)
    title = user.job_title.strip() if len(user.job_title.strip()) >= MIN_NAME_LENGTH else ""
    replace = _Replacer(_replacer(strings, label), _replacer([*strings, title], label))
    result = Erasure(label=label)

    if user.is_staff:
        agreements = db.session.scalars(select(Agreement).where(Agreement.contract_manager_id == user.id))
        for agreement in agreements:
            agreement.contract_manager_id = new_owner.id if new_owner is not None else None
            result.agreements_reassigned += 1

    user.name = ""
    user.job_title = ""
    user.email = placeholder_email(user.id)
    user.password_hash = None
    user.totp_secret = None
    user.is_totp_enabled = False
    user.totp_last_step = None
    # The identity provider's subject id identifies the person too; without it the provider's
    # "yes" can never lead back to this account.
    user.oidc_issuer = None
    user.oidc_subject = None
    user.is_active = False
    user.erased_at = utcnow()
    user.rotate_session_token()  # ends every session and every invitation or reset link
    db.session.execute(delete(PendingInput).where(PendingInput.user_id == user.id))
    db.session.execute(delete(Attempt).where(func.lower(Attempt.account) == old_email.lower()))

    _erase_from_answers(user, strings, replace, result)
    _erase_from_deviations(user, strings, replace, result)
    _erase_from_mail(old_email, user.email, strings, replace, result)
    db.session.flush()
    _regenerate_receipts(user, result)
    _erase_from_audit_trail(user, strings, replace, result)

    audit.record("user.erased", user, actor=actor, supplier_id=user.supplier_id,
                 buyer_id=actor.buyer_id,
                 after={"label": label, "answers": result.answers, "submissions": result.submissions,
                        "receipts": len(result.receipts), "deviations": result.deviations,
                        "audit_events": result.audit_events, "emails": result.mails,
                        "agreements_reassigned": result.agreements_reassigned})
    return result


def _every_buyer(statement: Any) -> Any:
    # A supplier's contact is one person for every buyer: their name goes from all records.
    return statement.execution_options(**{ALL_BUYERS: True})


def _erase_from_answers(user: User, strings: list[str], replace: _Replacer,
                        result: Erasure) -> None:
    if user.supplier_id is None:
        return
    mine = select(Response.id).where(Response.supplier_id == user.supplier_id)
    answers = db.session.scalars(_every_buyer(
        select(Answer).where(Answer.response_id.in_(mine), _like_any(Answer.value, strings))))
    for answer in answers:
        value = replace.rewrite(answer.value)
        if value != answer.value:
            answer.value = value
            answer.revision += 1
            result.answers += 1
    submissions = db.session.scalars(_every_buyer(
        select(Submission).where(Submission.response_id.in_(mine),
                                 or_(_like_any(Submission.answers, strings),
                                     Submission.submitted_by_id == user.id))))
    for submission in submissions:
        answers_value = replace.rewrite(submission.answers)
        if answers_value != submission.answers:
            submission.answers = answers_value
            result.submissions += 1
        if submission.receipt_name is not None:
            result.receipts.append(submission.id)
    # Replies to reviewers are the supplier's text too, frozen or not.
    rounds = select(Clarification.id).where(Clarification.response_id.in_(mine))
    for reply in db.session.scalars(_every_buyer(
            select(ClarificationReply).where(ClarificationReply.clarification_id.in_(rounds),
                                             _like_any(ClarificationReply.text, strings)))):
        reply.text = replace(reply.text)
        result.answers += 1


def _erase_from_deviations(user: User, strings: list[str], replace: _Replacer,
                           result: Erasure) -> None:
    text_columns = ("description", "responsible", "measures_text", "supplier_plan", "root_cause",
                    "remediation_for_workers", "internal_note")
    # Only where the person worked: another buyer may have someone of the same name.
    mine = (Deviation.supplier_id == user.supplier_id) if user.supplier_id is not None \
        else (Deviation.buyer_id == user.buyer_id)
    condition = or_(*(_like_any(getattr(Deviation, c), strings) for c in text_columns))
    for deviation in db.session.scalars(_every_buyer(select(Deviation).where(condition, mine))):
        for column in text_columns:
            setattr(deviation, column, replace(getattr(deviation, column)))
        result.deviations += 1
    for entry in db.session.scalars(_every_buyer(
            select(DeviationUpdate).where(_like_any(DeviationUpdate.text, strings),
                                          DeviationUpdate.deviation_id.in_(select(Deviation.id).where(mine))))):
        entry.text = replace(entry.text)
        result.deviations += 1


def _erase_from_mail(old_email: str, new_email: str, strings: list[str],
                     replace: _Replacer, result: Erasure) -> None:
    # Mail not yet sent to the person will never be: their address is gone.
    db.session.execute(delete(MailDelivery).where(func.lower(MailDelivery.recipient) == old_email.lower(),
                                                  MailDelivery.sent_at.is_(None)))
    kept = db.session.scalars(select(MailDelivery).where(or_(
        func.lower(MailDelivery.recipient) == old_email.lower(),
        _like_any(MailDelivery.subject, strings), _like_any(MailDelivery.text_body, strings),
        _like_any(MailDelivery.html_body, strings),
    )))
    for delivery in kept:
        if delivery.recipient.lower() == old_email.lower():
            delivery.recipient = new_email
        delivery.subject = replace(delivery.subject)
        delivery.text_body = replace(delivery.text_body)
        delivery.html_body = replace(delivery.html_body)
        # A kept attachment is the receipt as it was sent, with the name on it.
        delivery.attachment = None
        result.mails += 1


def _regenerate_receipts(user: User, result: Erasure) -> None:
    """Drop each receipt that names the person and have the receipt job make it again."""
    from portal.responses.jobs import make_receipt

    submissions = db.session.scalars(_every_buyer(
        select(Submission).where(Submission.id.in_(result.receipts)))).all()
    for submission in submissions:
        old_key = submission.receipt_name
        submission.receipt_name = None
        submission.receipt_sha256 = None
        db.session.flush()
        if old_key is not None:
            storage.delete(old_key)
        jobs.enqueue(make_receipt, submission_id=submission.id)


def _erase_from_audit_trail(user: User, strings: list[str], replace: _Replacer,
                            result: Erasure) -> None:
    """Rewrite the values the trail copied; the one change the trail allows (see models.audit).

    A Core statement on the table, so neither the append-only guard nor the buyer scope
    applies: the person's data goes from every buyer's trail.
    """
    table = typing.cast(Table, AuditEvent.__table__)
    email, names = strings[:1], strings[1:]
    # The e-mail address is the person's wherever it is; a name only where the person worked.
    context = or_(
        table.c.actor_id == user.id,
        and_(table.c.object_type == "User", table.c.object_id == user.id),
        (table.c.supplier_id == user.supplier_id) if user.supplier_id is not None
        else (table.c.buyer_id == user.buyer_id),
    )
    found = or_(_like_any(table.c.before, email), _like_any(table.c.after, email))
    if names:
        found = or_(found, and_(context, or_(_like_any(table.c.before, names),
                                             _like_any(table.c.after, names))))
    candidates = db.session.execute(select(table.c.id, table.c.before, table.c.after).where(found)).all()
    for row in candidates:
        before, after = replace.rewrite(row.before), replace.rewrite(row.after)
        if (before, after) != (row.before, row.after):
            db.session.execute(update(table).where(table.c.id == row.id).values(before=before, after=after))
            result.audit_events += 1
