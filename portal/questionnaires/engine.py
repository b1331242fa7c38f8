"""Questionnaire logic over a response: what is shown, what is missing, what is wrong.

Pure functions over a parsed definition and the raw answers; no database access,
so the fill-in pages, the submit check, the review screens and the PDF agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from flask_babel import format_decimal

from portal.i18n import gettext as _
from portal.questionnaires.definition import Definition, Part, Question, Section, parse_definition
from portal.questionnaires.types import (
    Checked,
    Context,
    FileLike,
    Shown,
    TableType,
    answer_of,
    as_text,
    parse_number,
    same_values,
    type_of,
)

Answers = Mapping[str, Mapping[str, Any]]


@lru_cache(maxsize=16)
def _parse_cached(content: str, filename: str, content_hash: str) -> Definition:
    return parse_definition(content, filename)


#: Parsed definitions by (content hash, file name). A stored version's hash is the sha256 of
#: its canonical content and unique, so the hash alone finds it: looking it up in
#: ``_parse_cached`` by the content itself hashed and compared the whole text (some 70 kB)
#: on every request, and asked for the text, which the pages need only to parse it once.
_BY_HASH: dict[tuple[str, str], Definition] = {}
_BY_HASH_MAX = 64


def definition_of(version: Any) -> Definition:
    """The parsed definition of a stored QuestionnaireVersion (cached by its hash)."""
    filename = version.filename or f"{version.key}-{version.version}.yaml"
    content_hash = version.content_hash
    if not content_hash:
        return _parse_cached(version.content, filename, content_hash)
    key = (content_hash, filename)
    definition = _BY_HASH.get(key)
    if definition is None:
        definition = _parse_cached(version.content, filename, content_hash)
        if len(_BY_HASH) >= _BY_HASH_MAX:
            _BY_HASH.clear()
        _BY_HASH[key] = definition
    return definition


def sections_for_agreement(definition: Definition, agreement: Any) -> tuple[Section, ...]:
    return definition.sections_for(agreement.questionnaire_variant, agreement.social_dialogue_required)


def is_shown(question: Question, answers: Answers) -> bool:
    """Conditional questions are shown only when their condition is met; answers are kept either way."""
    condition = question.condition
    if condition is None:
        return True
    return condition.matches(answer_of(answers, condition.question).get(condition.part))


@dataclass
class QuestionState:
    question: Question
    shown: bool
    answered: bool
    complete: bool
    missing_parts: list[str] = field(default_factory=list)
    errors: dict[str, Checked] = field(default_factory=dict)

    @property
    def has_errors(self) -> bool:
        return any(not checked.ok for checked in self.errors.values())


def question_state(question: Question, answers: Answers, ctx: Context) -> QuestionState:
    ctx.question_id = question.id
    raw = answer_of(answers, question.id)
    shown = is_shown(question, answers)
    errors: dict[str, Checked] = {}
    filled: dict[str, bool] = {}
    for part in question.parts:
        part_type = type_of(part)
        value = raw.get(part.id)
        filled[part.id] = not part_type.is_empty(value, part, ctx)
        if isinstance(part_type, TableType) and filled[part.id]:
            rows = part_type.content_rows(value, part, ctx)
            filled[part.id] = len(rows) >= part_type.required_rows(part) or not part.required
        checked = part_type.check(value, part, ctx)
        if not checked.ok:
            errors[part.id] = checked
    for part in question.parts:
        if part.at_most and part.id not in errors:
            message = _exceeds(question, part, raw, ctx.locale)
            if message:
                errors.setdefault(part.id, Checked()).add(message)
    answered = any(filled.values())
    required_parts = [p for p in question.parts if p.required]
    if question.required and not required_parts:
        missing = [] if answered else [question.parts[0].id]
    else:
        missing = [p.id for p in required_parts if not filled[p.id]] if (question.required or answered) else []
    complete = not missing and not errors
    return QuestionState(question, shown, answered, complete, missing, errors)


def _exceeds(question: Question, part: Part, raw: Mapping[str, Any], locale: str) -> str:
    """A cross-part check written in the definition (``at_most``): e.g. trained ≤ total."""
    other = question.part(part.at_most or "")
    mine, limit = parse_number(as_text(raw.get(part.id))), parse_number(as_text(raw.get(other.id)))
    if mine is None or limit is None or mine <= limit:
        return ""
    return _("%(part)s cannot be more than %(other)s (%(number)s)",
             part=part.label.get(locale) if part.label else part.id,
             other=(other.label.get(locale) if other.label else other.id).lower(),
             number=format_decimal(limit))


@dataclass
class SectionState:
    section: Section
    questions: list[QuestionState]

    @property
    def shown(self) -> list[QuestionState]:
        return [q for q in self.questions if q.shown]

    @property
    def required_total(self) -> int:
        return sum(1 for q in self.shown if q.question.required)

    @property
    def required_answered(self) -> int:
        return sum(1 for q in self.shown if q.question.required and q.complete)

    @property
    def problems(self) -> list[QuestionState]:
        """Shown questions that block submission: missing required parts or invalid input."""
        return [q for q in self.shown if q.missing_parts or q.has_errors]

    @property
    def with_errors(self) -> list[QuestionState]:
        """Questions with invalid input, shown or not (a section page lists them all)."""
        return [q for q in self.questions if q.has_errors]

    @property
    def status(self) -> str:
        shown = self.shown
        if not any(q.answered for q in shown):
            return "not_started"
        return "in_progress" if any(q.missing_parts or q.has_errors for q in shown) else "complete"


def response_state(
    sections: Sequence[Section],
    answers: Answers,
    files: Mapping[tuple[str, str], Sequence[FileLike]],
    locale: str,
) -> list[SectionState]:
    ctx = Context(locale=locale, answers=answers, files=files)
    return [
        SectionState(section, [question_state(q, answers, ctx) for q in section.questions])
        for section in sections
    ]


def complete_count(states: Sequence[SectionState]) -> int:
    """How many of the sections are complete."""
    return sum(1 for s in states if s.status == "complete")


def progress(states: Sequence[SectionState]) -> tuple[int, int]:
    """(required questions answered, required questions in total) over shown questions."""
    return (sum(s.required_answered for s in states), sum(s.required_total for s in states))


def show_answer(question: Question, answers: Answers, files: Mapping[tuple[str, str], Sequence[FileLike]],
                locale: str) -> list[tuple[Any, Shown]]:
    """Each part with its readable answer, for review screens, receipts and exports."""
    ctx = Context(locale=locale, answers=answers, files=files, question_id=question.id)
    raw = answer_of(answers, question.id)
    return [(part, type_of(part).show(raw.get(part.id), part, ctx)) for part in question.parts]


def within_limits(
    questions: Sequence[Question], values: Mapping[str, Mapping[str, Any]], stored: Answers
) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """What of the posted ``values`` may be stored, and the questions where something may not.

    A part beyond its type's limits keeps its stored value; every other part is saved.
    The page shown afterwards reports the part at its field (``check`` includes ``limits``).
    """
    by_id = {q.id: q for q in questions}
    bounded: dict[str, dict[str, Any]] = {}
    refused: set[str] = set()
    for question_id, value in values.items():
        question = by_id.get(question_id)
        if question is None:
            continue
        previous = answer_of(stored, question_id)
        kept = same_values(question.parts, dict(value), previous)
        for part in question.parts:
            if part.id in kept and not type_of(part).limits(kept[part.id], part).ok:
                refused.add(question_id)
                if part.id in previous:
                    kept[part.id] = previous[part.id]
                else:
                    del kept[part.id]
        bounded[question_id] = kept
    return bounded, refused


def condition_text(definition: Definition, question: Question, locale: str) -> str:
    """The answer a conditional question depends on, in words (e.g. «Ja» for A3)."""
    condition = question.condition
    if condition is None:
        return ""
    try:
        part = definition.question(condition.question).part(condition.part)
    except KeyError:
        return ", ".join(condition.values)
    from portal.questionnaires.types import option_label

    return ", ".join(option_label(part, value, locale) for value in condition.values)
