"""2.A.2 and 2.A.3: ethical and social requirements, priority risks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import (
    distinct,
    func,
    select,
)

from portal.models import (
    Agreement,
    PriorityRisk,
    agreement_supplier,
)
from portal.reports.queries.base import _leads, _run, active_in
from portal.reports.queries.followup import _has_requirements, _supplier_count

# 2.A.2 and 2.A.3


@dataclass(frozen=True)
class RequirementRow:
    """One agreement with ethical requirements (the 2.A.2 table)."""

    agreement_id: int
    name_nb: str
    name_en: str
    reference: str
    kind: str
    dfo_category: str | None
    start_date: date
    suppliers: int
    qualification_requirement: bool
    award_criterion: bool
    contract_condition: bool
    #: The buyer leading the agreement, when it is a joint agreement of another buyer's.
    lead: str | None = None


def requirements(year: int, *, limit: int | None = None,
                 leads: dict[int, str] | None = None) -> tuple[RequirementRow, ...]:
    """Agreements active in the year with ethical requirements, by name (the first ``limit``).
    ``leads``: the joint agreements' leads (``_leads``), when the caller has read them."""
    listed = (
        select(
            Agreement.id, Agreement.name_nb, Agreement.name_en, Agreement.reference, Agreement.kind,
            Agreement.dfo_category, Agreement.start_date, Agreement.qualification_requirement,
            Agreement.award_criterion, Agreement.contract_condition, Agreement.buyer_id,
        )
        .where(active_in(year), _has_requirements())
        .order_by(Agreement.name_nb, Agreement.id)
        .limit(limit)
        .subquery()
    )
    rows = _run(
        select(listed, _supplier_count(listed.c.id).label("suppliers"))
        .order_by(listed.c.name_nb, listed.c.id)
    )
    leads = _leads() if leads is None else leads
    return tuple(
        RequirementRow(id_, name_nb, name_en, reference, kind, category, start, int(suppliers),
                       bool(qualification), bool(award), bool(condition), leads.get(owner))
        for id_, name_nb, name_en, reference, kind, category, start, qualification, award,
        condition, owner, suppliers in rows
    )


@dataclass(frozen=True)
class RequirementSummary:
    """2.A.2 grouped by kind and the three flags, for the PDF when there are many agreements."""

    kind: str
    qualification_requirement: bool
    award_criterion: bool
    contract_condition: bool
    agreements: int
    suppliers: int


def requirement_summary(year: int) -> tuple[RequirementSummary, ...]:
    links = (
        select(
            Agreement.kind, Agreement.qualification_requirement, Agreement.award_criterion,
            Agreement.contract_condition, agreement_supplier.c.supplier_id,
        )
        .join(agreement_supplier, agreement_supplier.c.agreement_id == Agreement.id, isouter=True)
        .where(active_in(year), _has_requirements())
        .subquery()
    )
    agreements = (
        select(Agreement.kind, Agreement.qualification_requirement, Agreement.award_criterion,
               Agreement.contract_condition, func.count(Agreement.id).label("agreements"))
        .where(active_in(year), _has_requirements())
        .group_by(Agreement.kind, Agreement.qualification_requirement, Agreement.award_criterion,
                  Agreement.contract_condition)
    )
    suppliers = {
        (k, bool(q), bool(a), bool(c)): int(n)
        for k, q, a, c, n in _run(
            select(links.c.kind, links.c.qualification_requirement, links.c.award_criterion,
                   links.c.contract_condition, func.count(distinct(links.c.supplier_id)))
            .group_by(links.c.kind, links.c.qualification_requirement, links.c.award_criterion,
                      links.c.contract_condition)
        )
    }
    return tuple(
        RequirementSummary(k, bool(q), bool(a), bool(c), int(n),
                           suppliers.get((k, bool(q), bool(a), bool(c)), 0))
        for k, q, a, c, n in sorted(_run(agreements),
                                    key=lambda r: (r[0], not r[1], not r[2], not r[3]))
    )


@dataclass(frozen=True)
class RiskRow:
    """One priority risk (the 2.A.3 table), kept by administrators."""

    impact_nb: str
    impact_en: str
    themes: tuple[str, ...]
    geography: str


def priority_risks() -> tuple[RiskRow, ...]:
    rows = _run(
        select(PriorityRisk.impact_nb, PriorityRisk.impact_en, PriorityRisk.themes,
               PriorityRisk.geography)
        .order_by(PriorityRisk.position, PriorityRisk.id)
    )
    return tuple(
        RiskRow(impact_nb=r.impact_nb, impact_en=r.impact_en or "", themes=tuple(r.themes or ()),
                geography=r.geography or "")
        for r in rows
    )


