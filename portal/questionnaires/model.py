"""The questionnaire's model: a definition's sections, questions, typed parts and texts, as
immutable values, and the options the format builds in (yes/no, the ISO 3166 countries).

Loading a file (``loading.py``) checks it (``checking.py``) and builds these. Pure Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import pycountry
from babel import Locale

SHIPPED_DIR = Path(__file__).parent / "definitions"
SCHEMA_PATH = Path(__file__).parent / "schema.json"

@dataclass(frozen=True, slots=True)
class TypeRules:
    """What a definition may declare for a part of one answer type, and the shape of its answer.

    The rest of each type (reading, checking, showing, sampling, its label) is its class in
    ``types.py``, which exposes these rules as ``PartType.rules`` and reads ``holds_files``,
    ``has_rows`` and ``signs`` from them. They live here, as plain data, because checking a
    definition (``checking.py``) and the model's own questions (``Question.is_declaration``)
    are pure Python: loading a file works without Flask, whose Babel the type classes use.
    """

    #: The answer is one or more option values (usable in conditions).
    choice: bool = False
    #: The definition lists the options ("options" or "options_from"); others are built in.
    listed_options: bool = False
    #: A number: min, max, integer and percent apply; "at_most" may name it.
    numeric: bool = False
    #: Rows of typed "columns"; a ref part may pick rows from it.
    rows: bool = False
    #: Picks rows from another question's table ("table").
    picks_rows: bool = False
    #: Files, uploaded on their own and kept apart from the answer's value.
    files: bool = False
    #: A signature given with each submission: the question is a declaration.
    signs: bool = False
    #: May open a gate question (its "No" is a breach).
    opens_gate: bool = False


#: One entry per answer type, in the order of schema.json's type enum.
TYPE_RULES: Mapping[str, TypeRules] = {
    "yes_no": TypeRules(choice=True, opens_gate=True),
    "yes_no_unknown": TypeRules(choice=True),
    "single": TypeRules(choice=True, listed_options=True),
    "multi": TypeRules(choice=True, listed_options=True),
    "text": TypeRules(),
    "number": TypeRules(numeric=True),
    "date": TypeRules(),
    "url": TypeRules(),
    "file": TypeRules(files=True),
    "table": TypeRules(rows=True),
    "ref": TypeRules(picks_rows=True),
    "confirm": TypeRules(signs=True),
}
#: An unknown type (a file that failed the schema): no rules apply.
NO_RULES = TypeRules()
PART_TYPES = tuple(TYPE_RULES)
#: Part types whose answer is one or more option values (usable in conditions).
CHOICE_TYPES = frozenset(name for name, rules in TYPE_RULES.items() if rules.choice)


def rules_of(type_name: str) -> TypeRules:
    return TYPE_RULES.get(type_name, NO_RULES)
VARIANTS = ("full", "simplified")
SOCIAL_DIALOGUE = "social_dialogue"
COMPANY = "company"
AGREEMENT = "agreement"

ROOT_PATH = "(root)"



@dataclass(frozen=True, slots=True)
class DefinitionProblem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class DefinitionError(Exception):
    """A definition file that cannot be used; messages are English, for admins and the CLI.

    ``path``/``message`` describe the first problem; ``errors`` holds all of them.
    """

    def __init__(
        self,
        file: str,
        path: str,
        message: str,
        errors: Sequence[DefinitionProblem] | None = None,
    ) -> None:
        self.file = file
        self.path = path
        self.message = message
        self.errors: list[DefinitionProblem] = (
            list(errors) if errors else [DefinitionProblem(path, message)]
        )
        super().__init__(f"{file}: {path}: {message}")

    @classmethod
    def from_problems(cls, file: str, problems: Sequence[DefinitionProblem]) -> DefinitionError:
        first = problems[0]
        return cls(file, first.path, first.message, problems)

    def report(self) -> str:
        """Every problem, one per line, for a CLI or an admin page."""
        return "\n".join(f"{self.file}: {problem}" for problem in self.errors)


@dataclass(frozen=True, slots=True)
class Text:
    nb: str
    en: str

    def get(self, locale: str | None) -> str:
        """The text for a locale such as ``en``, ``en_GB`` or ``nb``; anything else gets nb."""
        language = str(locale or "nb").replace("-", "_").split("_")[0].lower()
        return self.en if language == "en" else self.nb


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: Text


@dataclass(frozen=True, slots=True, kw_only=True)
class Part:
    """One answer control of a question, or one column of a table part.

    Attributes that do not apply to the part's type keep their defaults. For a
    ``ref`` part, ``table`` is the id of the question whose single table part it
    points to. ``required`` on a part means it must be filled whenever its
    question is answered (for a table: at least ``max(min_rows, 1)`` rows).
    """

    id: str
    type: str
    label: Text | None = None
    required: bool = False
    options: tuple[Option, ...] = ()
    min: float | None = None
    max: float | None = None
    integer: bool = False
    percent: bool = False
    multiline: bool = False
    max_length: int | None = None
    multiple: bool = False
    tags: tuple[Option, ...] | None = None
    tag_free: bool = False
    columns: tuple[Part, ...] = ()
    min_rows: int = 0
    max_rows: int | None = None
    row_label: Text | None = None
    table: str | None = None
    default: str | float | tuple[str, ...] | None = None
    options_from: str | None = None
    format: str | None = None  # text: what it means and is checked as ("email")
    at_most: str | None = None  # number: the id of a number part of the same question it may not exceed
    role: str | None = None  # table: what the table is, for code that needs it (``ROLES``)

    @property
    def option_values(self) -> tuple[str, ...]:
        return tuple(option.value for option in self.options)

    def option(self, value: str) -> Option:
        for option in self.options:
            if option.value == value:
                return option
        raise KeyError(value)

    def column(self, column_id: str) -> Part:
        for column in self.columns:
            if column.id == column_id:
                return column
        raise KeyError(column_id)


@dataclass(frozen=True, slots=True)
class Condition:
    """Show a question only when a part of an earlier question has one of some values.

    Written ``equals: value`` or ``in: [values]`` in the file.
    """

    question: str
    part: str
    equals: str | None = None
    one_of: tuple[str, ...] = ()

    @property
    def values(self) -> tuple[str, ...]:
        return (self.equals,) if self.equals is not None else self.one_of

    def matches(self, answer: object) -> bool:
        """Whether a part's answer (a value, a list of values for multi, or None) meets this."""
        if answer is None:
            return False
        if isinstance(answer, list | tuple | set | frozenset):
            return any(str(item) in self.values for item in answer)
        return str(answer) in self.values


