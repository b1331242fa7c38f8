"""Sharing a submitted response with another buyer, and what the receiver does with it.

The supplier side (``grant_share``, ``revoke_share``) runs in a supplier's session, which
tenancy does not scope; routes check the supplier owns the response. The receiving side runs
in a staff session scoped to the receiving buyer: the share itself is that buyer's record
(``ResponseShare.buyer_id``), so another buyer's staff find nothing. The source buyer's
response and submission are read by ``load_received`` alone, with the scoping lifted for those
statements only (``ALL_BUYERS``) and only through an active share: the source buyer's
verdicts, notes, deviations and activities are never read here.

Functions audit, flush and never commit (routes commit once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from portal import audit, clock
from portal.codes import VERDICTS
from portal.extensions import db
from portal.models import (
    Agreement,
    Buyer,
    EvidenceFile,
    FollowUpActivity,
    FollowUpRound,
    Response,
    ResponseShare,
    ResponseStatus,
    ShareReview,
    Submission,
    Supplier,
    User,
    agreement_supplier,
    utcnow,
)
from portal.questionnaires import engine
from portal.questionnaires.definition import Definition, Section
from portal.review.services import _answers, snapshot_files
from portal.tenancy import ALL_BUYERS

#: A response is shared as submitted: once submitted (or resubmitted) and after acceptance.
SHAREABLE_STATUSES = (ResponseStatus.SUBMITTED.value, ResponseStatus.RESUBMITTED.value,
                      ResponseStatus.ACCEPTED.value)
#: The Swedish regions' rule (DOMAIN 8.1): another buyer's result is reused only when it is
#: from the last three years.
REUSE_YEARS = 3

_EVERY_BUYER = {ALL_BUYERS: True}


class ShareError(Exception):
    """The share or the activity cannot be made; ``reason`` says why (routes word it)."""

    def __init__(self, reason: str, **details: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


# The supplier's side


def source_buyer_of(response: Response) -> Buyer:
    buyer = db.session.get(Buyer, response.agreement.buyer_id, execution_options=_EVERY_BUYER)
    assert buyer is not None
    return buyer


def shareable_buyers(response: Response) -> list[Buyer]:
    """The buyers the supplier may share the response with: every other buyer that owns an
    agreement (not archived) with the supplier. Taking part in a joint agreement does not
    count: a participant already reads the lead's follow-up of that agreement."""
    with_agreement = (
        select(Agreement.buyer_id)
        .join(agreement_supplier, agreement_supplier.c.agreement_id == Agreement.id)
        .where(agreement_supplier.c.supplier_id == response.supplier_id,
               Agreement.archived_at.is_(None))
    )
    return list(db.session.scalars(
        select(Buyer)
        .where(Buyer.id.in_(with_agreement), Buyer.id != response.agreement.buyer_id,
               Buyer.archived_at.is_(None))
        .order_by(Buyer.name)
        .execution_options(**_EVERY_BUYER)
    ))


def shared_submission(response: Response) -> Submission | None:
    """The submission a share of the response would give: the latest, once submitted."""
    if response.status not in SHAREABLE_STATUSES:
        return None
    return response.latest_submission


def shares_of(response: Response) -> list[ResponseShare]:
    return list(db.session.scalars(
        select(ResponseShare).where(ResponseShare.response_id == response.id)
        .options(joinedload(ResponseShare.buyer), joinedload(ResponseShare.granted_by),
                 joinedload(ResponseShare.revoked_by))
        .order_by(ResponseShare.granted_at.desc(), ResponseShare.id.desc())
        .execution_options(**_EVERY_BUYER)
    ))


def _share_record(share: ResponseShare) -> dict[str, Any]:
    return {"response_id": share.response_id, "submission": share.submission_number,
            "receiving_buyer_id": share.buyer_id, "source_buyer_id": share.source_buyer_id,
            "source_buyer": share.source_buyer_name}


