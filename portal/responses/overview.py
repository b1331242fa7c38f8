"""The list of a supplier's responses with their progress, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.i18n import current_locale
from portal.models import FollowUpRound, Response
from portal.questionnaires import engine
from portal.responses.services import answers_of, files_of


@dataclass(frozen=True)
class ResponseRow:
    response: Response
    answered: int
    total: int
    is_overdue: bool


def response_overview(supplier_id: int) -> list[ResponseRow]:
    responses = db.session.scalars(
        select(Response)
        .where(Response.supplier_id == supplier_id)
        .join(FollowUpRound)
        .order_by(FollowUpRound.year.desc(), Response.deadline)
        .options(
            selectinload(Response.answers),
            selectinload(Response.files),
            selectinload(Response.agreement),
            selectinload(Response.round).selectinload(FollowUpRound.questionnaire_version),
        )
    ).all()
    today = date.today()
    rows = []
    for response in responses:
        definition = engine.definition_of(response.round.questionnaire_version)
        sections = engine.sections_for_agreement(definition, response.agreement)
        states = engine.response_state(sections, answers_of(response), files_of(response), current_locale())
        answered, total = engine.progress(states)
        rows.append(ResponseRow(response, answered, total, response.is_overdue(today)))
    return rows
