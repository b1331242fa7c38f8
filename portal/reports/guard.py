"""The public text guard: free texts that reach the public report must not name anyone.

The report to Etisk handel Norge is public; production sites and sub-suppliers can be trade
secrets, and suppliers and persons are not to be named in it. The free texts that reach
public outputs (a deviation's measures in 4.A.3, the 4.A.1 text, the priority risks of
2.A.3) are checked against what the portal knows for the buyer: production sites (the
deviations' sites and the sites listed in C5, which are also the sub-suppliers), suppliers'
names, organisation numbers and registry ids, and the names of persons (users, and a
deviation's responsible person). A hit is a warning, never a refusal: the person writing
decides.

Matching is whole words, case-insensitive. Supplier names also match without their legal
form ("Alfa Tekstil AS" matches "Alfa Tekstil"); terms shorter than four characters are
skipped, since they would match ordinary words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select

from portal.extensions import db
from portal.models import Answer, Deviation, PriorityRisk, Supplier, User
from portal.reports import queries

SITE = "site"
SUPPLIER = "supplier"
ORG_NUMBER = "org_number"
PERSON = "person"

MIN_LENGTH = 4
LEGAL_FORMS = re.compile(
    r"\s*(?:\(demo\)|\b(?:asa|as|ab|ans|da|sa|ltd|limited|gmbh|inc|llc|co\.?|oy|a/s|aps|bv|srl|sarl|"
    r"s\.a\.|spa|plc|pvt))\s*$", re.IGNORECASE)
C5 = "C5"


@dataclass(frozen=True)
class Hit:
    kind: str  # SITE, SUPPLIER, ORG_NUMBER or PERSON
    term: str  # as the portal knows it


def _variants(name: str) -> set[str]:
    """The name, and the name without its legal form(s) at the end."""
    found = {name.strip()}
    short = name.strip()
    while (shorter := LEGAL_FORMS.sub("", short)) != short:
        short = shorter
        found.add(short)
    return {v for v in found if len(v) >= MIN_LENGTH}


class Terms:
    """Names the portal knows, by kind; one compiled pattern finds them all in a text."""

    def __init__(self, terms: Iterable[tuple[str, str]]) -> None:
        self.kind_of: dict[str, tuple[str, str]] = {}
        for kind, term in terms:
            for variant in _variants(term):
                self.kind_of.setdefault(variant.casefold(), (kind, term.strip()))

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        if not self.kind_of:
            return None
        alternatives = "|".join(re.escape(t) for t in sorted(self.kind_of, key=len, reverse=True))
        return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)

    def find(self, text: str) -> tuple[Hit, ...]:
        if self._pattern is None or not text:
            return ()
        # An organisation number may be written in groups: "923 456 789".
        text = re.sub(r"(?<!\d)(\d{3}) (\d{3}) (\d{3})(?!\d)", r"\1\2\3", text)
        hits: dict[Hit, None] = {}
        for match in self._pattern.finditer(text):
            kind, term = self.kind_of[match.group(0).casefold()]
            hits[Hit(kind, term)] = None
        return tuple(hits)


def _c5_site_names(rows: object) -> Iterable[str]:
    if not isinstance(rows, dict):
        return ()
    sites = rows.get("sites")
    if not isinstance(sites, list):
        return ()
    return (str(row.get("site_name") or "") for row in sites if isinstance(row, dict))


def known_terms() -> Terms:
    """Everything the signed-in buyer's portal knows that a public text must not name.

    Runs in the buyer's scope (portal/tenancy.py): suppliers of its register, its
    deviations, the answers to its requests, its staff and its suppliers' users.
    """
    terms: list[tuple[str, str]] = []
    for name, org_number, registry_id in db.session.execute(
            select(Supplier.name, Supplier.org_number, Supplier.registry_id)):
        terms.append((SUPPLIER, name))
        terms += [(ORG_NUMBER, number) for number in (org_number, registry_id) if number]
    for site, responsible in db.session.execute(
            select(Deviation.site, Deviation.responsible)
            .where(or_(Deviation.site != "", Deviation.responsible != ""))):
        terms += [(SITE, site), (PERSON, responsible)]
    for (value,) in db.session.execute(select(Answer.value).where(Answer.question_id == C5)):
        terms += [(SITE, name) for name in _c5_site_names(value)]
    terms += [(PERSON, name) for (name,) in db.session.execute(select(User.name).where(User.name != ""))]
    return Terms((kind, term) for kind, term in terms if term and term.strip())


@dataclass(frozen=True)
class PublicTextWarning:
    """A public text of the year's report that names something it should not."""

    where: str  # "4a1", "4a3" (a deviation's measures) or "2a3" (a priority risk)
    object_id: int | None
    hits: tuple[Hit, ...]


def year_warnings(year: int, terms: Terms | None = None) -> tuple[PublicTextWarning, ...]:
    """Every public text of ``year``'s report with what it names, in report order."""
    terms = terms or known_terms()
    found: list[PublicTextWarning] = []
    saved = queries.saved_text(year)
    if saved is not None and (hits := terms.find(saved.text)):
        found.append(PublicTextWarning("4a1", None, hits))
    for risk_id, *texts in db.session.execute(
            select(PriorityRisk.id, PriorityRisk.impact_nb, PriorityRisk.impact_en,
                   PriorityRisk.geography).order_by(PriorityRisk.position, PriorityRisk.id)):
        if hits := terms.find("\n".join(t or "" for t in texts)):
            found.append(PublicTextWarning("2a3", risk_id, hits))
    in_report = and_(queries._counted_deviation(),
                     or_(queries._detected_in(year), queries._earlier_open_in(year)),
                     Deviation.measures_text != "")
    for deviation_id, text in db.session.execute(
            select(Deviation.id, Deviation.measures_text).where(in_report)
            .order_by(Deviation.detected_date, Deviation.id)):
        if hits := terms.find(text):
            found.append(PublicTextWarning("4a3", deviation_id, hits))
    return tuple(found)


def saved_text_hits(text: str) -> tuple[Hit, ...]:
    return known_terms().find(text)



KIND_LABELS = {
    SITE: _l("production site or sub-supplier"),
    SUPPLIER: _l("supplier"),
    ORG_NUMBER: _l("organisation number"),
    PERSON: _l("person"),
}


def names(hits: Iterable[Hit]) -> str:
    return ", ".join(f"«{hit.term}» ({KIND_LABELS[hit.kind]})" for hit in hits)


def hits_message(hits: tuple[Hit, ...]) -> str:
    """For a form just saved: what its public text names."""
    return _("This text is public, and it names %(names)s. Rewrite it without the names "
             "before the report is published.", names=names(hits))


def warning_message(warning: PublicTextWarning) -> str:
    if warning.where == "4a1":
        return _("The text for 4.A.1 is public and names %(names)s.", names=names(warning.hits))
    if warning.where == "2a3":
        return _("A priority risk (2.A.3) is public and names %(names)s.", names=names(warning.hits))
    return _("The measures of a deviation (4.A.3) are public and name %(names)s.",
             names=names(warning.hits))


def warning_link(warning: PublicTextWarning, year: int) -> str:
    """Where the text is edited (a request is needed: it builds a URL)."""
    if warning.where == "4a1":
        return url_for("reports.year_report", year=year, live=1, _anchor="text")
    if warning.where == "2a3":
        return url_for("admin.edit_risk", risk_id=warning.object_id, _anchor="impact_nb")
    return url_for("deviations.edit_deviation", deviation_id=warning.object_id,
                   _anchor="measures_text")
