"""Publishing a year's report: the figures, texts and warnings kept as they were sent.

``publish_year`` stores the report's JSON document in each language at once, in the
request, so what is published is what the publisher saw; a job then renders the other
exports (PDF, XLSX, CSV) and keeps every file in storage. The job first recomputes the
documents: if records changed in between, it stores nothing but the reason, because a
PDF that differs from the published figures would be worse than none.

``changes`` compares a published document with the live one by codes and counts only,
so it reads the same in either language.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal import audit, clock, jobs, storage
from portal.extensions import db
from portal.models import (
    LOCALES,
    AuditEvent,
    Buyer,
    PublishedReport,
    PublishedReportFile,
    User,
    utcnow,
)
from portal.reports import exports, queries
from portal.reports.pdf import Publication
from portal.reports.tables import TABLE_KEYS
from portal.tenancy import owner_id, scope_to

#: Fields of the document that say when it was made, not what it says.
_VOLATILE = ("generated_at",)
CLOSED_EHN = ("closed", "closed_not_remedied")


def _plain(document: dict[str, Any]) -> dict[str, Any]:
    """The document as JSON would carry it (dates as strings, rows as objects)."""
    return dict(orjson.loads(exports.json_bytes(document)))


def _comparable(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key not in _VOLATILE}


def live_documents(year: int, today: date, years: tuple[int, ...], buyer_name: str,
                   locales: Iterable[str] = LOCALES, as_of: date | None = None
                   ) -> dict[str, dict[str, Any]]:
    return {locale: _plain(exports.json_document(year, today, years, locale, buyer_name, as_of))
            for locale in locales}


def basis(published: PublishedReport) -> date | None:
    """The ``as_of`` a version was published with: 31.12 of a year published after it ended."""
    day = published.status_as_of
    if day == queries.last_day(published.year) and clock.day_of(published.published_at) > day:
        return day
    return None


def versions(year: int) -> list[PublishedReport]:
    """The year's published versions, newest first (the buyer's own: tenancy scopes them)."""
    return list(db.session.scalars(
        select(PublishedReport).where(PublishedReport.year == year)
        .order_by(PublishedReport.version.desc())))


def latest(year: int) -> PublishedReport | None:
    return db.session.scalar(
        select(PublishedReport).where(PublishedReport.year == year)
        .order_by(PublishedReport.version.desc()).limit(1))


def publish_year(year: int, today: date, years: tuple[int, ...], *, actor: User) -> PublishedReport:
    """Publish a new version of ``year``'s report of the actor's buyer (flush, never commit).

    A past year is published as of 31 December of that year (``queries.report_basis``).
    """
    buyer_id = owner_id(actor)
    as_of = queries.report_basis(year, today)
    last = db.session.scalar(select(func.max(PublishedReport.version))
                             .where(PublishedReport.year == year, PublishedReport.buyer_id == buyer_id))
    published = PublishedReport(
        buyer_id=buyer_id, year=year, version=(last or 0) + 1, status_as_of=as_of or today,
        published_by_id=actor.id, published_at=utcnow(),
        documents=live_documents(year, today, years, actor.buyer_name, as_of=as_of),
    )
    db.session.add(published)
    db.session.flush()
    audit.record("report.published", published, actor=actor, field=str(year),
                 after={"year": year, "version": published.version,
                        "status_as_of": (as_of or today).isoformat(),
                        "basis": "today" if as_of is None else "year_end"})
    jobs.enqueue(store_published_exports, published_id=published.id)
    return published


@jobs.task("portal.store_published_exports", queue="default")
def store_published_exports(published_id: int) -> None:
    """Render and store the exports of a published version; run again, it does nothing."""
    session = db.session()
    published = session.get(PublishedReport, published_id)
    if published is None or published.exports_stored_at is not None or published.exports_problem:
        return
    buyer = session.get(Buyer, published.buyer_id)
    assert buyer is not None
    # A job has no signed-in user: scope the session to the report's buyer, so every query of
    # the report sees that buyer's records and, read-only as on the report page, the joint
    # agreements it takes part in; the only writes are the buyer's own files.
    scope_to(session, published.buyer_id, joint_reads=True)
    try:
        store_exports(published, buyer.name)
        session.commit()
    finally:
        scope_to(session, None)


def store_exports(published: PublishedReport, buyer_name: str) -> None:
    year, today = published.year, published.status_as_of
    as_of = basis(published)
    years = queries.available_years(today)
    live = live_documents(year, today, years, buyer_name, published.documents, as_of)
    if any(_comparable(live[locale]) != _comparable(doc) for locale, doc in published.documents.items()):
        published.exports_problem = "changed"
        audit.record("report.exports_refused", published, actor=None, field=str(year),
                     after={"version": published.version, "reason": "changed"})
        return
    publication = Publication(published.version, published.published_at)
    for locale, document in published.documents.items():
        made: list[tuple[str, str, bytes]] = [
            ("json", "", exports.json_bytes(document)),
            ("pdf", "", exports.pdf_bytes(year, today, years, locale, buyer_name, publication,
                                          as_of)),
            ("xlsx", "", exports.xlsx_bytes(year, today, years, locale, buyer_name, as_of)),
        ]
        made += [("csv", name, exports.csv_bytes(year, today, years, locale, name, as_of))
                 for name in TABLE_KEYS]
        for fmt, name, body in made:
            stored = storage.save(body, kind="exports", content_type=exports.CONTENT_TYPES[fmt])
            published.files.append(PublishedReportFile(
                format=fmt, locale=locale, name=name, stored_name=stored.key, size=len(body),
                sha256=stored.sha256 or "", stored=stored))
    published.exports_stored_at = utcnow()
    db.session.flush()
    audit.record("report.exports_stored", published, actor=None, field=str(year),
                 after={"version": published.version, "files": len(published.files)})


# What changed since publication


@dataclass(frozen=True)
class Change:
    code: str
    numbers: dict[str, int] = field(default_factory=dict)


def _rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = document.get("deviations_4a3", {})
    return [*found.get("rows", []), *found.get("earlier_open", {}).get("rows", [])]


def _closed(document: dict[str, Any]) -> int:
    return sum(1 for row in _rows(document) if row.get("ehn_status") in CLOSED_EHN)


def _by_method(document: dict[str, Any]) -> Counter[str]:
    # Joint follow-up and shared kinds have a row per lead or source buyer: summed per kind.
    counts: Counter[str] = Counter()
    for m in document.get("follow_up_4a2", {}).get("by_method", []):
        counts[m["kind"]] += m["activities"]
    return counts


def changes(published: dict[str, Any], live: dict[str, Any]) -> list[Change]:
    """What differs between a published document and the live one, by counts (hand-countable)."""
    found: list[Change] = []

    def compare(code: str, before: int, after: int) -> None:
        if after > before:
            found.append(Change(f"{code}_added", {"num": after - before}))
        elif after < before:
            found.append(Change(f"{code}_removed", {"num": before - after}))

    was, now = published.get("follow_up_4a2", {}), live.get("follow_up_4a2", {})
    compare("activities", was.get("activities", 0), now.get("activities", 0))
    for key in ("suppliers", "agreements"):
        if was.get(key, 0) != now.get(key, 0):
            found.append(Change(f"{key}_followed_up", {"before": was.get(key, 0),
                                                       "after": now.get(key, 0)}))
    key_was, key_now = published.get("key_figures", {}), live.get("key_figures", {})
    if key_was.get("active_agreements", 0) != key_now.get("active_agreements", 0):
        found.append(Change("active_agreements", {"before": key_was.get("active_agreements", 0),
                                                  "after": key_now.get("active_agreements", 0)}))
    dev_was, dev_now = published.get("deviations_4a3", {}), live.get("deviations_4a3", {})
    compare("deviations", dev_was.get("count", 0), dev_now.get("count", 0))
    closed_was, closed_now = _closed(published), _closed(live)
    if closed_now > closed_was:
        found.append(Change("deviations_closed", {"num": closed_now - closed_was}))
    elif closed_now < closed_was:
        found.append(Change("deviations_reopened", {"num": closed_was - closed_now}))
    if published.get("text_4a1", {}).get("text") != live.get("text_4a1", {}).get("text"):
        found.append(Change("text_4a1"))
    warned = Counter(w["code"] for w in published.get("warnings", []))
    warns = Counter(w["code"] for w in live.get("warnings", []))
    if new := sum((warns - warned).values()):
        found.append(Change("warnings_new", {"num": new}))
    if gone := sum((warned - warns).values()):
        found.append(Change("warnings_resolved", {"num": gone}))
    if len(published.get("requirements_2a2", [])) != len(live.get("requirements_2a2", [])):
        found.append(Change("requirements", {"before": len(published.get("requirements_2a2", [])),
                                             "after": len(live.get("requirements_2a2", []))}))
    return found


def change_message(change: Change) -> str:
    n = change.numbers
    messages = {
        "activities_added": lambda: ngettext("%(num)s follow-up activity added",
                                             "%(num)s follow-up activities added", n["num"]),
        "activities_removed": lambda: ngettext("%(num)s follow-up activity removed or withdrawn",
                                               "%(num)s follow-up activities removed or withdrawn",
                                               n["num"]),
        "suppliers_followed_up": lambda: _(
            "Suppliers subject to contract follow-up (4.A.2): %(before)s then, %(after)s now",
            **n),
        "agreements_followed_up": lambda: _(
            "Agreements with contract follow-up: %(before)s then, %(after)s now", **n),
        "active_agreements": lambda: _("Active agreements: %(before)s then, %(after)s now", **n),
        "deviations_added": lambda: ngettext("%(num)s deviation added to 4.A.3",
                                             "%(num)s deviations added to 4.A.3", n["num"]),
        "deviations_removed": lambda: ngettext("%(num)s deviation removed from 4.A.3",
                                               "%(num)s deviations removed from 4.A.3", n["num"]),
        "deviations_closed": lambda: ngettext("%(num)s deviation closed",
                                              "%(num)s deviations closed", n["num"]),
        "deviations_reopened": lambda: ngettext("%(num)s deviation no longer closed",
                                                "%(num)s deviations no longer closed", n["num"]),
        "text_4a1": lambda: _("The text for 4.A.1 changed"),
        "warnings_new": lambda: ngettext("%(num)s new warning", "%(num)s new warnings", n["num"]),
        "warnings_resolved": lambda: ngettext("%(num)s warning resolved",
                                              "%(num)s warnings resolved", n["num"]),
        "requirements": lambda: _(
            "Agreements in the 2.A.2 table: %(before)s then, %(after)s now", **n),
    }
    return messages[change.code]()


# Corrections after publication

CORRECTIONS = ("activity.edited", "activity.withdrawn")


def corrections_since(published: PublishedReport) -> list[AuditEvent]:
    """Activities of the report's year corrected or withdrawn after it was published.

    An edit counts when the activity was dated in the year before or after it, since
    either way it changes that year's figures.
    """
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.in_(CORRECTIONS),
                                 AuditEvent.at > published.published_at)
        .options(selectinload(AuditEvent.actor)).order_by(AuditEvent.at, AuditEvent.id))
    year = str(published.year)
    return [event for event in events
            if any(isinstance(side, dict) and str(side.get("date", "")).startswith(year)
                   for side in (event.before, event.after))]
