"""Creating and changing buyers (flush, never commit): by the platform administrator, or a
buyer administrator for its own buyer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from portal import audit
from portal.extensions import db
from portal.models import Buyer, User
from portal.tenancy import ALL_BUYERS

BUYER_FIELDS = ("name", "org_number", "kind", "is_ehn_member", "report_contact_name",
                "report_contact_email", "default_locale")


class DuplicateBuyer(Exception):
    """Another buyer has this organisation number."""


def save_buyer(buyer: Buyer | None, values: dict[str, Any], *, actor: User) -> Buyer:
    """Create a buyer, or change one; organisation numbers are unique."""
    values = {key: values[key] for key in BUYER_FIELDS}
    values["report_contact_name"] = values["report_contact_name"] or ""
    values["report_contact_email"] = (values["report_contact_email"] or "").lower()
    # Unique across the installation: a buyer administrator's own queries see only its buyer.
    query = (select(Buyer.id).where(Buyer.org_number == values["org_number"])
             .execution_options(**{ALL_BUYERS: True}))
    if buyer is not None:
        query = query.where(Buyer.id != buyer.id)
    if db.session.scalar(query) is not None:
        raise DuplicateBuyer(values["org_number"])
    created = buyer is None
    buyer = buyer or Buyer()
    before = {key: getattr(buyer, key) for key in BUYER_FIELDS} if not created else None
    for key, value in values.items():
        setattr(buyer, key, value)
    db.session.add(buyer)
    db.session.flush()
    audit.record("buyer.created" if created else "buyer.updated", buyer, actor=actor,
                 before=before, after=values)
    return buyer
