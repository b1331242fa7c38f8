"""Loading a questionnaire definition: read the YAML safely (duplicate keys refused), check
it (``checking.py``) and build the model (``model.py``). Parsed definitions are cached by
their text, so a stored version is parsed once per process. Pure Python.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from portal.questionnaires.checking import (
    flat_options,
    format_path,
    schema_problems,
    semantic_problems,
)
from portal.questionnaires.model import (
    BUILTIN_OPTIONS,
    OPTIONS_FROM,
    ROOT_PATH,
    SHIPPED_DIR,
    Condition,
    Definition,
    DefinitionError,
    DefinitionProblem,
    Option,
    Part,
    Question,
    Review,
    Section,
    Text,
    scope_of,
)

try:
    # libyaml's safe loader builds the same plain data as yaml.safe_load, ten times faster.
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader  # type: ignore[assignment]


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
    problems = schema_problems(data)
    if not problems:
        # The semantic checks rely on the structure the schema guarantees.
        problems = semantic_problems(data)
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



def _text(raw: Mapping[str, str] | None) -> Text | None:
    return Text(nb=raw["nb"], en=raw["en"]) if raw is not None else None


def _options(raw: list[Any]) -> tuple[Option, ...]:
    return tuple(
        Option(value=option["value"], label=Text(**option["label"]))
        for _, option in flat_options(raw, [])
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
        scope=scope_of(raw, section or {}),
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
