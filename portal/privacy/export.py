"""Everything the portal holds about one person, as a ZIP: a JSON document plus the files
they uploaded (GDPR art. 15 access and art. 20 portability).

The JSON names what was found for the person, by the columns that point at them: the
account itself, sign-ins, submissions they made (the declarations they signed), answers
they last changed, files they uploaded, entries they wrote on deviations, and the audit
events where they are the actor or the account is the record. Secrets (password hash,
session token, two-factor secret) are never included.
"""

from __future__ import annotations

import json
import re
import tempfile
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from portal import audit, storage
from portal.extensions import db
from portal.models import (
    Answer,
    Attachment,
    Attempt,
    AttemptKind,
    AuditEvent,
    Clarification,
    ClarificationReply,
    DeviationUpdate,
    EvidenceFile,
    Response,
    Submission,
    User,
    utcnow,
)

FORMAT = "aktsom-personal-data/1"
#: Kept in memory up to this size, then in a temporary file.
SPOOL_BYTES = 16 * 1024 * 1024
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _safe_name(name: str) -> str:
    """A file name that cannot leave its folder in the archive (keeps æ, ø and å)."""
    cleaned = _UNSAFE.sub("_", name).strip(" .")
    return cleaned[:120] or "file"


def _profile(user: User) -> dict[str, Any]:
    supplier = user.supplier
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "job_title": user.job_title,
        "role": user.role,
        "organisation": None if supplier is None else {
            "id": supplier.id, "name": supplier.name, "organisation_number": supplier.identifier,
        },
        "language": user.locale,
        "is_active": user.is_active,
        "has_two_factor": user.is_totp_enabled,
        "created_at": _plain(user.created_at),
        "invited_at": _plain(user.invited_at),
        "invited_by": user.invited_by.display_name if user.invited_by else None,
        "last_signed_in_at": _plain(user.last_login_at),
    }


def _sign_ins(user: User) -> dict[str, Any]:
    successful = db.session.scalars(
        select(AuditEvent.at).where(AuditEvent.action == "user.login", AuditEvent.object_type == "User",
                                    AuditEvent.object_id == user.id).order_by(AuditEvent.at)
    )
    # Failed attempts are counted by the address as typed; the network address is left out
    # because it may be someone else's (whoever tried the password).
    failed = db.session.execute(
        select(Attempt.created_at, Attempt.kind).where(
            Attempt.account == user.email,
            Attempt.kind.in_([AttemptKind.PASSWORD.value, AttemptKind.CODE.value]),
        ).order_by(Attempt.created_at)
    )
    return {
        "last_signed_in_at": _plain(user.last_login_at),
        "successful": [_plain(at) for at in successful],
        "failed_attempts": [{"at": _plain(row.created_at), "kind": row.kind} for row in failed],
    }


def _response_ref(response: Response | None, company: Any = None) -> dict[str, Any]:
    """Where an answer or file belongs: its response, or the supplier's company answers (issue 14)."""
    if response is None:
        return {"company_answers_id": getattr(company, "id", None),
                "supplier": company.supplier.name if company is not None else None,
                "year": getattr(company, "year", None)}
    return {
        "response_id": response.id,
        "supplier": response.supplier.name,
        "agreement": response.agreement.reference,
        "round": response.round.name_nb,
        "year": response.round.year,
    }


_RESPONSE_LOAD = (selectinload(Response.supplier), selectinload(Response.agreement), selectinload(Response.round))


def _declarations(user: User) -> list[dict[str, Any]]:
    submissions = db.session.scalars(
        select(Submission).where(Submission.submitted_by_id == user.id)
        .options(selectinload(Submission.response).options(*_RESPONSE_LOAD))
        .order_by(Submission.submitted_at, Submission.id)
    )
    return [
        {
            **_response_ref(s.response),
            "submission_id": s.id,
            "number": s.number,
            "submitted_at": _plain(s.submitted_at),
            "language": s.locale,
            "answers": s.answers,
            "files": s.files,
            "archive_path": f"files/receipts/{s.id}-receipt.pdf" if s.receipt_name else None,
            "receipt_key": s.receipt_name,
        }
        for s in submissions
    ]


def _answers(user: User) -> list[dict[str, Any]]:
    answers = db.session.scalars(
        select(Answer).where(Answer.updated_by_id == user.id)
        .options(selectinload(Answer.response).options(*_RESPONSE_LOAD))
        .order_by(Answer.response_id, Answer.question_id)
    )
    return [
        {**_response_ref(a.response, a.company_set), "answer_id": a.id, "question_id": a.question_id, "value": a.value,
         "updated_at": _plain(a.updated_at)}
        for a in answers
    ]


