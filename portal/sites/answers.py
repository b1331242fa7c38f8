"""Between the register and the answers: the questionnaire's production-site table.

No code names a question: the definition marks the table with ``role: production_sites``
(DOMAIN 4.3, C5 in the shipped questionnaires). A register site is written into that table
as a row, column by column (the columns' ids are the table's contract: ``site_name``,
``country`` …; a column the table lacks, or a code its options do not offer, is left out).
Rows already in the answer stay as they are; a site whose name is already a row is skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from portal.models import ProductionSite, Response
from portal.questionnaires.definition import Definition, Part, Question
from portal.questionnaires.types import MAX_ROWS, answer_of, new_row_id, type_of
from portal.sites.services import name_key

ROLE = "production_sites"

#: Register field → the site table's column id.
COLUMNS = {
    "name": "site_name", "address": "address", "city": "city", "country": "country", "tier": "tier",
    "products": "products", "relation": "relation", "workers": "workers_total", "women_pct": "women_pct",
    "migrant_workers": "migrant_workers", "worker_representation": "worker_representation",
    "last_audit_scheme": "last_audit_scheme", "last_audit_date": "last_audit_date",
    "certifications": "certifications", "is_confidential": "confidential",
}
NAME_COLUMN = COLUMNS["name"]


def sites_table(definition: Definition) -> tuple[Question, Part] | None:
    """The question and table part listing production sites.

    Versions registered before tables had roles are recognised by the table's contract: the
    first table with a site-name and a country column.
    """
    found = definition.table_with_role(ROLE)
    if found is not None:
        return found
    for question in definition.questions():
        for part in question.parts:
            ids = {column.id for column in part.columns}
            if type_of(part).has_rows and {NAME_COLUMN, COLUMNS["country"]} <= ids:
                return question, part
    return None


def _cell(site: ProductionSite, name: str, column: Part) -> Any:
    value = getattr(site, name)
    if name == "is_confidential":
        value = "yes" if value else "no"
    elif name in ("workers", "women_pct"):
        value = "" if value is None else str(value)
    elif isinstance(value, date):
        value = value.isoformat()
    elif value is None:
        value = ""
    return type_of(column).fitted(value, column)


def site_row(site: ProductionSite, part: Part) -> dict[str, Any]:
    """A register site as a new row of the table ``part``."""
    row: dict[str, Any] = {"_id": new_row_id()}
    for column in part.columns:
        if not type_of(column).stores_value:
            continue
        names = [name for name, column_id in COLUMNS.items() if column_id == column.id]
        row[column.id] = _cell(site, names[0], column) if names else ""
    return row


def row_names(rows: object) -> list[str]:
    """The site names of a stored table value (any stored shape is read)."""
    if not isinstance(rows, list):
        return []
    return [str(row.get(NAME_COLUMN) or "").strip() for row in rows[:MAX_ROWS] if isinstance(row, Mapping)]


def _has_content(row: Mapping[str, Any], part: Part) -> bool:
    for column in part.columns:
        value = row.get(column.id)
        if value in (None, "", []) or (column.default is not None and value == column.default):
            continue
        return True
    return False


@dataclass
class Filled:
    rows: list[dict[str, Any]]
    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already in the answer
    left_out: list[str] = field(default_factory=list)  # beyond the table's maximum


def fill_rows(current: object, sites: Sequence[ProductionSite], part: Part) -> Filled:
    """The table with ``sites`` appended: rows already typed are kept (blank rows are dropped),
    a site whose name is already a row is skipped, and nothing goes beyond the table's maximum."""
    kept = [dict(row) for row in (current if isinstance(current, list) else [])[:MAX_ROWS]
            if isinstance(row, Mapping) and _has_content(row, part)]
    result = Filled(rows=kept)
    present = {name_key(name) for name in row_names(kept) if name}
    limit = part.max_rows if part.max_rows is not None else MAX_ROWS
    for site in sites:
        if name_key(site.name) in present:
            result.skipped.append(site.name)
        elif len(result.rows) >= limit:
            result.left_out.append(site.name)
        else:
            result.rows.append(site_row(site, part))
            result.added.append(site.name)
            present.add(name_key(site.name))
    return result


@dataclass(frozen=True)
class SiteChoice:
    """A site a reviewer may pick for a deviation: a row of the response, or a register site."""

    name: str
    city: str
    country: str
    tier: str


def _text(value: object, limit: int = 200) -> str:
    return str(value or "").strip()[:limit] if isinstance(value, str | int) else ""


def sites_for_deviation(response: Response, answers: Mapping[str, Any]) -> dict[str, SiteChoice]:
    """The sites a deviation on ``response`` can name, by choice value.

    The rows of the response's site table come first (by row id; also old answers whose rows
    were typed, not picked). Then the supplier's register sites of the response's year that are
    not marked confidential and not already a row (``site-<id>``): a confidential site is
    shown to a buyer's staff only where the supplier wrote it into that buyer's response.
    """
    from portal.questionnaires import engine
    from portal.sites.services import sites_of

    choices: dict[str, SiteChoice] = {}
    found = sites_table(engine.definition_of(response.round.questionnaire_version))
    if found is not None:
        question, part = found
        rows = answer_of(answers, question.id).get(part.id)
        for row in rows[:MAX_ROWS] if isinstance(rows, list) else []:
            if isinstance(row, Mapping) and row.get("_id") and _text(row.get(NAME_COLUMN)):
                choices[str(row["_id"])[:40]] = SiteChoice(
                    _text(row.get(NAME_COLUMN)), _text(row.get("city")), _text(row.get("country"), 2),
                    _text(row.get("tier"), 3))
    listed = {name_key(choice.name) for choice in choices.values()}
    for site in sites_of(response.supplier_id, response.round.year):
        if not site.is_confidential and name_key(site.name) not in listed:
            choices[f"site-{site.id}"] = SiteChoice(site.name, site.city, site.country, site.tier)
    return choices


def register_site_names(supplier_ids: Any) -> list[str]:
    """Every register site name of these suppliers, any year (for the public-text guard)."""
    from sqlalchemy import select

    from portal.extensions import db

    return list(db.session.scalars(
        select(ProductionSite.name).where(ProductionSite.supplier_id.in_(supplier_ids)).distinct()))
