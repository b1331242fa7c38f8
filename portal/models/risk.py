"""The municipality's priority risks (the 2.A.3 table of the annual report)."""

from __future__ import annotations

from flask_babel import get_locale
from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, TimestampMixin
from portal.models.buyer import BuyerOwned


class PriorityRisk(BuyerOwned, TimestampMixin, Base):
    __tablename__ = "priority_risk"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    impact_nb: Mapped[str] = mapped_column(Text)
    impact_en: Mapped[str] = mapped_column(Text, default="")
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    geography: Mapped[str] = mapped_column(String(200), default="")

    @property
    def impact(self) -> str:
        if str(get_locale()) == "en" and self.impact_en:
            return self.impact_en
        return self.impact_nb
