"""Deviations (avvik): staff register and follow them up; suppliers see their own, propose
corrective action plans and report progress and closure.

A supplier sees only its own confirmed deviations (anything else is 404), never a
proposal, an internal note or an internal update.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response as HttpResponse

from portal import clock, inputs
from portal.access import get_or_404, id_or_404, require_roles, role_required, signed_in_user
from portal.admin.services import lead_for_participant
from portal.codes import (
    DEVIATION_STATUSES,
    DEVIATION_TRANSITIONS,
    DEVIATION_TYPES,
    SEVERITIES,
    TIERS,
)
from portal.deviations import notify, services
from portal.deviations.forms import (
    PLAN_ROWS,
    AddNoteForm,
    ApprovePlanForm,
    AttachDocumentsForm,
    ChangeDeviationStatusForm,
    CreateDeviationForm,
    EditDeviationForm,
    ProposePlanForm,
    ReportProgressForm,
)
from portal.deviations.queries import DeviationFilters, detected_years, load_deviation
from portal.deviations.queries import list_deviations as query
from portal.extensions import db
from portal.i18n import current_locale
from portal.models import Attachment, Deviation, Response, Role, Supplier
from portal.questionnaires.definition import Question
from portal.responses.services import load_response
from portal.review import labels
from portal.review import queries as review_queries
from portal.review import services as review_services
from portal.review.downloads import send_attachment
from portal.review.uploads import UploadProblem, store_all
from portal.sites.answers import SiteChoice, sites_for_deviation

bp = Blueprint("deviations", __name__, url_prefix="/deviations")
require_roles(bp, Role.SUPPLIER, Role.REVIEWER, Role.ADMIN)
staff_only = role_required(Role.REVIEWER, Role.ADMIN)


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {**labels.globals_for_templates(), "tier_label": TIERS.label,
            "severity_label": SEVERITIES.label}


def _page_number() -> int:
    return inputs.page_number()


def get_deviation_or_404(deviation_id: int) -> Deviation:
    deviation = load_deviation(id_or_404(deviation_id))
    if deviation is None or not deviation.can_view(current_user):
        abort(404)
    return deviation


def _to_deviation(deviation: Deviation) -> HttpResponse:
    return redirect(url_for("deviations.view_deviation", deviation_id=deviation.id))


def error_message(error: services.DeviationError) -> str:
    details = error.details
    if isinstance(error, services.TransitionRefused):
        return _("A deviation cannot go from “%(before)s” to “%(after)s”. Nothing was changed.",
                 before=DEVIATION_STATUSES.label(error.before),
                 after=DEVIATION_STATUSES.label(error.after))
    messages = {
        "agreement": _("The supplier is not on this agreement. Choose one of its agreements."),
        "response": _("The response belongs to another supplier."),
        "not_proposed": _("This deviation is already confirmed."),
        "description": _("Write a description before you confirm the deviation: the supplier "
                         "will see it. Nothing was changed."),
        "proposed": _("Confirm the proposed deviation before you change its status."),
        "plan_state": _("A plan can be proposed only until the municipality has approved one."),
        "plan_empty": _("Describe your corrective action plan"),
        "progress_state": _("Progress can be reported only while the deviation is being "
                            "handled."),
        "closure_state": _("Evidence of closure can be sent only while the correction is in "
                           "progress, after the plan is approved."),
        "progress_empty": _("Describe what has been done"),
        "approve_state": _("Only a plan the supplier has proposed, while the deviation awaits "
                           "one, can be approved. Nothing was changed."),
        "note_empty": _("Write the note"),
        "documents_empty": _("Choose at least one file to attach"),
        "documents_state": _("Only the staff of the municipality that follows up the deviation can "
                             "attach files to it. Nothing was stored."),
    }
    if error.reason == "code":
        return _("%(value)s is not in the list. Nothing was saved.", value=details.get("value"))
    return messages.get(error.reason, _("This cannot be done. Nothing was changed."))


# Lists and pages


@bp.route("")
def list_deviations() -> str:
    """Deviations by year detected, type, tier, status, supplier, agreement and overdue."""
    user = signed_in_user()
    filters = DeviationFilters.from_args(inputs.args())
    today = clock.today()
    page = query(filters, user, today, _page_number(), int(current_app.config["PAGE_SIZE"]))
    return render_template(
        "deviations/list_deviations.html", page=page, filters=filters, today=today,
        years=detected_years(user), types=DEVIATION_TYPES, tiers=TIERS,
        statuses=DEVIATION_STATUSES,
        suppliers=review_queries.supplier_choices(archived=True) if user.is_staff else [],
        agreements=_agreement_filter_choices(),
    )


def _agreement_filter_choices() -> list[tuple[int, str]]:
    if current_user.is_staff:
        return review_queries.agreement_choices(archived=True)
    supplier = db.session.get(Supplier, current_user.supplier_id)
    return [(a.id, f"{a.name} ({a.reference})") for a in supplier.agreements] if supplier else []


def _render_deviation(deviation: Deviation, status: int = 200, **forms: Any) -> tuple[str, int]:
    user = signed_in_user()
    if deviation.is_led_by(user):
        forms.setdefault("status_form", _status_form(deviation))
        forms.setdefault("approve_form", ApprovePlanForm(formdata=None))
        forms.setdefault("note_form", AddNoteForm(formdata=None))
        forms.setdefault("documents_form", AttachDocumentsForm(formdata=None))
    else:
        forms.setdefault("plan_form", _plan_form(deviation))
        forms.setdefault("progress_form", ReportProgressForm(formdata=None))
    updates = [u for u in deviation.updates if user.is_staff or not u.is_internal]
    events = review_queries.object_history("Deviation", deviation.id) if deviation.is_led_by(user) else []
    return render_template(
        "deviations/view_deviation.html", deviation=deviation, updates=updates, events=events,
        today=clock.today(), lead=lead_for_participant(deviation.agreement, user), **forms,
    ), status


def _plan_form(deviation: Deviation) -> ProposePlanForm:
    """The plan form, filled with the plan already sent (to change it) or with empty rows."""
    actions = list(deviation.plan_actions or [])
    note = "" if actions else deviation.supplier_plan  # a plan from before actions existed
    form = ProposePlanForm(formdata=None, data={"actions": [
        {"action": a.get("action", ""), "responsible": a.get("responsible", ""),
         "deadline": _date_or_none(a.get("deadline"))} for a in actions
    ], "note": note})
    while len(form.actions) < max(PLAN_ROWS, len(actions) + 1) and len(form.actions) < form.actions.max_entries:
        form.actions.append_entry()
    return form


def _date_or_none(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def _status_form(deviation: Deviation) -> ChangeDeviationStatusForm:
    form = ChangeDeviationStatusForm(formdata=None)
    form.set_statuses(DEVIATION_TRANSITIONS.get(deviation.status, ()))
    return form


@bp.route("/<int:deviation_id>")
def view_deviation(deviation_id: int) -> tuple[str, int]:
    """A deviation with its plan, updates and files; staff also see notes and history."""
    return _render_deviation(get_deviation_or_404(deviation_id))


# Registering and editing (staff)


def _sites(response: Response | None) -> dict[str, SiteChoice]:
    """The production sites a deviation on ``response`` can name (see ``sites_for_deviation``)."""
    if response is None:
        return {}
    return sites_for_deviation(response, review_services.reviewed_answers(response).answers)


def _warn_public_text(measures_text: str) -> None:
    """The measures go into the public 4.A.3 as written: say if they name anyone."""
    from portal.reports import guard

    if hits := guard.known_terms().find(measures_text):
        flash(guard.hits_message(hits), "warning")


def _site_choices(sites: dict[str, SiteChoice]) -> list[tuple[str, str]]:
    choices = []
    for key, site in sites.items():
        where = ", ".join(part for part in (site.city, site.country) if part)
        choices.append((key, f"{site.name} ({where})" if where else site.name))
    return choices


def _values(form: EditDeviationForm, sites: dict[str, SiteChoice]) -> dict[str, Any]:
    values = {name: getattr(form, name).data for name in services.DEVIATION_FIELDS}
    values["agreement_id"] = form.agreement_id.data or None
    site = sites.get(form.site_choice.data or "")
    if site is not None:
        values["site"] = site.name[:200]
        if not values.get("country") and site.country:
            values["country"] = site.country
        if values.get("tier") == "TU" and site.tier in TIERS:
            values["tier"] = site.tier
    return values


def _prefill_source(
    raw_response: str | None, raw_question: str | None
) -> tuple[Response | None, Question | None]:
    """The response and question a deviation is recorded from (``?response=&question=``)."""
    if not raw_response:
        return None, None
    response = load_response(id_or_404(review_queries.int_arg(raw_response) or 0))
    if response is None:
        abort(404)
    if not raw_question:
        return response, None
    definition, _sections = review_services.definition_and_sections(response)
    try:
        return response, definition.question(raw_question)
    except KeyError:
        abort(404)


@bp.route("/new", methods=["GET", "POST"])
@staff_only
def new_deviation() -> HttpResponse | str | tuple[str, int]:
    """Register a deviation, on its own or from a question of a response."""
    form = CreateDeviationForm()
    if request.method == "GET":
        response, question = _prefill_source(inputs.arg("response"), inputs.arg("question"))
    else:
        response, question = _prefill_source(form.response_id.data, form.question_id.data)
    form.set_suppliers(review_queries.supplier_choices())
    form.set_agreements(review_queries.agreement_choices())
    sites = _sites(response)
    form.set_sites(_site_choices(sites))
    if request.method == "GET":
        form.detected_date.data = clock.today()
        if response is not None:
            form.supplier_id.data = response.supplier_id
            form.agreement_id.data = response.agreement_id
            form.response_id.data = str(response.id)
            form.detected_by.data = "SAQ"
        if question is not None:
            form.question_id.data = question.id
            form.type.data = question.deviation_on_not_met or ""
    if form.validate_on_submit():
        supplier = db.session.get(Supplier, form.supplier_id.data, populate_existing=True)
        assert supplier is not None  # the form checked the choice
        if response is not None and response.supplier_id != supplier.id:
            form.supplier_id.errors.append(_("The response belongs to another supplier."))
        else:
            try:
                deviation = services.create_deviation(
                    supplier, _values(form, sites), actor=signed_in_user(), response=response,
                    question_id=question.id if question else None,
                )
            except services.DeviationError as error:
                db.session.rollback()
                target = form.agreement_id if error.reason == "agreement" else form.type
                target.errors.append(error_message(error))
            else:
                sent = notify.deviation_registered(deviation)
                db.session.commit()
                flash(_("The deviation is registered.") + " " + ngettext(
                    "%(num)s e-mail was sent to the supplier.",
                    "%(num)s e-mails were sent to the supplier.", sent), "success")
                _warn_public_text(deviation.measures_text)
                return _to_deviation(deviation)
    status = 422 if form.errors else 200
    return render_template("deviations/edit_deviation.html", form=form, deviation=None,
                           response=response, question=question, locale=current_locale()), status


@bp.route("/<int:deviation_id>/edit", methods=["GET", "POST"])
@staff_only
def edit_deviation(deviation_id: int) -> HttpResponse | str | tuple[str, int]:
    """Change what is recorded about a deviation (its status changes separately)."""
    deviation = get_deviation_or_404(deviation_id)
    form = EditDeviationForm(obj=deviation)
    form.set_agreements(
        [(a.id, f"{a.name} ({a.reference})") for a in deviation.supplier.agreements]
    )
    sites = _sites(deviation.response)
    form.set_sites(_site_choices(sites))
    if request.method == "GET":
        form.agreement_id.data = deviation.agreement_id or 0
        form.country.data = deviation.country or ""
    if form.validate_on_submit():
        try:
            changed = services.update_deviation(deviation, _values(form, sites),
                                                actor=signed_in_user())
        except services.DeviationError as error:
            db.session.rollback()
            form.agreement_id.errors.append(error_message(error))
        else:
            db.session.commit()
            flash(_("The changes are saved.") if changed else _("There were no changes to save."),
                  "success" if changed else "info")
            _warn_public_text(deviation.measures_text)
            return _to_deviation(deviation)
    status = 422 if form.errors else 200
    return render_template("deviations/edit_deviation.html", form=form, deviation=deviation,
                           response=deviation.response, question=None,
                           locale=current_locale()), status


@bp.route("/<int:deviation_id>/confirm", methods=["POST"])
@staff_only
def confirm_deviation(deviation_id: int) -> HttpResponse:
    """Confirm a proposed deviation: it is registered and the supplier is told."""
    deviation = get_deviation_or_404(deviation_id)
    try:
        services.confirm_deviation(deviation, actor=signed_in_user())
    except services.DeviationError as error:
        db.session.rollback()
        flash(error_message(error), "error")
        if error.reason == "description":
            return redirect(url_for("deviations.edit_deviation", deviation_id=deviation.id))
        return _to_deviation(deviation)
    sent = notify.deviation_registered(deviation)
    db.session.commit()
    flash(_("The deviation is confirmed and registered.") + " " + ngettext(
        "%(num)s e-mail was sent to the supplier.", "%(num)s e-mails were sent to the supplier.",
        sent), "success")
    return _to_deviation(deviation)


@bp.route("/<int:deviation_id>/discard", methods=["POST"])
@staff_only
def discard_deviation(deviation_id: int) -> HttpResponse:
    """Discard a proposed deviation; the audit trail keeps what it was."""
    deviation = get_deviation_or_404(deviation_id)
    response_id = deviation.response_id
    try:
        services.discard_deviation(deviation, actor=signed_in_user())
    except services.DeviationError as error:
        db.session.rollback()
        flash(error_message(error), "error")
        return _to_deviation(deviation)
    db.session.commit()
    flash(_("The proposed deviation is discarded."), "success")
    if response_id is not None:
        return redirect(url_for("review.review_response", response_id=response_id,
                                _anchor="deviations"))
    return redirect(url_for("deviations.list_deviations"))


@bp.route("/<int:deviation_id>/status", methods=["POST"])
@staff_only
def change_status(deviation_id: int) -> HttpResponse | tuple[str, int]:
    """Move a deviation to its next status along DOMAIN 5.5; anything else is refused."""
    deviation = get_deviation_or_404(deviation_id)
    form = ChangeDeviationStatusForm()
    form.set_statuses(DEVIATION_TRANSITIONS.get(deviation.status, ()))
    if not form.validate_on_submit():
        return _render_deviation(deviation, 422, status_form=form)
    before = deviation.status
    try:
        services.change_deviation_status(deviation, form.status.data or "", actor=signed_in_user(),
                                         today=clock.today(), comment=form.comment.data or "")
    except services.DeviationError as error:
        db.session.rollback()
        flash(error_message(error), "error")
        return _to_deviation(deviation)
    sent = notify.deviation_status_changed(deviation, before, deviation.status,
                                           comment=form.comment.data or "")
    db.session.commit()
    flash(_("The status is now “%(status)s”.", status=DEVIATION_STATUSES.label(deviation.status))
          + " " + ngettext("%(num)s e-mail was sent to the supplier.",
                           "%(num)s e-mails were sent to the supplier.", sent), "success")
    return _to_deviation(deviation)


@bp.route("/<int:deviation_id>/approve-plan", methods=["POST"])
@staff_only
def approve_plan(deviation_id: int) -> HttpResponse | tuple[str, int]:
    """Approve the supplier's corrective action plan: remediation is under way."""
    deviation = get_deviation_or_404(deviation_id)
    form = ApprovePlanForm()
    if not deviation.can_approve_plan(signed_in_user()):
        flash(error_message(services.DeviationError("approve_state")), "error")
        return _to_deviation(deviation)
    if not form.validate_on_submit():
        return _render_deviation(deviation, 422, approve_form=form)
    before = deviation.status
    services.approve_plan(deviation, actor=signed_in_user(), today=clock.today(),
                          comment=form.comment.data or "")
    notify.deviation_status_changed(deviation, before, deviation.status,
                                    comment=form.comment.data or "")
    db.session.commit()
    flash(_("The plan is approved. The supplier is told by e-mail."), "success")
    return _to_deviation(deviation)


