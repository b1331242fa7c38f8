"""Buyers (oppdragsgivere): the public bodies that own agreements and follow them up.

One Aktsom serves many buyers. Everything a buyer's staff record (agreements, rounds,
verdicts, deviations, activities, priority risks, report texts, audit events) belongs to
one buyer; supplier organisations are shared. See DOMAIN part 0b.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from portal.models.base import Base, TimestampMixin


class BuyerKind(StrEnum):
    MUNICIPALITY = "municipality"
    COUNTY = "county"
    STATE_AGENCY = "state_agency"
    HEALTH_TRUST = "health_trust"
    COOPERATION = "cooperation"
    OTHER = "other"


class Buyer(TimestampMixin, Base):
    __tablename__ = "buyer"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('municipality', 'county', 'state_agency', 'health_trust', 'cooperation', "
            "'other')",
            name="kind_known",
        ),
        CheckConstraint("default_locale IN ('nb', 'en')", name="locale_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Norwegian organisation number (9 digits, MOD11). An installation upgraded from one
    # municipality may not know it yet: its administrators are asked for it.
    org_number: Mapped[str | None] = mapped_column(String(9), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default=BuyerKind.MUNICIPALITY.value)
    is_ehn_member: Mapped[bool] = mapped_column(default=False)
    report_contact_name: Mapped[str] = mapped_column(String(200), default="")
    report_contact_email: Mapped[str] = mapped_column(String(254), default="")
    default_locale: Mapped[str] = mapped_column(String(5), default="nb")
    is_demo: Mapped[bool] = mapped_column(default=False)
    archived_at: Mapped[datetime | None] = mapped_column()

    def __repr__(self) -> str:
        return f"<Buyer {self.id} {self.name!r}>"


#: A buyer's supplier register: the suppliers on its agreements and those it registered.
#: Supplier organisations are shared; a buyer's staff see the ones listed here.
buyer_supplier = Table(
    "buyer_supplier",
    Base.metadata,
    Column("buyer_id", ForeignKey("buyer.id", ondelete="CASCADE"), primary_key=True),
    Column("supplier_id", ForeignKey("supplier.id", ondelete="CASCADE"), primary_key=True),
    # Archived by this buyer: out of its supplier list and pickers, still in its history and
    # reports. Another buyer's register is its own.
    Column("archived_at", DateTime(timezone=True), nullable=True),
)


class BuyerOwned:
    """A record that belongs to exactly one buyer; see portal/tenancy.py for the scoping."""

    @declared_attr
    def buyer_id(cls) -> Mapped[int]:  # noqa: N805 - declared_attr takes the class
        return mapped_column(ForeignKey("buyer.id"), index=True)

    @declared_attr
    def buyer(cls) -> Mapped[Buyer]:  # noqa: N805
        return relationship(Buyer)
