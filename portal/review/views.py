"""View models for the review page: every question with what the reviewer needs beside it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from portal.models import Deviation, Response
from portal.questionnaires import engine
from portal.questionnaires.definition import Definition, Question, Section
from portal.questionnaires.types import answer_of
from portal.responses.views import QuestionView, build_question
from portal.review import rollup
from portal.review.changes import PartChange, part_changes
from portal.review.services import ReviewedAnswers


@dataclass
class ReviewQuestion:
    question: Question
    view: QuestionView
    guidance: list[tuple[str, str]]
    entry: Any | None  # the question's VerdictEntryForm, when verdicts can be given
    #: The verdict saved on the question, shown read-only when no verdict can be given now
    #: (an accepted review, or a joint agreement's participant reading the lead's review).
    verdict: Any | None = None
    earlier: QuestionView | None = None
    earlier_number: int | None = None
    #: The question's id in the earlier submission's version, when it was renumbered.
    earlier_id: str | None = None
    #: New in this version: the earlier submission's version has no question it replaces.
    is_new: bool = False
    is_copied: bool = False
    gate_said_no: bool = False
    deviation: Deviation | None = None
    conflict: Mapping[str, Any] | None = None
    #: What changed since the previous submission, part by part (empty when nothing did).
    changes: list[PartChange] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.question.id


@dataclass
class ReviewSection:
    section: Section
    status: rollup.SectionResult | None
    questions: list[ReviewQuestion] = field(default_factory=list)


def guidance(question: Question, locale: str) -> list[tuple[str, str]]:
    review = question.review
    rows = [
        (_("Meets"), review.meets), (_("Partly meets"), review.partly),
        (_("Does not meet"), review.not_met), (_("Note for the reviewer"), review.note),
    ]
    return [(label, text.get(locale)) for label, text in rows if text is not None]


def build_sections(
    response: Response,
    definition: Definition,
    sections: Sequence[Section],
    reviewed: ReviewedAnswers,
    *,
    locale: str,
    result: rollup.Rollup,
    entries: Mapping[str, Any],
    copied: set[str],
    deviations: Mapping[str, Deviation],
    conflicts: Mapping[str, Mapping[str, Any]] | None = None,
    verdicts: Mapping[str, Any] | None = None,
) -> list[ReviewSection]:
    """The shown questions of each section, answered as last submitted, ready to judge."""
    states = engine.response_state(sections, reviewed.answers, reviewed.files, locale)
    previous_states = None
    if reviewed.previous_answers is not None:
        previous_states = {
            q.question.id: q
            for s in engine.response_state(sections, reviewed.previous_answers,
                                           reviewed.previous_files, locale)
            for q in s.questions
        }
    built: list[ReviewSection] = []
    for state in states:
        target = ReviewSection(state.section, result.section(state.section.id))
        for question_state in state.questions:
            question = question_state.question
            if not question_state.shown:
                continue
            view = build_question(
                definition, question, question_state, reviewed.answers, reviewed.files,
                locale=locale, editable=False, response_id=response.id, revision=None,
                is_copied=question.id in copied, upload_errors={},
            )
            item = ReviewQuestion(
                question=question, view=view, guidance=guidance(question, locale),
                entry=entries.get(question.id), is_copied=question.id in copied,
                verdict=None if question.id in entries else (verdicts or {}).get(question.id),
                gate_said_no=question.gate and answer_of(reviewed.answers, question.id).get(
                    question.parts[0].id) == "no",
                deviation=deviations.get(question.id),
                conflict=(conflicts or {}).get(question.id),
                earlier_id=reviewed.renumbered.get(question.id),
                is_new=reviewed.is_new(question.id),
            )
            if previous_states is not None and reviewed.changed(question.id):
                assert reviewed.previous_answers is not None
                assert reviewed.previous is not None
                item.earlier = build_question(
                    definition, question, previous_states[question.id], reviewed.previous_answers,
                    reviewed.previous_files, locale=locale, editable=False,
                    # Its files are that submission's response's (an earlier round's, maybe).
                    response_id=reviewed.previous.response_id, revision=None, is_copied=False,
                    upload_errors={},
                )
                item.earlier_number = reviewed.previous.number
                item.changes = part_changes(question, reviewed.answers, reviewed.files,
                                            reviewed.previous_answers, reviewed.previous_files, locale)
            target.questions.append(item)
        built.append(target)
    return built
