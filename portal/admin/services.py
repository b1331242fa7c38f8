"""Suppliers, agreements and priority risks: create and change, with an audit trail."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, select

from portal import audit
from portal.extensions import db
from portal.models import (
    Agreement,
    Buyer,
    BuyerKind,
    PriorityRisk,
    Supplier,
    User,
    agreement_participant,
    buyer_supplier,
)
from portal.tenancy import ALL_BUYERS, owner_id

SUPPLIER_FIELDS = ("name", "org_number", "country", "registry_id", "address", "postal_code", "city")
AGREEMENT_FIELDS = (
    "name_nb", "name_en", "reference", "kind", "dfo_category", "estimated_value", "start_date",
    "end_date", "contract_manager_id", "qualification_requirement", "award_criterion",
    "contract_condition", "social_dialogue_required", "social_dialogue_wording",
    "questionnaire_variant", "product_scope",
)


class DuplicateError(Exception):
    """A unique value (organisation number, reference) is already in use."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _apply(obj: Any, fields: tuple[str, ...], values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    changes: dict[str, tuple[Any, Any]] = {}
    for name in fields:
        if name not in values:
            continue
        old, new = getattr(obj, name), values[name]
        if old != new:
            changes[name] = (_jsonable(old), _jsonable(new))
            setattr(obj, name, new)
    return changes


def _clean_supplier(values: dict[str, Any]) -> dict[str, Any]:
    values = dict(values)
    values["org_number"] = values.get("org_number") or None
    values["registry_id"] = values.get("registry_id") or None
    for key in ("address", "postal_code", "city"):
        values[key] = values.get(key) or ""
    return values


def _supplier_with_org_number(org_number: str | None, exclude_id: int | None) -> Supplier | None:
    """The supplier with this organisation number on the whole installation (suppliers are shared)."""
    if not org_number:
        return None
    query = select(Supplier).where(Supplier.org_number == org_number)
    if exclude_id is not None:
        query = query.where(Supplier.id != exclude_id)
    return db.session.scalar(query.execution_options(**{ALL_BUYERS: True}))


def register_supplier(
    values: dict[str, Any], *, actor: User | None, buyer: Buyer | None = None
) -> tuple[Supplier, bool]:
    """Put a supplier into the buyer's register; True if it was new to the installation.

    A supplier organisation exists once on the installation. When another buyer registered
    it already, this buyer gets the same organisation into its own register, and learns
    nothing of the other buyer's agreements or follow-up.
    """
    values = _clean_supplier(values)
    buyer_id = owner_id(actor, buyer)
    existing = _supplier_with_org_number(values["org_number"], None)
    if existing is not None:
        if _in_register(buyer_id, existing):
            raise DuplicateError("org_number")
        add_to_register(buyer_id, existing)
        audit.record("supplier.added_to_register", existing, actor=actor, supplier_id=existing.id)
        return existing, False
    supplier = Supplier()
    _apply(supplier, SUPPLIER_FIELDS, values)
    db.session.add(supplier)
    db.session.flush()
    add_to_register(buyer_id, supplier)
    audit.record("supplier.created", supplier, actor=actor, supplier_id=supplier.id,
                 after={k: _jsonable(getattr(supplier, k)) for k in SUPPLIER_FIELDS})
    return supplier, True


def _in_register(buyer_id: int, supplier: Supplier) -> bool:
    return db.session.execute(
        select(buyer_supplier.c.supplier_id).where(
            buyer_supplier.c.buyer_id == buyer_id, buyer_supplier.c.supplier_id == supplier.id
        )
    ).first() is not None


def update_supplier(supplier: Supplier, values: dict[str, Any], *, actor: User) -> None:
    values = _clean_supplier(values)
    if _supplier_with_org_number(values["org_number"], supplier.id) is not None:
        raise DuplicateError("org_number")
    changes = _apply(supplier, SUPPLIER_FIELDS, values)
    if changes:
        audit.record("supplier.updated", supplier, actor=actor, supplier_id=supplier.id,
                     before={k: v[0] for k, v in changes.items()},
                     after={k: v[1] for k, v in changes.items()})


def _clean_agreement(values: dict[str, Any]) -> dict[str, Any]:
    values = dict(values)
    values["dfo_category"] = values.get("dfo_category") or None
    values["contract_manager_id"] = values.get("contract_manager_id") or None
    for key in ("social_dialogue_wording", "product_scope"):
        values[key] = values.get(key) or ""
    return values


