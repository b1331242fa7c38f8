"""Supplier organisations (leverandører)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, TimestampMixin

if TYPE_CHECKING:
    from portal.models.agreement import Agreement
    from portal.models.user import User


class Supplier(TimestampMixin, Base):
    __tablename__ = "supplier"
    __table_args__ = (
        CheckConstraint(
            "org_number IS NOT NULL OR (country <> 'NO' AND registry_id IS NOT NULL)",
            name="identified",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    # Norwegian organisation number (9 digits, MOD11); foreign suppliers give registry_id.
    org_number: Mapped[str | None] = mapped_column(String(9), unique=True)
    country: Mapped[str] = mapped_column(String(2), default="NO")
    registry_id: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    is_demo: Mapped[bool] = mapped_column(default=False)

    users: Mapped[list[User]] = relationship(back_populates="supplier", order_by="User.name")
    agreements: Mapped[list[Agreement]] = relationship(
        secondary="agreement_supplier", back_populates="suppliers", order_by="Agreement.name_nb"
    )

    @property
    def identifier(self) -> str:
        return self.org_number or f"{self.country} {self.registry_id}"

    def __repr__(self) -> str:
        return f"<Supplier {self.id} {self.name!r}>"
