"""Outgoing e-mail recorded in the transaction of the change it reports, sent by a job."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, utcnow


class MailDelivery(Base):
    """One message to one recipient about one event, rendered when the event happened.

    The row is written in the same transaction as the change, so a rolled-back change
    sends nothing; the job that sends it marks ``sent_at`` in its own commit right after
    the SMTP server accepted the message, so a retried job skips what already went out.
    """

    __tablename__ = "mail_delivery"
    __table_args__ = (UniqueConstraint("event_key", "recipient"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_key: Mapped[str] = mapped_column(String(200))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    # One optional attachment (the submission receipt); its bytes are dropped once sent.
    attachment_name: Mapped[str | None] = mapped_column(String(255))
    attachment_type: Mapped[str | None] = mapped_column(String(100))
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))

    @property
    def message_id(self) -> str:
        """The same Message-ID on every attempt, so a copy sent twice is recognisably one."""
        return f"<delivery-{self.id}@aktsom.local>"
