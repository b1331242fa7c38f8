"""The public text guard: free texts that reach the public report must not name anyone.

The report to Etisk handel Norge is public; production sites and sub-suppliers can be trade
secrets, and suppliers and persons are not to be named in it. The free texts that reach
public outputs (a deviation's measures in 4.A.3, the 4.A.1 text, the priority risks of
2.A.3) are checked against what the portal knows for the buyer: production sites (the
deviations' sites, the sites listed in the answers' production-site table and the sites of
its suppliers' site registers, which are also the sub-suppliers), suppliers'
names, organisation numbers and registry ids, and the names of persons (users, and a
deviation's responsible person). A hit is a warning, never a refusal: the person writing
decides.

Matching is whole words, case-insensitive. Supplier names also match without their legal
form ("Alfa Tekstil AS" matches "Alfa Tekstil"); terms shorter than four characters are
skipped, since they would match ordinary words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CompoundSelect, String, and_, cast, literal, or_, select, union_all

from portal.extensions import db
from portal.models import (
    Agreement,
    Answer,
    Deviation,
    FollowUpRound,
    PriorityRisk,
    ProductionSite,
    QuestionnaireVersion,
    Response,
    Supplier,
    User,
    buyer_supplier,
)
from portal.reports import queries
from portal.tenancy import scoped_buyer

SITE = "site"
SUPPLIER = "supplier"
ORG_NUMBER = "org_number"
PERSON = "person"
ANSWER = "answer:"  # a row of the union that is an answer of a site table, not a term

MIN_LENGTH = 4
LEGAL_FORMS = re.compile(
    r"\s*(?:\(demo\)|\b(?:asa|as|ab|ans|da|sa|ltd|limited|gmbh|inc|llc|co\.?|oy|a/s|aps|bv|srl|sarl|"
    r"s\.a\.|spa|plc|pvt))\s*$", re.IGNORECASE)


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
        return _terms_pattern(frozenset(self.kind_of)) if self.kind_of else None

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


@lru_cache(maxsize=64)
def _terms_pattern(terms: frozenset[str]) -> re.Pattern[str]:
    """The search for ``terms``, made once for a set of terms: a buyer's names change seldom,
    and writing the tree out took a few milliseconds of every report page."""
    try:
        return re.compile(rf"(?<!\w){_trie_pattern(terms)}(?!\w)", re.IGNORECASE)
    except RecursionError:  # thousands of terms each a prefix of the next: the flat form
        alternatives = "|".join(re.escape(t) for t in sorted(terms, key=lambda t: (-len(t), t)))
        return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _trie_pattern(terms: Iterable[str]) -> str:
    """One alternation of ``terms`` shaped as a prefix tree: ``(?:abc|abd)`` as ``(?:ab(?:c|d))``.

    The regular expression engine then follows one branch per character instead of trying
    every term at every position of the text: a large buyer knows some 8,000 names, and the
    flat alternation took 3 s to search the year's public texts. It matches what the flat one
    sorted longest first matched: at a node the longer terms are tried before the term that
    ends there, so the longest term that ends at a word boundary wins.
    """
    tree: dict[str, Any] = {}
    for term in terms:
        node = tree
        for char in term:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict[str, Any]) -> str:
        chain = []  # characters with one way on and no term ending: written out, not nested
        while len(node) == 1 and "" not in node:
            char, node = next(iter(node.items()))
            chain.append(re.escape(char))
        branches = [re.escape(char) + pattern(child) for char, child in node.items() if char]
        if "" in node and branches:
            branches.append("")  # the term that ends here, after every longer one
        if len(branches) <= 1:
            return "".join(chain) + "".join(branches)
        return "".join(chain) + "(?:" + "|".join(branches) + ")"

    return f"(?:{pattern(tree)})"


def _site_tables(buyer: int) -> dict[str, set[str]]:
    """Question id → part ids of the production-site tables in the buyer's questionnaire versions.

    Found by the table's role in each version, never by a question id.
    """
    from portal.questionnaires import engine
    from portal.sites.answers import sites_table

    tables: dict[str, set[str]] = {}
    versions = db.session.scalars(select(QuestionnaireVersion).where(QuestionnaireVersion.id.in_(
        select(FollowUpRound.questionnaire_version_id).where(FollowUpRound.buyer_id == buyer))))
    for version in versions:
        found = sites_table(engine.definition_of(version))
        if found is not None:
            tables.setdefault(found[0].id, set()).add(found[1].id)
    return tables


def _site_names(value: object, part_ids: set[str]) -> Iterable[str]:
    from portal.sites.answers import row_names

    if isinstance(value, dict):
        for part_id in part_ids:
            yield from row_names(value.get(part_id))


def known_terms(buyer_id: int | None = None) -> Terms:
    """Everything ``buyer_id``'s portal knows that a public text must not name (default: the
    buyer the session is scoped to): the suppliers of its register, its deviations' sites and
    responsible persons, the sites in the answers to its requests, its staff and its
    suppliers' users. One statement; the buyer is named in it, not left to the scoping.
    """
    buyer = buyer_id if buyer_id is not None else scoped_buyer(db.session())
    if buyer is None:
        raise ValueError("the public text guard needs a buyer")
    register = select(buyer_supplier.c.supplier_id).where(buyer_supplier.c.buyer_id == buyer)
    on_register = Supplier.id.in_(register)
    tables = _site_tables(buyer)
    answers_of_buyer = Answer.response_id.in_(
        select(Response.id).join(Agreement, Agreement.id == Response.agreement_id)
        .where(Agreement.buyer_id == buyer))
    statement: CompoundSelect = union_all(
        select(literal(SUPPLIER), Supplier.name).where(on_register),
        select(literal(ORG_NUMBER), Supplier.org_number)
        .where(on_register, Supplier.org_number.is_not(None)),
        select(literal(ORG_NUMBER), Supplier.registry_id)
        .where(on_register, Supplier.registry_id.is_not(None)),
        select(literal(SITE), Deviation.site).where(Deviation.buyer_id == buyer, Deviation.site != ""),
        select(literal(PERSON), Deviation.responsible)
        .where(Deviation.buyer_id == buyer, Deviation.responsible != ""),
        select(literal(SITE), ProductionSite.name).where(ProductionSite.supplier_id.in_(register)),
        select(literal(ANSWER) + Answer.question_id, cast(Answer.value, String))
        .where(Answer.question_id.in_(tables), answers_of_buyer),
        select(literal(PERSON), User.name)
        .where(User.name != "", or_(User.buyer_id == buyer, User.supplier_id.in_(register))),
    )
    terms: list[tuple[str, str]] = []
    for kind, value in db.session.execute(statement):
        if kind.startswith(ANSWER):
            terms += [(SITE, name) for name in _site_names(_json(value), tables.get(kind[len(ANSWER):], set()))]
        elif value:
            terms.append((kind, value))
    return Terms((kind, term) for kind, term in terms if term and term.strip())


def _json(value: str | None) -> object:
    try:
        return json.loads(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class PublicTextWarning:
    """A public text of the year's report that names something it should not."""

    where: str  # "4a1", "4a3" (a deviation's measures) or "2a3" (a priority risk)
    object_id: int | None
    hits: tuple[Hit, ...]