def grant_share(response: Response, buyer_id: int, *, actor: User) -> ResponseShare:
    """The supplier's consent: ``buyer_id`` may read the response's latest submission."""
    submission = shared_submission(response)
    if submission is None:
        raise ShareError("not_submitted")
    if buyer_id not in {buyer.id for buyer in shareable_buyers(response)}:
        raise ShareError("no_agreement")
    already = db.session.scalar(
        select(func.count(ResponseShare.id)).where(
            ResponseShare.submission_id == submission.id, ResponseShare.buyer_id == buyer_id,
            ResponseShare.revoked_at.is_(None),
        ).execution_options(**_EVERY_BUYER)
    )
    if already:
        raise ShareError("already_shared")
    source = source_buyer_of(response)
    share = ResponseShare(
        buyer_id=buyer_id, supplier_id=response.supplier_id, response_id=response.id,
        submission_id=submission.id, submission_number=submission.number,
        source_buyer_id=source.id, source_buyer_name=source.name, granted_at=utcnow(),
        granted_by_id=actor.id,
    )
    db.session.add(share)
    db.session.flush()
    # In the receiving buyer's trail: the share is its record (and its staff's consent log).
    audit.record("share.granted", share, actor=actor, supplier_id=response.supplier_id,
                 buyer_id=buyer_id, after=_share_record(share))
    return share


def revoke_share(share: ResponseShare, *, actor: User) -> ResponseShare:
    """Revoking stops future access; what the receiver recorded from it stays."""
    if share.revoked_at is not None:
        raise ShareError("revoked")
    share.revoked_at = utcnow()
    share.revoked_by_id = actor.id
    db.session.flush()
    audit.record("share.revoked", share, actor=actor, supplier_id=share.supplier_id,
                 buyer_id=share.buyer_id, before=_share_record(share),
                 after={**_share_record(share), "revoked": True})
    return share


# The receiving buyer's side


@dataclass
class Received:
    """An active share with the source's records it admits, read with the scoping lifted."""

    share: ResponseShare
    submission: Submission
    response: Response

    @property
    def definition_and_sections(self) -> tuple[Definition, tuple[Section, ...]]:
        definition = engine.definition_of(self.response.round.questionnaire_version)
        return definition, engine.sections_for_agreement(definition, self.response.agreement)

    @property
    def answers(self) -> dict[str, dict[str, Any]]:
        return _answers(self.submission.answers)

    @property
    def files(self) -> Any:
        return snapshot_files(self.submission)

    @property
    def accepted_on(self) -> date | None:
        """When the source buyer accepted the response (for a reused follow-up)."""
        accepted = self.response.accepted_at
        if self.response.status != ResponseStatus.ACCEPTED.value or accepted is None:
            return None
        return clock.day_of(accepted)


def received_shares() -> list[ResponseShare]:
    """The scoped buyer's active shares, newest first (the share rows are its own)."""
    return list(db.session.scalars(
        select(ResponseShare).where(ResponseShare.revoked_at.is_(None))
        .order_by(ResponseShare.granted_at.desc(), ResponseShare.id.desc())
    ))


def supplier_names(shares: Sequence[ResponseShare]) -> dict[int, str]:
    """The names of the suppliers that shared (organisations are shared between buyers)."""
    ids = {share.supplier_id for share in shares}
    if not ids:
        return {}
    return {id_: name for id_, name in db.session.execute(
        select(Supplier.id, Supplier.name).where(Supplier.id.in_(ids))
        .execution_options(**_EVERY_BUYER)
    )}


