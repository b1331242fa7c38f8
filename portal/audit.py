"""Writing to the audit trail. Services call ``record``; nothing edits it."""

from __future__ import annotations

from typing import Any

from portal.extensions import db
from portal.models import AuditEvent, User


def record(
    action: str,
    obj: Any,
    *,
    actor: User | None,
    supplier_id: int | None = None,
    field: str | None = None,
    before: Any = None,
    after: Any = None,
) -> AuditEvent:
    """Append one event; the caller's transaction commits it with the change itself."""
    if obj is not None and getattr(obj, "id", None) is None:
        db.session.flush()
    event = AuditEvent(
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=getattr(obj, "id", None),
        actor_id=actor.id if actor is not None else None,
        supplier_id=supplier_id,
        field=field,
        before=before,
        after=after,
    )
    db.session.add(event)
    return event
