"""Filling in a response section by section, with evidence, and submitting it with a receipt.

Suppliers see only their own company's responses (others get 404). Staff can
open every response read-only; the review itself lives in the review area.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as HttpResponse

from portal import clock, inputs, storage
from portal.company import services as company_services
from portal.extensions import db
from portal.i18n import current_locale
from portal.inputs import to_int
from portal.models import CompanyAnswerSet, EvidenceFile, Response, ResponseStatus, Submission
from portal.questionnaires import engine
from portal.questionnaires.definition import Definition, Question, Section
from portal.questionnaires.types import key_for, new_row_id, type_of
from portal.responses import notify, package, services
from portal.responses.forms import ImportPackageForm
from portal.responses.views import build_question
from portal.review import services as review_services
from portal.sites.answers import sites_table
from portal.uploads import UploadRefused, display_name, store_upload

bp = Blueprint("responses", __name__, url_prefix="/responses")
MAX_TAG = 200  # EvidenceFile.tag


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every page here needs a signed-in user; each route then checks the response."""


def _load(response_id: int, *, files: bool = True, submissions: bool = True) -> Response:
    response = services.load_response(response_id, files=files, submissions=submissions)
    if response is None or not response.can_view(current_user):
        abort(404)
    return response


def _definition(response: Response) -> tuple[Definition, tuple[Section, ...]]:
    definition = engine.definition_of(response.round.questionnaire_version)
    return definition, engine.sections_for_agreement(definition, response.agreement)


def _company(response: Response) -> CompanyAnswerSet | None:
    """The company answers the response uses (the supplier's only: staff find none)."""
    return company_services.set_for_response(response)


def _merged(response: Response, sections: tuple[Section, ...]
            ) -> tuple[CompanyAnswerSet | None, dict[str, dict[str, Any]], dict[tuple[str, str], list[EvidenceFile]]]:
    """The company answers used, and the response's answers and files merged with them."""
    company = _company(response)
    return (company, company_services.merged_answers(response, company, sections),
            company_services.merged_files(response, company, sections))


def _company_url(response: Response) -> str:
    """The company answers' page, for the supplier of a response that uses them; else ''."""
    if not (current_user.is_supplier and company_services.uses_company_answers(response)):
        return ""
    return url_for("company.view_answers", year=response.round.year,
                   version_id=response.round.questionnaire_version_id)


def _company_section_url(response: Response, company: CompanyAnswerSet | None, section: Section) -> str:
    """Where the supplier edits this section's company questions, while the company answers are
    editable (some response using them is a draft or returned); else ''."""
    if not section.has_company or not current_user.is_supplier:
        return ""
    editable = company.can_edit(current_user) if company is not None else response.can_edit(current_user)
    if not editable:
        return ""
    return url_for("company.edit_section", year=response.round.year,
                   version_id=response.round.questionnaire_version_id, section_id=section.id)


def _section(sections: tuple[Section, ...], section_id: str) -> Section:
    for section in sections:
        if section.id == section_id:
            return section
    abort(404)


@bp.route("/<int:response_id>")
def view_response(response_id: int) -> str:
    """A response's overview: sections and their state, progress, deadline and receipts."""
    response = _load(response_id)
    definition, sections = _definition(response)
    _company_set, answers, files = _merged(response, sections)
    states = engine.response_state(sections, answers, files, current_locale())
    # The newest earlier submission, to name on the way to the list (the page loads no more).
    sources = services.copy_sources(response, sections, limit=1) if response.can_edit(current_user) else []
    comments = review_services.comments_for_supplier(response)
    to_answer, other_comments = _clarification_requests(response, sections, comments)
    clarifications = review_services.clarification_history(response)
    return render_template(
        "responses/view_response.html", response=response, definition=definition, states=states,
        progress=engine.progress(states), copy_from=sources[0] if sources else None,
        copied=sum(1 for a in response.answers if a.is_copied),
        clarifications=clarifications, to_answer=to_answer, other_comments=other_comments,
        latest_request=next((c for c in reversed(clarifications) if c.answered_at is None), None),
        drafts=review_services.draft_replies(response) if to_answer and response.can_edit(current_user) else {},
        company_url=_company_url(response), company_sections={s.id for s in sections if s.has_company},
    )


