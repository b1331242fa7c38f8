"""Read-only queries behind the round pages (one grouped query each, never one per row)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, exists, func, select

from portal.extensions import db
from portal.models import (
    EDITABLE_STATUSES,
    Agreement,
    FollowUpRound,
    QuestionnaireVersion,
    Response,
    Supplier,
)
from portal.rounds.services import joinable_agreements_query

_OPEN = [status.value for status in EDITABLE_STATUSES]


@dataclass
class RoundCounts:
    by_status: dict[str, int] = field(default_factory=dict)
    overdue: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def round_counts(round_ids: Collection[int], today: date) -> dict[int, RoundCounts]:
    """Responses per status, and how many are overdue, for each round."""
    if not round_ids:
        return {}
    overdue = func.sum(case((Response.deadline < today, 1), else_=0))
    rows = db.session.execute(
        select(Response.round_id, Response.status, func.count(Response.id), overdue)
        .where(Response.round_id.in_(round_ids))
        .group_by(Response.round_id, Response.status)
    )
    counts: dict[int, RoundCounts] = {}
    for round_id, status, number, late in rows:
        entry = counts.setdefault(round_id, RoundCounts())
        entry.by_status[status] = int(number)
        if status in _OPEN:
            entry.overdue += int(late or 0)
    return counts


def version_usage(version_ids: Collection[int]) -> dict[int, int]:
    """How many rounds use each questionnaire version."""
    if not version_ids:
        return {}
    rows = db.session.execute(
        select(FollowUpRound.questionnaire_version_id, func.count(FollowUpRound.id))
        .where(FollowUpRound.questionnaire_version_id.in_(version_ids))
        .group_by(FollowUpRound.questionnaire_version_id)
    )
    return {version_id: int(number) for version_id, number in rows}


def agreements_to_add(round: FollowUpRound, today: date) -> list[Agreement]:
    """Active agreements with at least one supplier that has no response in the round yet."""
    missing = ~exists().where(
        Response.round_id == round.id,
        Response.agreement_id == Agreement.id,
        Response.supplier_id == Supplier.id,
    )
    return list(
        db.session.scalars(
            joinable_agreements_query(round, today)
            .where(Agreement.suppliers.any(missing))
            .order_by(Agreement.name_nb, Agreement.id)
        )
    )


def stored_versions() -> list[QuestionnaireVersion]:
    return list(
        db.session.scalars(
            select(QuestionnaireVersion).order_by(
                QuestionnaireVersion.published_at.desc(), QuestionnaireVersion.id.desc()
            )
        )
    )
