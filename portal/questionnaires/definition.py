"""Questionnaire definitions: parse, validate and model the YAML files.

A definition file is the whole questionnaire of one version (sections, questions,
typed parts, nb/en texts, review guidance). Published versions never change, so
everything the form engine needs, option labels included, lives in the file; the
only exception is the ISO 3166 country list, which the loader fills in.

Validation runs in three steps and reports every problem it finds, each tied to
a path in the document (``sections[2].questions[0].parts[1].min``):

1. YAML syntax (safe loading only; duplicate keys are refused too),
2. structure against ``schema.json`` (JSON Schema 2020-12),
3. semantics the schema cannot express (unique ids, conditions, references).

This module is pure Python; the Flask layer wraps it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import pycountry
import yaml
from babel import Locale

try:
    # libyaml's safe loader builds the same plain data as yaml.safe_load, ten times faster.
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader  # type: ignore[assignment]

SHIPPED_DIR = Path(__file__).parent / "definitions"
SCHEMA_PATH = Path(__file__).parent / "schema.json"

PART_TYPES = (
    "yes_no",
    "yes_no_unknown",
    "single",
    "multi",
    "text",
    "number",
    "date",
    "url",
    "file",
    "table",
    "ref",
    "confirm",
)
#: Part types whose answer is one or more option values (usable in conditions).
CHOICE_TYPES = frozenset({"yes_no", "yes_no_unknown", "single", "multi"})
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
        return any(part.type == "confirm" for part in self.parts)

    @property
    def table_part(self) -> Part | None:
        """The question's table part when it has exactly one (what ``ref`` parts point to)."""
        tables = [part for part in self.parts if part.type == "table"]
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
                if part.type == "table" and part.role == role:
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


def shipped_definitions() -> list[Path]:
    return sorted(SHIPPED_DIR.glob("*.yaml"))


def load_definition(path: Path | str) -> Definition:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError(str(path), ROOT_PATH, f"cannot read the file: {exc}") from exc
    return parse_definition(text, str(path))


@lru_cache(maxsize=32)
def parse_definition(text: str, filename: str) -> Definition:
    """Parse and validate a definition; the result is immutable, so equal texts share it."""
    data = _parse_yaml(text, filename)
    problems = _schema_problems(data)
    if not problems:
        # The semantic checks rely on the structure the schema guarantees.
        problems = _semantic_problems(data)
    if problems:
        raise DefinitionError.from_problems(filename, problems)
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return _build_definition(
        data,
        content_hash=hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        source=text,
    )