@bp.route("/<int:deviation_id>/notes", methods=["POST"])
@staff_only
def add_note(deviation_id: int) -> HttpResponse | tuple[str, int]:
    """A dated note on the deviation, internal unless marked for the supplier."""
    deviation = get_deviation_or_404(deviation_id)
    form = AddNoteForm()
    if not form.validate_on_submit():
        return _render_deviation(deviation, 422, note_form=form)
    services.add_note(deviation, form.text.data or "", is_internal=bool(form.is_internal.data),
                      actor=signed_in_user())
    db.session.commit()
    flash(_("The note is added."), "success")
    return _to_deviation(deviation)


@bp.route("/<int:deviation_id>/documents", methods=["POST"])
@staff_only
def attach_documents(deviation_id: int) -> HttpResponse | tuple[str, int]:
    """Files from the municipality's side (an audit report received by e-mail, say) with a note,
    internal unless marked for the supplier."""
    deviation = get_deviation_or_404(deviation_id)
    user = signed_in_user()
    if not deviation.is_led_by(user):
        abort(404)  # a participant of a joint agreement reads the deviation and adds nothing
    form = AttachDocumentsForm()
    if not form.validate_on_submit():
        return _render_deviation(deviation, 422, documents_form=form)
    try:
        stored = store_all(form.documents.data or [])
    except UploadProblem as problem:
        form.documents.errors.append(problem.message)
        return _render_deviation(deviation, 422, documents_form=form)
    try:
        services.attach_documents(deviation, form.document_note.data or "", stored,
                                  is_internal=bool(form.document_internal.data), actor=user)
    except services.DeviationError as error:
        db.session.rollback()  # also deletes the files written in this transaction
        form.documents.errors.append(error_message(error))
        return _render_deviation(deviation, 422, documents_form=form)
    db.session.commit()
    flash(ngettext("%(num)s file is attached.", "%(num)s files are attached.", len(stored)), "success")
    return _to_deviation(deviation)


