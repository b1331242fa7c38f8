"""Factories with sensible defaults: ``make.user(role="reviewer")``."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from portal import storage
from portal.models import Agreement, PriorityRisk, StoredObject, Supplier, User
from portal.passwords import hash_password

_counter = itertools.count(1)

# Valid organisation numbers (MOD11) for test suppliers.
ORG_NUMBERS = [
    "912345602", "912345610", "912345629", "912345637", "912345645", "912345653", "912345661",
    "912345688", "912345696", "912345718", "912345726", "912345734", "912345742", "912345750",
]


class Factories:
    def __init__(self, db: Any, password: str) -> None:
        self.db = db
        self.password = password
        self._hash: str | None = None

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
        supplier = Supplier(**values)
        self.db.session.add(supplier)
        self.db.session.flush()
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
        agreement = Agreement(**values)
        agreement.suppliers = suppliers if suppliers is not None else [self.supplier()]
        self.db.session.add(agreement)
        self.db.session.flush()
        return agreement

    def risk(self, **kwargs: Any) -> PriorityRisk:
        values: dict[str, Any] = {"impact_nb": "Risiko", "impact_en": "Risk", "themes": ["FORCED"]}
        values.update(kwargs)
        risk = PriorityRisk(**values)
        self.db.session.add(risk)
        self.db.session.flush()
        return risk

    def stored_file(self, content: bytes = b"%PDF-1.4\n%%EOF\n", *, kind: str = "uploads",
                    content_type: str = "application/pdf") -> StoredObject:
        """A file in the configured storage with its record, as an upload or receipt leaves it."""
        return storage.save(content, kind=kind, content_type=content_type)
