"""Demo data for what a supplier keeps once for every buyer: its production-site register and
a response shared with another buyer (issue 14, parts 4 and 6).

The workwear supplier lists the four factories of its questionnaire answers (the sample
sites) for 2024 and for the open year 2026, and has shared its accepted 2024 answer to
Lillestrøm with Fjordvik, which has its own workwear agreement with it. Fjordvik's reviewer
finds the share under "Received" and may review it and accept it as Fjordvik's own
follow-up; nothing is accepted for Fjordvik here, so its report stays as its own data says.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Agreement, Buyer, ProductionSite, Response, ResponseShare, Supplier, User
from portal.questionnaires.samples import SITES
from portal.sharing.services import grant_share
from portal.sites.services import create_site

SUPPLIER_EMAIL = "leverandor@arbeidsklaer.example"
REGISTER_YEARS = (2024, 2026)
SHARED_AGREEMENT = "LK-2021-0155"  # Lillestrøm's workwear for technical services, accepted in 2024
SHARED_WITH = "923456716"  # Fjordvik kommune (demo), by organisation number

#: What the register knows beyond the questionnaire's sample rows, site by site.
SITE_DETAILS: tuple[dict[str, Any], ...] = (
    {"tier": "T1", "products": "Arbeidsbukser, jakker", "relation": "direct", "women_pct": 78,
     "migrant_workers": "no", "worker_representation": "elected_committee",
     "last_audit_scheme": "amfori_bsci", "last_audit_date": date(2024, 3, 14), "certifications": []},
    {"tier": "T1", "products": "Varselklær", "relation": "via_agent", "women_pct": 55,
     "migrant_workers": "yes", "worker_representation": "management_committee",
     "last_audit_scheme": "smeta", "last_audit_date": date(2023, 11, 2), "certifications": []},
    {"tier": "T2", "products": "Strikkede stoffer", "relation": "via_agent", "women_pct": 61,
     "migrant_workers": "unknown", "worker_representation": "unknown",
     "last_audit_scheme": "none", "last_audit_date": None, "certifications": ["other"]},
    {"tier": "T1", "products": "Kjeledresser", "relation": "direct", "women_pct": 34,
     "migrant_workers": "yes", "worker_representation": "union_with_cba",
     "last_audit_scheme": "sa8000", "last_audit_date": date(2025, 5, 20), "certifications": ["fair_wear"]},
)


def load_demo_register() -> dict[str, int]:
    """Create whatever of the register and the share is missing; return how many were created."""
    author = db.session.scalar(select(User).where(User.email == SUPPLIER_EMAIL))
    if author is None or author.supplier_id is None:
        return {"sites": 0, "shares": 0}
    supplier = db.session.get(Supplier, author.supplier_id)
    assert supplier is not None
    return {"sites": sum(_register(supplier, year, author) for year in REGISTER_YEARS),
            "shares": _share(supplier, author)}


def _register(supplier: Supplier, year: int, author: User) -> int:
    if db.session.scalar(select(func.count(ProductionSite.id)).where(
            ProductionSite.supplier_id == supplier.id, ProductionSite.year == year)):
        return 0
    for (name, address, city, country, workers), details in zip(SITES, SITE_DETAILS, strict=True):
        create_site(supplier, year, {"name": name, "address": address, "city": city, "country": country,
                                     "workers": workers, "is_confidential": True, **details},
                    actor=author)
    return len(SITES)


def _share(supplier: Supplier, author: User) -> int:
    response = db.session.scalar(
        select(Response).join(Agreement, Agreement.id == Response.agreement_id)
        .where(Response.supplier_id == supplier.id, Agreement.reference == SHARED_AGREEMENT,
               Response.status == "accepted")
        .order_by(Response.id)
        .limit(1)
    )
    receiver = db.session.scalar(select(Buyer).where(Buyer.org_number == SHARED_WITH))
    if response is None or receiver is None:
        return 0
    if db.session.scalar(select(func.count(ResponseShare.id)).where(
            ResponseShare.response_id == response.id, ResponseShare.buyer_id == receiver.id)):
        return 0
    grant_share(response, receiver.id, actor=author)
    return 1
