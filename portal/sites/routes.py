"""The supplier's production-site register: one list per year, kept by the supplier's users.

Only supplier users come here (staff 403); another supplier's site or response is not
admitted to exist (404). Sites reach buyers only as rows of the responses the supplier
writes them into (``pick_sites``), never in a public output.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response as HttpResponse

from portal import clock
from portal.access import id_or_404, require_roles, signed_in_user
from portal.extensions import db
from portal.i18n import current_locale
from portal.models import ProductionSite, Response, Role, Supplier
from portal.questionnaires import engine
from portal.responses import services as response_services
from portal.sites import answers as site_answers
from portal.sites import fields as site_fields
from portal.sites import services, transfer
from portal.sites.forms import (
    ConfirmImportForm,
    DeleteSiteForm,
    EditSiteForm,
    ImportSitesForm,
    PickSitesForm,
)

bp = Blueprint("sites", __name__, url_prefix="/company/sites")
require_roles(bp, Role.SUPPLIER)
PLAN_SALT = "site-import"


def _supplier() -> Supplier:
    supplier = db.session.get(Supplier, current_user.supplier_id)
    assert supplier is not None  # guaranteed by the supplier-role check constraint
    return supplier


def _year_or_404(year: int) -> int:
    if not services.FIRST_YEAR <= year <= services.LAST_YEAR:
        abort(404)
    return year


def _site_or_404(site_id: int) -> ProductionSite:
    site = services.get_site(current_user.supplier_id, id_or_404(site_id))
    if site is None:
        abort(404)
    return site


def _to_list(year: int) -> HttpResponse:
    return redirect(url_for("sites.list_sites", year=year))


@bp.route("/")
def current_sites() -> HttpResponse:
    """The register of the current year."""
    return _to_list(clock.today().year)


@bp.route("/<int:year>")
def list_sites(year: int) -> str:
    """The year's register as a table, with adding, import, export and copying from an earlier year."""
    year = _year_or_404(year)
    sites = services.sites_of(current_user.supplier_id, year)
    earlier = services.latest_year_before(current_user.supplier_id, year) if not sites else None
    # The years either side, within the registers kept: none before FIRST_YEAR, and none
    # after next year's (a register is kept for the year its answers are given).
    last = min(services.LAST_YEAR, clock.today().year + 1)
    return render_template("sites/list_sites.html", year=year, sites=sites, earlier=earlier,
                           fields=site_fields.FIELDS, display=site_fields.display_value,
                           max_sites=services.MAX_SITES,
                           previous_year=year - 1 if year > services.FIRST_YEAR else None,
                           next_year=year + 1 if year < last else None)


def _name_taken(form: EditSiteForm, error: services.SiteNameTaken) -> None:
    form.name.errors = [*form.name.errors, _("Another site of this year is called %(name)s. Give each site "
                                              "its own name.", name=error.name)]


@bp.route("/<int:year>/new", methods=["GET", "POST"])
def new_site(year: int) -> HttpResponse | str | tuple[str, int]:
    """Add a site to the year's register."""
    year = _year_or_404(year)
    form = EditSiteForm()
    if form.validate_on_submit():
        try:
            site = services.create_site(_supplier(), year, form.values, actor=signed_in_user())
        except services.SiteNameTaken as error:
            db.session.rollback()
            _name_taken(form, error)
        except services.RegisterFull:
            db.session.rollback()
            form.name.errors = [*form.name.errors, _("The register of %(year)d already has %(max)d sites, "
                                                      "the most it can hold.", year=year, max=services.MAX_SITES)]
        else:
            db.session.commit()
            flash(_("%(name)s is added to the register of %(year)d.", name=site.name, year=year), "success")
            return _to_list(year)
    status = 422 if form.errors else 200
    return render_template("sites/edit_site.html", form=form, year=year, site=None), status


@bp.route("/site/<int:site_id>", methods=["GET", "POST"])
def edit_site(site_id: int) -> HttpResponse | str | tuple[str, int]:
    """Change a site; answers it was written into keep what they say."""
    site = _site_or_404(site_id)
    form = EditSiteForm()
    if not form.is_submitted():
        form.fill(site)
    if form.validate_on_submit():
        year = site.year
        try:
            changed = services.update_site(site, form.values, actor=signed_in_user())
        except services.SiteNameTaken as error:
            db.session.rollback()
            _name_taken(form, error)
        else:
            db.session.commit()
            flash(_("The site is saved.") if changed else _("Nothing was changed."),
                  "success" if changed else "info")
            return _to_list(year)
    status = 422 if form.errors else 200
    return render_template("sites/edit_site.html", form=form, year=site.year, site=site), status


