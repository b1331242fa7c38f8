"""The municipality's side: verdicts, clarification rounds, deviations and follow-up activities."""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import codes
from portal.models.base import Base, TimestampMixin, utcnow
from portal.models.buyer import BuyerOwned

if TYPE_CHECKING:
    from portal.models.agreement import Agreement
    from portal.models.followup import Response, Submission
    from portal.models.storage import StoredObject
    from portal.models.supplier import Supplier
    from portal.models.user import User


class QuestionReview(Base):
    """A reviewer's verdict on one question of a response, with comments."""

    __tablename__ = "question_review"
    __table_args__ = (
        UniqueConstraint("response_id", "question_id"),
        CheckConstraint("verdict IS NULL OR verdict IN ('meets', 'partly', 'not_met', 'na')", name="verdict_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(String(20))
    verdict: Mapped[str | None] = mapped_column(String(10))
    # Shown to the supplier when the response is returned or accepted.
    comment_to_supplier: Mapped[str] = mapped_column(Text, default="")
    # Never shown to the supplier.
    internal_note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    response: Mapped[Response] = relationship()
    updated_by: Mapped[User | None] = relationship()


class Clarification(Base):
    """A return for clarification: which questions were reopened and why."""

    __tablename__ = "clarification"
    __table_args__ = (UniqueConstraint("response_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    message: Mapped[str] = mapped_column(Text)
    questions: Mapped[list[str]] = mapped_column(JSON)
    returned_at: Mapped[datetime] = mapped_column(default=utcnow)
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    answered_submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"))

    response: Mapped[Response] = relationship()
    returned_by: Mapped[User | None] = relationship()
    answered_submission: Mapped[Submission | None] = relationship()
    replies: Mapped[list[ClarificationReply]] = relationship(
        back_populates="clarification", cascade="all, delete-orphan", order_by="ClarificationReply.id"
    )

    @property
    def is_answered(self) -> bool:
        return self.answered_submission_id is not None


class ClarificationReply(Base):
    """The supplier's reply to the reviewer on one reopened question of a clarification round.

    Kept with the round it answers, not in the submission's answers: it is said to this
    reviewer about this round, so it must not be copied into next year's response, exported
    with the answers or counted as a changed answer. It can be changed while the round is
    open and is frozen once the resubmission answers the round (``answered_submission_id``).
    """

    __tablename__ = "clarification_reply"
    __table_args__ = (UniqueConstraint("clarification_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clarification_id: Mapped[int] = mapped_column(ForeignKey("clarification.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    clarification: Mapped[Clarification] = relationship(back_populates="replies")
    updated_by: Mapped[User | None] = relationship()


class Deviation(BuyerOwned, TimestampMixin, Base):
    """An avvik (DOMAIN 5): what was found, where in the chain, and what is done about it."""

    __tablename__ = "deviation"
    __table_args__ = (
        CheckConstraint(
            "status IN ('REGISTERED', 'NOTIFIED', 'AWAITING_CAP', 'IN_PROGRESS', 'VERIFYING', "
            "'CLOSED_OK', 'ESCALATED', 'CLOSED_NOT_OK', 'WITHDRAWN')",
            name="status_known",
        ),
        CheckConstraint(
            "severity IN ('CRITICAL', 'MAJOR', 'MINOR', 'OBS')", name="severity_known"
        ),
        CheckConstraint(
            "tier IN ('T0', 'TI', 'T1', 'T2', 'T3', 'TL', 'TS', 'TU')", name="tier_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreement.id"), index=True)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("response.id"), index=True)
    question_id: Mapped[str | None] = mapped_column(String(20))
    type: Mapped[str] = mapped_column(String(12), index=True)
    severity: Mapped[str] = mapped_column(String(10), default="MAJOR")
    tier: Mapped[str] = mapped_column(String(3), default="TU")
    country: Mapped[str | None] = mapped_column(String(2))
    # A production site is confidential and never appears in public outputs.
    site: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    detected_date: Mapped[date] = mapped_column(index=True)
    detected_by: Mapped[str] = mapped_column(String(10), default="SAQ")
    root_cause: Mapped[str] = mapped_column(Text, default="")
    measures: Mapped[list[str]] = mapped_column(JSON, default=list)
    measures_text: Mapped[str] = mapped_column(Text, default="")
    responsible: Mapped[str] = mapped_column(String(200), default="")
    deadline: Mapped[date | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(15), default="REGISTERED", index=True)
    closed_date: Mapped[date | None] = mapped_column()
    remediation_for_workers: Mapped[str] = mapped_column(Text, default="")
    internal_note: Mapped[str] = mapped_column(Text, default="")
    # Proposed automatically from a gate answer or verdict until a reviewer confirms it.
    is_proposed: Mapped[bool] = mapped_column(default=False, index=True)
    supplier_plan: Mapped[str] = mapped_column(Text, default="")
    #: The plan's actions as the supplier gave them: [{"action", "responsible", "deadline"}]
    #: (deadline as yyyy-mm-dd); ``supplier_plan`` is the same plan as text, for e-mails.
    plan_actions: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list, server_default="[]")
    supplier_plan_at: Mapped[datetime | None] = mapped_column()
    plan_approved_at: Mapped[datetime | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    overdue_notified_at: Mapped[datetime | None] = mapped_column()

    supplier: Mapped[Supplier] = relationship()
    agreement: Mapped[Agreement | None] = relationship()
    response: Mapped[Response | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    updates: Mapped[list[DeviationUpdate]] = relationship(
        back_populates="deviation", order_by="DeviationUpdate.created_at", cascade="all, delete-orphan"
    )

    @property
    def is_open(self) -> bool:
        return self.status in codes.OPEN_DEVIATION_STATUSES

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.deadline is not None and self.deadline < today

    def can_view(self, user: User) -> bool:
        if self.is_proposed:
            return user.is_staff
        return user.is_staff or (user.is_supplier and user.supplier_id == self.supplier_id)

    def is_own(self, user: User) -> bool:
        """A confirmed deviation of the user's own organisation (suppliers only)."""
        return user.is_supplier and not self.is_proposed and user.supplier_id == self.supplier_id

    def can_propose_plan(self, user: User) -> bool:
        return self.is_own(user) and self.status in codes.PLAN_DEVIATION_STATUSES

    def can_report_progress(self, user: User) -> bool:
        return self.is_own(user) and self.status in codes.PROGRESS_DEVIATION_STATUSES

    def can_report_closure(self, user: User) -> bool:
        return self.is_own(user) and self.status in codes.CLOSURE_DEVIATION_STATUSES

    def can_approve_plan(self, user: User) -> bool:
        return (
            self.is_led_by(user)
            and not self.is_proposed
            and self.status == "AWAITING_CAP"
            and bool(self.supplier_plan)
        )

    def can_change_status(self, user: User) -> bool:
        return self.is_led_by(user) and not self.is_proposed

    def is_led_by(self, user: User) -> bool:
        """Staff of the deviation's own buyer; participants of a joint agreement only read it."""
        return user.is_staff and user.buyer_id == self.buyer_id


class DeviationUpdate(Base):
    """A dated entry on a deviation: the supplier's plan, progress, evidence, or a status change."""

    __tablename__ = "deviation_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    deviation_id: Mapped[int] = mapped_column(ForeignKey("deviation.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # plan, progress, closure, status, note
    text: Mapped[str] = mapped_column(Text, default="")
    status_before: Mapped[str | None] = mapped_column(String(15))
    status_after: Mapped[str | None] = mapped_column(String(15))
    is_internal: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    deviation: Mapped[Deviation] = relationship(back_populates="updates")
    author: Mapped[User | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(back_populates="deviation_update")


class FollowUpActivity(BuyerOwned, TimestampMixin, Base):
    """A dated follow-up event (DOMAIN 7.2); these are what 4.A.2 counts."""

    __tablename__ = "follow_up_activity"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('questionnaire_reviewed', 'status_meeting', 'document_review', 'site_audit', "
            "'social_dialogue_evidence_reviewed', 'spot_check', 'supply_chain_info_request', "
            "'shared_self_assessment', 'reused_follow_up')",
            name="kind_known",
        ),
        CheckConstraint(
            "(kind IN ('shared_self_assessment', 'reused_follow_up')) = (share_id IS NOT NULL)",
            name="shared_kinds_have_share",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    date: Mapped[date] = mapped_column(index=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("response.id"))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Withdrawn (recorded in error): it leaves the figures and stays in the history.
    withdrawn_at: Mapped[datetime | None] = mapped_column()
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Recorded afterwards: follow-up done before the buyer used Aktsom or outside it (issue 16).
    backfilled: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A shared self-assessment or a reused follow-up: the share (the supplier's consent) it
    # rests on, the buyer whose follow-up it comes from and the date of that follow-up
    # (the source's acceptance); named in 4.A.2 by method.
    share_id: Mapped[int | None] = mapped_column(ForeignKey("response_share.id"), index=True)
    source_buyer_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    source_date: Mapped[dt.date | None] = mapped_column()

    agreement: Mapped[Agreement] = relationship()
    supplier: Mapped[Supplier] = relationship()
    response: Mapped[Response | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id])
    attachments: Mapped[list[Attachment]] = relationship(back_populates="activity")

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    def can_correct(self, user: User) -> bool:
        """Edit or withdraw: staff of the activity's own buyer (a joint agreement's participants
        only read the lead's), while it counts."""
        return user.is_staff and user.buyer_id == self.buyer_id and not self.is_withdrawn


class Attachment(Base):
    """A file on a deviation update or a follow-up activity (stored like evidence files)."""

    __tablename__ = "attachment"
    __table_args__ = (
        CheckConstraint(
            "(deviation_update_id IS NOT NULL) <> (activity_id IS NOT NULL)", name="one_owner"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deviation_update_id: Mapped[int | None] = mapped_column(ForeignKey("deviation_update.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("follow_up_activity.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(ForeignKey("stored_object.key"), index=True)
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    mimetype: Mapped[str] = mapped_column(String(120))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    deviation_update: Mapped[DeviationUpdate | None] = relationship(back_populates="attachments")
    activity: Mapped[FollowUpActivity | None] = relationship(back_populates="attachments")
    uploaded_by: Mapped[User | None] = relationship()
    stored: Mapped[StoredObject] = relationship()


class ReportText(BuyerOwned, TimestampMixin, Base):
    """Texts of the annual report kept per year, e.g. the edited 4.A.1 description."""

    __tablename__ = "report_text"
    __table_args__ = (UniqueConstraint("buyer_id", "year", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    key: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
