"""Writing to the audit trail. Services call ``record``; nothing edits it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
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
    buyer_id: int | None = None,
    by_system: bool = False,
) -> AuditEvent:
    """Append one event; the caller's transaction commits it with the change itself.

    ``before`` and ``after`` are kept bounded (see ``bounded``): the trail says who changed
    what and when, and a huge answer must not be copied into it on every save.

    ``by_system`` marks an act the system performed itself, also when ``actor`` (whose request
    triggered it) is given: such events are shown as done by Aktsom. An event without an actor
    is the system's too.
    """
    if obj is not None and getattr(obj, "id", None) is None:
        db.session.flush()
    event = AuditEvent(
        buyer_id=buyer_id if buyer_id is not None else _buyer_of(obj, actor),
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=getattr(obj, "id", None),
        actor_id=actor.id if actor is not None else None,
        by_system=by_system or actor is None,
        supplier_id=supplier_id,
        field=field,
        before=bounded(before),
        after=bounded(after),
    )
    db.session.add(event)
    return event


MAX_TEXT = 2000  # characters of a text kept in the trail
MAX_ITEMS = 50  # entries of a list or mapping
MAX_DEPTH = 6
MAX_JSON = 64_000  # characters of one value as JSON, after the above


def bounded(value: Any) -> Any:
    """``value`` with long texts cut and long lists shortened, each with a marker that gives
    the full length and a SHA-256 of what was left out; a value still too large is kept as
    its length and hash only. Also used to show values stored before this bound existed.
    """
    result = _bounded(value, 0)
    text = _json(result)
    if len(text) <= MAX_JSON:
        return result
    whole = _json(value)
    return {"_omitted": "value too large for the audit trail", "length": len(whole),
            "sha256": hashlib.sha256(whole.encode("utf-8", "replace")).hexdigest()}


def _bounded(value: Any, depth: int) -> Any:
    if isinstance(value, str):
        if len(value) <= MAX_TEXT:
            return value
        digest = hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()
        return f"{value[:MAX_TEXT]} […{len(value) - MAX_TEXT} more characters; {len(value)} in all, sha256 {digest}]"
    if value is None or isinstance(value, bool | int | float):
        return value
    if depth >= MAX_DEPTH:
        return _bounded(_json(value), MAX_DEPTH)
    if isinstance(value, Mapping):
        items = list(value.items())
        kept = {str(k)[:200]: _bounded(v, depth + 1) for k, v in items[:MAX_ITEMS]}
        if len(items) > MAX_ITEMS:
            kept["…"] = f"[{len(items) - MAX_ITEMS} more entries; {len(items)} in all]"
        return kept
    if isinstance(value, list | tuple):
        kept_list = [_bounded(v, depth + 1) for v in value[:MAX_ITEMS]]
        if len(value) > MAX_ITEMS:
            kept_list.append(f"[…{len(value) - MAX_ITEMS} more entries; {len(value)} in all]")
        return kept_list
    return _bounded(str(value), depth)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def changed_parts(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> tuple[Any, Any]:
    """Only the parts of an answer that changed, before and after (None for a new answer)."""
    if not isinstance(before, Mapping):
        return before, dict(after)
    keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
    return {k: before[k] for k in keys if k in before}, {k: after[k] for k in keys if k in after}
