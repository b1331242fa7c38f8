"""Questionnaire versions, follow-up rounds and the responses suppliers fill in."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from flask_babel import get_locale
from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, object_session, orm_insert_sentinel, relationship

from portal.models.base import Base, TimestampMixin, utcnow
from portal.models.buyer import BuyerOwned

if TYPE_CHECKING:
    from portal.models.agreement import Agreement
    from portal.models.storage import StoredObject
    from portal.models.supplier import Supplier
    from portal.models.user import User


class ResponseStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    RESUBMITTED = "resubmitted"
    ACCEPTED = "accepted"


EDITABLE_STATUSES = (ResponseStatus.NOT_STARTED, ResponseStatus.IN_PROGRESS, ResponseStatus.RETURNED)
AWAITING_REVIEW = (ResponseStatus.SUBMITTED, ResponseStatus.RESUBMITTED)


class QuestionnaireVersion(Base):
    """A published questionnaire definition. Its content never changes once stored."""

    __tablename__ = "questionnaire_version"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    version: Mapped[str] = mapped_column(String(40))
    title_nb: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    # Read only to parse a version not yet in the process's cache (keyed by content_hash): a page
    # that loads the round's version with every request need not fetch its ~70 kB each time.
    content: Mapped[str] = mapped_column(Text, deferred=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(200), default="")
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    published_by: Mapped[User | None] = relationship()

    @property
    def title(self) -> str:
        return self.title_en if str(get_locale()) == "en" else self.title_nb

    @property
    def label(self) -> str:
        return f"{self.title} ({self.version})"


class FollowUpRound(BuyerOwned, TimestampMixin, Base):
    """A yearly follow-up (oppfølgingsrunde): one questionnaire version, one deadline."""

    __tablename__ = "follow_up_round"
    __table_args__ = (CheckConstraint("year BETWEEN 2000 AND 2100", name="year_plausible"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    name_nb: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    deadline: Mapped[date]
    intro_nb: Mapped[str] = mapped_column(Text, default="")
    intro_en: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Entered afterwards for a past year (issue 16): a past deadline, the agreements active in
    # its year, acceptances dated within the year, and no e-mail to suppliers.
    is_historical: Mapped[bool] = mapped_column(default=False, server_default=false())

    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()
    created_by: Mapped[User | None] = relationship()
    responses: Mapped[list[Response]] = relationship(back_populates="round")

    @property
    def name(self) -> str:
        return self.name_en if str(get_locale()) == "en" else self.name_nb

    @property
    def intro(self) -> str:
        return self.intro_en if str(get_locale()) == "en" and self.intro_en else self.intro_nb


class Response(TimestampMixin, Base):
    """One supplier's answer to one round for one agreement (besvarelse)."""

    __tablename__ = "response"
    __table_args__ = (
        UniqueConstraint("round_id", "agreement_id", "supplier_id"),
        CheckConstraint(
            "status IN ('not_started', 'in_progress', 'submitted', 'returned', 'resubmitted', 'accepted')",
            name="status_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("follow_up_round.id"), index=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=ResponseStatus.NOT_STARTED.value, index=True)
    deadline: Mapped[date]
    # The questions a reviewer reopened when returning the response for clarification.
    reopened_questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    invited_at: Mapped[datetime | None] = mapped_column()
    started_at: Mapped[datetime | None] = mapped_column()
    submitted_at: Mapped[datetime | None] = mapped_column()
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    accepted_at: Mapped[datetime | None] = mapped_column()
    reminded_14_at: Mapped[datetime | None] = mapped_column()
    reminded_3_at: Mapped[datetime | None] = mapped_column()
    reminded_overdue_at: Mapped[datetime | None] = mapped_column()

    round: Mapped[FollowUpRound] = relationship(back_populates="responses")
    agreement: Mapped[Agreement] = relationship()
    supplier: Mapped[Supplier] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    answers: Mapped[list[Answer]] = relationship(back_populates="response", cascade="all, delete-orphan")
    files: Mapped[list[EvidenceFile]] = relationship(
        back_populates="response", order_by="EvidenceFile.uploaded_at"
    )
    submissions: Mapped[list[Submission]] = relationship(
        back_populates="response", order_by="Submission.number"
    )

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def is_awaiting_review(self) -> bool:
        return self.status in AWAITING_REVIEW

    def is_overdue(self, today: date) -> bool:
        return self.deadline < today and self.status in (
            ResponseStatus.NOT_STARTED, ResponseStatus.IN_PROGRESS, ResponseStatus.RETURNED
        )

    def can_view(self, user: User) -> bool:
        return user.is_staff or (user.is_supplier and user.supplier_id == self.supplier_id)

    def can_edit(self, user: User) -> bool:
        return user.is_supplier and user.supplier_id == self.supplier_id and self.is_editable

    def can_edit_question(self, user: User, question_id: str) -> bool:
        if not self.can_edit(user):
            return False
        if self.status == ResponseStatus.RETURNED and self.reopened_questions:
            return question_id in self.reopened_questions
        return True

    def can_reply(self, user: User, question_id: str) -> bool:
        """A reply to the reviewer on a question reopened for clarification: the response's own
        supplier, while it is returned (the resubmission freezes the reply)."""
        return (self.can_edit(user) and self.status == ResponseStatus.RETURNED
                and question_id in (self.reopened_questions or ()))

    def can_submit(self, user: User) -> bool:
        return self.can_edit(user)

    def can_review(self, user: User) -> bool:
        """Verdicts, returning and accepting: staff, while the response awaits review."""
        return self.agreement.is_led_by(user) and self.is_awaiting_review

    def can_reopen(self, user: User) -> bool:
        return self.agreement.is_led_by(user) and self.status == ResponseStatus.ACCEPTED

    @property
    def latest_submission(self) -> Submission | None:
        return self.submissions[-1] if self.submissions else None


class CompanyAnswerSet(TimestampMixin, Base):
    """A supplier's company answers for one reporting year and questionnaire version (issue 14).

    The company-scope questions (the supplier's own due-diligence system) are answered once
    here and used by every response of the supplier whose round has this year and version,
    whatever the buyer. The answers and files are ``Answer`` and ``EvidenceFile`` rows owned
    by the set instead of a response, so saving, conflicts, copies and files work as for a
    response. Each submission freezes the company answers it used in its own snapshot.
    """

    __tablename__ = "company_answer_set"
    __table_args__ = (UniqueConstraint("supplier_id", "year", "questionnaire_version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))

    supplier: Mapped[Supplier] = relationship()
    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()
    answers: Mapped[list[Answer]] = relationship(back_populates="company_set", cascade="all, delete-orphan")
    files: Mapped[list[EvidenceFile]] = relationship(
        back_populates="company_set", order_by="EvidenceFile.uploaded_at"
    )

    @property
    def responses(self) -> list[Response]:
        """The supplier's responses that use these answers (their round's year and version)."""
        cached: list[Response] | None = self.__dict__.get("_responses")
        if cached is None:
            from sqlalchemy import select

            session = object_session(self)
            cached = [] if session is None else list(session.scalars(
                select(Response).join(FollowUpRound, FollowUpRound.id == Response.round_id)
                .where(Response.supplier_id == self.supplier_id, FollowUpRound.year == self.year,
                       FollowUpRound.questionnaire_version_id == self.questionnaire_version_id)
                .order_by(Response.deadline, Response.id)
            ))
            self.__dict__["_responses"] = cached
        return cached

    def can_view(self, user: User) -> bool:
        """The supplier's own: staff read company answers only through submissions."""
        return user.is_supplier and user.supplier_id == self.supplier_id

    def can_edit(self, user: User) -> bool:
        """Editable while at least one response using the set is (a draft, or returned)."""
        return self.can_view(user) and any(r.can_edit(user) for r in self.responses)

    def can_edit_question(self, user: User, question_id: str) -> bool:
        """A question is open when some response using the set has it open (a returned response
        opens only its reopened questions)."""
        return self.can_view(user) and any(r.can_edit_question(user, question_id) for r in self.responses)

    def can_submit(self, user: User) -> bool:
        return False  # the company answers are submitted with each response that uses them


class Answer(Base):
    """What the supplier typed for one question, kept raw so a draft never loses input.

    Owned by a response or, for a company-scope question, by the supplier's company answers
    for the year (exactly one of the two).
    """

    __tablename__ = "answer"
    __table_args__ = (
        UniqueConstraint("response_id", "question_id"),
        UniqueConstraint("company_set_id", "question_id"),
        CheckConstraint("(response_id IS NULL) <> (company_set_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), index=True)
    company_set_id: Mapped[int | None] = mapped_column(
        ForeignKey("company_answer_set.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(String(20))
    value: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Bumped on every change; a save based on an older revision is a conflict.
    revision: Mapped[int] = mapped_column(default=1)
    is_copied: Mapped[bool] = mapped_column(default=False)
    # The earlier submission (of any response of the same supplier) the answer was copied from.
    copied_from_submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submission.id", ondelete="SET NULL"), index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Lets a save insert all new answers in one statement on every database.
    _sentinel: Mapped[int | None] = orm_insert_sentinel()

    response: Mapped[Response | None] = relationship(back_populates="answers")
    company_set: Mapped[CompanyAnswerSet | None] = relationship(back_populates="answers")
    updated_by: Mapped[User | None] = relationship()
    copied_from_submission: Mapped[Submission | None] = relationship()

    # Every UPDATE of an answer is conditional on the revision it was read with, so two saves
    # at the same moment cannot both win: the second fails with StaleDataError (the services
    # bump the revision themselves, hence no generator).
    __mapper_args__ = {"version_id_col": revision, "version_id_generator": False}


class EvidenceFile(Base):
    """An uploaded file supporting one question, kept in file storage under a generated key.

    Owned by a response or by a supplier's company answers (exactly one). A submission that
    uses a company file gets its own frozen copy owned by the response (same storage key,
    ``copied_from_id`` the company file, ``removed_at`` set: never part of the draft), so the
    snapshot's files download through the response's own access checks.
    """

    __tablename__ = "evidence_file"
    __table_args__ = (
        CheckConstraint("(response_id IS NULL) <> (company_set_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), index=True)
    company_set_id: Mapped[int | None] = mapped_column(
        ForeignKey("company_answer_set.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(String(20))
    part_id: Mapped[str] = mapped_column(String(40))
    original_name: Mapped[str] = mapped_column(String(255))
    # The storage key (see StoredObject); copies of a file from last year share it.
    stored_name: Mapped[str] = mapped_column(ForeignKey("stored_object.key"), index=True)
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    mimetype: Mapped[str] = mapped_column(String(120))
    tag: Mapped[str] = mapped_column(String(200), default="")
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    removed_at: Mapped[datetime | None] = mapped_column()
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_file.id"))

    response: Mapped[Response | None] = relationship(back_populates="files")
    company_set: Mapped[CompanyAnswerSet | None] = relationship(back_populates="files")
    uploaded_by: Mapped[User | None] = relationship()
    # Also tells the unit of work to insert the stored object before the row that uses it.
    stored: Mapped[StoredObject] = relationship()


class Submission(Base):
    """An immutable snapshot of a response as submitted, with its receipt."""

    __tablename__ = "submission"
    __table_args__ = (UniqueConstraint("response_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    files: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    locale: Mapped[str] = mapped_column(String(5), default="nb")
    # The storage key of the receipt PDF (see StoredObject).
    receipt_name: Mapped[str | None] = mapped_column(ForeignKey("stored_object.key"), index=True)
    receipt_sha256: Mapped[str | None] = mapped_column(String(64))

    response: Mapped[Response] = relationship(back_populates="submissions")
    submitted_by: Mapped[User | None] = relationship()
    receipt: Mapped[StoredObject | None] = relationship()


class PendingInput(Base):
    """Form input posted after the session expired, restored when the user signs in again."""

    __tablename__ = "pending_input"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(500))
    form: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