@dataclass(frozen=True, slots=True, kw_only=True)
class Review:
    meets: Text | None = None
    partly: Text | None = None
    not_met: Text | None = None
    note: Text | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Question:
    id: str
    text: Text
    help: Text | None = None
    parts: tuple[Part, ...]
    required: bool = False
    simplified: bool = False
    gate: bool = False
    scored: bool = True
    clause: tuple[str, ...] = ()
    law: str | None = None
    condition: Condition | None = None
    review: Review = Review()
    deviation_on_not_met: str | None = None
    #: The id of the question of the earlier version that this one replaces (portal/questionnaires/mapping.py).
    replaces: str | None = None
    # The question's scope as declared on it or on its section ("company" or "agreement");
    # None in a version that declares no scope: every question is then answered per response.
    scope: str | None = None

    @property
    def is_company(self) -> bool:
        """Answered once in the supplier's company answers for the year, not per response."""
        return self.scope == COMPANY

    def part(self, part_id: str) -> Part:
        for part in self.parts:
            if part.id == part_id:
                return part
        raise KeyError(part_id)

    @property
    def is_declaration(self) -> bool:
        """A declaration (a ``confirm`` part): given anew, and dated, at each submission; never copied."""
        return any(rules_of(part.type).signs for part in self.parts)

    @property
    def table_part(self) -> Part | None:
        """The question's table part when it has exactly one (what ``ref`` parts point to)."""
        tables = [part for part in self.parts if rules_of(part.type).rows]
        return tables[0] if len(tables) == 1 else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    id: str
    title: Text
    intro: Text | None = None
    clause: tuple[str, ...] = ()
    requires: str | None = None
    scope: str | None = None
    questions: tuple[Question, ...]

    @property
    def is_company(self) -> bool:
        """Every question of the section is answered in the company answers."""
        return bool(self.questions) and all(q.is_company for q in self.questions)

    @property
    def has_company(self) -> bool:
        return any(q.is_company for q in self.questions)


