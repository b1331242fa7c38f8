"""The supplier's production-site register: kept once per supplier and year (DOMAIN 0b).

Services flush and never commit. Every change is in the audit trail with the supplier's id
and no buyer: the register is the supplier's own, not any buyer's record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from portal import audit
from portal.extensions import db
from portal.i18n import collation_key
from portal.models import ProductionSite, Supplier, User

#: What a form or an import sets on a site; everything else is the system's.
SITE_FIELDS = (
    "name", "address", "city", "country", "tier", "products", "relation", "workers", "women_pct",
    "migrant_workers", "worker_representation", "last_audit_scheme", "last_audit_date",
    "certifications", "is_confidential",
)
MAX_SITES = 500  # per supplier and year: more than any supplier of a public buyer lists
FIRST_YEAR, LAST_YEAR = 2000, 2100


class SiteNameTaken(Exception):
    """Another site of the same year has this name (names identify sites in imports and answers)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class RegisterFull(Exception):
    """The year already has ``MAX_SITES`` sites."""


class YearNotEmpty(Exception):
    """Copying into a year that already has sites would mix two registers."""


def name_key(name: str) -> str:
    """How site names are compared: case and surrounding spaces do not make another site."""
    return " ".join(name.split()).casefold()


def sites_of(supplier_id: int, year: int) -> list[ProductionSite]:
    """The year's register in the user's alphabetical order."""
    sites = db.session.scalars(
        select(ProductionSite).where(ProductionSite.supplier_id == supplier_id, ProductionSite.year == year)
    ).all()
    return sorted(sites, key=lambda site: (collation_key(site.name), site.id))


def count_sites(supplier_id: int, year: int) -> int:
    return db.session.scalar(
        select(func.count(ProductionSite.id))
        .where(ProductionSite.supplier_id == supplier_id, ProductionSite.year == year)
    ) or 0


def latest_year_before(supplier_id: int, year: int) -> int | None:
    """The latest earlier year with sites (what "copy last year's register" copies)."""
    return db.session.scalar(
        select(func.max(ProductionSite.year))
        .where(ProductionSite.supplier_id == supplier_id, ProductionSite.year < year)
    )


def get_site(supplier_id: int, site_id: int) -> ProductionSite | None:
    """A site of this supplier; another supplier's id finds nothing."""
    return db.session.scalar(
        select(ProductionSite).where(ProductionSite.id == site_id, ProductionSite.supplier_id == supplier_id)
    )


def _snapshot(site: ProductionSite) -> dict[str, Any]:
    values = {name: getattr(site, name) for name in SITE_FIELDS}
    if isinstance(values["last_audit_date"], date):
        values["last_audit_date"] = values["last_audit_date"].isoformat()
    values["certifications"] = list(values["certifications"] or [])
    return values


def _check_name(supplier_id: int, year: int, name: str, besides: int | None = None) -> None:
    key = name_key(name)
    for site in sites_of(supplier_id, year):
        if site.id != besides and name_key(site.name) == key:
            raise SiteNameTaken(name)


def create_site(supplier: Supplier, year: int, values: Mapping[str, Any], *, actor: User) -> ProductionSite:
    if count_sites(supplier.id, year) >= MAX_SITES:
        raise RegisterFull()
    _check_name(supplier.id, year, values["name"])
    site = ProductionSite(supplier_id=supplier.id, year=year, created_by_id=actor.id, updated_by_id=actor.id)
    for name in SITE_FIELDS:
        setattr(site, name, values[name])
    db.session.add(site)
    db.session.flush()
    audit.record("site.created", site, actor=actor, supplier_id=supplier.id, after=_snapshot(site))
    return site


def update_site(site: ProductionSite, values: Mapping[str, Any], *, actor: User) -> bool:
    """Change a site; False when nothing differs."""
    _check_name(site.supplier_id, site.year, values["name"], besides=site.id)
    before = _snapshot(site)
    for name in SITE_FIELDS:
        setattr(site, name, values[name])
    after = _snapshot(site)
    if before == after:
        return False
    site.updated_by_id = actor.id
    changed_before, changed_after = audit.changed_parts(before, after)
    audit.record("site.changed", site, actor=actor, supplier_id=site.supplier_id,
                 before=changed_before, after=changed_after)
    db.session.flush()
    return True


def delete_site(site: ProductionSite, *, actor: User) -> None:
    """Remove a site from the register; answers it was written into keep their rows."""
    audit.record("site.deleted", site, actor=actor, supplier_id=site.supplier_id, before=_snapshot(site))
    db.session.delete(site)
    db.session.flush()


def copy_year(supplier: Supplier, from_year: int, to_year: int, *, actor: User) -> int:
    """Copy one year's register into an empty year; the number of sites copied."""
    if count_sites(supplier.id, to_year):
        raise YearNotEmpty()
    copied = 0
    for source in sites_of(supplier.id, from_year)[:MAX_SITES]:
        create_site(supplier, to_year, _snapshot_values(source), actor=actor)
        copied += 1
    return copied


def _snapshot_values(site: ProductionSite) -> dict[str, Any]:
    values = {name: getattr(site, name) for name in SITE_FIELDS}
    values["certifications"] = list(site.certifications or [])
    return values


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int


def import_sites(supplier: Supplier, year: int, rows: Iterable[Mapping[str, Any]], *, actor: User) -> ImportResult:
    """Add or update sites from checked rows, matched by name; the caller commits once, or
    rolls back everything when this raises."""
    existing = {name_key(site.name): site for site in sites_of(supplier.id, year)}
    added = updated = unchanged = 0
    for values in rows:
        site = existing.get(name_key(values["name"]))
        if site is None:
            existing[name_key(values["name"])] = create_site(supplier, year, values, actor=actor)
            added += 1
        elif update_site(site, values, actor=actor):
            updated += 1
        else:
            unchanged += 1
    return ImportResult(added, updated, unchanged)
