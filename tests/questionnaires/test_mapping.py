"""Questions across questionnaire versions: ``replaces`` in the definition, checked, and the one
mapping (portal/questionnaires/mapping.py) that copying, the review's changes and packages use."""

from __future__ import annotations

import json

import pytest

from portal.questionnaires.definition import (
    SCHEMA_PATH,
    SHIPPED_DIR,
    DefinitionError,
    load_definition,
    parse_definition,
    shipped_definitions,
)
from portal.questionnaires.mapping import map_versions
from tests.questionnaires.renumbered import DFO_2026, RENUMBERED


@pytest.fixture(scope="module")
def earlier():
    return load_definition(DFO_2026)


@pytest.fixture(scope="module")
def later():
    return load_definition(RENUMBERED)


def test_the_test_version_declares_its_replacements(later) -> None:
    assert {q.id: q.replaces for q in later.questions() if q.replaces} == {"B2": "B3", "B3": "B2", "B5": "B4"}


def test_renumbered_questions_take_the_earlier_answers(earlier, later) -> None:
    links = map_versions(earlier, later)
    assert {qid: link.source.id for qid, link in links.links.items() if link.renumbered} == {
        "B2": "B3", "B3": "B2", "B5": "B4"}
    # Every other question maps to itself.
    assert all(link.source.id == qid for qid, link in links.links.items() if qid not in ("B2", "B3", "B5"))
    answers = {"B2": {"answer": ["own_operations"]}, "B3": {"answer": "yes"}, "B4": {"answer": "Rutinen."},
               "B5": {"trained": 3, "total": 9}, "C1": {"answer": "yes"}}
    assert links.answers(answers) == {"B2": {"answer": "yes"}, "B3": {"answer": ["own_operations"]},
                                      "B5": {"answer": "Rutinen."}, "C1": {"answer": "yes"}}


def test_a_question_whose_id_another_question_claims_is_new_and_the_unclaimed_earlier_one_dropped(
    earlier, later
) -> None:
    links = map_versions(earlier, later)
    # B4 has the id and type of the earlier B4, but B5 replaces that one: B4 is new.
    assert [q.id for q in links.new] == ["B4"]
    assert links.source_id("B4") is None
    # The earlier B5 (trained/total) is replaced by nothing and nothing has its id and type.
    assert [q.id for q in links.dropped] == ["B5"]
    assert links.target_of("B5") is None
    assert links.target_of("B4") == "B5"


def test_read_backwards_when_the_source_is_the_later_version(earlier, later) -> None:
    links = map_versions(later, earlier)
    assert {qid: link.source.id for qid, link in links.links.items() if link.renumbered} == {
        "B2": "B3", "B3": "B2", "B4": "B5"}
    assert [q.id for q in links.new] == ["B5"]
    assert [q.id for q in links.dropped] == ["B4"]


def test_the_same_version_maps_every_question_to_itself_whatever_it_declares(later) -> None:
    links = map_versions(later, later)
    assert all(link.source.id == qid and link.same for qid, link in links.links.items())
    assert links.new == ()
    assert links.dropped == ()
    assert links.value("B2", {"B2": {"answer": "no"}, "B3": {"answer": ["x"]}}) == {"answer": "no"}


def test_only_parts_with_the_same_id_and_type_carry_over(earlier) -> None:
    # B1's date part becomes a text part and B4 changes its part id: B1 keeps its answer part only,
    # B4 has no fitting part at all and so no earlier question.
    changed = (DFO_2026.read_text(encoding="utf-8")
               .replace('version: "2026.1"', 'version: "2099.2"')
               .replace("          - id: date\n            type: date", "          - id: date\n            type: text")
               .replace("      - id: B4\n", "      - id: B4\n        replaces: b4\n", 1))
    with pytest.raises(DefinitionError):  # b4 is no question id
        parse_definition(changed, "changed.yaml")
    changed = changed.replace("replaces: b4", "replaces: B5")
    target = parse_definition(changed, "changed.yaml")
    links = map_versions(earlier, target)
    assert links.links["B1"].parts == ("answer",)
    assert links.value("B1", {"B1": {"answer": "yes", "date": "2025-01-01"}}) == {"answer": "yes"}
    assert "B4" not in links.links  # the earlier B5 has no part that fits B4
    assert {q.id for q in links.dropped} >= {"B4", "B5"}


def test_a_table_keeps_only_the_columns_that_fit(earlier) -> None:
    changed = (DFO_2026.read_text(encoding="utf-8").replace('version: "2026.1"', 'version: "2099.3"')
               .replace("              - id: city\n                type: text\n"
                        "                label: {nb: By/region, en: City/region}\n"
                        "                required: true\n                max_length: 200",
                        "              - id: city\n                type: number\n"
                        "                label: {nb: By/region, en: City/region}", 1))
    assert changed != DFO_2026.read_text(encoding="utf-8")
    target = parse_definition(changed, "changed.yaml")
    links = map_versions(earlier, target)
    rows = [{"_id": "r1aa", "site_name": "Fabrikk", "city": "Dhaka"}]
    question = target.table_with_role("production_sites")
    assert question is not None
    qid, part = question[0].id, question[1].id
    assert links.value(qid, {qid: {part: rows}}) == {part: [{"_id": "r1aa", "site_name": "Fabrikk"}]}


# -- The definition checker ------------------------------------------------------------------


def _with(replacements: dict[str, str]) -> str:
    text = RENUMBERED.read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def _problems(text: str) -> list[str]:
    with pytest.raises(DefinitionError) as info:
        parse_definition(text, "v.yaml")
    return [str(problem) for problem in info.value.errors]


def test_a_question_cannot_replace_its_own_id() -> None:
    problems = _problems(_with({"      - id: C1\n": "      - id: C1\n        replaces: C1\n"}))
    assert len(problems) == 1
    assert problems[0].startswith("sections[2].questions[0].replaces: 'C1' names its own id")


def test_two_questions_cannot_replace_the_same_question() -> None:
    problems = _problems(_with({"      - id: C1\n": "      - id: C1\n        replaces: B2\n"}))
    assert problems == [
        "sections[2].questions[0].replaces: 'B2' is already replaced by B3 (sections[1].questions[2].replaces)"]


def test_replaces_must_name_a_question_id() -> None:
    problems = _problems(_with({"replaces: B3": "replaces: b-3"}))
    assert len(problems) == 1
    assert problems[0].startswith("sections[1].questions[1].replaces: 'b-3' does not match")


def test_the_schema_documents_replaces() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    replaces = schema["$defs"]["question"]["properties"]["replaces"]
    assert replaces["$ref"] == "#/$defs/question_id"
    assert "earlier version" in replaces["description"]


def test_the_shipped_versions_declare_nothing_and_the_test_version_is_not_shipped() -> None:
    """Published versions never change: the renumbered version lives under tests/, not with the shipped ones."""
    assert RENUMBERED.parent != SHIPPED_DIR
    assert RENUMBERED.name not in {path.name for path in shipped_definitions()}
    assert all(q.replaces is None for path in shipped_definitions() for q in load_definition(path).questions())
