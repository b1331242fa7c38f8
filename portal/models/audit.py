"""The append-only audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, event, false
from sqlalchemy.orm import Mapped, mapped_column, orm_insert_sentinel, relationship

from portal.models.base import Base, utcnow
from portal.models.user import User


class AuditEvent(Base):
    """Who did what to which record, when, with the value before and after.

    Rows are only ever inserted: the mapper refuses updates and deletes.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    # The act was the system's own (a job, or an automatic step in someone's request): the
    # screens show it as done by Aktsom; ``actor_id`` still says whose request triggered it.
    by_system: Mapped[bool] = mapped_column(default=False, server_default=false())
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column()
    supplier_id: Mapped[int | None] = mapped_column(index=True)
    # The buyer whose record this is; none for a supplier's own or the platform's records.
    buyer_id: Mapped[int | None] = mapped_column(ForeignKey("buyer.id"), index=True)
    field: Mapped[str | None] = mapped_column(String(80))
    before: Mapped[Any | None] = mapped_column(JSON)
    after: Mapped[Any | None] = mapped_column(JSON)
    # Lets the events of one request be inserted in one statement on every database.
    _sentinel: Mapped[int | None] = orm_insert_sentinel()

    actor: Mapped[User | None] = relationship()


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_change(mapper: object, connection: object, target: AuditEvent) -> None:
    raise PermissionError("the audit trail is append-only")