def _check_reference(reference: str, buyer_id: int, exclude_id: int | None) -> None:
    query = select(Agreement.id).where(Agreement.reference == reference, Agreement.buyer_id == buyer_id)
    if exclude_id is not None:
        query = query.where(Agreement.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise DuplicateError("reference")


def _set_suppliers(agreement: Agreement, supplier_ids: list[int]) -> tuple[list[int], list[int]]:
    before = sorted(s.id for s in agreement.suppliers)
    suppliers = list(db.session.scalars(select(Supplier).where(Supplier.id.in_(supplier_ids)))) if supplier_ids else []
    agreement.suppliers = suppliers
    for supplier in suppliers:
        add_to_register(agreement.buyer_id, supplier)
    return before, sorted(s.id for s in suppliers)


def add_to_register(buyer_id: int, supplier: Supplier) -> None:
    """Put ``supplier`` into the buyer's supplier register (once); a supplier the buyer had
    archived is taken back into use."""
    db.session.flush()
    if not _in_register(buyer_id, supplier):
        db.session.execute(buyer_supplier.insert().values(buyer_id=buyer_id, supplier_id=supplier.id))
    else:
        _set_supplier_archived(buyer_id, supplier, None)


def _set_supplier_archived(buyer_id: int, supplier: Supplier, when: datetime | None) -> None:
    db.session.execute(
        buyer_supplier.update()
        .where(buyer_supplier.c.buyer_id == buyer_id, buyer_supplier.c.supplier_id == supplier.id)
        .values(archived_at=when)
    )


def supplier_archived_at(buyer_id: int, supplier: Supplier) -> datetime | None:
    """When the buyer archived ``supplier`` in its register (None: in use)."""
    return db.session.scalar(
        select(buyer_supplier.c.archived_at).where(
            buyer_supplier.c.buyer_id == buyer_id, buyer_supplier.c.supplier_id == supplier.id))


def archive_supplier(supplier: Supplier, *, actor: User) -> None:
    """Take ``supplier`` out of the actor's buyer's lists and pickers; another buyer's
    register, the supplier's own data and every record about it stay as they are."""
    buyer_id = owner_id(actor)
    _set_supplier_archived(buyer_id, supplier, datetime.now(UTC))
    audit.record("supplier.archived", supplier, actor=actor, supplier_id=supplier.id)


def restore_supplier(supplier: Supplier, *, actor: User) -> None:
    _set_supplier_archived(owner_id(actor), supplier, None)
    audit.record("supplier.restored", supplier, actor=actor, supplier_id=supplier.id)


def archive_agreement(agreement: Agreement, *, actor: User) -> None:
    """Take ``agreement`` out of lists and pickers (new rounds, activities, deviations);
    its responses, reviews, deviations and report figures stay."""
    agreement.archived_at = datetime.now(UTC)
    audit.record("agreement.archived", agreement, actor=actor)


def restore_agreement(agreement: Agreement, *, actor: User) -> None:
    agreement.archived_at = None
    audit.record("agreement.restored", agreement, actor=actor)


def create_agreement(
    values: dict[str, Any], supplier_ids: list[int], *, actor: User | None, buyer: Buyer | None = None
) -> Agreement:
    values = _clean_agreement(values)
    buyer_id = owner_id(actor, buyer)
    _check_reference(values["reference"], buyer_id, None)
    agreement = Agreement(buyer_id=buyer_id)
    _apply(agreement, AGREEMENT_FIELDS, values)
    db.session.add(agreement)
    _set_suppliers(agreement, supplier_ids)
    db.session.flush()
    audit.record("agreement.created", agreement, actor=actor,
                 after={**{k: _jsonable(getattr(agreement, k)) for k in AGREEMENT_FIELDS},
                        "suppliers": sorted(supplier_ids)})
    return agreement


def update_agreement(agreement: Agreement, values: dict[str, Any], supplier_ids: list[int], *, actor: User) -> None:
    values = _clean_agreement(values)
    _check_reference(values["reference"], agreement.buyer_id, agreement.id)
    changes = _apply(agreement, AGREEMENT_FIELDS, values)
    before, after = _set_suppliers(agreement, supplier_ids)
    if before != after:
        changes["suppliers"] = (before, after)
    if changes:
        audit.record("agreement.updated", agreement, actor=actor,
                     before={k: v[0] for k, v in changes.items()},
                     after={k: v[1] for k, v in changes.items()})


RISK_FIELDS = ("impact_nb", "impact_en", "themes", "geography", "position")


def save_priority_risk(
    risk: PriorityRisk | None, values: dict[str, Any], *, actor: User | None, buyer: Buyer | None = None
) -> PriorityRisk:
    values = dict(values)
    values["position"] = int(values.get("position") or 0)
    values["impact_en"] = values.get("impact_en") or ""
    values["geography"] = values.get("geography") or ""
    created = risk is None
    risk = risk or PriorityRisk(buyer_id=owner_id(actor, buyer))
    if created:
        db.session.add(risk)
    changes = _apply(risk, RISK_FIELDS, values)
    db.session.flush()
    if changes:
        audit.record("risk.created" if created else "risk.updated", risk, actor=actor,
                     before=None if created else {k: v[0] for k, v in changes.items()},
                     after={k: v[1] for k, v in changes.items()})
    return risk


def delete_priority_risk(risk: PriorityRisk, *, actor: User) -> None:
    audit.record("risk.deleted", risk, actor=actor,
                 before={k: _jsonable(getattr(risk, k)) for k in RISK_FIELDS})
    db.session.delete(risk)


class ParticipantError(ValueError):
    """A buyer that cannot take part in this joint agreement."""


#: Kinds of buyer that may take part in another buyer's joint agreement. A purchasing
#: cooperation leads joint agreements for its members; it does not take part in them.
PARTICIPANT_KINDS = frozenset(kind.value for kind in BuyerKind) - {BuyerKind.COOPERATION.value}


def _check_lead(agreement: Agreement, actor: User) -> None:
    # The association table is written with Core statements, which tenancy's flush check
    # does not see: only the lead's staff change who takes part.
    if not agreement.is_led_by(actor):
        raise PermissionError(agreement.id)


def participant_candidates(agreement: Agreement) -> list[Buyer]:
    """Buyers of the platform that could join ``agreement``: active, of a participating kind,
    neither its lead nor already taking part. Names and organisation numbers are public."""
    taking_part = select(agreement_participant.c.buyer_id).where(
        agreement_participant.c.agreement_id == agreement.id
    )
    return list(db.session.scalars(
        select(Buyer)
        .where(
            Buyer.id != agreement.buyer_id,
            Buyer.archived_at.is_(None),
            Buyer.kind.in_(PARTICIPANT_KINDS),
            Buyer.id.not_in(taking_part),
        )
        .order_by(Buyer.name, Buyer.id)
        .execution_options(**{ALL_BUYERS: True})
    ))


def participants(agreement: Agreement) -> list[Buyer]:
    """The buyers taking part in ``agreement``, as its lead and its participants may see them."""
    return list(db.session.scalars(
        select(Buyer)
        .join(agreement_participant, agreement_participant.c.buyer_id == Buyer.id)
        .where(agreement_participant.c.agreement_id == agreement.id)
        .order_by(Buyer.name, Buyer.id)
        .execution_options(**{ALL_BUYERS: True})
    ))


def lead_of(agreement: Agreement) -> Buyer | None:
    """The buyer leading ``agreement``, when the viewer is one of its participants."""
    return db.session.get(Buyer, agreement.buyer_id, execution_options={ALL_BUYERS: True})


def lead_for_participant(agreement: Agreement | None, user: User) -> Buyer | None:
    """The lead of ``agreement`` when ``user`` is staff of a buyer taking part in it, reading
    the lead's follow-up (its pages say so); ``None`` for the lead's own staff and for suppliers."""
    if agreement is None or not user.is_staff or agreement.is_led_by(user):
        return None
    return lead_of(agreement)


def add_participant(agreement: Agreement, buyer_id: int, *, actor: User) -> Buyer:
    """Let another buyer take part in ``agreement`` (its staff then read its follow-up)."""
    _check_lead(agreement, actor)
    buyer = next((b for b in participant_candidates(agreement) if b.id == buyer_id), None)
    if buyer is None:
        raise ParticipantError(buyer_id)
    db.session.execute(
        agreement_participant.insert().values(agreement_id=agreement.id, buyer_id=buyer.id)
    )
    audit.record("agreement.participant_added", agreement, actor=actor,
                 after={"participant": buyer.id, "name": buyer.name})
    return buyer


def remove_participant(agreement: Agreement, buyer_id: int, *, actor: User) -> bool:
    """End another buyer's part in ``agreement``; False when it was not taking part."""
    _check_lead(agreement, actor)
    result = cast(CursorResult[Any], db.session.execute(
        agreement_participant.delete().where(
            agreement_participant.c.agreement_id == agreement.id,
            agreement_participant.c.buyer_id == buyer_id,
        )
    ))
    removed = result.rowcount
    if removed:
        audit.record("agreement.participant_removed", agreement, actor=actor,
                     before={"participant": buyer_id})
    return bool(removed)
