"""The questionnaire definition loader and the shipped DFØ questionnaire (no Flask app needed)."""

from __future__ import annotations

import dataclasses
import json
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal.questionnaires.definition import (
    PART_TYPES,
    SCHEMA_PATH,
    SHIPPED_DIR,
    Condition,
    Definition,
    DefinitionError,
    Part,
    Text,
    load_definition,
    parse_definition,
    shipped_definitions,
)

SHIPPED = SHIPPED_DIR / "dfo-2025.yaml"

QUESTIONS_PER_SECTION = {"A": 3, "B": 5, "C": 6, "D": 3, "E": 3, "F": 2, "G": 3, "H": 6, "I": 1}
ALL_IDS = [f"{s}{n}" for s, count in QUESTIONS_PER_SECTION.items() for n in range(1, count + 1)]
SIMPLIFIED_IDS = ["A1", "A2", "B1", "B3", "C1", "C4", "C5", "D1", "E1", "E3", "F1", "G1", "I1"]
GATE_IDS = ["B1", "C1", "D1", "E1", "F1", "G1"]
C5_COLUMNS = [
    "site_name",
    "address",
    "city",
    "country",
    "tier",
    "products",
    "relation",
    "workers_total",
    "women_pct",
    "migrant_workers",
    "worker_representation",
    "last_audit_scheme",
    "last_audit_date",
    "certifications",
    "confidential",
]


@pytest.fixture(scope="module")
def dfo() -> Definition:
    return load_definition(SHIPPED)