# The supplier's part


def _supplier_only() -> None:
    if not current_user.is_supplier:
        abort(403)


@bp.route("/<int:deviation_id>/plan", methods=["POST"])
def propose_plan(deviation_id: int) -> HttpResponse | tuple[str, int]:
    """The supplier proposes its corrective action plan."""
    deviation = get_deviation_or_404(deviation_id)
    _supplier_only()
    user = signed_in_user()
    if not deviation.can_propose_plan(user):
        flash(error_message(services.DeviationError("plan_state")), "error")
        return _to_deviation(deviation)
    form = ProposePlanForm()
    if form.add_action.data and len(form.actions) < form.actions.max_entries:
        form.actions.append_entry()  # what was typed stays; nothing is checked or sent yet
        return _render_deviation(deviation, 200, plan_form=form, plan_open=True)
    if not form.validate_on_submit():
        return _render_deviation(deviation, 422, plan_form=form, plan_open=True)
    before = deviation.status
    plan = services.propose_plan(deviation, form.note.data or "", actor=user, today=clock.today(),
                                 actions=form.plan())
    notify.supplier_reported(deviation, plan)
    if deviation.status != before:
        notify.deviation_status_changed(deviation, before, deviation.status, actor=user)
    db.session.commit()
    flash(_("Your plan is sent to the municipality, which will approve it or get back to you."),
          "success")
    return _to_deviation(deviation)


