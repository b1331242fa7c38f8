"""Checking a questionnaire definition: its structure against ``schema.json`` (JSON Schema
2020-12) and the semantics the schema cannot express (unique ids, conditions, references,
scopes, replacements). Every problem is reported with its path in the document
(``sections[2].questions[0].parts[1].min``). Pure Python.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

import jsonschema

from portal.questionnaires.model import (
    BUILTIN_OPTIONS,
    CHOICE_TYPES,
    COMPANY,
    OPTIONS_FROM,
    ROOT_PATH,
    SCHEMA_PATH,
    DefinitionProblem,
    rules_of,
    scope_of,
)


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


def schema_problems(data: Any) -> list[DefinitionProblem]:
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


def flat_options(
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
    if rules_of(part["type"]).listed_options:
        if "options" in part:
            return [option["value"] for _, option in flat_options(part["options"], [])]
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
        if question.get("gate") and not rules_of(parts[0]["type"]).opens_gate:
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
        if scope_of(question, section) != COMPANY:
            return
        where = [*qpath, "scope"] if "scope" in question else [*qpath[:2], "scope"]
        if any(rules_of(part["type"]).signs for part in question["parts"]):
            self.add(where, f"declaration {question['id']!r} cannot be company scope: it is given with each submission")
        if section.get("requires"):
            self.add(where, f"{question['id']!r} is in a section shown only with {section['requires']}; "
                            "it cannot be company scope")
        condition = question.get("condition")
        target = self.questions.get(condition["question"]) if condition else None
        if target is not None and scope_of(target[1], target[2]) != COMPANY:
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
        rules = rules_of(kind)
        if rules.listed_options and ("options" in part) == ("options_from" in part):
            self.add(ppath, f"a {kind} part needs either 'options' or 'options_from'")
        for key in ("options", "tags"):
            if key in part:
                self._check_unique_options(part[key], [*ppath, key])
        if "tags" in part and "tag" in part:
            self.add([*ppath, "tag"], "give either 'tags' (a list) or 'tag: free', not both")
        self._check_bounds(part, ppath, "min", "max")
        self._check_bounds(part, ppath, "min_rows", "max_rows")
        if rules.numeric:
            self._check_number(part, ppath)
        if "at_most" in part:
            self._check_at_most(question, part, ppath)
        if "default" in part:
            self._check_default(part, ppath)
        if rules.rows:
            self._check_parts(qpath, question, part["columns"], [*ppath, "columns"], section)
        if rules.picks_rows:
            self._check_ref(question, part, ppath, section)

    def _check_unique_options(self, raw: list[Any], path: list[str | int]) -> None:
        seen: set[str] = set()
        for opath, option in flat_options(raw, path):
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
        elif not any(p["id"] == other and rules_of(p["type"]).numeric for p in question["parts"]):
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
        tables = [p for p in target_question["parts"] if rules_of(p["type"]).rows]
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



def semantic_problems(data: Mapping[str, Any]) -> list[DefinitionProblem]:
    return _Checker(data).run()

