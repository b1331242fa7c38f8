"""Sharing a submitted response with another buyer (DOMAIN 0b, issue 14 part 6).

A supplier grants a buyer that has an agreement with it read access to one submission of a
response another buyer asked for. The share belongs to the receiving buyer (``buyer_id``), so
tenancy scopes it to that buyer's staff like any record of its own: the source buyer's staff
never see it. The receiver's verdicts (``ShareReview``) are keyed by the share, never by the
response, so neither buyer sees the other's.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, utcnow
from portal.models.buyer import BuyerOwned

if TYPE_CHECKING:
    from portal.models.buyer import Buyer
    from portal.models.user import User


class ResponseShare(BuyerOwned, Base):
    """The supplier's consent: the receiving buyer (``buyer_id``) may read one submission."""

    __tablename__ = "response_share"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    submission_number: Mapped[int]
    #: The buyer that asked for the response (the share's source), kept so the receiver's
    #: pages and reports can name it without reading the source buyer's records.
    source_buyer_id: Mapped[int] = mapped_column(ForeignKey("buyer.id"))
    source_buyer_name: Mapped[str] = mapped_column(String(200))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    buyer: Mapped[Buyer] = relationship(foreign_keys="ResponseShare.buyer_id")
    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ShareReview(BuyerOwned, Base):
    """The receiving buyer's verdict on one question of a shared submission."""

    __tablename__ = "share_review"
    __table_args__ = (
        UniqueConstraint("share_id", "question_id"),
        CheckConstraint("verdict IS NULL OR verdict IN ('meets', 'partly', 'not_met', 'na')",
                        name="verdict_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    share_id: Mapped[int] = mapped_column(ForeignKey("response_share.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(String(20))
    verdict: Mapped[str | None] = mapped_column(String(10))
    comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    updated_by: Mapped[User | None] = relationship()