def _clarification_requests(
    response: Response, sections: tuple[Section, ...], comments: dict[str, str]
) -> tuple[list[tuple[Section, Question, str]], list[tuple[Section, Question, str]]]:
    """While returned: the questions to answer again (reopened, in questionnaire order) with the
    reviewer's comment, and the comments on other questions, which ask for nothing."""
    if response.status != ResponseStatus.RETURNED:
        return [], [(s, q, comments[q.id]) for s in sections for q in s.questions if q.id in comments]
    reopened = set(response.reopened_questions or ()) or set(comments)
    to_answer, others = [], []
    for section in sections:
        for question in section.questions:
            if question.id in reopened:
                to_answer.append((section, question, comments.get(question.id, "")))
            elif question.id in comments:
                others.append((section, question, comments[question.id]))
    return to_answer, others


def _answered_here(holder: services.AnswerHolder, question: Question) -> bool:
    """Whether the holder's page answers the question: a response never answers a company
    question (the company answers do), the company answers only those."""
    return question.is_company == isinstance(holder, CompanyAnswerSet)


def _read_section(
    section: Section, response: services.AnswerHolder, form: MultiDict[str, str]
) -> tuple[dict[str, dict[str, Any]], dict[str, int | None], set[str]]:
    values: dict[str, dict[str, Any]] = {}
    revisions: dict[str, int | None] = {}
    confirmed: set[str] = set()
    for question in section.questions:
        if (not response.can_edit_question(current_user, question.id) or question.is_declaration
                or not _answered_here(response, question)):
            continue  # a declaration is given only with the submission
        if f"present-{question.id}" not in form:
            continue  # the question was not on the page the user saw
        values[question.id] = {
            part.id: type_of(part).read(form, key_for(question.id, part.id), part)
            for part in question.parts
            if type_of(part).stores_value
        }
        raw_revision = form.get(f"rev-{question.id}")
        if raw_revision is not None:  # empty: there was no answer on the page
            revisions[question.id] = to_int(raw_revision)
        if form.get(f"confirm-{question.id}"):
            confirmed.add(question.id)
    return values, revisions, confirmed


