"""The report as a PDF to paste from: A4, numbered pages, the report's own numbering.

WeasyPrint spends about 2 ms per table cell (STACK.md 3.9), so no table in the PDF
grows with the data. Each long table takes the most detailed form that stays
within ``PDF_LIMIT`` rows:

* 4.A.3: every deviation; else equal rows grouped with counts; else one row per
  (type, place in the chain) as DOMAIN 7.2 suggests; else one row per type;
* 2.A.2: one row per agreement; else one per kind of procurement and requirements;
* 4.A.2 by agreement: one row per agreement; else one per DFØ category.

The PDF says when a table is condensed; the XLSX and CSV always carry every row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import force_locale
from weasyprint.document import Document

from portal.pdf import layout, render_pdf
from portal.reports import columns, labels, texts
from portal.reports.queries import DeviationSet, YearReport

#: The most rows any table of the PDF draws (``queries.ReportRequest.pdf`` reads no more).
PDF_LIMIT = 60


def deviation_layout(deviations: DeviationSet) -> str:
    """"rows", "grouped", "summary" or "types": the most detailed 4.A.3 table that fits."""
    if deviations.count <= PDF_LIMIT and deviations.has_every_row:
        return "rows"
    if deviations.group_count <= PDF_LIMIT:
        return "grouped"
    if len(deviations.summary) <= PDF_LIMIT:
        return "summary"
    return "types"


@dataclass(frozen=True)
class Publication:
    """The published version a PDF belongs to, and when (printed under the title).

    No person's name: a stored file cannot be changed when the publisher is erased
    (portal/privacy/erasure.py), so the PDF says "an administrator of <buyer>" and the
    portal's record of the version (``published_by``) says who, by name or by the label.
    """

    version: int
    published_at: datetime


def render_report_pdf(report: YearReport, locale: str, buyer_name: str,
                      publication: Publication | None = None) -> bytes:
    """Render ``buyer_name``'s ``report`` (read with ``limit=PDF_LIMIT``) in ``locale``."""
    return render_pdf("pdf/report.html", locale,
                      **_context(report, locale, buyer_name, publication))


def report_layout(report: YearReport, locale: str, buyer_name: str, **forms: Any) -> Document:
    """The report PDF's laid-out pages (tests measure its table headings on them).

    ``forms`` chooses a table's form instead of the one the row counts choose
    (``detected_layout``, ``earlier_layout``, ``requirements_listed``, ``agreements_listed``),
    so every form of every table can be measured on small data.
    """
    return layout("pdf/report.html", locale,
                  **{**_context(report, locale, buyer_name, None), **forms})


def _context(report: YearReport, locale: str, buyer_name: str,
             publication: Publication | None) -> dict[str, Any]:
    with force_locale(locale):
        text, is_saved = texts.text_4a1(report)
        warnings = [texts.warning_message(w) for w in report.warnings]
        tables = columns.screen_tables(report, labels.labels_for(locale))
        deviation_headings = columns.deviation_headings()
    return dict(
        report=report, buyer_name=buyer_name, publication=publication, text_4a1=text, text_4a1_saved=is_saved,
        warnings=warnings,
        detected_layout=deviation_layout(report.deviations.detected),
        earlier_layout=deviation_layout(report.deviations.earlier_open),
        requirements_listed=report.agreements.with_requirements <= PDF_LIMIT,
        agreements_listed=report.follow_up.agreements <= PDF_LIMIT,
        tables=tables,
        deviation_headings=deviation_headings,
        no_deviations=texts.no_deviations_sentence,
        deviations_answer=texts.deviations_answer,
        **labels.labels_for(locale).as_jinja_globals(),
    )