def load_received(share_id: int) -> Received | None:
    """An active share of the scoped buyer, with the shared submission and its response.

    The share is looked up under the session's scoping (another buyer's share is not found);
    only then are the submission and the response read with the scoping lifted, by their ids
    from the share, in one statement each: the source buyer's other records stay out of reach.
    """
    share = db.session.scalar(select(ResponseShare).where(ResponseShare.id == share_id))
    if share is None or share.revoked_at is not None:
        return None
    submission = db.session.scalar(
        select(Submission).where(Submission.id == share.submission_id,
                                 Submission.response_id == share.response_id)
        .execution_options(**_EVERY_BUYER)
    )
    response = db.session.scalar(
        select(Response).where(Response.id == share.response_id,
                               Response.supplier_id == share.supplier_id)
        .options(joinedload(Response.round).joinedload(FollowUpRound.questionnaire_version),
                 joinedload(Response.agreement), joinedload(Response.supplier))
        .execution_options(**_EVERY_BUYER)
    )
    if submission is None or response is None:
        return None
    return Received(share=share, submission=submission, response=response)


def shared_file(received: Received, file_id: int) -> EvidenceFile | None:
    """A file the shared submission lists (never another of the response's files)."""
    listed = {int(item["id"]) for item in received.submission.files or [] if "id" in item}
    if file_id not in listed:
        return None
    return db.session.scalar(
        select(EvidenceFile).where(EvidenceFile.id == file_id,
                                   EvidenceFile.response_id == received.response.id)
        .execution_options(**_EVERY_BUYER)
    )


def record_view(received: Received, *, actor: User, what: str = "page",
                file_id: int | None = None) -> None:
    audit.record("share.viewed", received.share, actor=actor,
                 supplier_id=received.share.supplier_id, buyer_id=received.share.buyer_id,
                 field=what, after={"file_id": file_id} if file_id is not None else None)


def verdicts_of(share: ResponseShare) -> dict[str, ShareReview]:
    rows = db.session.scalars(select(ShareReview).where(ShareReview.share_id == share.id))
    return {row.question_id: row for row in rows}


@dataclass(frozen=True)
class ShareVerdict:
    question_id: str
    verdict: str | None
    comment: str = ""


def save_verdicts(received: Received, entries: Sequence[ShareVerdict], *, actor: User) -> list[str]:
    """The receiving buyer's own verdicts on the shared submission; returns the questions
    changed. A question outside the questionnaire or a verdict outside the list refuses the
    whole save before anything changes."""
    _definition, sections = received.definition_and_sections
    known = {q.id for section in sections for q in section.questions}
    unknown = sorted({e.question_id for e in entries if e.question_id not in known})
    if unknown:
        raise ShareError("unknown_question", questions=unknown)
    wrong = sorted({e.question_id for e in entries if e.verdict and e.verdict not in VERDICTS})
    if wrong:
        raise ShareError("unknown_verdict", questions=wrong)
    share = received.share
    existing = verdicts_of(share)
    changed: list[str] = []
    for entry in entries:
        review = existing.get(entry.question_id)
        before = (review.verdict, review.comment) if review else (None, "")
        after = (entry.verdict or None, entry.comment)
        if before == after:
            continue
        if review is None:
            review = ShareReview(share_id=share.id, buyer_id=share.buyer_id,
                                 question_id=entry.question_id, comment="")
            db.session.add(review)
            existing[entry.question_id] = review
        review.verdict, review.comment = after
        review.updated_at = utcnow()
        review.updated_by_id = actor.id
        audit.record("share_verdict.changed", share, actor=actor, supplier_id=share.supplier_id,
                     buyer_id=share.buyer_id, field=entry.question_id,
                     before={"verdict": before[0], "comment": before[1]},
                     after={"verdict": after[0], "comment": after[1]})
        changed.append(entry.question_id)
    db.session.flush()
    return changed


def agreement_choices(received: Received, year: int | None) -> list[Agreement]:
    """The scoped buyer's own agreements with the supplier, not archived, active in ``year``
    (any year: None)."""
    return [
        agreement for agreement in db.session.scalars(
            select(Agreement)
            .join(agreement_supplier, agreement_supplier.c.agreement_id == Agreement.id)
            .where(agreement_supplier.c.supplier_id == received.share.supplier_id,
                   Agreement.buyer_id == received.share.buyer_id,
                   Agreement.archived_at.is_(None))
            .order_by(Agreement.name_nb, Agreement.id)
        )
        if year is None or agreement.is_active_in(year)
    ]


