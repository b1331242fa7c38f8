"""The annual report for Etisk handel Norge: the page, its exports and the 4.A.1 text.

Reviewers and administrators only (suppliers get 403). Years are those with data;
any other year, a malformed one, an unknown format or table is a translated 404.
"""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response as HttpResponse

from portal import clock, inputs, storage
from portal.access import get_or_404, require_roles, role_required, signed_in_user
from portal.codes import DETECTION_METHODS
from portal.extensions import db
from portal.i18n import current_locale
from portal.models import LOCALES, PublishedReport, Role
from portal.reports import (
    charts,
    columns,
    exports,
    guard,
    labels,
    publishing,
    queries,
    records,
    services,
    texts,
)
from portal.reports.forms import EditReportTextForm, PublishReportForm
from portal.reports.tables import TABLE_KEYS, TABLE_TITLES
from portal.security import DOWNLOAD_CSP
from portal.tenancy import joint_reads

bp = Blueprint("reports", __name__)
require_roles(bp, Role.REVIEWER, Role.ADMIN)

FORMATS = ("pdf", "xlsx", "json")
VIEWS = ("rows", "grouped")
#: Long lists on the page stop here; the CSV and XLSX carry every row.
PAGE_LIMIT = 100


@bp.context_processor
def _labels() -> dict[str, object]:
    return dict(labels.current().as_jinja_globals())


def _known_year(year: int, years: tuple[int, ...]) -> int:
    if year not in years:
        abort(404)
    return year


def _year_from_query(years: tuple[int, ...]) -> int | None:
    """``?year=`` as four digits of a year with data; missing or empty: the latest year."""
    raw = inputs.arg("year")
    if not raw:
        return years[-1] if years else None
    if len(raw) != 4 or not (raw.isascii() and raw.isdigit()):
        abort(404)
    return _known_year(int(raw), years)


def _export_locale() -> str:
    """``?lang=nb|en``, else the reader's own language."""
    lang = inputs.optional_arg("lang")
    if lang is None:
        return current_locale()
    if lang not in LOCALES:
        abort(404)
    return lang


#: ``?as_of=``: a past year is as of 31 December ("year_end", the default) or as of today.
AS_OF_VALUES = ("year_end", "today")


def _as_of_today(*, strict: bool) -> bool:
    """Whether ``?as_of=today`` was asked for. Any other value than those known is refused:
    on the page with a message (and the default basis), for a download with a 400."""
    raw = inputs.arg("as_of")
    if raw and raw not in AS_OF_VALUES:
        if strict:
            abort(400)
        flash(_("The report can be shown as of the end of the year or as of today; the "
                "value given is neither, so it is shown as of the end of the year."), "error")
        return False
    return raw == "today"


def _basis(year: int, today: date, *, strict: bool = True) -> date | None:
    """The ``as_of`` day of the year's figures (None: today; the current year always is)."""
    return queries.report_basis(year, today, as_of_today=_as_of_today(strict=strict))


def _download(body: bytes, content_type: str, filename: str) -> HttpResponse:
    reply = Response(body, content_type=content_type)
    reply.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    reply.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    return reply