@dataclass(frozen=True, slots=True, kw_only=True)
class Definition:
    id: str
    version: str
    title: Text
    description: Text | None = None
    sections: tuple[Section, ...]
    content_hash: str
    source: str = field(repr=False)

    def questions(self) -> Iterator[Question]:
        for section in self.sections:
            yield from section.questions

    @property
    def has_company_scope(self) -> bool:
        """Whether some questions are answered once per supplier and year (issue 14)."""
        return any(q.is_company for q in self.questions())

    def company_sections(self) -> tuple[Section, ...]:
        """The sections with company questions, each with only those (the company answers' page)."""
        result = []
        for section in self.sections:
            kept = tuple(q for q in section.questions if q.is_company)
            if kept:
                result.append(section if len(kept) == len(section.questions) else replace(section, questions=kept))
        return tuple(result)

    def question(self, question_id: str) -> Question:
        for question in self.questions():
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def sections_for(self, variant: str, social_dialogue: bool) -> tuple[Section, ...]:
        """The sections an agreement's supplier sees, each with only the questions it sees.

        The simplified variant keeps only simplified questions and drops sections left
        empty; a section that requires the social-dialogue condition appears only for
        agreements that carry it.
        """
        if variant not in VARIANTS:
            raise ValueError(f"unknown questionnaire variant {variant!r}")
        result: list[Section] = []
        for section in self.sections:
            if section.requires == SOCIAL_DIALOGUE and not social_dialogue:
                continue
            if variant == "simplified":
                kept = tuple(q for q in section.questions if q.simplified)
                if not kept:
                    continue
                if len(kept) != len(section.questions):
                    section = replace(section, questions=kept)
            result.append(section)
        return tuple(result)

    def table_with_role(self, role: str) -> tuple[Question, Part] | None:
        """The question and table part that declare ``role`` (e.g. the production sites), if any."""
        for question in self.questions():
            for part in question.parts:
                if rules_of(part.type).rows and part.role == role:
                    return question, part
        return None

    def questions_for(self, variant: str, social_dialogue: bool) -> tuple[Question, ...]:
        return tuple(
            question
            for section in self.sections_for(variant, social_dialogue)
            for question in section.questions
        )


# yes_no parts carry fixed values so that conditions, reviews and statistics can rely
# on them; the labels are the only part that lives in code rather than in the file.
_YES = Option("yes", Text("Ja", "Yes"))
_NO = Option("no", Text("Nei", "No"))
_UNKNOWN = Option("unknown", Text("Vet ikke", "Don't know"))
BUILTIN_OPTIONS: Mapping[str, tuple[Option, ...]] = {
    "yes_no": (_YES, _NO),
    "yes_no_unknown": (_YES, _NO, _UNKNOWN),
}


@cache
def country_options() -> tuple[Option, ...]:
    """ISO 3166-1 alpha-2 codes with Babel's nb and en names, sorted by code."""
    nb = Locale("nb").territories
    en = Locale("en").territories
    options = []
    for country in pycountry.countries:
        code = country.alpha_2
        options.append(Option(code, Text(nb.get(code, country.name), en.get(code, country.name))))
    return tuple(sorted(options, key=lambda option: option.value))


#: Code lists a choice part may name with ``options_from`` instead of listing options.
OPTIONS_FROM: Mapping[str, Callable[[], tuple[Option, ...]]] = {"iso3166": country_options}


def scope_of(question: Mapping[str, Any], section: Mapping[str, Any]) -> str | None:
    """A question's own scope, else its section's; None when neither declares one."""
    scope = question.get("scope") or section.get("scope")
    return str(scope) if scope else None