def _agreement_for(received: Received, agreement_id: int, year: int) -> Agreement:
    for agreement in agreement_choices(received, year):
        if agreement.id == agreement_id:
            return agreement
    raise ShareError("agreement", year=year)


def activities_of(share: ResponseShare) -> list[FollowUpActivity]:
    """What this buyer recorded from the share (its own activities)."""
    return list(db.session.scalars(
        select(FollowUpActivity).where(FollowUpActivity.share_id == share.id)
        .options(joinedload(FollowUpActivity.agreement))
        .order_by(FollowUpActivity.date, FollowUpActivity.id)
    ))


def _activity_record(activity: FollowUpActivity) -> dict[str, Any]:
    return {"kind": activity.kind, "date": activity.date.isoformat(),
            "agreement_id": activity.agreement_id, "supplier_id": activity.supplier_id,
            "share_id": activity.share_id, "source_buyer": activity.source_buyer_name,
            "source_date": activity.source_date.isoformat() if activity.source_date else None}


def _counted_for(received: Received, kind: str, agreement: Agreement) -> bool:
    return bool(db.session.scalar(
        select(func.count(FollowUpActivity.id)).where(
            FollowUpActivity.share_id == received.share.id, FollowUpActivity.kind == kind,
            FollowUpActivity.agreement_id == agreement.id,
            FollowUpActivity.withdrawn_at.is_(None),
        )
    ))


def _record_activity(received: Received, kind: str, day: date, agreement: Agreement,
                     source_date: date, *, actor: User) -> FollowUpActivity:
    share = received.share
    activity = FollowUpActivity(
        kind=kind, date=day, agreement_id=agreement.id, buyer_id=share.buyer_id,
        supplier_id=share.supplier_id, share_id=share.id,
        source_buyer_name=share.source_buyer_name, source_date=source_date, notes="",
        created_by_id=actor.id,
    )
    db.session.add(activity)
    db.session.flush()
    audit.record("activity.created", activity, actor=actor, supplier_id=share.supplier_id,
                 buyer_id=share.buyer_id, after=_activity_record(activity))
    return activity


def accept_as_follow_up(received: Received, agreement_id: int, *, actor: User,
                        today: date) -> FollowUpActivity:
    """Accept the shared self-assessment as the buyer's own follow-up of the supplier on one
    of its agreements active this year: a ``shared_self_assessment`` activity dated today,
    naming the source buyer and the date the supplier submitted."""
    agreement = _agreement_for(received, agreement_id, today.year)
    if _counted_for(received, "shared_self_assessment", agreement):
        raise ShareError("already_recorded")
    return _record_activity(received, "shared_self_assessment", today, agreement,
                            clock.day_of(received.submission.submitted_at), actor=actor)


def reuse_cutoff(day: date) -> date:
    """The oldest acceptance date a follow-up dated ``day`` may reuse (three years before)."""
    try:
        return day.replace(year=day.year - REUSE_YEARS)
    except ValueError:  # 29 February
        return day.replace(year=day.year - REUSE_YEARS, day=28)


def reuse_follow_up(received: Received, agreement_id: int, day: date, *, actor: User,
                    today: date) -> FollowUpActivity:
    """Record the source buyer's accepted follow-up as reused by this buyer (DOMAIN 8.1):
    only an accepted response, accepted no more than three years before ``day``."""
    accepted = received.accepted_on
    if accepted is None:
        raise ShareError("not_accepted")
    if day > today:
        raise ShareError("future")
    if accepted > day:
        raise ShareError("before_acceptance", accepted=accepted)
    if accepted < reuse_cutoff(day):
        raise ShareError("too_old", accepted=accepted, cutoff=reuse_cutoff(day))
    agreement = _agreement_for(received, agreement_id, day.year)
    if _counted_for(received, "reused_follow_up", agreement):
        raise ShareError("already_recorded")
    return _record_activity(received, "reused_follow_up", day, agreement, accepted, actor=actor)
