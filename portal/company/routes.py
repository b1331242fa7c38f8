"""The supplier's company answers (issue 14): filled once per year, used by every response.

Only the supplier's own users reach these pages (others get 404); staff read company answers
only in the submissions that froze them. Saving, files, conflicts and copies work as on a
response's section page, through the same helpers and services: the set is an answer holder.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response as HttpResponse

from portal import inputs, storage
from portal.access import require_roles
from portal.company import services
from portal.extensions import db
from portal.i18n import current_locale
from portal.inputs import to_int
from portal.models import CompanyAnswerSet, EvidenceFile, Role
from portal.questionnaires import engine
from portal.questionnaires.definition import Definition, Section
from portal.questionnaires.types import key_for
from portal.responses import services as response_services
from portal.responses.routes import (
    _apply_table_action,
    _handle_uploads,
    _read_section,
    _remove_file_action,
)
from portal.responses.views import build_question

bp = Blueprint("company", __name__, url_prefix="/company/answers")
require_roles(bp, Role.SUPPLIER)


def _supplier_id() -> int:
    return int(current_user.supplier_id)  # the supplier role guarantees it


def _load(year: int, version_id: int) -> tuple[services.CompanyYear, CompanyAnswerSet, Definition,
                                                tuple[Section, ...]]:
    """The year's company answers, created on first use; 404 unless a response of the signed-in
    user's supplier uses them."""
    supplier_id = _supplier_id()
    company_year = services.company_year(supplier_id, year, version_id)
    if company_year is None:
        abort(404)
    company = services.ensure_set(supplier_id, year, company_year.version)
    company.__dict__["_responses"] = company_year.responses  # already loaded, with their buyers
    definition = services.definition_of(company)
    return company_year, company, definition, definition.company_sections()


def _section(sections: tuple[Section, ...], section_id: str) -> Section:
    for section in sections:
        if section.id == section_id:
            return section
    abort(404)


def _download_prefix(company: CompanyAnswerSet) -> str:
    url = url_for("company.download_file", year=company.year, version_id=company.questionnaire_version_id,
                  file_id=0)
    return url[:-1]


@bp.route("/")
def list_answers() -> str:
    """Every year (and questionnaire version) the supplier is asked for company answers."""
    return render_template("company/list_answers.html", years=services.company_years(_supplier_id()))


@bp.route("/<int:year>/<int:version_id>")
def view_answers(year: int, version_id: int) -> str:
    """The company answers' overview: sections and their state, and the responses that use them."""
    company_year, company, definition, sections = _load(year, version_id)
    db.session.commit()  # keep a set created on first use
    states = engine.response_state(sections, response_services.answers_of(company),
                                   response_services.files_of(company), current_locale())
    sources = response_services.copy_sources(company, sections, limit=1) if company.can_edit(current_user) else []
    return render_template(
        "company/view_answers.html", company=company, asked=company_year, definition=definition,
        states=states, progress=engine.progress(states), editable=company.can_edit(current_user),
        copied=sum(1 for a in company.answers if a.is_copied), copy_from=sources[0] if sources else None,
    )


@bp.route("/<int:year>/<int:version_id>/sections/<section_id>", methods=["GET", "POST"])
def edit_section(year: int, version_id: int, section_id: str) -> HttpResponse | str | tuple[str, int]:
    """Answer one section's company questions; the same save, files and conflicts as a response."""
    company_year, company, definition, sections = _load(year, version_id)
    section = _section(sections, section_id)
    if request.method == "GET":
        db.session.commit()
        return _render_section(company, company_year, definition, sections, section)
    if not company.can_edit(current_user):
        flash(_("The company answers can no longer be changed: every response that uses them has been "
                "submitted. Nothing was saved."), "error")
        return redirect(url_for("company.view_answers", year=year, version_id=version_id))
    form = inputs.form()
    typed, revisions, confirmed = _read_section(section, company, form)
    action = form.get("action", "save")[:200]
    anchor = _apply_table_action(action, section, typed)
    values, refused = engine.within_limits(section.questions, typed, response_services.answers_of(company))
    _remove_file_action(company, action)
    upload_errors = _handle_uploads(company, section)
    if action == "confirm_copies":
        result = response_services.confirm_section_copies(company, section, values, revisions, confirmed,
                                                          actor=current_user)
    else:
        result = response_services.save_answers(company, values, revisions, confirmed, actor=current_user)
    db.session.commit()
    if result.conflicts or upload_errors or refused:
        overlay = {question_id: typed[question_id] for question_id in refused}
        overlay.update({c.question_id: c.mine for c in result.conflicts})
        if result.conflicts:
            flash(_("Someone else changed some answers while you were working. Nothing of theirs was "
                    "overwritten: compare the two versions below and save again."), "error")
        if refused:
            flash(_("Your other answers were saved, but some answers are too long or too large to be "
                    "saved. Correct them where marked below and save again."), "error")
        if upload_errors:
            flash(_("Your answers were saved, but some files could not be uploaded. See the messages below."), "error")
        status = 409 if result.conflicts else 422 if refused else 200
        return _render_section(company, company_year, definition, sections, section, overlay=overlay,
                               conflicts={c.question_id: c for c in result.conflicts},
                               upload_errors=upload_errors, refused=bool(refused)), status
    if action == "confirm_copies":
        flash(_("Saved. The copied answers in this part are confirmed."), "success")
    elif not anchor:
        flash(_("Saved."), "success")
    if action == "next":
        index = sections.index(section)
        if index + 1 < len(sections):
            return redirect(url_for("company.edit_section", year=year, version_id=version_id,
                                    section_id=sections[index + 1].id))
        return redirect(url_for("company.view_answers", year=year, version_id=version_id))
    return redirect(url_for("company.edit_section", year=year, version_id=version_id, section_id=section.id,
                            _anchor=anchor))