def _replies(user: User) -> list[dict[str, Any]]:
    """The person's replies to reviewers on questions returned for clarification."""
    replies = db.session.scalars(
        select(ClarificationReply).where(ClarificationReply.updated_by_id == user.id)
        .options(selectinload(ClarificationReply.clarification).selectinload(Clarification.response)
                 .options(*_RESPONSE_LOAD))
        .order_by(ClarificationReply.id)
    )
    return [
        {**_response_ref(r.clarification.response), "clarification_round": r.clarification.number,
         "question_id": r.question_id, "text": r.text, "updated_at": _plain(r.updated_at)}
        for r in replies
    ]


def _files(user: User) -> list[tuple[dict[str, Any], str]]:
    """(description, storage key) of every file the person uploaded."""
    files: list[tuple[dict[str, Any], str]] = []
    evidence = db.session.scalars(
        select(EvidenceFile).where(EvidenceFile.uploaded_by_id == user.id)
        .options(selectinload(EvidenceFile.response).options(*_RESPONSE_LOAD))
        .order_by(EvidenceFile.id)
    )
    for f in evidence:
        files.append(({
            "kind": "evidence", "id": f.id, **_response_ref(f.response, f.company_set), "question_id": f.question_id,
            "original_name": f.original_name, "size": f.size, "sha256": f.sha256, "mimetype": f.mimetype,
            "uploaded_at": _plain(f.uploaded_at), "removed_at": _plain(f.removed_at),
            "archive_path": f"files/evidence/{f.id}-{_safe_name(f.original_name)}",
        }, f.stored_name))
    attachments = db.session.scalars(
        select(Attachment).where(Attachment.uploaded_by_id == user.id)
        .options(selectinload(Attachment.deviation_update)).order_by(Attachment.id)
    )
    for a in attachments:
        files.append(({
            "kind": "attachment", "id": a.id,
            "deviation_id": a.deviation_update.deviation_id if a.deviation_update else None,
            "activity_id": a.activity_id,
            "original_name": a.original_name, "size": a.size, "sha256": a.sha256, "mimetype": a.mimetype,
            "uploaded_at": _plain(a.uploaded_at),
            "archive_path": f"files/attachments/{a.id}-{_safe_name(a.original_name)}",
        }, a.stored_name))
    return files


def _deviation_entries(user: User) -> list[dict[str, Any]]:
    updates = db.session.scalars(
        select(DeviationUpdate).where(DeviationUpdate.author_id == user.id).order_by(DeviationUpdate.id)
    )
    return [
        {"deviation_id": u.deviation_id, "kind": u.kind, "text": u.text, "created_at": _plain(u.created_at)}
        for u in updates
    ]


def _event(e: AuditEvent) -> dict[str, Any]:
    return {"id": e.id, "at": _plain(e.at), "action": e.action, "object_type": e.object_type,
            "object_id": e.object_id, "field": e.field, "before": e.before, "after": e.after}


def _audit_events(user: User) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    events = db.session.scalars(
        select(AuditEvent).where(or_(
            AuditEvent.actor_id == user.id,
            (AuditEvent.object_type == "User") & (AuditEvent.object_id == user.id),
        )).order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    as_actor = [_event(e) for e in events if e.actor_id == user.id]
    about = [_event(e) for e in events if e.actor_id != user.id]
    return as_actor, about


def personal_data(user: User) -> tuple[dict[str, Any], list[tuple[dict[str, Any], str]]]:
    """The JSON document about ``user`` and the files to put beside it: (the entry that names
    the file in ``archive_path``, its storage key)."""
    files = _files(user)
    declarations = _declarations(user)
    as_actor, about = _audit_events(user)
    document = {
        "format": FORMAT,
        "generated_at": _plain(utcnow()),
        "controller": current_app.config["OPERATOR_NAME"],
        "profile": _profile(user),
        "sign_ins": _sign_ins(user),
        "declarations_signed": declarations,
        "answers_written": _answers(user),
        "clarification_replies_written": _replies(user),
        "files_uploaded": [description for description, _key in files],
        "deviation_entries_written": _deviation_entries(user),
        "audit_events_as_actor": as_actor,
        "audit_events_about_account": about,
    }
    receipts = [(d, d.pop("receipt_key")) for d in declarations if d["receipt_key"]]
    for d in declarations:
        d.pop("receipt_key", None)
    return document, files + receipts


def export_personal_data(user: User, *, actor: User) -> IO[bytes]:
    """Build the ZIP (rewound, ready to send) and record who exported whose data."""
    document, files = personal_data(user)
    archive: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - sent, then closed by the response
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for description, key in files:
            try:
                with storage.open(key) as stream, zf.open(description["archive_path"], "w") as out:
                    while chunk := stream.read(storage.CHUNK):
                        out.write(chunk)
            except storage.MissingObject:
                description["archive_path"] = None
                description["missing_from_storage"] = True
        zf.writestr("personal-data.json", json.dumps(document, ensure_ascii=False, indent=2, default=str))
    archive.seek(0)
    audit.record("user.data_exported", user, actor=actor, supplier_id=user.supplier_id,
                 after={"files": len(files)})
    return archive
