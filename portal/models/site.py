"""The supplier's own register of production sites, kept once per reporting year."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, TimestampMixin

if TYPE_CHECKING:
    from portal.models.supplier import Supplier
    from portal.models.user import User


class ProductionSite(TimestampMixin, Base):
    """One factory, farm or warehouse of a supplier's chain in one year (DOMAIN 4.3, 0b).

    The columns follow the production-site table of the questionnaire (C5), so a site can be
    written into any response of the year. Sites are confidential: they never reach a public
    output. ``is_confidential`` is the supplier's own marking, carried into the answer's
    "confidential" column; the portal shows a site only to its supplier and to the staff of a
    buyer that received a response naming it, flag or not.
    """

    __tablename__ = "production_site"
    __table_args__ = (
        UniqueConstraint("supplier_id", "year", "name"),
        CheckConstraint("workers IS NULL OR workers >= 0", name="workers_not_negative"),
        CheckConstraint("women_pct IS NULL OR (women_pct >= 0 AND women_pct <= 100)",
                        name="women_pct_is_share"),
        CheckConstraint("year >= 2000 AND year <= 2100", name="year_plausible"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    year: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    city: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2))
    tier: Mapped[str] = mapped_column(String(3), default="T1")
    products: Mapped[str] = mapped_column(String(500), default="")
    relation: Mapped[str] = mapped_column(String(20), default="")
    workers: Mapped[int | None] = mapped_column()
    women_pct: Mapped[int | None] = mapped_column()
    migrant_workers: Mapped[str] = mapped_column(String(10), default="")  # yes / no / unknown
    worker_representation: Mapped[str] = mapped_column(String(30), default="")
    last_audit_scheme: Mapped[str] = mapped_column(String(20), default="")
    last_audit_date: Mapped[date | None] = mapped_column()
    certifications: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_confidential: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    supplier: Mapped[Supplier] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])

    def __repr__(self) -> str:
        return f"<ProductionSite {self.id} {self.year} {self.name!r}>"
