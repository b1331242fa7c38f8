"""A supplier with a user, its register, and responses to fill in (fixtures of tests/responses)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.auth.helpers import isolate_requests
from tests.responses.conftest import make_response, version  # noqa: F401 - fixtures used here too


@pytest.fixture(autouse=True)
def _isolated_requests(app, monkeypatch):
    isolate_requests(app, monkeypatch)


@pytest.fixture
def alfa(make: Any, db: Any) -> dict[str, Any]:
    supplier = make.supplier(name="Alfa AS")
    user = make.user(role="supplier", supplier=supplier, email="kari@alfa.example", locale="en")
    beta = make.supplier(name="Beta AS")
    beta_user = make.user(role="supplier", supplier=beta, email="eva@beta.example", locale="en")
    db.session.commit()
    return {"supplier": supplier, "user": user, "beta": beta, "beta_user": beta_user}


def add_site(db: Any, supplier: Any, year: int = 2025, **values: Any) -> Any:
    from portal.models import ProductionSite

    defaults: dict[str, Any] = {"name": "Dhaka Garments Ltd", "country": "BD", "tier": "T1", "city": "Dhaka",
                                "address": "Plot 7, EPZ", "products": "Work trousers", "workers": 420,
                                "women_pct": 65, "migrant_workers": "no",
                                "worker_representation": "elected_committee", "certifications": ["fair_wear"]}
    site = ProductionSite(supplier_id=supplier.id, year=year, **{**defaults, **values})
    db.session.add(site)
    db.session.flush()
    return site
