"""Factories with sensible defaults: ``make.user(role="reviewer")``."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from portal import storage
from portal.models import (
    Agreement,
    Buyer,
    PriorityRisk,
    StoredObject,
    Supplier,
    User,
    buyer_supplier,
)
from portal.passwords import hash_password

_counter = itertools.count(1)

# Valid organisation numbers (MOD11) for test suppliers.
ORG_NUMBERS = [
    "912345602", "912345610", "912345629", "912345637", "912345645", "912345653", "912345661",
    "912345688", "912345696", "912345718", "912345726", "912345734", "912345742", "912345750",
]


# Valid organisation numbers (MOD11) for test buyers.
BUYER_ORG_NUMBERS = ["923456708", "923456716", "923456724", "923456732", "923456740", "923456759"]


class Factories:
    def __init__(self, db: Any, password: str) -> None:
        self.db = db
        self.password = password
        self._hash: str | None = None
        self._default_buyer: Buyer | None = None

    def buyer(self, **kwargs: Any) -> Buyer:
        n = next(_counter)
        values: dict[str, Any] = {"name": f"Kommune {n}", "org_number": BUYER_ORG_NUMBERS[n % len(BUYER_ORG_NUMBERS)]}
        values.update(kwargs)
        existing = {b.org_number for b in self.db.session.query(Buyer).all()}
        if values["org_number"] in existing:
            values["org_number"] = next(o for o in BUYER_ORG_NUMBERS if o not in existing)
        buyer = Buyer(**values)
        self.db.session.add(buyer)
        self.db.session.flush()
        return buyer

    @property
    def default_buyer(self) -> Buyer:
        """The buyer of every staff user and agreement a test does not give one."""
        if self._default_buyer is None:
            self._default_buyer = self.buyer(name="Testkommune")
        return self._default_buyer

    def register(self, buyer: Buyer, supplier: Supplier) -> None:
        listed = self.db.session.execute(buyer_supplier.select().where(
            buyer_supplier.c.buyer_id == buyer.id, buyer_supplier.c.supplier_id == supplier.id)).first()
        if listed is None:
            self.db.session.execute(buyer_supplier.insert().values(buyer_id=buyer.id, supplier_id=supplier.id))

    def _password_hash(self) -> str:
        if self._hash is None:
            self._hash = hash_password(self.password)
        return self._hash

    def supplier(self, **kwargs: Any) -> Supplier:
        n = next(_counter)
        values: dict[str, Any] = {
            "name": f"Leverandør {n} AS",
            "org_number": ORG_NUMBERS[n % len(ORG_NUMBERS)] if "registry_id" not in kwargs else None,
            "country": "NO",
            "city": "Lillestrøm",
        }
        values.update(kwargs)
        if values.get("org_number"):
            # Keep org numbers unique within a test even when the counter wraps.
            existing = {s.org_number for s in self.db.session.query(Supplier).all()}
            candidates = [o for o in ORG_NUMBERS if o not in existing]
            if values["org_number"] in existing and candidates:
                values["org_number"] = candidates[0]
        buyer = values.pop("buyer", None)
        supplier = Supplier(**values)
        self.db.session.add(supplier)
        self.db.session.flush()
        self.register(buyer or self.default_buyer, supplier)
        return supplier

    def user(self, role: str = "reviewer", **kwargs: Any) -> User:
        n = next(_counter)
        if role == "supplier" and "supplier" not in kwargs:
            kwargs["supplier"] = self.supplier()
        values: dict[str, Any] = {
            "email": f"user{n}@example.no",
            "name": f"Bruker {n}",
            "role": role,
            "locale": "nb",
            "password_hash": self._password_hash(),
        }
        if role in ("reviewer", "admin") and "buyer" not in kwargs and "buyer_id" not in kwargs:
            values["buyer"] = self.default_buyer
        values.update(kwargs)
        user = User(**values)
        self.db.session.add(user)
        self.db.session.flush()
        return user

    def agreement(self, suppliers: list[Supplier] | None = None, **kwargs: Any) -> Agreement:
        n = next(_counter)
        values: dict[str, Any] = {
            "name_nb": f"Avtale {n}",
            "name_en": f"Agreement {n}",
            "reference": f"REF-{n}",
            "kind": "framework",
            "dfo_category": "workwear",
            "start_date": date(2023, 1, 1),
            "end_date": date(2026, 12, 31),
            "contract_condition": True,
        }
        values.update(kwargs)
        if "buyer" not in values and "buyer_id" not in values:
            values["buyer"] = self.default_buyer
        chosen = suppliers if suppliers is not None else [self.supplier()]
        agreement = Agreement(**values)
        agreement.suppliers = chosen
        self.db.session.add(agreement)
        self.db.session.flush()
        for supplier in chosen:
            self.register(agreement.buyer, supplier)
        return agreement

    def risk(self, **kwargs: Any) -> PriorityRisk:
        values: dict[str, Any] = {"impact_nb": "Risiko", "impact_en": "Risk", "themes": ["FORCED"]}
        values.update(kwargs)
        if "buyer" not in values and "buyer_id" not in values:
            values["buyer"] = self.default_buyer
        risk = PriorityRisk(**values)
        self.db.session.add(risk)
        self.db.session.flush()
        return risk

    def stored_file(self, content: bytes = b"%PDF-1.4\n%%EOF\n", *, kind: str = "uploads",
                    content_type: str = "application/pdf") -> StoredObject:
        """A file in the configured storage with its record, as an upload or receipt leaves it."""
        return storage.save(content, kind=kind, content_type=content_type)