@bp.route("/<int:deviation_id>/progress", methods=["POST"])
def report_progress(deviation_id: int) -> HttpResponse | tuple[str, int]:
    """The supplier reports progress, with evidence; evidence of closure asks for verification."""
    deviation = get_deviation_or_404(deviation_id)
    _supplier_only()
    user = signed_in_user()
    form = ReportProgressForm()
    closure = bool(form.closure.data)
    allowed = deviation.can_report_closure if closure else deviation.can_report_progress
    if not allowed(user):
        reason = "closure_state" if closure else "progress_state"
        flash(error_message(services.DeviationError(reason)), "error")
        return _to_deviation(deviation)
    if not form.validate_on_submit():
        return _render_deviation(deviation, 422, progress_form=form)
    try:
        stored = store_all(form.files.data or [])
    except UploadProblem as problem:
        form.files.errors.append(problem.message)
        return _render_deviation(deviation, 422, progress_form=form)
    before = deviation.status
    report = services.report_progress(deviation, form.text.data or "", stored, closure=closure,
                                      actor=user, today=clock.today())
    notify.supplier_reported(deviation, report.update)
    if report.moved_to:
        notify.deviation_status_changed(deviation, before, deviation.status, actor=user)
    db.session.commit()
    if report.moved_to:
        flash(_("Thank you. The municipality will verify the correction and close the "
                "deviation."), "success")
    else:
        flash(_("Your report is sent to the municipality."), "success")
    return _to_deviation(deviation)


@bp.route("/<int:deviation_id>/attachments/<int:attachment_id>")
def download_attachment(deviation_id: int, attachment_id: int) -> HttpResponse:
    """Download a file sent with a deviation update, always as an attachment."""
    deviation = get_deviation_or_404(deviation_id)
    attachment = get_or_404(Attachment, attachment_id)
    update = attachment.deviation_update
    if update is None or update.deviation_id != deviation.id:
        abort(404)
    if update.is_internal and not current_user.is_staff:
        abort(404)
    return send_attachment(attachment)
