"""Retention: evidence files, receipts and answers are deleted some years after their
agreement ended (``RETENTION_EVIDENCE_YEARS``, ``RETENTION_RECEIPTS_YEARS``,
``RETENTION_ANSWERS_YEARS``; empty keeps them for ever).

What goes: the evidence files of the agreement's responses (rows and stored objects), the
receipt PDFs of their submissions, and the answers (the drafts and the frozen copies in the
submissions). A supplier's company answers (issue 14) serve every response of its year and
questionnaire version, whatever the agreement: their answers and files go when the period of
the last agreement among those responses is over (that agreement is named with them).
What stays: the responses with their status and dates, the submissions'
list of files (name, size, SHA-256), verdicts, deviations, activities and the audit trail,
so that every report figure, which is counted from those records and never from files,
stays the same. An agreement without an end date never expires.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, delete, exists, func, or_, select, update

from portal import audit, storage
from portal.extensions import db
from portal.models import (
    Agreement,
    Answer,
    Attachment,
    Clarification,
    ClarificationReply,
    CompanyAnswerSet,
    EvidenceFile,
    FollowUpRound,
    Response,
    Submission,
)

log = logging.getLogger(__name__)

KINDS = ("evidence", "receipts", "answers")
SETTINGS = {"evidence": "RETENTION_EVIDENCE_YEARS", "receipts": "RETENTION_RECEIPTS_YEARS",
            "answers": "RETENTION_ANSWERS_YEARS"}


@dataclass(frozen=True)
class Expired:
    """One thing whose retention period is over."""

    kind: str  # one of KINDS
    agreement_id: int
    agreement_reference: str
    agreement_ended: date
    record_id: int  # the evidence file, the submission (receipt), the response or company answers (answers)
    key: str | None  # the stored object, for evidence files and receipts
    description: str
    company_set_id: int | None = None  # answers: those of the supplier's company answers, not a response's


def retention_years(kind: str) -> int | None:
    """The years ``kind`` is kept after its agreement ended; None: kept for ever."""
    value = current_app.config.get(SETTINGS[kind])
    if value is None or value == "":
        return None
    years = int(value)
    if years < 0:
        raise ValueError(f"{SETTINGS[kind]} must be 0 or more years, not {years}")
    return years


def retention_periods() -> list[tuple[str, int | None]]:
    """(what, years) for the privacy page, in the order of KINDS."""
    labels = {"evidence": _("Evidence files"), "receipts": _("Receipts (PDF) of submitted declarations"),
              "answers": _("Answers, also those frozen in submissions")}
    return [(labels[kind], retention_years(kind)) for kind in KINDS]


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def _expired_agreements(kind: str, today: date) -> list[Agreement]:
    years = retention_years(kind)
    if years is None:
        return []
    cutoff = _years_before(today, years)
    return list(db.session.scalars(
        select(Agreement).where(Agreement.end_date.is_not(None), Agreement.end_date < cutoff)
        .order_by(Agreement.end_date, Agreement.id)
    ))


def find_expired(today: date) -> list[Expired]:
    """Everything whose retention period ended before ``today``, in a stable order."""
    found: list[Expired] = []
    for agreement in _expired_agreements("evidence", today):
        files = db.session.scalars(
            select(EvidenceFile).join(Response, Response.id == EvidenceFile.response_id)
            .where(Response.agreement_id == agreement.id).order_by(EvidenceFile.id))
        found.extend(_entry("evidence", agreement, f.id, f.stored_name, f.original_name) for f in files)
    for agreement in _expired_agreements("receipts", today):
        submissions = db.session.scalars(
            select(Submission).join(Response, Response.id == Submission.response_id)
            .where(Response.agreement_id == agreement.id, Submission.receipt_name.is_not(None))
            .order_by(Submission.id))
        found.extend(_entry("receipts", agreement, s.id, s.receipt_name,
                            f"response {s.response_id}, submission {s.number}") for s in submissions)
    for agreement in _expired_agreements("answers", today):
        responses = select(Response.id).where(Response.agreement_id == agreement.id)
        with_answers: set[int] = {rid for rid in db.session.scalars(
            select(Answer.response_id).where(Answer.response_id.in_(responses))) if rid is not None}
        # (The JSON column has no equality operator on PostgreSQL: the snapshots are looked at here.)
        with_answers.update(s.response_id for s in db.session.scalars(
            select(Submission).where(Submission.response_id.in_(responses))) if s.answers)
        found.extend(_entry("answers", agreement, rid, None, f"response {rid}") for rid in sorted(with_answers))
    found.extend(_expired_company_answers(today))
    return found


def _expired_company_sets(kind: str, today: date) -> list[tuple[CompanyAnswerSet, Agreement]]:
    """Company answers every response of which is on an agreement whose ``kind`` period is
    over, each with the agreement that ended last. Answers no response uses are kept."""
    years = retention_years(kind)
    if years is None:
        return []
    cutoff = _years_before(today, years)
    used_by = (
        select(
            CompanyAnswerSet.id.label("set_id"),
            func.count(Response.id).label("responses"),
            func.count(Agreement.end_date).label("ended"),
            func.max(Agreement.end_date).label("last_end"),
        )
        .join(FollowUpRound, and_(FollowUpRound.year == CompanyAnswerSet.year,
                                  FollowUpRound.questionnaire_version_id == CompanyAnswerSet.questionnaire_version_id))
        .join(Response, and_(Response.round_id == FollowUpRound.id,
                             Response.supplier_id == CompanyAnswerSet.supplier_id))
        .join(Agreement, Agreement.id == Response.agreement_id)
        .group_by(CompanyAnswerSet.id)
        .subquery()
    )
    expired = {row.set_id: row.last_end for row in db.session.execute(
        select(used_by).where(used_by.c.responses == used_by.c.ended, used_by.c.last_end < cutoff))}
    found = []
    for company in db.session.scalars(select(CompanyAnswerSet).where(CompanyAnswerSet.id.in_(expired))
                                      .order_by(CompanyAnswerSet.id)):
        last = min((r.agreement for r in company.responses if r.agreement.end_date == expired[company.id]),
                   key=lambda a: a.id)
        found.append((company, last))
    return found


def _expired_company_answers(today: date) -> list[Expired]:
    found: list[Expired] = []
    for company, agreement in _expired_company_sets("evidence", today):
        found.extend(_entry("evidence", agreement, f.id, f.stored_name, f.original_name)
                     for f in sorted(company.files, key=lambda f: f.id))
    for company, agreement in _expired_company_sets("answers", today):
        if db.session.scalar(select(exists().where(Answer.company_set_id == company.id))):
            found.append(_entry("answers", agreement, company.id, None,
                                f"company answers {company.id} ({company.year})", company_set_id=company.id))
    return found


def _entry(kind: str, agreement: Agreement, record_id: int, key: str | None, description: str, *,
           company_set_id: int | None = None) -> Expired:
    assert agreement.end_date is not None  # noqa: S101 - selected on it
    return Expired(kind, agreement.id, agreement.reference, agreement.end_date, record_id, key, description,
                   company_set_id)


def _unused(key: str) -> bool:
    """Does no record still use the stored object? (A copy of last year's file shares it.)"""
    return not db.session.scalar(select(or_(
        exists().where(EvidenceFile.stored_name == key),
        exists().where(Attachment.stored_name == key),
        exists().where(Submission.receipt_name == key),
    )))


def apply_retention(today: date, *, dry_run: bool = False) -> list[Expired]:
    """Delete what has expired (files through ``portal.storage``, once the caller commits);
    log each deletion and record one audit event per agreement. Flushes, never commits.
    With ``dry_run`` nothing changes: the list says what would go."""
    found = find_expired(today)
    if dry_run or not found:
        return found
    keys: list[str] = []
    evidence_ids = [e.record_id for e in found if e.kind == "evidence"]
    if evidence_ids:
        # A later copy of a file remembers where it came from; it stays, the link goes.
        db.session.execute(update(EvidenceFile).where(EvidenceFile.copied_from_id.in_(evidence_ids))
                           .values(copied_from_id=None))
        for evidence in db.session.scalars(select(EvidenceFile).where(EvidenceFile.id.in_(evidence_ids))):
            keys.append(evidence.stored_name)
            db.session.delete(evidence)
    receipt_ids = [e.record_id for e in found if e.kind == "receipts"]
    for submission in db.session.scalars(select(Submission).where(Submission.id.in_(receipt_ids))):
        if submission.receipt_name is not None:
            keys.append(submission.receipt_name)
        submission.receipt_name = None
        submission.receipt_sha256 = None
    answer_responses = [e.record_id for e in found if e.kind == "answers" and e.company_set_id is None]
    answer_sets = [e.company_set_id for e in found if e.kind == "answers" and e.company_set_id is not None]
    for answer in db.session.scalars(select(Answer).where(or_(Answer.response_id.in_(answer_responses),
                                                              Answer.company_set_id.in_(answer_sets)))):
        db.session.delete(answer)
    for submission in db.session.scalars(select(Submission).where(Submission.response_id.in_(answer_responses))):
        submission.answers = {}
    # The supplier's replies to reviewers are its answers' companions: they go with them.
    db.session.execute(delete(ClarificationReply).where(ClarificationReply.clarification_id.in_(
        select(Clarification.id).where(Clarification.response_id.in_(answer_responses)))))
    db.session.flush()
    for key in dict.fromkeys(keys):
        if _unused(key):
            storage.delete(key)
    for entry in found:
        log.info("retention_deleted kind=%s agreement=%s ended=%s record=%s key=%s", entry.kind,
                 entry.agreement_reference, entry.agreement_ended, entry.record_id, entry.key or "")
    _audit(found)
    return found


def _audit(found: Iterable[Expired]) -> None:
    counts: dict[int, dict[str, int]] = {}
    for entry in found:
        per_kind = counts.setdefault(entry.agreement_id, dict.fromkeys(KINDS, 0))
        per_kind[entry.kind] += 1
    for agreement in db.session.scalars(select(Agreement).where(Agreement.id.in_(counts))):
        audit.record("retention.deleted", agreement, actor=None,
                     after={**counts[agreement.id],
                            "years": {kind: retention_years(kind) for kind in KINDS}})