@bp.route("/site/<int:site_id>/delete", methods=["GET", "POST"])
def delete_site(site_id: int) -> HttpResponse | str:
    """Confirm, then remove a site from the register."""
    site = _site_or_404(site_id)
    form = DeleteSiteForm()
    if form.validate_on_submit():
        year, name = site.year, site.name
        services.delete_site(site, actor=signed_in_user())
        db.session.commit()
        flash(_("%(name)s is deleted from the register of %(year)d. Responses that list it keep it.",
                name=name, year=year), "success")
        return _to_list(year)
    return render_template("sites/delete_site.html", form=form, site=site)


@bp.route("/<int:year>/copy", methods=["POST"])
def copy_sites(year: int) -> HttpResponse:
    """Start the year's register from the latest earlier year's."""
    year = _year_or_404(year)
    supplier = _supplier()
    earlier = services.latest_year_before(supplier.id, year)
    if earlier is None:
        flash(_("There is no earlier register to copy."), "info")
        return _to_list(year)
    try:
        copied = services.copy_year(supplier, earlier, year, actor=signed_in_user())
    except services.YearNotEmpty:
        db.session.rollback()
        flash(_("The register of %(year)d already has sites, so nothing was copied.", year=year), "error")
        return _to_list(year)
    db.session.commit()
    flash(ngettext("%(num)d site was copied from %(earlier)s. Check each one.",
                   "%(num)d sites were copied from %(earlier)s. Check each one.", copied,
                   earlier=str(earlier)), "success")
    return _to_list(year)


def _file(data: bytes, fmt: str, stem: str) -> HttpResponse:
    reply = make_response(data)
    reply.headers["Content-Type"] = transfer.XLSX_TYPE if fmt == "xlsx" else transfer.CSV_TYPE
    reply.headers["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    reply.headers["Cache-Control"] = "no-store"
    return reply


def _format_or_404(fmt: str) -> str:
    if fmt not in transfer.FORMATS:
        abort(404)
    return fmt


@bp.route("/<int:year>/template.<fmt>")
def download_template(year: int, fmt: str) -> HttpResponse:
    """An empty register file with the headings in the user's language (and, in XLSX, the allowed values)."""
    year, fmt = _year_or_404(year), _format_or_404(fmt)
    writer = transfer.to_xlsx if fmt == "xlsx" else transfer.to_csv
    return _file(writer([], current_locale()), fmt, f"production-sites-template-{year}")


@bp.route("/<int:year>/export.<fmt>")
def export_sites(year: int, fmt: str) -> HttpResponse:
    """The year's register in the template's format, ready to edit and import again."""
    year, fmt = _year_or_404(year), _format_or_404(fmt)
    sites = services.sites_of(current_user.supplier_id, year)
    writer = transfer.to_xlsx if fmt == "xlsx" else transfer.to_csv
    return _file(writer(sites, current_locale()), fmt, f"production-sites-{year}")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=PLAN_SALT)


def _raw(values: dict[str, Any]) -> dict[str, str]:
    """Checked values as the text they are checked from again at confirmation."""
    raw = {name: site_fields.as_cell_text(value) for name, value in values.items()}
    raw["certifications"] = ",".join(values["certifications"])
    raw["is_confidential"] = "yes" if values["is_confidential"] else "no"
    return raw


