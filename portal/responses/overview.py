"""The list of a supplier's responses with their progress, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import clock
from portal.extensions import db
from portal.i18n import current_locale
from portal.models import Agreement, CompanyAnswerSet, FollowUpRound, Response, ResponseStatus
from portal.models.followup import EDITABLE_STATUSES
from portal.questionnaires import engine
from portal.responses.services import answers_of, files_of


@dataclass(frozen=True)
class ResponseRow:
    response: Response
    answered: int
    total: int
    is_overdue: bool

    @property
    def is_to_do(self) -> bool:
        """Still the supplier's to answer: not started, in progress or returned for clarification."""
        return self.response.status in EDITABLE_STATUSES

    @property
    def action(self) -> str:
        """The one thing to do next: start, continue, answer the clarification, or view."""
        status = self.response.status
        if status == ResponseStatus.NOT_STARTED:
            return "start"
        if status == ResponseStatus.RETURNED:
            return "clarify"
        if status == ResponseStatus.IN_PROGRESS:
            return "submit" if self.total and self.answered == self.total else "continue"
        return "view"


@dataclass(frozen=True)
class StartPage:
    to_do: list[ResponseRow]
    done: list[ResponseRow]


def response_overview(supplier_id: int) -> list[ResponseRow]:
    responses = db.session.scalars(
        select(Response)
        .where(Response.supplier_id == supplier_id)
        .join(FollowUpRound)
        .order_by(FollowUpRound.year.desc(), Response.deadline)
        .options(
            selectinload(Response.answers),
            selectinload(Response.files),
            selectinload(Response.agreement).selectinload(Agreement.buyer),
            selectinload(Response.round).selectinload(FollowUpRound.questionnaire_version),
        )
    ).all()
    from portal.company import services as company_services

    today = clock.today()
    rows = []
    company_sets: dict[tuple[int, int], CompanyAnswerSet | None] = {}  # one query per year and version
    for response in responses:
        definition = engine.definition_of(response.round.questionnaire_version)
        sections = engine.sections_for_agreement(definition, response.agreement)
        answers, files = answers_of(response), files_of(response)
        if definition.has_company_scope:  # the company answers count towards the progress too
            key = (response.round.year, response.round.questionnaire_version_id)
            if key not in company_sets:
                company_sets[key] = company_services.set_for_response(response)
            answers = company_services.merged_answers(response, company_sets[key], sections)
            files = company_services.merged_files(response, company_sets[key], sections)
        states = engine.response_state(sections, answers, files, current_locale())
        answered, total = engine.progress(states)
        rows.append(ResponseRow(response, answered, total, response.is_overdue(today)))
    return rows


def start_page(supplier_id: int) -> StartPage:
    """Requests from every buyer: what is still to do (nearest deadline first) and what is done."""
    rows = response_overview(supplier_id)
    to_do = sorted((r for r in rows if r.is_to_do), key=lambda r: (r.response.deadline, r.response.id))
    done = sorted((r for r in rows if not r.is_to_do),
                  key=lambda r: (r.response.submitted_at.timestamp() if r.response.submitted_at else 0.0,
                                 r.response.id), reverse=True)
    return StartPage(to_do=to_do, done=done)
