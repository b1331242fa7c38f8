"""One column specification per report table: heading, value, width, which formats show it.

The page and the PDF draw these tables from the spec through one macro
(``templates/reports/_spec_table.html``); the XLSX and the CSV take their headers, typed
cells and widths from it (``tables.py``). A column's ``value`` is the typed cell (int,
Decimal, date, str) the spreadsheet writes; ``show`` is what a reader sees on the page
and in the PDF when that differs (a name with its joint follow-up, a period); ``note`` is a
second line under the shown value. ``formats`` says where a column appears: "screen"
(the page and the PDF, which show the same columns) and "sheet" (XLSX and CSV).

The JSON document keeps its own published keys (README, ``aktsom.report/1``): it carries
codes, not the labels these columns show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Generic, TypeVar

from flask import url_for
from flask_babel import lazy_gettext as _l

from portal.i18n import format_date
from portal.reports.labels import Labels

R = TypeVar("R")
Cell = str | int | float | Decimal | date | None

SCREEN, SHEET = "screen", "sheet"
EVERYWHERE = frozenset((SCREEN, SHEET))


@dataclass(frozen=True)
class Column(Generic[R]):
    key: str
    heading: Any  # a lazy string: translated when read
    value: Callable[[Labels, R], Cell]
    #: Width in the spreadsheet, in characters.
    width: int
    numeric: bool = False
    formats: frozenset[str] = EVERYWHERE
    #: Width in the PDF, in per cent of the table (None: shares what is left).
    pdf_width: int | None = None
    show: Callable[[Labels, R], str] | None = None
    note: Callable[[Labels, R], str] | None = None
    #: Where the shown value links to on the page (never in the PDF).
    href: Callable[[R], str] | None = None


@dataclass(frozen=True)
class TableSpec(Generic[R]):
    key: str
    columns: tuple[Column[R], ...]
    #: The first shown column names the row (``<th scope="row">`` on the page and in the PDF).
    row_header: bool = True

    def shown(self, fmt: str) -> tuple[Column[R], ...]:
        return tuple(c for c in self.columns if fmt in c.formats)

    def headers(self, fmt: str = SHEET) -> tuple[str, ...]:
        return tuple(str(c.heading) for c in self.shown(fmt))

    def widths(self) -> tuple[int, ...]:
        return tuple(c.width for c in self.shown(SHEET))

    def cells(self, L: Labels, items: Iterable[R]) -> tuple[tuple[Cell, ...], ...]:
        """The spreadsheet's rows: typed cells."""
        columns = self.shown(SHEET)
        return tuple(tuple(c.value(L, item) for c in columns) for item in items)

    def screen(self, L: Labels, items: Iterable[R], *, links: bool = False) -> ScreenTable:
        """The page's and the PDF's table: headings and the text of each cell (``links``:
        with the page's links, which need a request)."""
        columns = self.shown(SCREEN)
        return ScreenTable(
            self.key,
            tuple(ScreenHeading(str(c.heading), c.numeric, c.pdf_width) for c in columns),
            tuple(tuple(_screen_cell(L, c, item, i == 0 and self.row_header, links)
                        for i, c in enumerate(columns)) for item in items),
        )


@dataclass(frozen=True)
class ScreenHeading:
    text: str
    numeric: bool
    pdf_width: int | None


@dataclass(frozen=True)
class ScreenCell:
    text: str
    numeric: bool = False
    row_header: bool = False
    note: str = ""
    href: str = ""


@dataclass(frozen=True)
class ScreenTable:
    key: str
    headings: tuple[ScreenHeading, ...]
    rows: tuple[tuple[ScreenCell, ...], ...] = field(default=())


def _screen_cell(L: Labels, column: Column[R], item: R, row_header: bool,
                 links: bool) -> ScreenCell:
    text = column.show(L, item) if column.show is not None else display(L, column.value(L, item))
    note = column.note(L, item) if column.note is not None else ""
    href = column.href(item) if links and column.href is not None else ""
    return ScreenCell(text, column.numeric, row_header, note, href)