def _parse_yaml(text: str, filename: str) -> Any:
    try:
        # compose() builds the node tree without constructing any objects; it gives
        # line numbers for the duplicate-key check that safe loading silently skips.
        root = yaml.compose(text, Loader=SafeLoader)
        data = yaml.load(text, Loader=SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ROOT_PATH
        message = exc.problem or exc.context or "syntax error"
        if exc.problem and exc.context:
            started = f" on line {exc.context_mark.line + 1}" if exc.context_mark else ""
            message += f" ({exc.context}{started})"
        raise DefinitionError(filename, where, f"invalid YAML: {message}") from exc
    except yaml.YAMLError as exc:
        raise DefinitionError(filename, ROOT_PATH, f"invalid YAML: {exc}") from exc
    if root is None or data is None:
        raise DefinitionError(filename, ROOT_PATH, "the file is empty")
    if not isinstance(data, dict):
        raise DefinitionError(filename, ROOT_PATH, "the document must be a mapping of keys")
    duplicates = _duplicate_keys(root, [], set())
    if duplicates:
        raise DefinitionError.from_problems(filename, duplicates)
    return data


def _duplicate_keys(
    node: yaml.Node, path: list[str | int], seen: set[int]
) -> list[DefinitionProblem]:
    # Aliases reuse one node many times; visiting it once is enough (and avoids cycles).
    if id(node) in seen:
        return []
    seen.add(id(node))
    problems: list[DefinitionProblem] = []
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is not None and key != "<<":
                if key in keys:
                    problems.append(
                        DefinitionProblem(
                            format_path([*path, key]),
                            f"duplicate key {key!r} (line {key_node.start_mark.line + 1})",
                        )
                    )
                keys.add(key)
            problems += _duplicate_keys(value_node, [*path, key or "?"], seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems += _duplicate_keys(item, [*path, index], seen)
    return problems


def format_path(parts: Iterable[str | int]) -> str:
    """``["sections", 2, "title"]`` → ``sections[2].title``; the empty path is ``(root)``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or ROOT_PATH


@cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


_REQUIRED_MESSAGE = re.compile(r"^'(?P<key>.+)' is a required property$")


def _schema_problems(data: Any) -> list[DefinitionProblem]:
    problems: list[DefinitionProblem] = []
    for error in _validator().iter_errors(data):
        problems += _describe(error)
    # Document order reads best; a stable sort keeps schema order within one place.
    return sorted(problems, key=lambda problem: _path_sort_key(problem.path))


def _path_sort_key(path: str) -> list[tuple[int, int, str]]:
    return [
        (0, int(token), "") if token.isascii() and token.isdigit() else (1, 0, token)
        for token in re.findall(r"[^.\[\]]+", path)
    ]


def _describe(error: jsonschema.ValidationError) -> list[DefinitionProblem]:
    path: list[str | int] = list(error.absolute_path)
    instance = error.instance
    if error.validator == "required":
        match = _REQUIRED_MESSAGE.match(error.message)
        if match:
            return [DefinitionProblem(format_path([*path, match["key"]]), "required but missing")]
    if (
        error.validator == "additionalProperties"
        and isinstance(instance, dict)
        and isinstance(error.schema, Mapping)
    ):
        allowed = list(error.schema.get("properties", {}))
        return [
            DefinitionProblem(
                format_path([*path, str(key)]),
                f"unknown key {key!r} (allowed here: {', '.join(allowed)})",
            )
            for key in instance
            if key not in allowed
        ]
    if error.validator == "enum" and isinstance(error.validator_value, list):
        choices = ", ".join(str(choice) for choice in error.validator_value)
        return [
            DefinitionProblem(
                format_path(path), f"{instance!r} is not allowed here; expected one of: {choices}"
            )
        ]
    message = error.message
    if error.validator == "type":
        if isinstance(instance, bool):
            message += " (YAML reads unquoted yes/no/on/off/true/false as booleans: quote it)"
        elif isinstance(instance, dt.date | int | float) and "string" in str(error.validator_value):
            message += " (YAML reads unquoted numbers and dates as such: quote it)"
    return [DefinitionProblem(format_path(path), message)]


def _flat_options(
    raw: list[Any], path: list[str | int]
) -> list[tuple[list[str | int], dict[str, Any]]]:
    """Options with their paths; nested lists (YAML aliases to shared lists) are flattened."""
    flat: list[tuple[list[str | int], dict[str, Any]]] = []
    for index, item in enumerate(raw):
        if isinstance(item, list):
            flat += [([*path, index, inner], option) for inner, option in enumerate(item)]
        else:
            flat.append(([*path, index], item))
    return flat


def _option_values(part: Mapping[str, Any]) -> list[str] | None:
    """The values a choice part accepts, or None when it is not a choice part."""
    if part["type"] in BUILTIN_OPTIONS:
        return [option.value for option in BUILTIN_OPTIONS[part["type"]]]
    if part["type"] in ("single", "multi"):
        if "options" in part:
            return [option["value"] for _, option in _flat_options(part["options"], [])]
        source = OPTIONS_FROM.get(part.get("options_from", ""))
        return [option.value for option in source()] if source else []
    return None


class _Checker:
    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.problems: list[DefinitionProblem] = []
        # question id → (path, question, section, position in the file)
        self.questions: dict[str, tuple[list[str | int], dict[str, Any], dict[str, Any], int]] = {}

    def add(self, path: Sequence[str | int], message: str) -> None:
        self.problems.append(DefinitionProblem(format_path(path), message))

    def run(self) -> list[DefinitionProblem]:
        self._index()
        any_simplified = False
        for qpath, question, section, position in self.questions.values():
            any_simplified = any_simplified or question.get("simplified", False)
            self._check_question(qpath, question, section, position)
        if self.questions and not any_simplified:
            self.add(["sections"], "no question is marked simplified: that variant would be empty")
        self._check_replaces()
        return self.problems

    def _check_replaces(self) -> None:
        # Each earlier question is replaced by at most one question (mapping.py relies on it).
        claimed: dict[str, str] = {}
        for qid, (qpath, question, _section, _position) in self.questions.items():
            earlier = question.get("replaces")
            if earlier is None:
                continue
            path = [*qpath, "replaces"]
            if earlier == qid:
                self.add(path, f"{qid!r} names its own id: a question with the same id maps to itself "
                               "without 'replaces'")
            elif earlier in claimed:
                self.add(path, f"{earlier!r} is already replaced by {claimed[earlier]}")
            else:
                claimed[earlier] = f"{qid} ({format_path(path)})"

    def _index(self) -> None:
        section_ids: dict[str, str] = {}
        position = 0
        for s_index, section in enumerate(self.data["sections"]):
            spath: list[str | int] = ["sections", s_index]
            if section["id"] in section_ids:
                self.add(
                    [*spath, "id"],
                    f"duplicate section id {section['id']!r} (also {section_ids[section['id']]})",
                )
            else:
                section_ids[section["id"]] = format_path(spath)
            for q_index, question in enumerate(section["questions"]):
                qpath: list[str | int] = [*spath, "questions", q_index]
                qid = question["id"]
                if qid in self.questions:
                    other = format_path(self.questions[qid][0])
                    self.add([*qpath, "id"], f"duplicate question id {qid!r} (also {other})")
                    continue
                if not qid.startswith(section["id"]):
                    self.add(
                        [*qpath, "id"],
                        f"question id {qid!r} must start with its section id {section['id']!r}",
                    )
                self.questions[qid] = (qpath, question, section, position)
                position += 1

    def _check_question(
        self,
        qpath: list[str | int],
        question: dict[str, Any],
        section: dict[str, Any],
        position: int,
    ) -> None:
        self._check_parts(qpath, question, question["parts"], [*qpath, "parts"], section)
        parts = question["parts"]
        if question.get("required") and not any(part.get("required") for part in parts):
            self.add(
                [*qpath, "required"],
                "a required question needs at least one required part",
            )
        if question.get("gate") and parts[0]["type"] != "yes_no":
            self.add(
                [*qpath, "parts", 0, "type"],
                "a gate question must open with a yes_no part (its “No” is a breach)",
            )
        if "condition" in question:
            self._check_condition([*qpath, "condition"], question, section, position)
        self._check_scope(qpath, question, section)

    def _check_scope(self, qpath: list[str | int], question: dict[str, Any], section: dict[str, Any]) -> None:
        """A company answer serves every agreement of the year: it cannot be a declaration (given per
        submission), sit in a section shown only with a contract condition, or depend on an agreement answer."""
        if _scope_of(question, section) != COMPANY:
            return
        where = [*qpath, "scope"] if "scope" in question else [*qpath[:2], "scope"]
        if any(part["type"] == "confirm" for part in question["parts"]):
            self.add(where, f"declaration {question['id']!r} cannot be company scope: it is given with each submission")
        if section.get("requires"):
            self.add(where, f"{question['id']!r} is in a section shown only with {section['requires']}; "
                            "it cannot be company scope")
        condition = question.get("condition")
        target = self.questions.get(condition["question"]) if condition else None
        if target is not None and _scope_of(target[1], target[2]) != COMPANY:
            self.add([*qpath, "condition", "question"],
                     f"company question {question['id']!r} depends on {target[1]['id']!r}, "
                     "which is answered per agreement")

    def _check_parts(
        self,
        qpath: list[str | int],
        question: dict[str, Any],
        parts: list[dict[str, Any]],
        path: list[str | int],
        section: dict[str, Any],
    ) -> None:
        seen: dict[str, int] = {}
        noun = "column" if path[-1] == "columns" else "part"
        for index, part in enumerate(parts):
            ppath = [*path, index]
            if part["id"] in seen:
                self.add(
                    [*ppath, "id"],
                    f"duplicate {noun} id {part['id']!r} (also {format_path([*path, seen[part['id']]])})",
                )
            else:
                seen[part["id"]] = index
            self._check_part(qpath, question, part, ppath, section)

    def _check_part(
        self,
        qpath: list[str | int],
        question: dict[str, Any],
        part: dict[str, Any],
        ppath: list[str | int],
        section: dict[str, Any],
    ) -> None:
        kind = part["type"]
        if kind in ("single", "multi") and ("options" in part) == ("options_from" in part):
            self.add(ppath, f"a {kind} part needs either 'options' or 'options_from'")
        for key in ("options", "tags"):
            if key in part:
                self._check_unique_options(part[key], [*ppath, key])
        if "tags" in part and "tag" in part:
            self.add([*ppath, "tag"], "give either 'tags' (a list) or 'tag: free', not both")
        self._check_bounds(part, ppath, "min", "max")
        self._check_bounds(part, ppath, "min_rows", "max_rows")
        if kind == "number":
            self._check_number(part, ppath)
        if "at_most" in part:
            self._check_at_most(question, part, ppath)
        if "default" in part:
            self._check_default(part, ppath)
        if kind == "table":
            self._check_parts(qpath, question, part["columns"], [*ppath, "columns"], section)
        if kind == "ref":
            self._check_ref(question, part, ppath, section)

    def _check_unique_options(self, raw: list[Any], path: list[str | int]) -> None:
        seen: set[str] = set()
        for opath, option in _flat_options(raw, path):
            if option["value"] in seen:
                self.add([*opath, "value"], f"duplicate option value {option['value']!r}")
            seen.add(option["value"])

    def _check_bounds(
        self, part: dict[str, Any], ppath: list[str | int], low: str, high: str
    ) -> None:
        if low in part and high in part and part[low] > part[high]:
            self.add([*ppath, low], f"{low} ({part[low]}) is greater than {high} ({part[high]})")

    def _check_number(self, part: dict[str, Any], ppath: list[str | int]) -> None:
        for key in ("min", "max", "default"):
            value = part.get(key)
            if value is None:
                continue
            if part.get("integer") and value != int(value):
                self.add(
                    [*ppath, key], f"{key} ({value}) must be a whole number for an integer part"
                )
            if part.get("percent") and not 0 <= value <= 100:
                self.add(
                    [*ppath, key], f"{key} ({value}) must lie between 0 and 100 for a percentage"
                )
        default = part.get("default")
        if default is not None and (
            ("min" in part and default < part["min"]) or ("max" in part and default > part["max"])
        ):
            self.add([*ppath, "default"], f"default ({default}) lies outside min and max")

    def _check_at_most(self, question: dict[str, Any], part: dict[str, Any], ppath: list[str | int]) -> None:
        other = part["at_most"]
        if part not in question["parts"]:
            self.add([*ppath, "at_most"], "at_most is for parts of a question, not table columns")
        elif other == part["id"]:
            self.add([*ppath, "at_most"], "a part cannot be compared with itself")
        elif not any(p["id"] == other and p["type"] == "number" for p in question["parts"]):
            self.add([*ppath, "at_most"], f"names {other!r}, which is not a number part of this question")

    def _check_default(self, part: dict[str, Any], ppath: list[str | int]) -> None:
        allowed = _option_values(part)
        if allowed is None:
            return
        defaults = part["default"] if isinstance(part["default"], list) else [part["default"]]
        for value in defaults:
            if value not in allowed:
                self.add([*ppath, "default"], f"default {value!r} is not one of the part's options")

    def _check_ref(
        self,
        question: dict[str, Any],
        part: dict[str, Any],
        ppath: list[str | int],
        section: dict[str, Any],
    ) -> None:
        target_id = part["table"]
        if target_id == question["id"]:
            self.add([*ppath, "table"], "a ref part cannot point to its own question")
            return
        target = self.questions.get(target_id)
        if target is None:
            self.add([*ppath, "table"], f"refers to unknown question {target_id!r}")
            return
        _, target_question, target_section, _ = target
        tables = [p for p in target_question["parts"] if p["type"] == "table"]
        if len(tables) != 1:
            self.add(
                [*ppath, "table"],
                f"question {target_id!r} must have exactly one table part to be referenced "
                f"(it has {len(tables)})",
            )
        self._check_visibility(
            question, section, target_question, target_section, [*ppath, "table"]
        )

    def _check_condition(
        self,
        cpath: list[str | int],
        question: dict[str, Any],
        section: dict[str, Any],
        position: int,
    ) -> None:
        condition = question["condition"]
        if ("equals" in condition) == ("in" in condition):
            self.add(cpath, "a condition needs either 'equals' or 'in'")
            return
        target = self.questions.get(condition["question"])
        if target is None:
            self.add([*cpath, "question"], f"refers to unknown question {condition['question']!r}")
            return
        _, target_question, target_section, target_position = target
        if target_position >= position:
            self.add(
                [*cpath, "question"],
                f"must refer to an earlier question; {condition['question']!r} does not come "
                f"before {question['id']!r}",
            )
            return
        part = next((p for p in target_question["parts"] if p["id"] == condition["part"]), None)
        if part is None:
            self.add(
                [*cpath, "part"],
                f"question {condition['question']!r} has no part {condition['part']!r}",
            )
            return
        allowed = _option_values(part)
        if allowed is None:
            self.add(
                [*cpath, "part"],
                f"part {condition['part']!r} is a {part['type']} part; conditions need a "
                f"choice part ({', '.join(sorted(CHOICE_TYPES))})",
            )
            return
        if "equals" in condition:
            values: list[tuple[list[str | int], str]] = [([*cpath, "equals"], condition["equals"])]
        else:
            values = [([*cpath, "in", i], value) for i, value in enumerate(condition["in"])]
        for vpath, value in values:
            if value not in allowed:
                self.add(
                    vpath,
                    f"{value!r} is not an option of {condition['question']}.{condition['part']} "
                    f"({', '.join(allowed)})",
                )
        self._check_visibility(question, section, target_question, target_section, cpath)

    def _check_visibility(
        self,
        question: dict[str, Any],
        section: dict[str, Any],
        target: dict[str, Any],
        target_section: dict[str, Any],
        path: list[str | int],
    ) -> None:
        # A question may only depend on a question that every supplier who sees it also sees.
        if question.get("simplified") and not target.get("simplified"):
            self.add(
                path,
                f"simplified question {question['id']!r} depends on {target['id']!r}, "
                "which is not in the simplified variant",
            )
        required_by_target = target_section.get("requires")
        if required_by_target and required_by_target != section.get("requires"):
            self.add(
                path,
                f"{question['id']!r} depends on {target['id']!r}, which is shown only "
                f"with {required_by_target}",
            )


def _scope_of(question: Mapping[str, Any], section: Mapping[str, Any]) -> str | None:
    """A question's own scope, else its section's; None when neither declares one."""
    scope = question.get("scope") or section.get("scope")
    return str(scope) if scope else None


def _semantic_problems(data: Mapping[str, Any]) -> list[DefinitionProblem]:
    return _Checker(data).run()


def _text(raw: Mapping[str, str] | None) -> Text | None:
    return Text(nb=raw["nb"], en=raw["en"]) if raw is not None else None


def _options(raw: list[Any]) -> tuple[Option, ...]:
    return tuple(
        Option(value=option["value"], label=Text(**option["label"]))
        for _, option in _flat_options(raw, [])
    )


def _build_part(raw: Mapping[str, Any]) -> Part:
    kind = raw["type"]
    if kind in BUILTIN_OPTIONS:
        options = BUILTIN_OPTIONS[kind]
    elif "options_from" in raw:
        options = OPTIONS_FROM[raw["options_from"]]()
    else:
        options = _options(raw.get("options", []))
    default = raw.get("default")
    if isinstance(default, list):
        default = tuple(default)
    return Part(
        id=raw["id"],
        type=kind,
        label=_text(raw.get("label")),
        required=raw.get("required", False),
        options=options,
        options_from=raw.get("options_from"),
        min=raw.get("min"),
        max=raw.get("max"),
        integer=raw.get("integer", False),
        percent=raw.get("percent", False),
        multiline=raw.get("multiline", False),
        max_length=raw.get("max_length"),
        multiple=raw.get("multiple", False),
        tags=_options(raw["tags"]) if "tags" in raw else None,
        tag_free=raw.get("tag") == "free",
        columns=tuple(_build_part(column) for column in raw.get("columns", ())),
        min_rows=raw.get("min_rows", 0),
        max_rows=raw.get("max_rows"),
        row_label=_text(raw.get("row_label")),
        table=raw.get("table"),
        default=default,
        format=raw.get("format"),
        at_most=raw.get("at_most"),
        role=raw.get("role"),
    )


def _build_question(raw: Mapping[str, Any], section: Mapping[str, Any] | None = None) -> Question:
    condition = None
    if "condition" in raw:
        c = raw["condition"]
        condition = Condition(
            question=c["question"],
            part=c["part"],
            equals=c.get("equals"),
            one_of=tuple(c.get("in", ())),
        )
    review = raw["review"]
    return Question(
        id=raw["id"],
        text=Text(**raw["text"]),
        parts=tuple(_build_part(part) for part in raw["parts"]),
        help=_text(raw.get("help")),
        required=raw.get("required", False),
        simplified=raw.get("simplified", False),
        gate=raw.get("gate", False),
        scored=raw.get("scored", True),
        clause=tuple(raw.get("clause", ())),
        law=raw.get("law"),
        condition=condition,
        review=Review(
            meets=_text(review.get("meets")),
            partly=_text(review.get("partly")),
            not_met=_text(review.get("not_met")),
            note=_text(review.get("note")),
        ),
        deviation_on_not_met=raw.get("deviation_on_not_met"),
        replaces=raw.get("replaces"),
        scope=_scope_of(raw, section or {}),
    )


def _build_definition(data: Mapping[str, Any], content_hash: str, source: str) -> Definition:
    return Definition(
        id=data["id"],
        version=data["version"],
        title=Text(**data["title"]),
        description=_text(data.get("description")),
        sections=tuple(
            Section(
                id=section["id"],
                title=Text(**section["title"]),
                questions=tuple(_build_question(q, section) for q in section["questions"]),
                intro=_text(section.get("intro")),
                clause=tuple(section.get("clause", ())),
                requires=section.get("requires"),
                scope=section.get("scope"),
            )
            for section in data["sections"]
        ),
        content_hash=content_hash,
        source=source,
    )
