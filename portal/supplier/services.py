"""What a supplier user changes about their own company: its address and its colleagues' access."""

from __future__ import annotations

from typing import Any

from babel.lists import format_list
from flask import current_app
from flask_babel import get_locale
from sqlalchemy import func, select

from portal import audit
from portal.auth import services as accounts
from portal.extensions import db
from portal.models import Buyer, Role, Supplier, User, buyer_supplier

#: The fields a supplier may change itself. The name and organisation number identify the
#: supplier in the municipality's agreements, so only an administrator changes them.
CONTACT_FIELDS = ("address", "postal_code", "city")


def buyer_names(supplier_id: int, locale: str | None = None) -> str:
    """The buyers a supplier answers to, as one phrase ("Lillestrøm kommune and Fjordvik
    kommune"): whom to contact about its registration and its users. Without any, the
    installation's operator."""
    names = list(db.session.scalars(
        select(Buyer.name)
        .join(buyer_supplier, buyer_supplier.c.buyer_id == Buyer.id)
        .where(buyer_supplier.c.supplier_id == supplier_id, Buyer.archived_at.is_(None))
        .order_by(Buyer.name)))
    if not names:
        return str(current_app.config["OPERATOR_NAME"])
    return format_list(names, locale=locale or str(get_locale() or "nb"))


class NotAllowed(Exception):
    """The change cannot be made; the message names why."""


def update_contact_details(supplier: Supplier, values: dict[str, Any], *, actor: User) -> dict[str, tuple[str, str]]:
    """Change the supplier's address; returns {field: (before, after)} of what changed."""
    if actor.supplier_id != supplier.id:
        raise PermissionError("actor may not change this supplier")
    changes: dict[str, tuple[str, str]] = {}
    for name in CONTACT_FIELDS:
        old, new = getattr(supplier, name), values.get(name) or ""
        if old != new:
            changes[name] = (old, new)
            setattr(supplier, name, new)
    if changes:
        audit.record("supplier.contact_updated", supplier, actor=actor, supplier_id=supplier.id,
                     before={k: v[0] for k, v in changes.items()},
                     after={k: v[1] for k, v in changes.items()})
    return changes


def other_active_users(supplier_id: int, *, besides: tuple[int, ...]) -> int:
    """How many active users of the supplier who can sign in there are, not counting ``besides``."""
    return db.session.scalar(
        select(func.count()).select_from(User).where(
            User.supplier_id == supplier_id, User.role == Role.SUPPLIER.value, User.is_active.is_(True),
            User.password_hash.is_not(None), User.id.not_in(besides),
        )
    ) or 0


def deactivate_colleague(colleague: User, *, actor: User) -> None:
    """End a colleague's access (they are signed out everywhere); nothing they wrote is deleted."""
    if colleague.supplier_id != actor.supplier_id or not actor.is_supplier:
        raise PermissionError("not a colleague")
    if colleague.id == actor.id:
        raise NotAllowed("self")
    if not colleague.is_active:
        raise NotAllowed("inactive")
    accounts.set_active(colleague, False, actor=actor)
