"""The municipality's review: inbox, verdicts, clarification rounds, acceptance, follow-up
activities and the audit trail. Staff only; the audit log is for administrators.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response as HttpResponse

from portal import clock, inputs
from portal.access import get_or_404, id_or_404, require_roles, role_required, signed_in_user
from portal.admin.services import lead_for_participant
from portal.codes import ACTIVITY_KINDS, DFO_CATEGORIES, RECORDABLE_ACTIVITY_KINDS
from portal.extensions import db
from portal.i18n import current_locale
from portal.models import (
    Agreement,
    Attachment,
    Deviation,
    FollowUpActivity,
    Response,
    Role,
    Supplier,
)
from portal.questionnaires import engine
from portal.reports.csvfile import to_csv
from portal.reports.tables import Table
from portal.reports.xlsx import to_xlsx
from portal.responses.services import load_response
from portal.review import answer_export, labels, notify, queries, rollup, services
from portal.review.downloads import send_attachment
from portal.review.forms import (
    AcceptResponseForm,
    BulkActionForm,
    CreateActivityForm,
    EditActivityForm,
    ReopenResponseForm,
    ReturnResponseForm,
    SaveVerdictsForm,
    WithdrawActivityForm,
)
from portal.review.uploads import UploadProblem, store_all
from portal.review.views import ReviewSection, build_sections
from portal.security import DOWNLOAD_CSP
from portal.templating import response_status_label

bp = Blueprint("review", __name__, url_prefix="/review")
require_roles(bp, Role.REVIEWER, Role.ADMIN)
admin_only = role_required(Role.ADMIN)


@bp.context_processor
def _labels() -> dict[str, Any]:
    return labels.globals_for_templates()


def _page_number() -> int:
    return inputs.page_number()


def _page_size() -> int:
    return int(current_app.config["PAGE_SIZE"])


def get_response_or_404(response_id: int) -> Response:
    response = load_response(id_or_404(response_id))
    if response is None:
        abort(404)
    return response


def _view_args() -> dict[str, Any]:
    """How the review page is shown: one part (``part``) and/or only what changed since the
    previous submission (``changes=only``); kept in the forms' addresses across saves."""
    args = inputs.args()
    view: dict[str, Any] = {}
    part = args.get("part", "")[:20]
    if part:
        view["part"] = part
    if args.get("changes") == "only":
        view["changes"] = "only"
    return view


def _to_review(response: Response, anchor: str | None = None) -> HttpResponse:
    return redirect(url_for("review.review_response", response_id=response.id, _anchor=anchor,
                            **_view_args()))


@dataclass
class ReviewView:
    """The part of the review page shown, with the way to the others."""

    response_id: int
    args: dict[str, Any]
    part: ReviewSection | None = None
    previous_part: ReviewSection | None = None
    next_part: ReviewSection | None = None
    position: int = 0
    parts: int = 0
    changed_questions: int = 0
    only_changes: bool = False

    def link(self, **changes: str | None) -> str:
        """The review page with this view changed: a value of None drops that setting."""
        args = {k: v for k, v in {**self.args, **changes}.items() if v is not None}
        return url_for("review.review_response", response_id=self.response_id, **args)


def _select_view(response_id: int, sections: list[ReviewSection],
                 has_previous: bool) -> tuple[list[ReviewSection], ReviewView]:
    view = ReviewView(response_id, _view_args())
    # A question new in this version (compared with another version's submission) is a change, too.
    view.changed_questions = sum(1 for s in sections for q in s.questions if q.earlier or q.is_new)
    if view.args.get("changes") and has_previous:
        view.only_changes = True
        sections = [replace(s, questions=[q for q in s.questions if q.earlier or q.is_new]) for s in sections]
        sections = [s for s in sections if s.questions]
    wanted = view.args.get("part")
    if wanted:
        index = next((i for i, s in enumerate(sections) if s.section.id == wanted), None)
        if index is None:
            flash(_("The questionnaire has no part %(part)s with questions to show here: all parts are shown.",
                    part=wanted), "info")
            view.args.pop("part")
        else:
            view.part, view.position, view.parts = sections[index], index + 1, len(sections)
            view.previous_part = sections[index - 1] if index else None
            view.next_part = sections[index + 1] if index + 1 < len(sections) else None
            return [sections[index]], view
    return sections, view


