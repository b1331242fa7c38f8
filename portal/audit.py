"""Writing to the audit trail. Services call ``record``; nothing edits it."""

from __future__ import annotations

from typing import Any

from portal.extensions import db
from portal.models import AuditEvent, User
from portal.tenancy import scoped_buyer


def _buyer_of(obj: Any, actor: User | None) -> int | None:
    """The buyer whose trail an event belongs to: the record's own, its agreement's, or the actor's.

    A supplier's change to a response is in the trail of the buyer that asked for it.
    """
    if type(obj).__name__ == "Buyer":
        return int(obj.id)
    for candidate in (obj, getattr(obj, "agreement", None), getattr(obj, "deviation", None),
                      getattr(getattr(obj, "response", None), "agreement", None)):
        buyer_id = getattr(candidate, "buyer_id", None)
        if buyer_id is not None:
            return int(buyer_id)
    if actor is not None and actor.buyer_id is not None:
        return actor.buyer_id
    return scoped_buyer(db.session())


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
        buyer_id=_buyer_of(obj, actor),
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
