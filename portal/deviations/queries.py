"""Read-only queries behind the deviation pages (a fixed number of statements each)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import extract, select
from sqlalchemy.orm import selectinload

from portal.codes import DEVIATION_STATUSES, DEVIATION_TYPES, OPEN_DEVIATION_STATUSES, TIERS
from portal.extensions import db
from portal.inputs import to_int
from portal.models import Deviation, DeviationUpdate, Response, User
from portal.pagination import Page, paginate


def _int(value: str | None) -> int | None:
    return to_int(value, low=1)


@dataclass(frozen=True)
class DeviationFilters:
    year: int | None = None
    type: str = ""
    tier: str = ""
    status: str = ""
    supplier_id: int | None = None
    agreement_id: int | None = None
    overdue: bool = False
    proposed: bool = False

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> DeviationFilters:
        year = _int(args.get("year"))
        kind, tier, status = args.get("type", ""), args.get("tier", ""), args.get("status", "")
        return cls(
            year=year if year and 2000 <= year <= 2100 else None,
            type=kind if kind in DEVIATION_TYPES else "",
            tier=tier if tier in TIERS else "",
            status=status if status in DEVIATION_STATUSES else "",
            supplier_id=_int(args.get("supplier")),
            agreement_id=_int(args.get("agreement")),
            overdue=args.get("overdue") == "1",
            proposed=args.get("proposed") == "1",
        )

    def args(self) -> dict[str, Any]:
        values = {"year": self.year, "type": self.type, "tier": self.tier, "status": self.status,
                  "supplier": self.supplier_id, "agreement": self.agreement_id,
                  "overdue": "1" if self.overdue else None,
                  "proposed": "1" if self.proposed else None}
        return {key: value for key, value in values.items() if value not in (None, "")}


def visible_to(user: User) -> Any:
    """Staff see every deviation; a supplier only its own confirmed ones."""
    if user.is_staff:
        return Deviation.id.is_not(None)
    return (Deviation.supplier_id == user.supplier_id) & Deviation.is_proposed.is_(False)


def list_deviations(
    filters: DeviationFilters, user: User, today: date, page_number: int, page_size: int
) -> Page[Deviation]:
    query = (
        select(Deviation)
        .where(visible_to(user))
        .options(selectinload(Deviation.supplier), selectinload(Deviation.agreement))
    )
    if filters.year:
        query = query.where(extract("year", Deviation.detected_date) == filters.year)
    if filters.type:
        query = query.where(Deviation.type == filters.type)
    if filters.tier:
        query = query.where(Deviation.tier == filters.tier)
    if filters.status:
        query = query.where(Deviation.status == filters.status)
    if filters.supplier_id and user.is_staff:
        query = query.where(Deviation.supplier_id == filters.supplier_id)
    if filters.agreement_id:
        query = query.where(Deviation.agreement_id == filters.agreement_id)
    if filters.overdue:
        query = query.where(Deviation.status.in_(OPEN_DEVIATION_STATUSES),
                            Deviation.deadline.is_not(None), Deviation.deadline < today)
    if filters.proposed and user.is_staff:
        query = query.where(Deviation.is_proposed.is_(True))
    query = query.order_by(Deviation.detected_date.desc(), Deviation.id.desc())
    return paginate(query, page_number, page_size)


def detected_years(user: User) -> list[int]:
    rows = db.session.scalars(
        select(extract("year", Deviation.detected_date)).where(visible_to(user)).distinct()
    )
    return sorted({int(year) for year in rows if year is not None}, reverse=True)


def load_deviation(deviation_id: int) -> Deviation | None:
    """A deviation with its updates, their files and authors, and its links, eagerly."""
    return db.session.scalar(
        select(Deviation)
        .where(Deviation.id == deviation_id)
        .options(
            selectinload(Deviation.supplier), selectinload(Deviation.agreement),
            selectinload(Deviation.response).selectinload(Response.round),
            selectinload(Deviation.created_by),
            selectinload(Deviation.updates).selectinload(DeviationUpdate.attachments),
            selectinload(Deviation.updates).selectinload(DeviationUpdate.author),
        )
    )