def error_message(error: services.ReviewError) -> str:
    details = error.details
    if error.reason == "state":
        return _("This cannot be done while the response is “%(status)s”. Nothing was changed.",
                 status=response_status_label(str(details.get("status", ""))))
    if error.reason == "unknown_question":
        return _("%(questions)s is not a question of this questionnaire. Nothing was saved.",
                 questions=", ".join(details.get("questions", [])))
    if error.reason == "unknown_verdict":
        return _("The verdict on %(questions)s is not one of the verdicts in the list. "
                 "Nothing was saved.", questions=", ".join(details.get("questions", [])))
    if error.reason == "no_message":
        return _("Write a message to the supplier saying what to clarify")
    if error.reason == "no_questions":
        return _("Choose at least one question for the supplier to answer again")
    if error.reason == "no_reason":
        return _("Say why the review is reopened")
    if error.reason == "not_on_agreement":
        return _("The supplier is not on this agreement. Choose one of the supplier's agreements.")
    if error.reason == "acceptance_date":
        return _("Date the acceptance within %(year)s, the round's year, and not after today. "
                 "Nothing was changed.", year=details.get("year"))
    if error.reason == "not_historical":
        return _("Only a historical round's acceptance can be dated. Nothing was changed.")
    if error.reason == "shared_activity":
        return _("An activity recorded from a shared response cannot be corrected: withdraw it "
                 "and record it again from the received response. Nothing was changed.")
    if error.reason == "withdrawn":
        return _("The activity is withdrawn and can no longer be changed. Nothing was changed.")
    return _("This cannot be done. Nothing was changed.")


# Inbox


