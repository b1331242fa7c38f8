"""All models, imported here so Alembic and the app see one metadata."""

from portal.models.agreement import Agreement, agreement_supplier
from portal.models.audit import AuditEvent
from portal.models.base import Base, utcnow
from portal.models.risk import PriorityRisk
from portal.models.supplier import Supplier
from portal.models.user import LOCALES, Role, User

__all__ = [
    "LOCALES",
    "Agreement",
    "AuditEvent",
    "Base",
    "PriorityRisk",
    "Role",
    "Supplier",
    "User",
    "agreement_supplier",
    "utcnow",
]