def year_warnings(year: int, terms: Terms | None = None, *,
                  saved_4a1: str | None = None) -> tuple[PublicTextWarning, ...]:
    """Every public text of ``year``'s report with what it names, in report order.

    ``saved_4a1``: the saved 4.A.1 text when the caller has read it already (else it is read).
    """
    terms = terms or known_terms()
    found: list[PublicTextWarning] = []
    if saved_4a1 is None:
        saved = queries.saved_text(year)
        saved_4a1 = saved.text if saved is not None else ""
    if hits := terms.find(saved_4a1):
        found.append(PublicTextWarning("4a1", None, hits))
    in_report = and_(queries._counted_deviation(),
                     or_(queries._detected_in(year), queries._earlier_open_in(year)),
                     Deviation.measures_text != "")
    risks = select(literal("2a3"), PriorityRisk.id,
                   PriorityRisk.impact_nb + "\n" + PriorityRisk.impact_en + "\n"
                   + PriorityRisk.geography, PriorityRisk.position, literal(date(2000, 1, 1)))
    measures = select(literal("4a3"), Deviation.id, Deviation.measures_text, literal(0),
                      Deviation.detected_date).where(in_report)
    rows = db.session.execute(union_all(risks, measures)).all()
    # The report's order: 2.A.3 by position, then 4.A.3 by date.
    for where, object_id, text, _position, _day in sorted(rows, key=lambda r: (r[0], r[3], r[4], r[1])):
        if hits := terms.find(text or ""):
            found.append(PublicTextWarning(where, object_id, hits))
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