INBOX_MIME = {"csv": "text/csv; charset=utf-8",
              "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _render_inbox(form: BulkActionForm | None = None, status: int = 200) -> tuple[str, int]:
    filters = queries.InboxFilters.from_args(inputs.args())
    result = queries.inbox(filters, clock.today(), _page_number(), _page_size(), current_locale())
    if form is None:
        form = BulkActionForm(formdata=None)
    return render_template(
        "review/inbox.html", inbox=result, filters=filters, choices=queries.filter_choices(),
        statuses=queries.STATUSES, categories=DFO_CATEGORIES, lights=queries.LIGHTS, form=form,
        selected=set(form.responses.data or []),
    ), status


@bp.route("")
def inbox() -> tuple[str, int]:
    """What needs the reviewer first (submitted, resubmitted, overdue); every response on
    request, filtered, searched and sorted, with its light and the supplier's open deviations."""
    return _render_inbox()


@bp.post("/bulk")
def bulk_action() -> HttpResponse | tuple[str, int]:
    """Remind the suppliers of the selected responses, or give them a later deadline."""
    form = BulkActionForm()
    if not form.validate_on_submit():
        return _render_inbox(form, 400)
    ids = [id_or_404(response_id) for response_id in form.responses.data or []]
    responses = queries.responses_by_ids(ids)
    if len(responses) != len(set(ids)):
        abort(404)  # another buyer's response, or none: nothing is changed
    actor, today = signed_in_user(), clock.today()
    if form.extend.data:
        result = services.extend_deadlines(responses, form.new_deadline.data, actor=actor,
                                           reason=form.reason.data, today=today)
        done = ngettext("The deadline is moved for %(num)s response.",
                        "The deadline is moved for %(num)s responses.", result.done)
        skipped = ngettext(
            "%(num)s was left as it was: already submitted, or its deadline is that day or later.",
            "%(num)s were left as they were: already submitted, or their deadline is that day "
            "or later.", result.skipped)
    else:
        result = services.send_reminders(responses, actor=actor, today=today)
        done = ngettext("A reminder is sent for %(num)s response.",
                        "Reminders are sent for %(num)s responses.", result.done)
        skipped = ngettext("%(num)s was already submitted and got no reminder.",
                           "%(num)s were already submitted and got no reminder.", result.skipped)
    db.session.commit()
    emails = ngettext("%(num)s e-mail was sent to the suppliers.",
                      "%(num)s e-mails were sent to the suppliers.", result.emails)
    message = " ".join([done, emails, *([skipped] if result.skipped else [])])
    flash(message, "success" if result.done else "info")
    filters = queries.InboxFilters.from_args(inputs.args())
    return redirect(url_for("review.inbox", **filters.args()))


@bp.get("/export.<any(csv, xlsx):fmt>")
def export_inbox(fmt: str) -> HttpResponse:
    """The responses of the current filter (every page), as CSV or XLSX."""
    filters = queries.InboxFilters.from_args(inputs.args())
    rows, _counts = queries.inbox_rows(filters, clock.today(), current_locale())
    buyer = signed_in_user().buyer
    own = buyer.name if buyer is not None else ""
    table = Table(
        key="responses", title=_("Responses to review"),
        headers=(_("Supplier"), _("Organisation number"), _("Agreement"), _("Reference"),
                 _("Round"), _("Status"), _("Deadline"), _("Overdue"), _("Traffic light"),
                 _("Open deviations of the supplier"), _("Followed up by")),
        rows=tuple(
            (r.response.supplier.name, r.response.supplier.identifier, r.response.agreement.name,
             r.response.agreement.reference, r.response.round.name,
             response_status_label(r.response.status), r.response.deadline,
             _("Yes") if r.overdue else _("No"), labels.light_text(r.light), r.open_deviations,
             r.lead or own)
            for r in rows
        ),
        widths=(36, 16, 40, 14, 30, 18, 12, 10, 16, 14, 36),
    )
    if fmt == "csv":
        body = to_csv(table)
    else:
        body = to_xlsx([table], [(_("Exported"), clock.today()),
                                 (_("Organisation"), signed_in_user().buyer_name)])
    reply = HttpResponse(body, content_type=INBOX_MIME[fmt])
    reply.headers["Content-Disposition"] = (
        f'attachment; filename="aktsom-responses-{clock.today().isoformat()}.{fmt}"')
    reply.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    return reply


@bp.get("/answers.xlsx")
def export_answers() -> HttpResponse:
    """Every answer of the responses of the current filter (every page) as a workbook: one row
    per response, one column per question, each table on a sheet of its own."""
    filters = queries.InboxFilters.from_args(inputs.args())
    today, locale = clock.today(), current_locale()
    rows, _counts = queries.inbox_rows(filters, today, locale)
    if not rows:
        flash(_("No responses match this filter, so there are no answers to download. "
                "Choose another filter."), "info")
        return redirect(url_for("review.inbox", **filters.args()))
    if (refused := answer_export.too_many(len(rows))) is not None:
        flash(refused, "error")
        return redirect(url_for("review.inbox", **filters.args()))
    body = answer_export.answers_workbook(
        [row.response for row in rows], locale, signed_in_user().buyer_name,
        _("The responses of the inbox's filter"), today)
    return answer_export.download(body, f"aktsom-answers-{today.isoformat()}.xlsx")


# The review page


def _question_choices(response: Response) -> list[tuple[str, str]]:
    _definition, sections = services.definition_and_sections(response)
    locale = current_locale()
    return [(q.id, f"{q.id} – {q.text.get(locale)}") for s in sections for q in s.questions]


def _verdict_data(
    question_ids: list[str],
    verdicts: dict[str, Any],
    posted: dict[str, services.VerdictInput] | None = None,
) -> dict[str, Any]:
    entries = []
    for qid in question_ids:
        review = verdicts.get(qid)
        if posted and qid in posted:
            # A conflict: keep what the reviewer typed; saving again overwrites knowingly.
            mine = posted[qid]
            entries.append({"question_id": qid, "base": services.fingerprint_of(review),
                            "verdict": mine.verdict or "", "comment_to_supplier":
                            mine.comment_to_supplier, "internal_note": mine.internal_note})
            continue
        entries.append({
            "question_id": qid, "base": services.fingerprint_of(review),
            "verdict": (review.verdict if review else None) or "",
            "comment_to_supplier": review.comment_to_supplier if review else "",
            "internal_note": review.internal_note if review else "",
        })
    return {"verdicts": entries}


def _label_entries(form: SaveVerdictsForm) -> dict[str, Any]:
    entries = {}
    for entry in form.verdicts:
        qid = entry.form.question_id.data or ""
        entry.form.verdict.label.text = _("Verdict on %(question)s", question=qid)
        entry.form.comment_to_supplier.label.text = _("Comment to the supplier on %(question)s",
                                                      question=qid)
        entry.form.internal_note.label.text = _("Internal note on %(question)s", question=qid)
        entries[qid] = entry.form
    return entries


def _render_review(
    response: Response,
    *,
    verdict_form: SaveVerdictsForm | None = None,
    return_form: ReturnResponseForm | None = None,
    reopen_form: ReopenResponseForm | None = None,
    posted: dict[str, services.VerdictInput] | None = None,
) -> str:
    definition, sections = services.definition_and_sections(response)
    locale = current_locale()
    today = clock.today()
    reviewed = services.reviewed_answers(response, earlier_round=True)
    verdicts = services.verdicts_of(response)
    deviations = list(db.session.scalars(
        select(Deviation).where(Deviation.response_id == response.id).order_by(Deviation.id)
    ))
    facts = queries.deviation_facts_for([response])[response.id]
    result = rollup.rollup(services.section_facts(sections),
                           {qid: v.verdict for qid, v in verdicts.items()}, facts, today,
                           queries.gates_said_no(sections, reviewed.answers))
    can_review = response.can_review(signed_in_user())
    states = engine.response_state(sections, reviewed.answers, reviewed.files, locale)
    shown_ids = [q.question.id for state in states for q in state.questions if q.shown]
    if verdict_form is None and can_review:
        verdict_form = SaveVerdictsForm(formdata=None, data=_verdict_data(shown_ids, verdicts,
                                                                          posted))
    entries = _label_entries(verdict_form) if verdict_form is not None and can_review else {}
    conflicts = {}
    for qid in posted or {}:
        review = verdicts.get(qid)
        conflicts[qid] = {
            "verdict": review.verdict if review else None,
            "comment_to_supplier": review.comment_to_supplier if review else "",
            "internal_note": review.internal_note if review else "",
            "by": review.updated_by.display_name if review and review.updated_by else "",
            "at": review.updated_at if review else None,
        }
    review_sections = build_sections(
        response, definition, sections, reviewed, locale=locale, result=result, entries=entries,
        copied=services.copied_unconfirmed(response, reviewed.answers),
        deviations={d.question_id: d for d in deviations if d.question_id},
        conflicts=conflicts, verdicts=verdicts,
    )
    all_sections = review_sections
    review_sections, view = _select_view(response.id, review_sections, reviewed.previous is not None)
    if return_form is None and can_review:
        return_form = ReturnResponseForm(formdata=None, data={"questions": [
            qid for qid, v in verdicts.items() if v.verdict in ("partly", "not_met")
        ]})
    # The questions to return are ticked where they are judged (the page's own questions); the
    # form at the end of the page offers only those the page does not show.
    return_on_page = [item.question.id for s in review_sections for item in s.questions if item.entry]
    return_elsewhere: list[tuple[str, str]] = []
    if return_form is not None:
        choices = _question_choices(response)
        return_form.set_questions(choices)
        return_elsewhere = [(qid, label) for qid, label in choices if qid not in return_on_page]
    clarifications = services.clarification_history(response)
    if reopen_form is None and response.can_reopen(signed_in_user()):
        reopen_form = ReopenResponseForm(formdata=None)
    return render_template(
        "review/review_response.html", response=response, definition=definition,
        sections=review_sections, result=result, reviewed=reviewed, locale=locale,
        verdict_form=verdict_form if can_review else None, return_form=return_form,
        accept_form=AcceptResponseForm(formdata=None, data={
            "accepted_on": services.default_acceptance_day(response.round, clock.today())
            if response.round.is_historical else None}) if can_review else None,
        reopen_form=reopen_form, deviations=deviations,
        clarifications=clarifications, replies=services.latest_replies(clarifications),
        can_review=can_review, conflicts=conflicts, all_sections=all_sections, view=view,
        return_on_page=return_on_page, return_elsewhere=return_elsewhere,
        lead=lead_for_participant(response.agreement, signed_in_user()),
    )


@bp.route("/responses/<int:response_id>")
def review_response(response_id: int) -> str:
    """Judge each answer against the agreement: verdicts, comments, deviations, the light."""
    response = get_response_or_404(response_id)
    return _render_review(response)


@bp.route("/responses/<int:response_id>/verdicts", methods=["POST"])
def save_verdicts(response_id: int) -> HttpResponse | tuple[str, int]:
    """Save the verdicts of a section or of the whole page in one go."""
    response = get_response_or_404(response_id)
    if not response.can_review(signed_in_user()):
        flash(error_message(services.ReviewError("state", status=response.status)), "error")
        return _to_review(response)
    form = SaveVerdictsForm()
    if not form.validate_on_submit():
        return _render_review(response, verdict_form=form), 422
    entries = [
        services.VerdictInput(
            question_id=entry.form.question_id.data or "", verdict=entry.form.verdict.data or None,
            comment_to_supplier=entry.form.comment_to_supplier.data or "",
            internal_note=entry.form.internal_note.data or "", base=entry.form.base.data or "",
        )
        for entry in form.verdicts
    ]
    # "Meets, except …": the part's button gives its questions left without a verdict "meets".
    rest_meets = inputs.form_value("rest_meets", 20)
    _definition, sections = services.definition_and_sections(response)
    if rest_meets and any(s.id == rest_meets for s in sections):
        entries = services.rest_meets(entries, sections, rest_meets)
    try:
        result = services.save_verdicts(response, entries, actor=signed_in_user(),
                                        today=clock.today())
    except services.ReviewError as error:
        db.session.rollback()
        flash(error_message(error), "error")
        return _to_review(response)
    db.session.commit()
    if result.saved:
        flash(ngettext("%(num)s verdict was saved.", "%(num)s verdicts were saved.",
                       len(result.saved)), "success")
    if result.proposed:
        flash(ngettext("%(num)s deviation is proposed. Confirm or discard it under Deviations.",
                       "%(num)s deviations are proposed. Confirm or discard them under Deviations.",
                       len(result.proposed)), "warning")
    if result.conflicts:
        flash(_("Someone else changed the verdicts on %(questions)s while you were working. "
                "Theirs are kept: compare them with yours below and save again to replace them.",
                questions=", ".join(result.conflicts)), "error")
        posted = {e.question_id: e for e in entries if e.question_id in result.conflicts}
        return _render_review(response, posted=posted), 409
    if not result.saved and not result.proposed:
        flash(_("There were no changes to save."), "info")
    section = form.section.data or rest_meets
    return _to_review(response, f"section-{section}" if section else None)


@bp.route("/responses/<int:response_id>/return", methods=["POST"])
def return_response(response_id: int) -> HttpResponse | tuple[str, int]:
    """Send the response back with a message; the chosen questions open again."""
    response = get_response_or_404(response_id)
    if not response.can_review(signed_in_user()):
        flash(error_message(services.ReviewError("state", status=response.status)), "error")
        return _to_review(response)
    form = ReturnResponseForm()
    form.set_questions(_question_choices(response))
    if not form.validate_on_submit():
        return _render_review(response, return_form=form), 422
    try:
        clarification = services.return_response(response, form.questions.data or [],
                                                 form.message.data or "", actor=signed_in_user())
    except services.ReviewError as error:
        db.session.rollback()
        flash(error_message(error), "error")
        return _to_review(response)
    sent = notify.response_returned(response, clarification)
    db.session.commit()
    flash(_("The response is returned for clarification (round %(number)s).",
            number=clarification.number) + " "
          + ngettext("%(num)s e-mail was sent to the supplier.",
                     "%(num)s e-mails were sent to the supplier.", sent), "success")
    return _to_review(response)


@bp.route("/responses/<int:response_id>/accept", methods=["POST"])
def accept_response(response_id: int) -> HttpResponse | str:
    """Close the review; a "questionnaire reviewed" activity is recorded for today, or for a
    historical round on the date the reviewer gives within the round's year. Questions left
    unjudged are named first, and accepted only once the reviewer has seen them."""
    response = get_response_or_404(response_id)
    actor = signed_in_user()
    today = clock.today()
    day = None
    if response.round.is_historical:
        form = AcceptResponseForm()
        if not form.validate_on_submit():
            for message in form.accepted_on.errors or [_("This cannot be done. Nothing was changed.")]:
                flash(str(message), "error")
            return _to_review(response)
        day = form.accepted_on.data or services.default_acceptance_day(response.round, today)
        try:  # a wrong date is said before anything else is asked
            services.check_acceptance_day(response, day, today)
        except services.ReviewError as error:
            flash(error_message(error), "error")
            return _to_review(response)
    gaps = services.acceptance_gaps(response) if response.can_review(actor) else None
    if gaps and inputs.form().get("gaps_seen", "") != gaps.fingerprint:
        # Say which questions the acceptance would leave without a real review, and ask once more.
        form = AcceptResponseForm(formdata=None, data={"gaps_seen": gaps.fingerprint, "accepted_on": day})
        return render_template("review/confirm_accept.html", response=response, gaps=gaps, form=form,
                               locale=current_locale())
    try:
        services.accept_response(response, actor=actor, today=today, day=day, accepted_gaps=gaps or None)
    except services.ReviewError as error:
        db.session.rollback()
        flash(error_message(error), "error")
        return _to_review(response)
    sent = notify.response_accepted(response)
    db.session.commit()
    flash(_("The response is accepted and the follow-up activity is recorded.") + " "
          + ngettext("%(num)s e-mail was sent to the supplier.",
                     "%(num)s e-mails were sent to the supplier.", sent), "success")
    return _to_review(response)


@bp.route("/responses/<int:response_id>/reopen", methods=["POST"])
def reopen_response(response_id: int) -> HttpResponse | tuple[str, int]:
    """Take an accepted review up again, with a reason."""
    response = get_response_or_404(response_id)
    if not response.can_reopen(signed_in_user()):
        flash(error_message(services.ReviewError("state", status=response.status)), "error")
        return _to_review(response)
    form = ReopenResponseForm()
    if not form.validate_on_submit():
        return _render_review(response, reopen_form=form), 422
    services.reopen_response(response, form.reason.data or "", actor=signed_in_user())
    db.session.commit()
    flash(_("The review is open again. The follow-up activity recorded when it was accepted "
            "stays: that review did take place."), "success")
    return _to_review(response)


@bp.route("/responses/<int:response_id>/history")
def response_history(response_id: int) -> str:
    """Who changed what on a response, and when: answers, verdicts, statuses, clarifications."""
    response = get_response_or_404(response_id)
    return render_template("review/response_history.html", response=response,
                           events=queries.response_history(response),
                           clarifications=services.clarification_history(response))


# Follow-up activities


@bp.route("/activities")
def list_activities() -> str:
    """Dated follow-up activities, by year, kind, agreement and supplier."""
    filters = queries.ActivityFilters.from_args(inputs.args())
    page = queries.activities(filters, _page_number(), _page_size())
    return render_template(
        "review/list_activities.html", page=page, filters=filters, kinds=ACTIVITY_KINDS,
        years=queries.activity_years(), agreements=queries.agreement_choices(archived=True),
        suppliers=queries.supplier_choices(archived=True),
    )


@bp.route("/activities/new", methods=["GET", "POST"])
def new_activity() -> HttpResponse | str | tuple[str, int]:
    """Record a status meeting, document review, site audit or other follow-up activity."""
    form = CreateActivityForm()
    form.set_options(queries.agreement_choices(), queries.supplier_choices())
    if request.method == "GET":
        form.agreement_id.data = inputs.arg_int("agreement") or 0
        form.supplier_id.data = inputs.arg_int("supplier") or 0
        kind = inputs.arg("kind")
        form.kind.data = kind if kind in RECORDABLE_ACTIVITY_KINDS else ""
    if form.validate_on_submit():
        agreement = db.session.get(Agreement, form.agreement_id.data, populate_existing=True)
        supplier = db.session.get(Supplier, form.supplier_id.data, populate_existing=True)
        assert agreement is not None
        assert supplier is not None
        if not services.supplier_is_on_agreement(supplier.id, agreement.id):
            form.agreement_id.errors.append(error_message(services.ReviewError("not_on_agreement")))
            return render_template("review/new_activity.html", form=form), 422
        try:
            stored = store_all(form.files.data or [])
        except UploadProblem as problem:
            form.files.errors.append(problem.message)
            return render_template("review/new_activity.html", form=form), 422
        activity = services.create_activity(
            form.kind.data or "", form.date.data, agreement, supplier, form.notes.data or "",
            stored, actor=signed_in_user(), backfilled=bool(form.backfilled.data),
        )
        db.session.commit()
        flash(_("The activity is recorded."), "success")
        _warn_outside_agreement(activity)
        return redirect(url_for("review.view_activity", activity_id=activity.id))
    status = 422 if form.errors else 200
    return render_template("review/new_activity.html", form=form), status


def _warn_outside_agreement(activity: FollowUpActivity) -> None:
    """Accepted, but said: an activity outside its agreement's period is likely a wrong date."""
    agreement = activity.agreement
    end = agreement.end_date
    if activity.date < agreement.start_date or (end is not None and activity.date > end):
        flash(_("The activity is dated outside the agreement's period (%(start)s to %(end)s). "
                "Check the date: the annual report warns of it.",
                start=format_date(agreement.start_date),
                end=format_date(end) if end else _("no end date")), "warning")


def get_activity_or_404(activity_id: int) -> FollowUpActivity:
    activity = db.session.scalar(
        select(FollowUpActivity).where(FollowUpActivity.id == id_or_404(activity_id)).options(
            selectinload(FollowUpActivity.agreement), selectinload(FollowUpActivity.supplier),
            selectinload(FollowUpActivity.attachments), selectinload(FollowUpActivity.response),
            selectinload(FollowUpActivity.created_by),
        )
    )
    if activity is None:
        abort(404)
    return activity


@bp.route("/activities/<int:activity_id>")
def view_activity(activity_id: int, withdraw_form: WithdrawActivityForm | None = None) -> str:
    """One follow-up activity with its notes, files and history."""
    activity = get_activity_or_404(activity_id)
    return render_template("review/view_activity.html", activity=activity,
                           lead=lead_for_participant(activity.agreement, signed_in_user()),
                           events=queries.object_history("FollowUpActivity", activity.id),
                           withdraw_form=withdraw_form or WithdrawActivityForm())


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
def edit_activity(activity_id: int) -> HttpResponse | str | tuple[str, int]:
    """Correct an activity's kind, date or notes, with the reason kept in its history."""
    activity = get_activity_or_404(activity_id)
    if not activity.can_correct(signed_in_user()):
        flash(error_message(services.ReviewError("withdrawn")), "error")
        return redirect(url_for("review.view_activity", activity_id=activity.id))
    if activity.share_id is not None:
        flash(error_message(services.ReviewError("shared_activity")), "error")
        return redirect(url_for("review.view_activity", activity_id=activity.id))
    form = EditActivityForm(obj=activity if request.method == "GET" else None)
    if form.validate_on_submit():
        services.edit_activity(activity, kind=form.kind.data or "", day=form.date.data,
                               notes=form.notes.data or "", reason=form.reason.data or "",
                               actor=signed_in_user())
        db.session.commit()
        flash(_("The correction is saved."), "success")
        _warn_outside_agreement(activity)
        return redirect(url_for("review.view_activity", activity_id=activity.id))
    status = 422 if form.errors else 200
    return render_template("review/edit_activity.html", form=form, activity=activity), status


@bp.post("/activities/<int:activity_id>/withdraw")
def withdraw_activity(activity_id: int) -> HttpResponse | tuple[str, int]:
    """Withdraw an activity recorded in error: it leaves the figures, stays in the history."""
    activity = get_activity_or_404(activity_id)
    if not activity.can_correct(signed_in_user()):
        flash(error_message(services.ReviewError("withdrawn")), "error")
        return redirect(url_for("review.view_activity", activity_id=activity.id))
    form = WithdrawActivityForm()
    if not form.validate_on_submit():
        return view_activity(activity.id, withdraw_form=form), 422
    services.withdraw_activity(activity, form.reason.data or "", actor=signed_in_user())
    db.session.commit()
    flash(_("The activity is withdrawn. It no longer counts in the report."), "success")
    return redirect(url_for("review.view_activity", activity_id=activity.id))


@bp.route("/activities/<int:activity_id>/files/<int:file_id>")
def download_activity_file(activity_id: int, file_id: int) -> HttpResponse:
    """Download a file of an activity, always as an attachment."""
    activity = get_or_404(FollowUpActivity, activity_id)
    attachment = get_or_404(Attachment, file_id)
    if attachment.activity_id != activity.id:
        abort(404)
    return send_attachment(attachment)


# The audit log


@bp.route("/audit")
@admin_only
def audit_log() -> str:
    """Every recorded change, newest first; nothing here can edit or delete it."""
    filters = queries.AuditFilters.from_args(inputs.args())
    page = queries.audit_log(filters, _page_number(), _page_size())
    return render_template("review/audit_log.html", page=page, filters=filters,
                           choices=queries.audit_filter_choices())

