"""Sharing a submitted response with another buyer (supplier) and received responses (staff).

Supplier routes: the response must be the signed-in supplier's own (another's answers 404).
Staff routes: the share must be one of the signed-in buyer's own, active shares (another
buyer's, or a revoked one, answers 404); see ``portal.sharing.services.load_received``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from werkzeug.wrappers import Response as HttpResponse

from portal import clock, storage
from portal.access import id_or_404, require_roles, signed_in_user
from portal.extensions import db
from portal.i18n import current_locale
from portal.models import ResponseShare, Role
from portal.questionnaires import engine
from portal.responses.services import load_response
from portal.responses.views import build_question
from portal.review import labels
from portal.sharing import services
from portal.sharing.forms import (
    AcceptShareForm,
    ReuseFollowUpForm,
    RevokeShareForm,
    ShareForm,
    ShareVerdictsForm,
)

bp = Blueprint("sharing", __name__, url_prefix="/responses")
require_roles(bp, Role.SUPPLIER)

received_bp = Blueprint("received", __name__, url_prefix="/review/received")
require_roles(received_bp, Role.REVIEWER, Role.ADMIN)


@received_bp.context_processor
def _labels() -> dict[str, Any]:
    return labels.globals_for_templates()


def share_error_message(error: services.ShareError) -> str:
    details = error.details
    if error.reason == "not_submitted":
        return _("Only a submitted or accepted response can be shared. Nothing was shared.")
    if error.reason == "no_agreement":
        return _("A response can be shared only with a buyer that has an agreement with your "
                 "company. Nothing was shared.")
    if error.reason == "already_shared":
        return _("This submission is already shared with that buyer.")
    if error.reason == "revoked":
        return _("The share is already revoked.")
    if error.reason == "unknown_question":
        return _("%(questions)s is not a question of this questionnaire. Nothing was saved.",
                 questions=", ".join(details.get("questions", [])))
    if error.reason == "unknown_verdict":
        return _("The verdict on %(questions)s is not one of the verdicts in the list. "
                 "Nothing was saved.", questions=", ".join(details.get("questions", [])))
    if error.reason == "agreement":
        return _("Choose one of your agreements with this supplier that is active in "
                 "%(year)s. Nothing was recorded.", year=details.get("year", ""))
    if error.reason == "already_recorded":
        return _("This is already recorded for that agreement. Nothing was recorded.")
    if error.reason == "not_accepted":
        return _("Only a follow-up the other buyer has accepted can be reused. Nothing was "
                 "recorded.")
    if error.reason == "future":
        return _("The date cannot be in the future: record activities that took place")
    if error.reason == "before_acceptance":
        return _("The other buyer accepted the follow-up on %(accepted)s, after the date you "
                 "gave. Nothing was recorded.", accepted=format_date(details["accepted"]))
    if error.reason == "too_old":
        return _("The other buyer accepted the follow-up on %(accepted)s: a result can be "
                 "reused only within three years, so from %(cutoff)s for the date you gave. "
                 "Nothing was recorded.", accepted=format_date(details["accepted"]),
                 cutoff=format_date(details["cutoff"]))
    return _("This cannot be done. Nothing was changed.")


# The supplier's side


def _own_response(response_id: int) -> Any:
    response = load_response(id_or_404(response_id))
    user = signed_in_user()
    if response is None or response.supplier_id != user.supplier_id:
        abort(404)
    return response


def _render_shares(response: Any, form: ShareForm | None = None, status: int = 200) -> Any:
    buyers = services.shareable_buyers(response)
    if form is None:
        form = ShareForm(formdata=None)
    form.set_buyers([(b.id, b.name) for b in buyers])
    return render_template(
        "sharing/response_shares.html", response=response, form=form,
        submission=services.shared_submission(response), shares=services.shares_of(response),
        source=services.source_buyer_of(response), revoke_form=RevokeShareForm(formdata=None),
        has_buyers=bool(buyers),
    ), status


@bp.route("/<int:response_id>/sharing")
def response_shares(response_id: int) -> Any:
    """Who the response is shared with, and the form to share it with another buyer."""
    return _render_shares(_own_response(response_id))


@bp.post("/<int:response_id>/sharing/new")
def share_response(response_id: int) -> Any:
    """Share the latest submission with a buyer that has an agreement with the supplier."""
    response = _own_response(response_id)
    form = ShareForm()
    form.set_buyers([(b.id, b.name) for b in services.shareable_buyers(response)])
    if not form.validate_on_submit():
        return _render_shares(response, form, 422)
    try:
        share = services.grant_share(response, form.buyer_id.data, actor=signed_in_user())
    except services.ShareError as error:
        db.session.rollback()
        flash(share_error_message(error), "error")
        return redirect(url_for("sharing.response_shares", response_id=response.id))
    db.session.commit()
    flash(_("Submission %(number)s is shared with %(buyer)s.", number=share.submission_number,
            buyer=share.buyer.name), "success")
    return redirect(url_for("sharing.response_shares", response_id=response.id))


@bp.post("/<int:response_id>/sharing/<int:share_id>/revoke")
def revoke_share(response_id: int, share_id: int) -> HttpResponse:
    """Revoke a share: the buyer can no longer open it; what it recorded from it stays."""
    response = _own_response(response_id)
    share = db.session.get(ResponseShare, id_or_404(share_id))
    if share is None or share.response_id != response.id or share.supplier_id != response.supplier_id:
        abort(404)
    form = RevokeShareForm()
    if form.validate_on_submit():
        try:
            services.revoke_share(share, actor=signed_in_user())
        except services.ShareError as error:
            db.session.rollback()
            flash(share_error_message(error), "error")
        else:
            db.session.commit()
            flash(_("The share is revoked. %(buyer)s can no longer open the response.",
                    buyer=share.buyer.name), "success")
    else:
        flash(_("The form had expired. Try again."), "error")
    return redirect(url_for("sharing.response_shares", response_id=response.id))


# The receiving buyer's side


@received_bp.route("")
def received() -> str:
    """Responses suppliers have shared with this buyer (active shares)."""
    shares = services.received_shares()
    return render_template("sharing/received.html", shares=shares,
                           supplier_names=services.supplier_names(shares))


def _received_or_404(share_id: int) -> services.Received:
    received = services.load_received(id_or_404(share_id))
    if received is None:
        abort(404)
    return received


def _agreement_options(received: services.Received, year: int | None) -> list[tuple[int, str]]:
    return [(a.id, f"{a.name} ({a.reference})")
            for a in services.agreement_choices(received, year)]


def _sections(received: services.Received, form: ShareVerdictsForm | None) -> list[Any]:
    definition, sections = received.definition_and_sections
    locale = current_locale()
    answers, files = received.answers, received.files
    entries = {}
    if form is not None:
        for entry in form.verdicts:
            qid = entry.form.question_id.data or ""
            entry.form.verdict.label.text = _("Verdict on %(question)s", question=qid)
            entry.form.comment.label.text = _("Our comment on %(question)s", question=qid)
            entries[qid] = entry.form
    built = []
    for state in engine.response_state(sections, answers, files, locale):
        questions = []
        for question_state in state.questions:
            if not question_state.shown:
                continue
            view = build_question(
                definition, question_state.question, question_state, answers, files,
                locale=locale, editable=False, response_id=received.response.id, revision=None,
                is_copied=False, upload_errors={},
            )
            questions.append((question_state.question, view, entries.get(question_state.question.id)))
        built.append((state.section, questions))
    return built


def _render_received(received: services.Received, *, verdict_form: ShareVerdictsForm | None = None,
                     accept_form: AcceptShareForm | None = None,
                     reuse_form: ReuseFollowUpForm | None = None, status: int = 200) -> Any:
    verdicts = services.verdicts_of(received.share)
    if verdict_form is None:
        _definition, sections = received.definition_and_sections
        shown = [q.question.id
                 for s in engine.response_state(sections, received.answers, received.files,
                                                current_locale())
                 for q in s.questions if q.shown]
        verdict_form = ShareVerdictsForm(formdata=None, data={"verdicts": [
            {"question_id": qid, "verdict": (verdicts[qid].verdict if qid in verdicts else "") or "",
             "comment": verdicts[qid].comment if qid in verdicts else ""}
            for qid in shown
        ]})
    today = clock.today()
    if accept_form is None:
        accept_form = AcceptShareForm(formdata=None)
    accept_form.set_agreements(_agreement_options(received, today.year))
    if reuse_form is None:
        reuse_form = ReuseFollowUpForm(formdata=None, data={"date": today}, prefix="reuse")
    reuse_form.set_agreements(_agreement_options(received, None))
    return render_template(
        "sharing/view_received.html", received=received, share=received.share,
        response=received.response, submission=received.submission,
        sections=_sections(received, verdict_form), verdict_form=verdict_form,
        accept_form=accept_form, reuse_form=reuse_form, locale=current_locale(),
        accepted_on=received.accepted_on, year=today.year,
        activities=services.activities_of(received.share),
    ), status


@received_bp.route("/<int:share_id>")
def view_received(share_id: int) -> Any:
    """The shared submission, read-only, with this buyer's own verdicts and comments."""
    received = _received_or_404(share_id)
    services.record_view(received, actor=signed_in_user())
    # Rendered before the commit: committing expires the source's rows, which this buyer's
    # scoped session could not load again.
    page = _render_received(received)
    db.session.commit()
    return page