def _texts(value: object) -> Iterator[Text]:
    """Every Text reachable from a definition object."""
    if isinstance(value, Text):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from _texts(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _texts(getattr(value, field.name))


def _parts(definition: Definition) -> Iterator[Part]:
    for question in definition.questions():
        for part in question.parts:
            yield part
            yield from part.columns


# The shipped questionnaire


def test_shipped_definitions_lists_the_dfo_file() -> None:
    assert SHIPPED in shipped_definitions()


@pytest.mark.parametrize("path", shipped_definitions(), ids=lambda path: path.name)
def test_every_shipped_definition_loads(path: Path) -> None:
    assert load_definition(path).questions_for("full", social_dialogue=True)


def test_schema_enumerates_the_part_types() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert tuple(schema["$defs"]["part"]["properties"]["type"]["enum"]) == PART_TYPES


def test_shipped_file_has_32_questions_in_9_sections(dfo: Definition) -> None:
    assert (dfo.id, dfo.version) == ("dfo-human-rights", "2025.1")
    assert [s.id for s in dfo.sections] == list("ABCDEFGHI")
    assert [q.id for q in dfo.questions()] == ALL_IDS


def test_simplified_variant_has_exactly_the_s_questions(dfo: Definition) -> None:
    ids = [q.id for q in dfo.questions_for("simplified", social_dialogue=False)]
    assert ids == SIMPLIFIED_IDS
    assert [q.id for q in dfo.questions() if q.simplified] == SIMPLIFIED_IDS
    # No question of H is simplified, so the social-dialogue flag adds nothing there.
    assert [q.id for q in dfo.questions_for("simplified", social_dialogue=True)] == SIMPLIFIED_IDS


def test_simplified_variant_drops_sections_left_empty() -> None:
    source = _minimal(extra_question="")
    definition = parse_definition(source, "minimal.yaml")
    assert [s.id for s in definition.sections_for("simplified", social_dialogue=True)] == ["A"]


def test_section_h_needs_the_social_dialogue_requirement(dfo: Definition) -> None:
    without = dfo.sections_for("full", social_dialogue=False)
    with_sd = dfo.sections_for("full", social_dialogue=True)
    assert [s.id for s in without] == list("ABCDEFGI")
    assert [s.id for s in with_sd] == list("ABCDEFGHI")
    assert dfo.sections[7].requires == "social_dialogue"
    assert len(dfo.questions_for("full", social_dialogue=False)) == 26
    assert len(dfo.questions_for("full", social_dialogue=True)) == 32


def test_unknown_variant_is_refused(dfo: Definition) -> None:
    with pytest.raises(ValueError, match="variant"):
        dfo.sections_for("short", social_dialogue=False)


def test_a3_and_f2_are_shown_only_when_a2_is_yes(dfo: Definition) -> None:
    conditional = {q.id: q.condition for q in dfo.questions() if q.condition}
    assert conditional == {
        "A3": Condition(question="A2", part="answer", equals="yes"),
        "F2": Condition(question="A2", part="answer", equals="yes"),
    }
    condition = conditional["A3"]
    assert condition.matches("yes")
    assert not condition.matches("unsure")
    assert not condition.matches(None)
    assert dfo.question("A2").part("answer").option_values == ("yes", "no", "unsure")


def test_gate_flags_are_on_the_opening_questions_of_b_to_g(dfo: Definition) -> None:
    assert [q.id for q in dfo.questions() if q.gate] == GATE_IDS
    for question_id in GATE_IDS:
        question = dfo.question(question_id)
        assert question.required
        assert question.parts[0].type == "yes_no"
        assert question.parts[0].option_values == ("yes", "no")


def test_required_questions(dfo: Definition) -> None:
    required = [q.id for q in dfo.questions() if q.required]
    assert required == [*SIMPLIFIED_IDS[:-1], "H5", "I1"]
    assert dfo.question("I1").parts[0].type == "confirm"
    assert dfo.question("I1").parts[0].required


def test_unscored_questions_carry_a_review_note(dfo: Definition) -> None:
    assert [q.id for q in dfo.questions() if not q.scored] == ["A2", "I1"]
    for question in dfo.questions():
        if question.scored:
            assert question.review.meets, question.id
            assert question.review.not_met, question.id
        else:
            assert question.review.note, question.id


def test_not_met_creates_the_domain_deviation(dfo: Definition) -> None:
    deviations = {q.id: q.deviation_on_not_met for q in dfo.questions() if q.deviation_on_not_met}
    assert deviations == {
        "A3": "P-COMM",
        "B1": "P-POLICY",
        "C1": "P-RISK",
        "C4": "P-TRANSP",
        "C5": "P-TRANSP",
        "D1": "P-ACTION",
        "E1": "P-TRACK",
        "F1": "P-COMM",
        "G1": "P-REMEDY",
        "H3": "P-SD",
        "H5": "P-SD",
        "H6": "FOA",
    }


def test_every_text_has_nb_and_en(dfo: Definition) -> None:
    texts = list(_texts(dfo))
    assert len(texts) > 500
    for text in texts:
        assert text.nb.strip(), text
        assert text.en.strip(), text


def test_text_falls_back_to_nb() -> None:
    text = Text(nb="Ja", en="Yes")
    assert text.get("en") == "Yes"
    assert text.get("en_GB") == "Yes"
    assert text.get("nb") == "Ja"
    assert text.get("de") == "Ja"
    assert text.get(None) == "Ja"


def test_every_choice_has_unique_options(dfo: Definition) -> None:
    for part in _parts(dfo):
        if part.type in ("single", "multi", "yes_no", "yes_no_unknown"):
            assert part.options, part.id
            assert len(set(part.option_values)) == len(part.options), part.id
            for value in part.option_values:
                assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", value)


def test_c5_is_the_production_site_table(dfo: Definition) -> None:
    c5 = dfo.question("C5")
    table = c5.part("sites")
    assert c5.table_part is table
    assert (table.type, table.required, table.min_rows, table.max_rows) == ("table", True, 1, 200)
    assert [column.id for column in table.columns] == C5_COLUMNS
    assert table.column("confidential").type == "yes_no"
    assert table.column("confidential").default == "yes"
    country = table.column("country")
    assert country.options_from == "iso3166"
    assert country.option("NO").label == Text(nb="Norge", en="Norway")
    assert len(country.options) > 240
    assert table.column("tier").option_values == ("T0", "TI", "T1", "T2", "T3", "TL", "TS", "TU")
    women = table.column("women_pct")
    assert (women.min, women.max, women.percent) == (0, 100, True)


def test_worker_representation_options_are_shared_by_c5_and_h2(dfo: Definition) -> None:
    c5 = dfo.question("C5").part("sites").column("worker_representation")
    h2 = dfo.question("H2").part("sites").column("worker_representation")
    assert c5.options == h2.options
    assert len(c5.options) == 6


def test_h1_and_the_site_columns_refer_to_c5(dfo: Definition) -> None:
    h1 = dfo.question("H1").part("sites")
    assert (h1.type, h1.table, h1.multiple) == ("ref", "C5", True)
    assert dfo.question(h1.table).table_part is not None
    assert dfo.question("H1").part("share").percent
    for question_id, part_id in (("H2", "sites"), ("H3", "measures"), ("E3", "deviations")):
        site = dfo.question(question_id).part(part_id).column("site")
        assert (site.type, site.table, site.multiple) == ("ref", "C5", False)


def test_e3_deviation_types_join_rights_and_process_codes(dfo: Definition) -> None:
    types = dfo.question("E3").part("deviations").column("type").option_values
    assert types[0] == "CHILD"
    assert "OTHER" in types
    assert "P-SD" in types
    assert len(types) == 16 + 9
    assert dfo.question("C2").part("risk_areas").option_values == types[:16]


def test_h5_takes_several_tagged_files(dfo: Definition) -> None:
    files = dfo.question("H5").part("files")
    assert (files.type, files.multiple, files.tag_free, files.required) == (
        "file",
        True,
        True,
        True,
    )


def test_content_hash_is_stable_and_tracks_content(dfo: Definition) -> None:
    again = load_definition(SHIPPED)
    assert again.content_hash == dfo.content_hash
    assert re.fullmatch(r"[0-9a-f]{64}", dfo.content_hash)
    assert dfo.source == SHIPPED.read_text(encoding="utf-8")

    changed = dfo.source.replace("Hvem hos dere", "Hvem hos dem", 1)
    assert parse_definition(changed, "changed.yaml").content_hash != dfo.content_hash
    # The hash is of the parsed content: comments and layout do not count.
    commented = "# a comment\n" + dfo.source
    assert parse_definition(commented, "commented.yaml").content_hash == dfo.content_hash


# Invalid files


def _minimal(*, extra_question: str = "") -> str:
    """A small valid file: A1 (a simplified choice), optionally A2, and B1 (a table, H-like)."""
    return _MINIMAL.format(extra_question=textwrap.indent(extra_question, " " * 6))


_MINIMAL = """\
id: test
version: "2025.1"
title: {{nb: Tittel, en: Title}}
sections:
  - id: A
    title: {{nb: Del A, en: Part A}}
    questions:
      - id: A1
        simplified: true
        required: true
        text: {{nb: Er det sant, en: Is it true}}
        review: {{}}
        parts:
          - id: answer
            type: single
            required: true
            options:
              - {{value: "yes", label: {{nb: Ja, en: "Yes"}}}}
              - {{value: "no", label: {{nb: Nei, en: "No"}}}}
{extra_question}  - id: B
    title: {{nb: Del B, en: Part B}}
    requires: social_dialogue
    questions:
      - id: B1
        text: {{nb: Tabell, en: Table}}
        review: {{}}
        parts:
          - id: rows
            type: table
            columns:
              - {{id: name, type: text, label: {{nb: Navn, en: Name}}}}
"""


def _question(body: str) -> str:
    """A second question of section A; ``body`` adds keys (parts, condition, ...)."""
    return "- id: A2\n  text: {nb: Spørsmål, en: Question}\n  review: {}\n" + textwrap.indent(
        textwrap.dedent(body), "  "
    )


TEXT_PART = "parts:\n  - {id: note, type: text}\n"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "definition.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _refused(tmp_path: Path, text: str) -> DefinitionError:
    path = _write(tmp_path, text)
    with pytest.raises(DefinitionError) as info:
        load_definition(path)
    error = info.value
    assert error.file == str(path)
    assert str(error) == f"{path}: {error.path}: {error.message}"
    return error


def test_minimal_file_loads(tmp_path: Path) -> None:
    definition = load_definition(_write(tmp_path, _minimal(extra_question=_question(TEXT_PART))))
    assert [q.id for q in definition.questions()] == ["A1", "A2", "B1"]
    assert definition.question("A2").part("note").type == "text"
    with pytest.raises(KeyError):
        definition.question("Z1")


def test_missing_english_text_is_refused(tmp_path: Path) -> None:
    source = _minimal().replace("{nb: Del B, en: Part B}", "{nb: Del B}")
    error = _refused(tmp_path, source)
    assert error.path == "sections[1].title.en"
    assert "missing" in error.message


def test_blank_text_is_refused(tmp_path: Path) -> None:
    source = _minimal().replace("en: Part B", 'en: "  "')
    assert _refused(tmp_path, source).path == "sections[1].title.en"


def test_unknown_part_type_is_refused(tmp_path: Path) -> None:
    source = _minimal(extra_question=_question("parts:\n  - {id: level, type: slider}\n"))
    error = _refused(tmp_path, source)
    assert error.path == "sections[0].questions[1].parts[0].type"
    assert "'slider'" in error.message


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    source = _minimal(
        extra_question=_question("parts:\n  - {id: n, type: number, multiline: true}\n")
    )
    error = _refused(tmp_path, source)
    assert error.path == "sections[0].questions[1].parts[0].multiline"
    assert "unknown key" in error.message


def test_duplicate_question_id_is_refused(tmp_path: Path) -> None:
    source = _minimal(extra_question=_question(TEXT_PART).replace("id: A2", "id: A1"))
    error = _refused(tmp_path, source)
    assert error.path == "sections[0].questions[1].id"
    assert "duplicate question id 'A1'" in error.message


def test_duplicate_part_id_is_refused(tmp_path: Path) -> None:
    body = "parts:\n  - {id: note, type: text}\n  - {id: note, type: date}\n"
    error = _refused(tmp_path, _minimal(extra_question=_question(body)))
    assert error.path == "sections[0].questions[1].parts[1].id"


def test_duplicate_option_value_is_refused(tmp_path: Path) -> None:
    source = _minimal().replace('{value: "no"', '{value: "yes"')
    error = _refused(tmp_path, source)
    assert error.path == "sections[0].questions[0].parts[0].options[1].value"


def test_condition_on_unknown_question_is_refused(tmp_path: Path) -> None:
    body = "condition: {question: Z9, part: answer, equals: 'yes'}\n" + TEXT_PART
    error = _refused(tmp_path, _minimal(extra_question=_question(body)))
    assert error.path == "sections[0].questions[1].condition.question"
    assert "'Z9'" in error.message


def test_condition_on_unknown_value_is_refused(tmp_path: Path) -> None:
    body = "condition: {question: A1, part: answer, in: ['yes', maybe]}\n" + TEXT_PART
    error = _refused(tmp_path, _minimal(extra_question=_question(body)))
    assert error.path == "sections[0].questions[1].condition.in[1]"


def test_condition_must_look_back(tmp_path: Path) -> None:
    source = _minimal(extra_question=_question(TEXT_PART)).replace(
        "review: {}\n        parts:\n          - id: answer",
        "review: {}\n        condition: {question: A2, part: note, equals: x}\n"
        "        parts:\n          - id: answer",
        1,
    )
    error = _refused(tmp_path, source)
    assert error.path == "sections[0].questions[0].condition.question"
    assert "earlier" in error.message


def test_unquoted_yes_gets_a_hint(tmp_path: Path) -> None:
    body = "condition: {question: A1, part: answer, equals: yes}\n" + TEXT_PART
    error = _refused(tmp_path, _minimal(extra_question=_question(body)))
    assert error.path == "sections[0].questions[1].condition.equals"
    assert "quote" in error.message


def test_ref_to_question_without_table_is_refused(tmp_path: Path) -> None:
    body = "parts:\n  - {id: sites, type: ref, table: A1, multiple: true}\n"
    error = _refused(tmp_path, _minimal(extra_question=_question(body)))
    assert error.path == "sections[0].questions[1].parts[0].table"
    assert "exactly one table part" in error.message


def test_ref_to_a_social_dialogue_only_table_is_refused(tmp_path: Path) -> None:
    body = "parts:\n  - {id: rows, type: ref, table: B1}\n"
    error = _refused(tmp_path, _minimal(extra_question=_question(body)))
    assert error.path == "sections[0].questions[1].parts[0].table"
    assert "social_dialogue" in error.message


def test_min_greater_than_max_is_refused(tmp_path: Path) -> None:
    body = "parts:\n  - {id: count, type: number, min: 10, max: 5}\n"
    error = _refused(tmp_path, _minimal(extra_question=_question(body)))
    assert error.path == "sections[0].questions[1].parts[0].min"
    assert "min (10) is greater than max (5)" in error.message


def test_broken_yaml_reports_the_line(tmp_path: Path) -> None:
    source = _minimal().replace("title: {nb: Del A, en: Part A}", "title: {nb: Del A, en: Part A")
    error = _refused(tmp_path, source)
    assert error.path.startswith("line 7,")
    assert "invalid YAML" in error.message


def test_duplicate_yaml_key_is_refused(tmp_path: Path) -> None:
    source = _minimal().replace("{nb: Del B, en: Part B}", "{nb: Del B, en: Part B, nb: Del C}")
    error = _refused(tmp_path, source)
    assert error.path == "sections[1].title.nb"
    assert "duplicate key" in error.message


def test_a_variant_without_simplified_questions_is_refused(tmp_path: Path) -> None:
    source = _minimal().replace("        simplified: true\n", "")
    assert "simplified" in _refused(tmp_path, source).message


def test_all_problems_are_reported(tmp_path: Path) -> None:
    source = (
        _minimal(extra_question=_question("parts:\n  - {id: level, type: slider}\n"))
        .replace("{nb: Del B, en: Part B}", "{nb: Del B}")
        .replace('version: "2025.1"', "version: 2025.1")
    )
    error = _refused(tmp_path, source)
    assert [problem.path for problem in error.errors] == [
        "sections[0].questions[1].parts[0].type",
        "sections[1].title.en",
        "version",
    ]
    assert error.path == error.errors[0].path
    assert error.report().count(str(tmp_path)) == 3


def test_empty_and_missing_files_are_refused(tmp_path: Path) -> None:
    assert "empty" in _refused(tmp_path, "").message
    with pytest.raises(DefinitionError, match="cannot read"):
        load_definition(tmp_path / "absent.yaml")