def display(L: Labels, value: Cell) -> str:
    """A typed cell as a reader sees it: numbers and dates in the reader's language."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return L.yes_no(value)
    if isinstance(value, int | Decimal):
        return L.number(value)
    if isinstance(value, date):
        return format_date(value, locale=L.locale)
    return str(value)


def _joint(L: Labels, lead: str | None) -> str:
    return L.joint_follow_up(lead) if lead else ""


# 2.A.2: agreements active in the year with ethical or social requirements

REQUIREMENTS: TableSpec[Any] = TableSpec("2a2", (
    Column("name", _l("In which type of procurement"),
           lambda L, q: L.localized(q.name_nb, q.name_en), 40, pdf_width=28,
           note=lambda L, q: _joint(L, q.lead)),
    Column("kind", _l("Kind of agreement"), lambda L, q: L.procurement_kind(q.kind), 22,
           pdf_width=15),
    Column("suppliers", _l("Number of suppliers on the agreement"), lambda L, q: q.suppliers, 14,
           numeric=True, pdf_width=15),
    Column("qualification", _l("Used as a qualification requirement"),
           lambda L, q: L.yes_no(q.qualification_requirement), 16),
    Column("award", _l("Used when awarding the contract"),
           lambda L, q: L.yes_no(q.award_criterion), 16),
    Column("condition", _l("Used as a contract condition"),
           lambda L, q: L.yes_no(q.contract_condition), 16),
    Column("reference", _l("Reference"), lambda L, q: q.reference, 16, formats=frozenset((SHEET,))),
    Column("joint", _l("Joint follow-up"), lambda L, q: _joint(L, q.lead), 30,
           formats=frozenset((SHEET,))),
))

# 2.A.3: the buyer's priority risks

RISKS: TableSpec[Any] = TableSpec("2a3", (
    Column("impact", _l("Prioritised adverse impact/harm"),
           lambda L, k: L.localized(k.impact_nb, k.impact_en), 60, pdf_width=45),
    Column("themes", _l("Related theme"), lambda L, k: L.themes(k.themes), 60),
    Column("geography", _l("Geography"), lambda L, k: k.geography, 20, pdf_width=15),
), row_header=False)

# 4.A.2: follow-up by method and by agreement

BY_METHOD: TableSpec[Any] = TableSpec("4a2_by_method", (
    Column("method", _l("Method"), lambda L, m: L.method(m.kind, m.lead, m.source), 45,
           pdf_width=60),
    Column("code", _l("Code"), lambda L, m: m.kind, 30, formats=frozenset((SHEET,))),
    Column("activities", _l("Follow-up activities"), lambda L, m: m.activities, 14, numeric=True),
    Column("suppliers", _l("Suppliers followed up"), lambda L, m: m.suppliers, 14, numeric=True),
))


def _period(L: Labels, a: Any) -> str:
    end = format_date(a.end_date, locale=L.locale) if a.end_date else ""
    return f"{format_date(a.start_date, locale=L.locale)} – {end}"


BY_AGREEMENT: TableSpec[Any] = TableSpec("4a2_by_agreement", (
    Column("agreement", _l("Agreement"), lambda L, a: L.localized(a.name_nb, a.name_en), 40,
           pdf_width=30, show=lambda L, a: f"{L.localized(a.name_nb, a.name_en)} ({a.reference})",
           note=lambda L, a: _joint(L, a.lead),
           href=lambda a: url_for("admin.view_agreement", agreement_id=a.agreement_id)),
    Column("reference", _l("Reference"), lambda L, a: a.reference, 16, formats=frozenset((SHEET,))),
    Column("kind", _l("Kind of agreement"), lambda L, a: L.procurement_kind(a.kind), 22,
           formats=frozenset((SHEET,))),
    Column("period", _l("Period"), lambda L, a: None, 0, formats=frozenset((SCREEN,)),
           pdf_width=18, show=_period),
    Column("start_date", _l("Start date"), lambda L, a: a.start_date, 12,
           formats=frozenset((SHEET,))),
    Column("end_date", _l("End date"), lambda L, a: a.end_date, 12, formats=frozenset((SHEET,))),
    Column("is_new", _l("Entered in the reporting year"), lambda L, a: L.yes_no(a.is_new), 14),
    Column("suppliers_on_agreement", _l("Suppliers on the agreement"),
           lambda L, a: a.suppliers_on_agreement, 14, numeric=True),
    Column("suppliers_followed_up", _l("Suppliers followed up"),
           lambda L, a: a.suppliers_followed_up, 14, numeric=True),
    Column("activities", _l("Follow-up activities"), lambda L, a: a.activities, 14, numeric=True),
    Column("joint", _l("Joint follow-up"), lambda L, a: _joint(L, a.lead), 30,
           formats=frozenset((SHEET,))),
))

# 4.A.3: deviations, one row each or equal rows grouped

DEVIATION_TYPE = _l("Type of deviation (child labour, OHS, wages, working hours etc.)")
WHERE = _l("Where in the supply chain?")
MEASURES = _l("Measures taken to correct the deviation")
STATUS = _l("Status")
COUNT = _l("Number of deviations")

DEVIATIONS: TableSpec[Any] = TableSpec("4a3", (
    Column("type", DEVIATION_TYPE, lambda L, d: L.deviation_type(d.type), 40),
    Column("where", WHERE, lambda L, d: L.where(d.tier, d.country), 36),
    Column("measures", MEASURES, lambda L, d: L.measures(d.measures), 40),
    Column("status", STATUS, lambda L, d: L.ehn_status(d.ehn_status), 22),
    Column("measures_text", _l("Further description of the measures"),
           lambda L, d: d.measures_text, 50),
    Column("detected", _l("Detected"), lambda L, d: d.detected_date, 12),
    Column("severity", _l("Severity"), lambda L, d: L.severity(d.severity), 16),
), row_header=False)

DEVIATION_GROUPS: TableSpec[Any] = TableSpec("4a3_grouped", (
    Column("type", DEVIATION_TYPE, lambda L, g: L.deviation_type(g.type), 40),
    Column("where", WHERE, lambda L, g: L.where(g.tier, g.country), 36),
    Column("measures", MEASURES, lambda L, g: L.measures(g.measures), 40),
    Column("status", STATUS, lambda L, g: L.ehn_status(g.ehn_status), 22),
    Column("count", COUNT, lambda L, g: g.count, 12, numeric=True),
), row_header=False)


def deviation_headings() -> dict[str, str]:
    """The 4.A.3 headings by column key, for the templates' deviation tables."""
    return {c.key: str(c.heading) for c in (*DEVIATIONS.columns, *DEVIATION_GROUPS.columns)}


SPECS: dict[str, TableSpec[Any]] = {spec.key: spec for spec in (
    REQUIREMENTS, RISKS, BY_METHOD, BY_AGREEMENT, DEVIATIONS, DEVIATION_GROUPS)}


def screen_tables(report: Any, L: Labels, *, links: bool = False) -> dict[str, ScreenTable]:
    """The tables the page and the PDF draw from their specs, by table key."""
    return {
        "2a2": REQUIREMENTS.screen(L, report.requirements, links=links),
        "2a3": RISKS.screen(L, report.risks, links=links),
        "4a2_by_method": BY_METHOD.screen(L, report.follow_up.by_method, links=links),
        "4a2_by_agreement": BY_AGREEMENT.screen(L, report.follow_up.by_agreement, links=links),
    }

