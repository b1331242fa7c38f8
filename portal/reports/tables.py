"""The report as named tables, shared by the CSV and XLSX exports.

The tables with columns of their own (2.A.2, 2.A.3, 4.A.2, 4.A.3) take them from
``columns.py``, which the page and the PDF draw from too.

Cells keep their types (int, float, Decimal, date, str) so each format writes them
natively; headers and labels are in the current language. Only public columns
exist here: no supplier, no production site.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.reports import columns, labels, texts
from portal.reports.columns import Cell
from portal.reports.queries import RESPONSE_STATUS_ORDER, YearReport

__all__ = ["Cell", "Table", "TABLE_KEYS", "TABLE_TITLES", "SHEET_NAMES", "table", "all_tables"]

#: The tables, in the order of the report; their keys are the CSV URLs' names.
TABLE_KEYS = (
    "key_figures",
    "4a1",
    "4a2_by_agreement",
    "4a2_by_method",
    "4a3",
    "4a3_grouped",
    "4a3_earlier_open",
    "2a2",
    "2a3",
    "five_years",
    "checks",
)

TABLE_TITLES = {
    "key_figures": _l("Key information"),
    "4a1": _l("4.A.1 Who monitors, and how"),
    "4a2_by_agreement": _l("4.A.2 Follow-up by agreement"),
    "4a2_by_method": _l("4.A.2 Follow-up by method"),
    "4a3": _l("4.A.3 Deviations identified in the reporting year"),
    "4a3_grouped": _l("4.A.3 Deviations identified in the reporting year, equal rows grouped"),
    "4a3_earlier_open": _l("4.A.3 Deviations from earlier years still open in the year"),
    "2a2": _l("2.A.2 Ethical/social requirements in the procurement process"),
    "2a3": _l("2.A.3 Priority risks of adverse impact"),
    "five_years": _l("The last five years"),
    "checks": _l("Consistency checks"),
}

#: Spreadsheet tab names: at most 31 characters in every language, none of : \ / ? * [ ].
SHEET_NAMES = {
    "about": _l("About"),
    "key_figures": _l("Key information"),
    "4a1": _l("4.A.1 Monitoring"),
    "4a2_by_agreement": _l("4.A.2 By agreement"),
    "4a2_by_method": _l("4.A.2 By method"),
    "4a3": _l("4.A.3 Deviations"),
    "4a3_grouped": _l("4.A.3 Deviations grouped"),
    "4a3_earlier_open": _l("4.A.3 Earlier, still open"),
    "2a2": _l("2.A.2 Requirements"),
    "2a3": _l("2.A.3 Priority risks"),
    "five_years": _l("Five years"),
    "checks": _l("Checks"),
}


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    #: Suggested column widths in characters (for the spreadsheet).
    widths: tuple[int, ...]


def _key_figures(r: YearReport) -> Table:
    f = r.follow_up
    rows: list[tuple[Cell, ...]] = [
        ("year", _("Reporting year"), r.year),
        ("active_agreements",
         _("Total number of active procurements/agreements in the reporting year"),
         r.agreements.active),
        ("agreements_with_follow_up",
         _("Number of agreements with contract follow-up during the reporting year"), f.agreements),
        ("total_estimated_value_nok",
         _("Total estimated value of the active agreements where known (NOK)"),
         r.agreements.total_value),
        ("agreements_without_value", _("Active agreements without an estimated value"),
         r.agreements.without_value),
        ("suppliers_followed_up", _("4.A.2 Suppliers subject to contract follow-up"), f.suppliers),
        ("suppliers_on_new_agreements", _("Suppliers followed up on agreements entered in the year"),
         f.suppliers_on_new),
        ("suppliers_on_older_agreements",
         _("Suppliers followed up on agreements entered in earlier years"), f.suppliers_on_older),
        ("new_agreements_followed_up", _("Agreements entered in the year with follow-up"),
         f.new_agreements),
        ("older_agreements_followed_up", _("Agreements entered in earlier years with follow-up"),
         f.older_agreements),
        ("follow_up_activities", _("Follow-up activities"), f.activities),
        ("suppliers_followed_up_jointly",
         _("Of the suppliers followed up: by joint follow-up led by another buyer"),
         f.joint_suppliers),
        ("agreements_followed_up_jointly",
         _("Of the agreements with follow-up: joint agreements led by another buyer"),
         f.joint_agreements),
        ("questionnaires_sent", _("Questionnaires sent"), f.funnel.invited),
        ("questionnaires_submitted", _("Questionnaires submitted"), f.funnel.submitted),
        ("questionnaires_accepted", _("Questionnaires reviewed and accepted"), f.funnel.accepted),
        ("questionnaires_not_answered", _("Questionnaires not answered by the deadline"),
         f.funnel.not_answered),
        ("deviations_found", str(TABLE_TITLES["4a3"]),
         texts.deviations_answer(r)),
        ("deviations_detected", _("Deviations identified in the reporting year"),
         r.deviations.detected.count),
        ("deviations_earlier_open", _("Deviations from earlier years still open in the year"),
         r.deviations.earlier_open.count),
    ]
    return Table(
        "key_figures", str(TABLE_TITLES["key_figures"]), (_("Code"), _("Figure"), _("Value")),
                 tuple(rows), (30, 70, 18))


def _spec_table(key: str, spec: columns.TableSpec[Any], items: Iterable[Any]) -> Table:
    """A table whose columns are described once (``columns.py``), as the spreadsheet has it."""
    return Table(key, str(TABLE_TITLES[key]), spec.headers(), spec.cells(labels.current(), items),
                 spec.widths())


def _by_agreement(r: YearReport) -> Table:
    return _spec_table("4a2_by_agreement", columns.BY_AGREEMENT, r.follow_up.by_agreement)


def _by_method(r: YearReport) -> Table:
    return _spec_table("4a2_by_method", columns.BY_METHOD, r.follow_up.by_method)


def _deviations(r: YearReport) -> Table:
    return _spec_table("4a3", columns.DEVIATIONS, r.deviations.detected.rows or ())


def _earlier(r: YearReport) -> Table:
    return _spec_table("4a3_earlier_open", columns.DEVIATIONS, r.deviations.earlier_open.rows or ())


def _grouped(r: YearReport) -> Table:
    return _spec_table("4a3_grouped", columns.DEVIATION_GROUPS, r.deviations.detected.groups)


def _requirements(r: YearReport) -> Table:
    return _spec_table("2a2", columns.REQUIREMENTS, r.requirements)


def _risks(r: YearReport) -> Table:
    return _spec_table("2a3", columns.RISKS, r.risks)


def _five_years(r: YearReport) -> Table:
    L = labels.current()
    statuses = RESPONSE_STATUS_ORDER
    rows = tuple(
        (y.year, y.active_agreements, y.agreements_with_follow_up, y.suppliers_followed_up,
         y.activities, y.deviations, y.invited, *(n for _s, n in y.responses))
        for y in r.five_years
    )
    return Table(
        "five_years", str(TABLE_TITLES["five_years"]),
        (_("Year"), _("Active agreements"), _("Agreements with contract follow-up"),
         _("Suppliers followed up (4.A.2)"), _("Follow-up activities"),
         _("Deviations identified (4.A.3)"), _("Questionnaires sent"),
         *(L.response_status(s) for s in statuses)),
        rows, (8, 14, 16, 16, 14, 16, 14, *(14 for _s in statuses)),
    )


def _text_4a1(r: YearReport) -> Table:
    """4.A.1 as shown on the page: the saved text, or the draft written from the data."""
    text, is_saved = texts.text_4a1(r)
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    status = _("Saved text") if is_saved else _("Draft written from the data")
    return Table(
        "4a1", str(TABLE_TITLES["4a1"]), (_("Paragraph"), _("Text"), _("Status")),
        tuple((number, paragraph, status) for number, paragraph in enumerate(paragraphs, start=1)),
        (10, 100, 24),
    )


def _checks(r: YearReport) -> Table:
    """The consistency checks of DOMAIN 7.4 that the year's figures raise, as on the page."""
    return Table(
        "checks", str(TABLE_TITLES["checks"]), (_("Check"), _("Code")),
        tuple((texts.warning_message(w), w.code) for w in r.warnings), (100, 30),
    )


BUILDERS: dict[str, Callable[[YearReport], Table]] = {
    "key_figures": _key_figures,
    "4a1": _text_4a1,
    "checks": _checks,
    "4a2_by_agreement": _by_agreement,
    "4a2_by_method": _by_method,
    "4a3": _deviations,
    "4a3_grouped": _grouped,
    "4a3_earlier_open": _earlier,
    "2a2": _requirements,
    "2a3": _risks,
    "five_years": _five_years,
}


def table(report: YearReport, key: str) -> Table:
    return BUILDERS[key](report)


def all_tables(report: YearReport) -> list[Table]:
    return [BUILDERS[key](report) for key in TABLE_KEYS]