def _to_received(received: services.Received, anchor: str | None = None) -> HttpResponse:
    return redirect(url_for("received.view_received", share_id=received.share.id, _anchor=anchor))


@received_bp.post("/<int:share_id>/verdicts")
def save_received_verdicts(share_id: int) -> Any:
    """Save this buyer's verdicts on the shared submission."""
    received = _received_or_404(share_id)
    form = ShareVerdictsForm()
    if not form.validate_on_submit():
        return _render_received(received, verdict_form=form, status=422)
    entries = [services.ShareVerdict(question_id=e.form.question_id.data or "",
                                     verdict=e.form.verdict.data or None,
                                     comment=e.form.comment.data or "")
               for e in form.verdicts]
    try:
        changed = services.save_verdicts(received, entries, actor=signed_in_user())
    except services.ShareError as error:
        db.session.rollback()
        flash(share_error_message(error), "error")
        return _to_received(received)
    db.session.commit()
    if changed:
        flash(ngettext("%(num)s verdict was saved.", "%(num)s verdicts were saved.", len(changed)),
              "success")
    else:
        flash(_("There were no changes to save."), "info")
    section = form.section.data
    return _to_received(received, f"section-{section}" if section else None)


@received_bp.route("/<int:share_id>/files/<int:file_id>")
def download_received_file(share_id: int, file_id: int) -> HttpResponse:
    """Download a file of the shared submission, always as an attachment."""
    received = _received_or_404(share_id)
    evidence = services.shared_file(received, id_or_404(file_id))
    if evidence is None:
        abort(404)
    key, name, mimetype = evidence.stored_name, evidence.original_name, evidence.mimetype
    services.record_view(received, actor=signed_in_user(), what="file", file_id=evidence.id)
    db.session.commit()
    return storage.send(key, download_name=name, content_type=mimetype)


