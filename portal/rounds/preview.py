"""A questionnaire definition made readable for the admin preview, in one language."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext

from portal.questionnaires.definition import (
    SOCIAL_DIALOGUE,
    Condition,
    Definition,
    Part,
    Question,
    Section,
    Text,
)
from portal.questionnaires.types import options_of, type_of


@dataclass(frozen=True)
class PartView:
    id: str
    label: str
    type_label: str
    required: bool
    details: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    columns: list[PartView] = field(default_factory=list)


@dataclass(frozen=True)
class QuestionView:
    id: str
    text: str
    help: str
    parts: list[PartView]
    required: bool
    simplified: bool
    gate: bool
    scored: bool
    clause: str
    law: str
    condition: str
    review: list[tuple[str, str]]
    deviation: str
    replaces: str = ""  # the earlier version's id of this question (portal/questionnaires/mapping.py)


@dataclass(frozen=True)
class SectionView:
    id: str
    title: str
    intro: str
    clause: str
    social_dialogue_only: bool
    questions: list[QuestionView]


def _t(text: Text | None, lang: str) -> str:
    return text.get(lang) if text is not None else ""


def _part_view(part: Part, lang: str) -> PartView:
    options: list[str] = []
    kind = type_of(part)
    details = kind.describe(part)
    if part.options_from == "iso3166":
        details.append(
            ngettext("Country list (ISO 3166, %(num)s country)",
                     "Country list (ISO 3166, %(num)s countries)", len(part.options))
        )
    elif kind.lists_options:
        options = [option.label.get(lang) for option in options_of(part)]
    if part.tags:
        details.append(_("Tags: %(tags)s", tags=", ".join(tag.label.get(lang) for tag in part.tags)))
    return PartView(
        id=part.id,
        label=_t(part.label, lang),
        type_label=str(kind.label),
        required=part.required,
        details=details,
        options=options,
        columns=[_part_view(column, lang) for column in part.columns],
    )


def describe_condition(definition: Definition, condition: Condition, lang: str) -> str:
    try:
        part = definition.question(condition.question).part(condition.part)
        labels = [part.option(value).label.get(lang) for value in condition.values]
    except KeyError:
        labels = list(condition.values)
    return _(
        "Shown only when the answer to %(question)s is %(values)s",
        question=condition.question,
        values=" / ".join(f"“{label}”" for label in labels),
    )


def _question_view(definition: Definition, question: Question, lang: str) -> QuestionView:
    review = [
        (label, _t(text, lang))
        for label, text in (
            (_("Meets the requirement"), question.review.meets),
            (_("Partly meets the requirement"), question.review.partly),
            (_("Does not meet the requirement"), question.review.not_met),
            (_("Note for the reviewer"), question.review.note),
        )
        if text is not None
    ]
    return QuestionView(
        id=question.id,
        text=question.text.get(lang),
        help=_t(question.help, lang),
        parts=[_part_view(part, lang) for part in question.parts],
        required=question.required,
        simplified=question.simplified,
        gate=question.gate,
        scored=question.scored,
        clause=", ".join(question.clause),
        law=question.law or "",
        condition=describe_condition(definition, question.condition, lang) if question.condition else "",
        review=review,
        deviation=question.deviation_on_not_met or "",
        replaces=question.replaces or "",
    )


def preview(definition: Definition, sections: tuple[Section, ...], lang: str) -> list[SectionView]:
    return [
        SectionView(
            id=section.id,
            title=section.title.get(lang),
            intro=_t(section.intro, lang),
            clause=", ".join(section.clause),
            social_dialogue_only=section.requires == SOCIAL_DIALOGUE,
            questions=[_question_view(definition, q, lang) for q in section.questions],
        )
        for section in sections
    ]
