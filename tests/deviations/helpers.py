"""Making deviations directly, as a reviewer would have registered them."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from portal.models import Deviation, buyer_supplier


def make_deviation(db: Any, supplier: Any, **values: Any) -> Deviation:
    fields: dict[str, Any] = {
        "type": "WAGES", "severity": "MAJOR", "tier": "T1", "country": "BD",
        "description": "Lønn under minstelønn.", "detected_date": date(2025, 2, 1),
        "detected_by": "SITE", "status": "REGISTERED", "measures": [],
    }
    fields.update(values)
    if not {"agreement_id", "response_id", "buyer_id", "agreement", "response"} & fields.keys():
        # Registered on the supplier alone: the buyer whose register it is in.
        fields["buyer_id"] = db.session.scalar(
            select(buyer_supplier.c.buyer_id).where(buyer_supplier.c.supplier_id == supplier.id).limit(1))
    deviation = Deviation(supplier_id=supplier.id, **fields)
    db.session.add(deviation)
    db.session.commit()
    return deviation


def deviation_form(**values: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": "WAGES", "severity": "MAJOR", "tier": "T1", "country": "BD", "site": "",
        "description": "Lønn under minstelønn.", "detected_date": "2025-02-01",
        "detected_by": "SITE", "root_cause": "", "measures": ["CAP", "REMEDY"],
        "measures_text": "Etterbetaling.", "responsible": "Daglig leder", "deadline": "2025-06-30",
        "remediation_for_workers": "", "internal_note": "Tips fra fagforening.",
        "agreement_id": "0",
    }
    data.update(values)
    return data


def plan_form(*actions: tuple[str, str, str], note: str = "") -> dict[str, str]:
    """The supplier's plan form: ``(action, responsible, deadline yyyy-mm-dd)`` per action."""
    data = {"note": note}
    for index, (action, responsible, deadline) in enumerate(actions):
        data.update({f"actions-{index}-action": action, f"actions-{index}-responsible": responsible,
                     f"actions-{index}-deadline": deadline})
    return data