@received_bp.post("/<int:share_id>/accept")
def accept_received(share_id: int) -> Any:
    """Accept the shared self-assessment as this buyer's follow-up on one of its agreements."""
    received = _received_or_404(share_id)
    form = AcceptShareForm()
    form.set_agreements(_agreement_options(received, clock.today().year))
    if not form.validate_on_submit():
        return _render_received(received, accept_form=form, status=422)
    try:
        activity = services.accept_as_follow_up(received, form.agreement_id.data,
                                                actor=signed_in_user(), today=clock.today())
    except services.ShareError as error:
        db.session.rollback()
        flash(share_error_message(error), "error")
        return _to_received(received, "follow-up")
    db.session.commit()
    flash(_("The shared self-assessment is recorded as your follow-up."), "success")
    return redirect(url_for("review.view_activity", activity_id=activity.id))


@received_bp.post("/<int:share_id>/reuse")
def reuse_received(share_id: int) -> Any:
    """Record the other buyer's accepted follow-up as reused (three years at most)."""
    received = _received_or_404(share_id)
    # Prefixed: the page also has the accept form, whose agreement field would share its id.
    form = ReuseFollowUpForm(prefix="reuse")
    form.set_agreements(_agreement_options(received, None))
    if not form.validate_on_submit():
        return _render_received(received, reuse_form=form, status=422)
    try:
        activity = services.reuse_follow_up(received, form.agreement_id.data, form.date.data,
                                            actor=signed_in_user(), today=clock.today())
    except services.ShareError as error:
        db.session.rollback()
        received = _received_or_404(share_id)  # the rollback expired the source's rows
        form.set_agreements(_agreement_options(received, None))
        if error.reason in ("too_old", "before_acceptance", "not_accepted", "future"):
            form.date.errors = [*form.date.errors, share_error_message(error)]
        else:
            form.agreement_id.errors = [*form.agreement_id.errors, share_error_message(error)]
        return _render_received(received, reuse_form=form, status=422)
    db.session.commit()
    flash(_("The reused follow-up is recorded."), "success")
    return redirect(url_for("review.view_activity", activity_id=activity.id))


