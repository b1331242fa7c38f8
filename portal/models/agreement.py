"""Agreements (avtaler) with the ethical requirements of the 2.A.2 table."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from flask_babel import get_locale
from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, TimestampMixin
from portal.models.buyer import BuyerOwned

if TYPE_CHECKING:
    from portal.models.buyer import Buyer
    from portal.models.supplier import Supplier
    from portal.models.user import User

agreement_supplier = Table(
    "agreement_supplier",
    Base.metadata,
    Column("agreement_id", ForeignKey("agreement.id", ondelete="CASCADE"), primary_key=True),
    Column("supplier_id", ForeignKey("supplier.id", ondelete="CASCADE"), primary_key=True),
)


#: Buyers taking part in a joint agreement (felles rammeavtale) led by the agreement's buyer.
#: Their staff see its follow-up read-only and count it in their own chapter 4 (DOMAIN 0b).
agreement_participant = Table(
    "agreement_participant",
    Base.metadata,
    Column("agreement_id", ForeignKey("agreement.id", ondelete="CASCADE"), primary_key=True),
    Column("buyer_id", ForeignKey("buyer.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Agreement(BuyerOwned, TimestampMixin, Base):
    __tablename__ = "agreement"
    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="ends_after_start"),
        CheckConstraint("estimated_value IS NULL OR estimated_value >= 0", name="value_positive"),
        CheckConstraint(
            "questionnaire_variant IN ('full', 'simplified')", name="variant_known"
        ),
        UniqueConstraint("buyer_id", "reference", name="uq_agreement_buyer_reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name_nb: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20), default="framework")
    dfo_category: Mapped[str | None] = mapped_column(String(30), index=True)
    estimated_value: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    contract_manager_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    qualification_requirement: Mapped[bool] = mapped_column(default=False)
    award_criterion: Mapped[bool] = mapped_column(default=False)
    contract_condition: Mapped[bool] = mapped_column(default=False)
    social_dialogue_required: Mapped[bool] = mapped_column(default=False)
    social_dialogue_wording: Mapped[str] = mapped_column(Text, default="")
    questionnaire_variant: Mapped[str] = mapped_column(String(12), default="full")
    product_scope: Mapped[str] = mapped_column(Text, default="")
    #: Archived agreements leave lists and pickers; their history and report figures stay.
    archived_at: Mapped[datetime | None] = mapped_column()

    suppliers: Mapped[list[Supplier]] = relationship(
        secondary=agreement_supplier, back_populates="agreements", order_by="Supplier.name"
    )
    contract_manager: Mapped[User | None] = relationship()
    participants: Mapped[list[Buyer]] = relationship(
        secondary=agreement_participant, order_by="Buyer.name"
    )

    @property
    def name(self) -> str:
        return self.name_en if str(get_locale()) == "en" else self.name_nb

    @property
    def has_ethical_requirements(self) -> bool:
        return self.qualification_requirement or self.award_criterion or self.contract_condition

    @property
    def is_joint(self) -> bool:
        return bool(self.participants)

    def is_led_by(self, user: User) -> bool:
        """The agreement's own buyer (the lead of a joint agreement) may change its follow-up."""
        return user.is_staff and user.buyer_id == self.buyer_id

    def is_active_on(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)

    def is_active_in(self, year: int) -> bool:
        """Active in a reporting year as DOMAIN 7.2 defines it."""
        return self.start_date <= date(year, 12, 31) and (
            self.end_date is None or self.end_date >= date(year, 1, 1)
        )

    def __repr__(self) -> str:
        return f"<Agreement {self.id} {self.reference}>"