def _render_page(year: int, years: tuple[int, ...], today: date,
                 form: EditReportTextForm | None = None, *,
                 published: PublishedReport | None | bool = True) -> str:
    """The live report page; ``published``: the year's latest version when the caller has
    read it (True: read it here)."""
    view = inputs.arg("view")
    view = view if view in VIEWS else "rows"
    as_of = _basis(year, today, strict=False)
    report = queries.year_report(year, today, years,
                                 queries.ReportRequest.page(PAGE_LIMIT, view == "grouped"),
                                 as_of=as_of)
    text, is_saved = texts.text_4a1(report)
    if form is None:
        form = EditReportTextForm(text=text)
    return render_template(
        "reports/year_report.html",
        report=report,
        tables=columns.screen_tables(report, labels.current(), links=True),
        deviation_headings=columns.deviation_headings(),
        titles=TABLE_TITLES,
        year=year,
        years=years,
        form=form,
        text_4a1=text,
        text_4a1_saved=is_saved,
        view=view,
        basis_text=exports.basis_text(report),
        # The current year is always as of today; a past year can be seen either way.
        past_year=year < today.year,
        basis_args={"as_of": "today"} if year < today.year and as_of is None else {},
        charts=charts.all_charts(report),
        warnings=[(texts.warning_message(w),
                   url_for("reports.warning_records", year=year, code=w.code)
                   if w.code in records.CODES else None)
                  for w in report.warnings],
        no_deviations=texts.no_deviations_sentence(),
        deviations_answer=texts.deviations_answer(report),
        table_titles=[(key, str(TABLE_TITLES[key])) for key in TABLE_KEYS],
        response_statuses=queries.RESPONSE_STATUS_ORDER,
        page_limit=PAGE_LIMIT,
        published=publishing.latest(year) if published is True else published,
        public_texts=[(guard.warning_message(w), guard.warning_link(w, year))
                      for w in guard.year_warnings(
                          year, saved_4a1=report.saved_4a1.text if report.saved_4a1 else "")],
    )


def _render_published(published: PublishedReport, years: tuple[int, ...], today: date) -> str:
    """The published version as it was, what changed since, and every version's files."""
    locale = current_locale()
    document = published.document(locale)
    # Like with like: the live figures on the basis the version was published with.
    live = publishing.live_documents(published.year, today, years, signed_in_user().buyer_name,
                                     (locale,), publishing.basis(published))[locale]
    changes = [publishing.change_message(c) for c in publishing.changes(document, live)]
    return render_template(
        "reports/published.html",
        published=published,
        deviation_headings=columns.deviation_headings(),
        doc=document,
        year=published.year,
        years=years,
        changes=changes,
        corrections=publishing.corrections_since(published),
        versions=publishing.versions(published.year),
        locale=locale,
        table_keys=TABLE_KEYS,
        table_titles=TABLE_TITLES,
        page_limit=PAGE_LIMIT,
    )


@bp.get("/reports")
def year_report() -> str:
    """The year's figures for the annual report, with warnings, charts and exports."""
    today = clock.today()
    years = queries.available_years(today)
    year = _year_from_query(years)
    if year is None:
        return render_template("reports/no_data.html")
    published = publishing.latest(year)
    if not inputs.arg("live") and published is not None:
        return _render_published(published, years, today)
    return _render_page(year, years, today, published=published)


@bp.get("/reports/<int:year>/warnings/<code>")
def warning_records(year: int, code: str) -> str:
    """The records one warning of the year's report counts, each linked to its page."""
    if code not in records.CODES:
        abort(404)
    today = clock.today()
    _known_year(year, queries.available_years(today))
    days = int(current_app.config["REPORT_UNREVIEWED_DAYS"])
    report_warning = next((w for w in queries.year_report(year, today, want=queries.WARNINGS).warnings
                           if w.code == code), None)
    rows, total = records.records(code, year, today, days, limit=PAGE_LIMIT)
    return render_template(
        "reports/warning_records.html", year=year, code=code, rows=rows, total=total,
        kind=records.CODES[code], detection_label=DETECTION_METHODS.label,
        message=texts.warning_message(report_warning) if report_warning else None,
    )


@bp.post("/reports/<int:year>/publish")
@role_required(Role.ADMIN)
def publish(year: int) -> HttpResponse:
    """Publish the year's report as a new version: figures, texts, warnings and exports."""
    today = clock.today()
    years = queries.available_years(today)
    _known_year(year, years)
    if not PublishReportForm().validate_on_submit():
        abort(400)
    # What is published is what the report page shows: joint follow-up included (the page is
    # a read-only GET and sees it; this POST would otherwise see the buyer's own records only).
    with joint_reads(db.session()):
        named = guard.year_warnings(year)
        published = publishing.publish_year(year, today, years, actor=signed_in_user())
    db.session.commit()
    flash(_("Version %(version)s of the %(year)s report was published. Its files are being made "
            "and appear here shortly.", version=published.version, year=year), "success")
    if named:
        flash(ngettext("%(num)s public text of the published report names a site, supplier, "
                       "person or organisation number: see the warnings with the live figures.",
                       "%(num)s public texts of the published report name a site, supplier, "
                       "person or organisation number: see the warnings with the live figures.",
                       len(named)), "warning")
    return redirect(url_for("reports.year_report", year=year))