def _render_section(
    company: CompanyAnswerSet,
    company_year: services.CompanyYear,
    definition: Definition,
    sections: tuple[Section, ...],
    section: Section,
    *,
    overlay: dict[str, dict[str, Any]] | None = None,
    conflicts: dict[str, response_services.Conflict] | None = None,
    upload_errors: dict[str, str] | None = None,
    refused: bool = False,
) -> str:
    conflicts = conflicts or {}
    answers = response_services.answers_of(company)
    answers.update(overlay or {})
    files = response_services.files_of(company)
    locale = current_locale()
    states = engine.response_state(sections, answers, files, locale)
    state = next(s for s in states if s.section.id == section.id)
    stored = {a.question_id: a for a in company.answers}
    editable = {q.id: company.can_edit_question(current_user, q.id) for q in section.questions}
    sources = response_services.copied_sources(company)
    download = _download_prefix(company)

    def view(question_state: engine.QuestionState, values: dict[str, dict[str, Any]], can_edit: bool) -> Any:
        question = question_state.question
        answer = stored.get(question.id)
        return build_question(
            definition, question, question_state, values, files, locale=locale, editable=can_edit,
            response_id=0, revision=answer.revision if answer else None,
            is_copied=bool(answer and answer.is_copied), upload_errors=upload_errors or {},
            copied_from=sources.get(question.id), company_download=download,
        )

    questions = [view(qs, answers, editable[qs.question.id]) for qs in state.questions]
    earlier = response_services.answers_of(company)
    copied_here = [view(qs, earlier, False) for qs in state.questions
                   if editable[qs.question.id] and qs.question.id in stored and stored[qs.question.id].is_copied]
    theirs = {}
    for question_id, conflict in conflicts.items():
        their_answers = {**answers, question_id: conflict.theirs}
        their_state = next(q for q in engine.response_state([section], their_answers, files, locale)[0].questions
                           if q.question.id == question_id)
        theirs[question_id] = view(their_state, their_answers, False)
    index = sections.index(section)
    return render_template(
        "company/edit_section.html", company=company, asked=company_year, definition=definition,
        sections=sections, section=section, state=state, states=states, questions=questions, locale=locale,
        conflicts=conflicts, theirs=theirs, upload_errors=upload_errors or {},
        previous_section=sections[index - 1] if index else None,
        next_section=sections[index + 1] if index + 1 < len(sections) else None,
        key_for=key_for, editable=editable, comments={}, refused=refused, copied_here=copied_here,
    )


@bp.route("/<int:year>/<int:version_id>/files/<int:file_id>")
def download_file(year: int, version_id: int, file_id: int) -> HttpResponse:
    """Download a file of the company answers, always as an attachment."""
    _company_year, company, _definition, _sections = _load(year, version_id)
    evidence = db.session.get(EvidenceFile, file_id)
    if evidence is None or evidence.company_set_id != company.id:
        abort(404)
    return storage.send(evidence.stored_name, download_name=evidence.original_name,
                        content_type=evidence.mimetype)


@bp.route("/<int:year>/<int:version_id>/copy", methods=["GET", "POST"])
def copy_answers(year: int, version_id: int) -> HttpResponse | str:
    """Copy the company questions' answers of an earlier submission (any buyer, any round) into
    the unanswered company questions; each stays marked until confirmed."""
    _company_year, company, _definition, sections = _load(year, version_id)
    if not company.can_edit(current_user):
        flash(_("The company answers can no longer be changed: every response that uses them has been "
                "submitted. Nothing was copied."), "error")
        return redirect(url_for("company.view_answers", year=year, version_id=version_id))
    if request.method == "GET":
        db.session.commit()
        return render_template("company/copy_sources.html", company=company,
                               sources=response_services.copy_sources(company, sections))
    submission_id = to_int(inputs.form_value("submission", 20), low=1)
    if submission_id is None:
        flash(_("Choose the submission to copy from."), "error")
        return redirect(url_for("company.copy_answers", year=year, version_id=version_id))
    source = response_services.copy_source(company, submission_id)
    if source is None:
        abort(404)  # another supplier's, or none
    plan = response_services.plan_copy(company, source, sections, actor=current_user)
    copied = response_services.copy_answers(company, plan, actor=current_user)
    db.session.commit()
    if copied:
        flash(ngettext("%(num)s answer was copied. Check each one and confirm or change it.",
                       "%(num)s answers were copied. Check each one and confirm or change it.",
                       copied), "success")
    else:
        flash(_("Nothing was copied: the questions that submission answers are already answered here."), "info")
    return redirect(url_for("company.view_answers", year=year, version_id=version_id))