def _read_replies(
    section: Section, response: Response, form: MultiDict[str, str]
) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The replies to the reviewer typed on the page: those to keep, all as typed (to show
    again), and a message per reply too long to keep (keyed by the field's id)."""
    typed: dict[str, str] = {}
    keep: dict[str, str] = {}
    errors: dict[str, str] = {}
    for question in section.questions:
        key = f"reply-{question.id}"
        if key not in form or not response.can_reply(current_user, question.id):
            continue
        text = form.get(key, "").replace("\r\n", "\n").strip()
        typed[question.id] = text
        if len(text) > review_services.MAX_REPLY:
            errors[key] = _("Shorten your reply to %(question)s to at most %(limit)s characters (it has "
                            "%(length)s)", question=question.id, limit=format_decimal(review_services.MAX_REPLY),
                            length=format_decimal(len(text)))
        else:
            keep[question.id] = text
    return keep, typed, errors


def _apply_table_action(action: str, section: Section, values: dict[str, dict[str, Any]]) -> str | None:
    """Add or remove a table row from a plain button press; returns the anchor to return to."""
    kind, _sep, target = action.partition(":")
    question_id, _sep, rest = target.partition(":")
    part_id, _sep, row_id = rest.partition(":")
    if kind not in ("add_row", "remove_row") or question_id not in values:
        return None
    question = next((q for q in section.questions if q.id == question_id), None)
    if question is None or part_id not in {p.id for p in question.parts if type_of(p).has_rows}:
        return None
    rows = list(values[question_id].get(part_id) or [])
    if kind == "add_row":
        part = question.part(part_id)
        if part.max_rows is None or len(rows) < part.max_rows:
            rows.append({"_id": new_row_id(), **{c.id: type_of(c).empty_value(c) for c in part.columns
                                                 if type_of(c).stores_value}})
        anchor = key_for(question_id, part_id, rows[-1]["_id"]) if rows else f"q-{question_id}"
    else:
        rows = [row for row in rows if row.get("_id") != row_id]
        anchor = f"q-{question_id}"
    values[question_id] = {**values[question_id], part_id: rows}
    return anchor


def _handle_uploads(response: services.AnswerHolder, section: Section) -> dict[str, str]:
    errors: dict[str, str] = {}
    for question in section.questions:
        if not response.can_edit_question(current_user, question.id) or not _answered_here(response, question):
            continue
        for part in question.parts:
            if not type_of(part).holds_files:
                continue
            key = key_for(question.id, part.id, "upload")
            for upload in request.files.getlist(key):
                if not upload or not upload.filename:
                    continue
                tag = inputs.form_value(key_for(question.id, part.id, "tag"), MAX_TAG).strip()
                try:
                    stored = store_upload(upload.stream, upload.filename)
                except UploadRefused as refused:
                    errors[key] = _("%(file)s: %(reason)s", file=display_name(upload.filename), reason=str(refused))
                    continue
                services.add_evidence(response, question.id, part.id, stored, tag, actor=current_user)
    return errors


def _remove_file_action(response: services.AnswerHolder, action: str) -> None:
    kind, _sep, raw_id = action.partition(":")
    file_id = to_int(raw_id)
    if kind != "remove_file" or file_id is None:
        return
    evidence = next((f for f in response.files if f.id == file_id and f.removed_at is None), None)
    if evidence is None:
        return
    try:
        services.remove_evidence(response, evidence, actor=current_user)
    except services.ResponseStateError:
        flash(_("This file can no longer be removed."), "error")
    else:
        flash(_("The file %(name)s was removed.", name=evidence.original_name), "success")


@bp.route("/<int:response_id>/sections/<section_id>", methods=["GET", "POST"])
def edit_section(response_id: int, section_id: str) -> HttpResponse | str | tuple[str, int]:
    """Answer one section. Save keeps exactly what was typed, also when it is incomplete."""
    # The section page shows no submission; a save reads neither the files nor the submissions.
    response = _load(response_id, files=request.method == "GET", submissions=False)
    definition, sections = _definition(response)
    section = _section(sections, section_id)
    if request.method == "GET":
        overlay: dict[str, dict[str, Any]] = {}
        pending = services.pending_input(current_user, request.path) if response.can_edit(current_user) else None
        if pending is not None:
            posted = MultiDict([(k, v) for k, values in pending.form.items() for v in values])
            overlay, _revisions, _confirmed = _read_section(section, response, posted)
            _keep, typed_replies, _errors = _read_replies(section, response, posted)
            flash(_("You were signed out before your last changes were saved. We have filled in what you "
                    "typed: check it and press Save."), "warning")
            return _render_section(response, definition, sections, section, overlay=overlay,
                                   typed_replies=typed_replies)
        return _render_section(response, definition, sections, section, overlay=overlay)

    if not response.can_edit(current_user):
        if current_user.is_supplier:
            flash(_("The response has been submitted and can no longer be changed. Nothing was saved."), "error")
            return redirect(url_for("responses.view_response", response_id=response.id))
        abort(403)
    form = inputs.form()
    typed, revisions, confirmed = _read_section(section, response, form)
    action = form.get("action", "save")[:200]
    anchor = _apply_table_action(action, section, typed)
    values, refused = engine.within_limits(section.questions, typed,
                                           company_services.merged_answers(response, _company(response), sections))
    _remove_file_action(response, action)
    upload_errors = _handle_uploads(response, section)
    if action == "confirm_copies":  # "Everything in this part is still correct"
        result = services.confirm_section_copies(response, section, values, revisions, confirmed,
                                                 actor=current_user)
    else:
        result = services.save_answers(response, values, revisions, confirmed, actor=current_user)
    replies, typed_replies, reply_errors = _read_replies(section, response, form)
    if replies:
        review_services.save_replies(response, replies, actor=current_user)
    services.discard_pending_input(current_user, request.path)
    db.session.commit()
    if result.conflicts or upload_errors or refused or reply_errors:
        # What was refused is shown as typed (the page bounds it), with the message at the field.
        overlay = {question_id: typed[question_id] for question_id in refused}
        overlay.update({c.question_id: c.mine for c in result.conflicts})
        if result.conflicts:
            flash(_("Someone else changed some answers while you were working. Nothing of theirs was "
                    "overwritten: compare the two versions below and save again."), "error")
        if refused or reply_errors:
            flash(_("Your other answers were saved, but some answers are too long or too large to be "
                    "saved. Correct them where marked below and save again."), "error")
        if upload_errors:
            flash(_("Your answers were saved, but some files could not be uploaded. See the messages below."), "error")
        status = 409 if result.conflicts else 422 if refused or reply_errors else 200
        return _render_section(response, definition, sections, section, overlay=overlay,
                               conflicts={c.question_id: c for c in result.conflicts},
                               upload_errors=upload_errors, refused=bool(refused or reply_errors),
                               typed_replies=typed_replies, reply_errors=reply_errors), status
    if action == "confirm_copies":
        flash(_("Saved. The copied answers in this part are confirmed."), "success")
    elif not anchor:
        flash(_("Saved."), "success")
    # The ids from the URL: after the commit, reading ``response.id`` would load the response again.
    if action == "next":
        index = sections.index(section)
        if index + 1 < len(sections):
            return redirect(url_for("responses.edit_section", response_id=response_id,
                                    section_id=sections[index + 1].id))
        return redirect(url_for("responses.check_submit", response_id=response_id))
    return redirect(url_for("responses.edit_section", response_id=response_id, section_id=section.id,
                            _anchor=anchor))


def _render_section(
    response: Response,
    definition: Definition,
    sections: tuple[Section, ...],
    section: Section,
    *,
    overlay: dict[str, dict[str, Any]] | None = None,
    conflicts: dict[str, services.Conflict] | None = None,
    upload_errors: dict[str, str] | None = None,
    refused: bool = False,
    typed_replies: dict[str, str] | None = None,
    reply_errors: dict[str, str] | None = None,
) -> str:
    conflicts = conflicts or {}
    company, answers, files = _merged(response, sections)
    answers.update(overlay or {})
    locale = current_locale()
    states = engine.response_state(sections, answers, files, locale)
    state = next(s for s in states if s.section.id == section.id)
    stored = {a.question_id: a for a in response.answers}
    # A company question is shown read-only here: it is answered in the company answers.
    editable = {q.id: response.can_edit_question(current_user, q.id) and not q.is_company
                for q in section.questions}
    sources = services.copied_sources(response)
    can_reply = {q.id for q in section.questions if response.can_reply(current_user, q.id)}
    if can_reply and review_services.open_clarification(response) is None:
        can_reply = set()  # returned before rounds were recorded: no round to reply to

    def view(question_state: engine.QuestionState, values: dict[str, dict[str, Any]], can_edit: bool) -> Any:
        question = question_state.question
        answer = stored.get(question.id)
        return build_question(
            definition, question, question_state, values, files, locale=locale, editable=can_edit,
            response_id=response.id, revision=answer.revision if answer else None,
            is_copied=bool(answer and answer.is_copied), upload_errors=upload_errors or {},
            copied_from=sources.get(question.id),
        )

    questions = [view(qs, answers, editable[qs.question.id]) for qs in state.questions]
    # The copied answers of this part as they were copied (the earlier value), to confirm at once.
    earlier = services.answers_of(response)
    copied_here = [view(qs, earlier, False) for qs in state.questions
                   if editable[qs.question.id] and qs.question.id in stored and stored[qs.question.id].is_copied
                   and not qs.question.is_declaration]
    theirs = {}
    for question_id, conflict in conflicts.items():
        their_answers = {**answers, question_id: conflict.theirs}
        ctx_state = engine.response_state([section], their_answers, files, locale)[0]
        their_state = next(q for q in ctx_state.questions if q.question.id == question_id)
        theirs[question_id] = view(their_state, their_answers, False)
    index = sections.index(section)
    return render_template(
        "responses/edit_section.html", response=response, definition=definition, sections=sections,
        section=section, state=state, states=states, questions=questions, locale=locale,
        conflicts=conflicts, theirs=theirs, upload_errors=upload_errors or {},
        previous_section=sections[index - 1] if index else None,
        next_section=sections[index + 1] if index + 1 < len(sections) else None,
        key_for=key_for, editable=editable, comments=review_services.comments_for_supplier(response),
        refused=refused, copied_here=copied_here,
        replies={**(review_services.draft_replies(response) if can_reply else {}), **(typed_replies or {})},
        can_reply=can_reply,
        reply_errors=reply_errors or {}, max_reply=review_services.MAX_REPLY,
        sites_question=next(iter(sites_table(definition) or ()), None),
        company_url=_company_section_url(response, company, section),
        company_year=response.round.year,
    )


def _copying(response: Response) -> HttpResponse | None:
    """Copying is for the supplier's users while the response is a draft; staff never copy."""
    if response.can_edit(current_user):
        return None
    if current_user.is_supplier:
        flash(_("The response has been submitted and can no longer be changed. Nothing was copied."), "error")
        return redirect(url_for("responses.view_response", response_id=response.id))
    abort(403)


def _chosen_source(response: Response, raw: str | None) -> Submission | HttpResponse:
    """The chosen earlier submission: none chosen sends back to the list; another supplier's is 404."""
    submission_id = to_int(raw, low=1)
    if submission_id is None:
        flash(_("Choose the submission to copy from."), "error")
        return redirect(url_for("responses.choose_copy_source", response_id=response.id))
    source = services.copy_source(response, submission_id)
    if source is None:
        abort(404)
    return source


@bp.route("/<int:response_id>/copy")
def choose_copy_source(response_id: int) -> HttpResponse | str:
    """Every earlier submission of the supplier's own organisation, with its source, newest first."""
    response = _load(response_id)
    if (refused := _copying(response)) is not None:
        return refused
    _definition_, sections = _definition(response)
    sources = services.copy_sources(response, sections)
    chosen = to_int(inputs.arg("submission"), low=1)
    if chosen not in {source.submission.id for source in sources}:
        chosen = sources[0].submission.id if sources else None
    return render_template("responses/copy_sources.html", response=response, sources=sources, chosen=chosen)


@bp.route("/<int:response_id>/copy/preview")
def preview_copy(response_id: int) -> HttpResponse | str:
    """What copying the chosen submission would fill in and keep, before anything changes."""
    response = _load(response_id)
    if (refused := _copying(response)) is not None:
        return refused
    source = _chosen_source(response, inputs.arg("submission"))
    if isinstance(source, HttpResponse):
        return source
    _definition_, sections = _definition(response)
    plan = services.plan_copy(response, source, sections, actor=current_user)
    return render_template("responses/copy_preview.html", response=response, plan=plan, source=source)


@bp.route("/<int:response_id>/copy", methods=["POST"])
def copy_answers(response_id: int) -> HttpResponse:
    """Copy the chosen submission's answers into the unanswered questions; each stays marked until confirmed."""
    response = _load(response_id)
    if (refused := _copying(response)) is not None:
        return refused
    source = _chosen_source(response, inputs.form_value("submission", 20))
    if isinstance(source, HttpResponse):
        return source
    _definition_, sections = _definition(response)
    plan = services.plan_copy(response, source, sections, actor=current_user)
    copied = services.copy_answers(response, plan, actor=current_user)
    db.session.commit()
    if copied:
        flash(ngettext("%(num)s answer was copied. Check each one and confirm or change it.",
                       "%(num)s answers were copied. Check each one and confirm or change it.",
                       copied), "success")
    else:
        flash(_("Nothing was copied: the questions that submission answers are already answered here."), "info")
    return redirect(url_for("responses.view_response", response_id=response_id))


@bp.route("/<int:response_id>/files/<int:file_id>")
def download_file(response_id: int, file_id: int) -> HttpResponse:
    """Download an evidence file, always as an attachment."""
    response = _load(response_id)
    evidence = db.session.get(EvidenceFile, file_id)
    if evidence is None:
        abort(404)
    if evidence.response_id != response.id:
        # A file of the company answers the response uses: for the supplier (staff find no set).
        company = _company(response)
        if company is None or evidence.company_set_id != company.id or not company.can_view(current_user):
            abort(404)
    return storage.send(evidence.stored_name, download_name=evidence.original_name,
                        content_type=evidence.mimetype)


@bp.route("/<int:response_id>/submit", methods=["GET", "POST"])
def check_submit(response_id: int) -> HttpResponse | str | tuple[str, int]:
    """Check every section for missing answers and unconfirmed copies, then declare and submit."""
    response = _load(response_id)
    if not response.can_submit(current_user):
        if current_user.is_supplier:
            flash(_("This response cannot be submitted now."), "info")
            return redirect(url_for("responses.view_response", response_id=response.id))
        abort(403)
    definition, sections = _definition(response)
    declarations = services.declaration_questions(sections)
    locale = current_locale()
    company, merged, files = _merged(response, sections)
    # The declaration is given with the submission: never shown ticked from a draft, never dated by hand.
    given = {q.id: services.declaration_as_given(q, merged.get(q.id) or {}, ticked=False)
             for q in declarations}
    status = 200
    typed: dict[str, dict[str, Any]] = {}
    refused: set[str] = set()
    if request.method == "POST":
        typed = {q.id: _signed_by_profile(q, _read_declaration(q, inputs.form())) for q in declarations}
        bounded, refused = engine.within_limits(declarations, typed, merged)
        given = {q.id: services.declaration_as_given(q, bounded.get(q.id, {})) for q in declarations}
        states = engine.response_state(sections, {**merged, **given}, files, locale)
        copies = _unconfirmed(response, company, sections, merged)
        if not refused and not any(s.problems for s in states) and not copies:
            services.submit_with_receipt(response, sections, actor=current_user, declaration=given,
                                         today=clock.today())
            db.session.commit()
            flash(_("Thank you. The response is submitted. A receipt is on its way to %(email)s.",
                    email=current_user.email), "success")
            return redirect(url_for("responses.view_response", response_id=response.id))
        services.keep_declaration(response, sections, given, actor=current_user)
        db.session.commit()  # keep who was named as declaring
        flash(_("The response cannot be submitted yet. Complete the answers listed below."), "error")
        status = 422
    answers = {**merged, **given}
    answers.update({question_id: typed[question_id] for question_id in refused})
    states = engine.response_state(sections, answers, files, locale)
    copies = _unconfirmed(response, company, sections, merged)
    by_id = {q.question.id: q for s in states for q in s.questions}
    stored = {a.question_id: a for a in response.answers}
    declaration_views = []
    for question in declarations:
        view = build_question(definition, question, by_id[question.id], answers, files, locale=locale,
                              editable=True, response_id=response.id,
                              revision=stored[question.id].revision if question.id in stored else None,
                              is_copied=False, upload_errors={})
        for part in view.parts:
            part.signer, part.signed_on = _profile_signer(), clock.today()
        if request.method == "POST":
            for part in view.parts:
                if part.part.id in by_id[question.id].missing_parts:
                    part.messages.append(_("Tick the box to give the declaration"))
        declaration_views.append(view)
    blocking = {s.section.id: [q for q in s.problems if not q.question.is_declaration] for s in states}
    copies_by_section: dict[str, list[Question]] = {}
    for section, question in copies:
        copies_by_section.setdefault(section.id, []).append(question)
    declaration_problems = [q for s in states for q in s.problems if q.question.is_declaration]
    # Every answer by part, as the reviewer will read it, each part with a link to change it.
    summary = [
        (s.section, [build_question(definition, qs.question, qs, answers, files, locale=locale, editable=False,
                                    response_id=response.id, revision=None, is_copied=False, upload_errors={})
                     for qs in s.shown if not qs.question.is_declaration])
        for s in states
    ]
    return render_template(
        "responses/check_submit.html", response=response, states=states, locale=locale,
        declaration_views=declaration_views, progress=engine.progress(states),
        submitted=request.method == "POST", blocking=blocking, copies=copies, copies_by_section=copies_by_section,
        declaration_problems=declaration_problems, summary=[(s, qvs) for s, qvs in summary if qvs],
        signer=_profile_signer(), today=clock.today(),
        replies=review_services.draft_replies(response) if response.status == ResponseStatus.RETURNED else {},
    ), status


def _unconfirmed(response: Response, company: CompanyAnswerSet | None, sections: tuple[Section, ...],
                 answers: dict[str, dict[str, Any]]) -> list[tuple[Section, Question]]:
    """Copied answers not yet confirmed, the response's own and the company answers' it uses."""
    return [*services.unconfirmed_copies(response, sections, actor=current_user),
            *company_services.unconfirmed_company_copies(company, sections, answers, actor=current_user)]


def _read_declaration(question: Question, form: Any) -> dict[str, Any]:
    return {p.id: type_of(p).read(form, key_for(question.id, p.id), p)
            for p in question.parts if type_of(p).stores_value}


def _profile_signer() -> dict[str, str]:
    """Who signs: the signed-in user's name and job title as in their profile (either may be empty)."""
    return {"name": (current_user.name or "").strip(), "title": (current_user.job_title or "").strip()}


def _signed_by_profile(question: Question, value: dict[str, Any]) -> dict[str, Any]:
    """The declaration is signed by the signed-in user: the profile's name and title are used, not
    typed; only what the profile lacks is taken from the form."""
    signer = _profile_signer()
    result = dict(value)
    for part in question.parts:
        if type_of(part).signs:
            result[part.id] = type_of(part).signed(result.get(part.id), signer)
    return result


@bp.route("/<int:response_id>/submissions/<int:number>/receipt.pdf")
def receipt(response_id: int, number: int) -> HttpResponse:
    """The stored receipt of one submission.

    The receipt job makes it right after the submit; a supplier who asks before the job has
    run (a busy or stopped worker) has it made now, by the same idempotent job function, so
    the link on the response page always works for the supplier."""
    response = _load(response_id)
    submission = next((s for s in response.submissions if s.number == number), None)
    if submission is None:
        abort(404)
    if submission.receipt_name is None:
        if not (current_user.is_supplier and current_user.supplier_id == response.supplier_id):
            abort(404)
        from portal.responses.jobs import make_receipt

        make_receipt(submission.id)
        db.session.refresh(submission)
        if submission.receipt_name is None:
            abort(404)
    return storage.send(submission.receipt_name,
                        download_name=notify.receipt_filename(response, submission),
                        content_type="application/pdf")



@bp.route("/<int:response_id>/submissions/<int:number>/answers.zip")
def export_package(response_id: int, number: int) -> HttpResponse:
    """One submission as a portable answer package (schema aktsom.answers/1 and the files):
    for the supplier and for the staff who see the response, as the receipt."""
    response = _load(response_id)
    submission = next((s for s in response.submissions if s.number == number), None)
    if submission is None:
        abort(404)
    data = package.build_package(response, submission)
    reply = HttpResponse(data, mimetype="application/zip")
    reply.headers["Content-Disposition"] = f'attachment; filename="{package.package_filename(response, submission)}"'
    reply.headers["X-Content-Type-Options"] = "nosniff"
    reply.headers["Cache-Control"] = "no-store"
    return reply


@bp.route("/<int:response_id>/import", methods=["GET", "POST"])
def import_package(response_id: int) -> HttpResponse | str | tuple[str, int]:
    """Fill a draft from an answer package; the package is checked in full before anything changes."""
    response = _load(response_id)
    if not response.can_edit(current_user):
        if current_user.is_supplier:
            flash(_("The response has been submitted and can no longer be changed. Nothing was imported."), "error")
            return redirect(url_for("responses.view_response", response_id=response.id))
        abort(403)
    form = ImportPackageForm()
    problems: package.PackageRefused | None = None
    if form.validate_on_submit():
        limit = int(current_app.config["MAX_CONTENT_LENGTH"])
        try:
            checked = package.read_package(form.package.data.read(limit + 1), response, current_locale())
        except package.PackageRefused as refused:
            problems = refused
            form.package.errors.append(_("The package cannot be imported: see the problems listed below. "
                                         "Nothing in the response was changed."))
        else:
            result = services.import_answers(response, checked.values, checked.files, actor=current_user,
                                             source=checked.source)
            db.session.commit()
            _flash_import(result, checked.not_asked)
            _flash_versions(checked)
            return redirect(url_for("responses.view_response", response_id=response_id))
    status = 422 if form.errors else 200
    return render_template("responses/import_package.html", response=response, form=form,
                           problems=problems), status


def _flash_versions(checked: package.CheckedPackage) -> None:
    """What an import from another version of the questionnaire did with renumbered and dropped questions."""
    if checked.renumbered:
        named = [_("%(question)s (earlier %(earlier)s)", question=here, earlier=there)
                 for here, there in sorted(checked.renumbered.items())]
        flash(_("The package answers another version of the questionnaire. Answers to renumbered questions were "
                "filled in under their numbers here: %(questions)s.", questions=", ".join(named)), "info")
    if checked.dropped:
        flash(ngettext("%(num)s question of the package's version is no longer asked and was not imported "
                       "(%(questions)s).",
                       "%(num)s questions of the package's version are no longer asked and were not imported "
                       "(%(questions)s).", len(checked.dropped), questions=", ".join(checked.dropped)), "info")


def _flash_import(result: services.ImportResult, not_asked: list[str]) -> None:
    if result.imported:
        flash(ngettext("%(num)s question was filled from the package. Check each one and confirm or change it.",
                       "%(num)s questions were filled from the package. Check each one and confirm or change it.",
                       len(result.imported)) + " "
              + ngettext("%(num)s file was added.", "%(num)s files were added.", result.files), "success")
    else:
        flash(_("Nothing was imported: the package had no answers for the questions still open here."), "info")
    if result.kept:
        flash(ngettext("%(num)s question you had already answered was kept as it was (%(questions)s).",
                       "%(num)s questions you had already answered were kept as they were (%(questions)s).",
                       len(result.kept), questions=", ".join(result.kept)), "info")
    if result.not_open or not_asked:
        skipped = [*result.not_open, *not_asked]
        flash(ngettext("%(num)s answer was not imported: a declaration, a question not open for changes, or "
                       "one this agreement does not ask (%(questions)s).",
                       "%(num)s answers were not imported: declarations, questions not open for changes, or "
                       "ones this agreement does not ask (%(questions)s).",
                       len(skipped), questions=", ".join(skipped)), "info")