@bp.route("/<int:year>/import", methods=["GET", "POST"])
def import_sites(year: int) -> str | tuple[str, int]:
    """Upload a filled-in template; the preview lists what would change, or every problem."""
    year = _year_or_404(year)
    form = ImportSitesForm()
    plan = None
    confirm = None
    if form.validate_on_submit():
        upload = form.file.data
        if upload is None or not getattr(upload, "filename", ""):
            form.file.errors = [*form.file.errors, _("Choose the file to import")]
        else:
            data = upload.stream.read(transfer.MAX_BYTES + 1)
            plan = transfer.plan_import(upload.filename, data, current_user.supplier_id, year)
            if not plan.problems:
                confirm = ConfirmImportForm(formdata=None)
                confirm.plan.data = _serializer().dumps(
                    {"supplier": current_user.supplier_id, "year": year,
                     "rows": [_raw(row.values) for row in plan.rows]})
    status = 422 if form.errors or (plan and plan.problems) else 200
    return render_template("sites/import_sites.html", form=form, year=year, plan=plan, confirm=confirm,
                           allowed=transfer.allowed_values(current_locale()), max_sites=services.MAX_SITES,
                           max_mb=transfer.MAX_BYTES // (1024 * 1024)), status


@bp.route("/<int:year>/import/confirm", methods=["POST"])
def confirm_import(year: int) -> HttpResponse:
    """Store the previewed rows in one transaction; any problem stores nothing."""
    year = _year_or_404(year)
    form = ConfirmImportForm()
    try:
        payload = _serializer().loads(form.plan.data or "") if form.validate_on_submit() else None
    except BadSignature:
        payload = None
    if not isinstance(payload, dict) or payload.get("supplier") != current_user.supplier_id \
            or payload.get("year") != year or not isinstance(payload.get("rows"), list):
        flash(_("The import could not be confirmed. Upload the file again."), "error")
        return redirect(url_for("sites.import_sites", year=year))
    rows = []
    for raw in payload["rows"][:services.MAX_SITES]:
        values, errors = site_fields.parse_site(raw if isinstance(raw, dict) else {})
        if errors:
            flash(_("The import could not be confirmed. Upload the file again."), "error")
            return redirect(url_for("sites.import_sites", year=year))
        rows.append(values)
    try:
        result = services.import_sites(_supplier(), year, rows, actor=signed_in_user())
    except (services.SiteNameTaken, services.RegisterFull):
        db.session.rollback()
        flash(_("The register changed while you were importing, and nothing was imported. Upload the "
                "file again."), "error")
        return redirect(url_for("sites.import_sites", year=year))
    db.session.commit()
    flash(_("The import is done: %(added)d added, %(updated)d updated, %(unchanged)d unchanged.",
            added=result.added, updated=result.updated, unchanged=result.unchanged), "success")
    return _to_list(year)


# Picking register sites into a response


def _own_response_or_404(response_id: int) -> Response:
    response = response_services.load_response(id_or_404(response_id))
    if response is None or response.supplier_id != current_user.supplier_id:
        abort(404)
    return response


@bp.route("/responses/<int:response_id>", methods=["GET", "POST"])
def pick_sites(response_id: int) -> HttpResponse | str | tuple[str, int]:
    """Tick the register sites that supply this agreement; they are added to the sites table."""
    response = _own_response_or_404(response_id)
    definition = engine.definition_of(response.round.questionnaire_version)
    sections = engine.sections_for_agreement(definition, response.agreement)
    found = site_answers.sites_table(definition)
    section = next((s for s in sections for q in s.questions if found and q.id == found[0].id), None)
    if found is None or section is None:
        abort(404)
    question, part = found
    section_url = url_for("responses.edit_section", response_id=response.id, section_id=section.id,
                          _anchor=f"q-{question.id}")
    actor = signed_in_user()
    if not response.can_edit_question(actor, question.id):
        flash(_("This answer can no longer be changed, so no sites were added."), "error")
        return redirect(section_url)
    year = response.round.year
    register = services.sites_of(response.supplier_id, year)
    answers = response_services.answers_of(response)
    current = answers.get(question.id, {}).get(part.id)
    listed = {services.name_key(name) for name in site_answers.row_names(current) if name}
    form = PickSitesForm()
    form.set_sites([(site.id, site.name) for site in register if services.name_key(site.name) not in listed])
    if form.validate_on_submit():
        by_id = {site.id: site for site in register}
        chosen = [by_id[i] for i in dict.fromkeys(form.sites.data or []) if i in by_id]
        if not chosen:
            form.sites.errors = [*form.sites.errors, _("Choose at least one site")]
        else:
            filled = site_answers.fill_rows(current, chosen, part)
            stored = next((a for a in response.answers if a.question_id == question.id), None)
            result = response_services.save_answers(
                response, {question.id: {**answers.get(question.id, {}), part.id: filled.rows}},
                {question.id: stored.revision if stored else None}, set(), actor=actor)
            db.session.commit()
            if result.conflicts:
                flash(_("Someone else changed this answer just now, so no sites were added. Try again."), "error")
                return redirect(url_for("sites.pick_sites", response_id=response_id))
            if filled.added:
                flash(ngettext("%(num)d site was added to the answer: %(names)s. Check the row and save.",
                               "%(num)d sites were added to the answer: %(names)s. Check the rows and save.",
                               len(filled.added), names=", ".join(filled.added)), "success")
            if filled.skipped:
                flash(_("Already in the answer, so not added again: %(names)s.",
                        names=", ".join(filled.skipped)), "info")
            if filled.left_out:
                flash(_("The table is full, so these sites were not added: %(names)s.",
                        names=", ".join(filled.left_out)), "warning")
            return redirect(section_url)
    status = 422 if form.errors else 200
    return render_template("sites/pick_sites.html", form=form, response=response, year=year,
                           question=question, register=register, section_url=section_url, locale=current_locale(),
                           already=[s.name for s in register if services.name_key(s.name) in listed]), status