def _published_file(report_id: int, fmt: str, name: str = "") -> HttpResponse:
    published = get_or_404(PublishedReport, report_id)
    locale = _export_locale()
    stored = published.file(fmt, locale, name)
    if stored is None:
        abort(404)
    stem = f"aktsom-{name}" if name else "aktsom-report"
    return storage.send(
        stored.stored_name, content_type=exports.CONTENT_TYPES[fmt],
        download_name=f"{stem}-{published.year}-v{published.version}-{locale}.{fmt}")


@bp.get("/reports/published/<int:report_id>.<fmt>")
def published_export(report_id: int, fmt: str) -> HttpResponse:
    """A published version's PDF, XLSX or JSON, as stored when it was published."""
    if fmt not in FORMATS:
        abort(404)
    return _published_file(report_id, fmt)


@bp.get("/reports/published/<int:report_id>/<name>.csv")
def published_csv(report_id: int, name: str) -> HttpResponse:
    """One table of a published version as CSV, as stored when it was published."""
    if name not in TABLE_KEYS:
        abort(404)
    return _published_file(report_id, "csv", name)


@bp.post("/reports/<int:year>/text")
def edit_text(year: int) -> HttpResponse | str:
    """Save the 4.A.1 text of a year, or drop it to show the generated draft again."""
    today = clock.today()
    years = queries.available_years(today)
    _known_year(year, years)
    form = EditReportTextForm()
    if not form.validate_on_submit():
        return _render_page(year, years, today, form=form)
    actor = signed_in_user()
    if form.reset.data:
        services.reset_report_text(year, queries.REPORT_TEXT_4A1, actor=actor)
        db.session.commit()
        flash(_("The text for 4.A.1 was reset to the draft written from the year's data."), "success")
    else:
        services.save_report_text(year, queries.REPORT_TEXT_4A1, form.text.data or "", actor=actor)
        db.session.commit()
        flash(_("The text for 4.A.1 was saved."), "success")
        if hits := guard.known_terms().find(form.text.data or ""):
            flash(guard.hits_message(hits), "warning")
    return redirect(url_for("reports.year_report", year=year, _anchor="section-4a1"))


@bp.get("/reports/<int:year>.<fmt>")
def export(year: int, fmt: str) -> HttpResponse:
    """The year's report as PDF (to paste from), XLSX (every table) or JSON (other systems)."""
    if fmt not in FORMATS:
        abort(404)
    today = clock.today()
    years = queries.available_years(today)
    _known_year(year, years)
    locale = _export_locale()
    as_of = _basis(year, today)
    buyer_name = signed_in_user().buyer_name
    if fmt == "json":
        document = exports.json_document(year, today, years, locale, buyer_name, as_of)
        return Response(exports.json_bytes(document), mimetype="application/json")
    if fmt == "pdf":
        body = exports.pdf_bytes(year, today, years, locale, buyer_name, as_of=as_of)
    else:
        body = exports.xlsx_bytes(year, today, years, locale, buyer_name, as_of)
    return _download(body, exports.CONTENT_TYPES[fmt], f"aktsom-report-{year}-{locale}.{fmt}")


@bp.get("/reports/<int:year>/<name>.csv")
def export_csv(year: int, name: str) -> HttpResponse:
    """One table of the year's report as CSV (UTF-8 with BOM, semicolons)."""
    if name not in TABLE_KEYS:
        abort(404)
    today = clock.today()
    years = queries.available_years(today)
    _known_year(year, years)
    locale = _export_locale()
    body = exports.csv_bytes(year, today, years, locale, name, _basis(year, today))
    return _download(body, exports.CONTENT_TYPES["csv"], f"aktsom-{name}-{year}-{locale}.csv")
