"""Scope in the questionnaire definition (issue 14): company or agreement, checked with its path."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from portal.questionnaires.definition import SHIPPED_DIR, DefinitionError, load_definition

COMPANY_IDS = ["A2", "A3", "B1", "B2", "B4", "B5", "D1", "D2", "D3", "E1", "E2", "F1", "F2", "G1", "G2", "G3"]

_SMALL = """\
id: scoped
version: "2026.9"
title: {nb: Tittel, en: Title}
sections:
  - id: A
    title: {nb: Del A, en: Part A}
    scope: agreement
    questions:
      - id: A1
        simplified: true
        text: {nb: Avtale, en: Agreement}
        review: {}
        parts:
          - id: answer
            type: single
            options:
              - {value: "yes", label: {nb: Ja, en: "Yes"}}
              - {value: "no", label: {nb: Nei, en: "No"}}
  - id: B
    title: {nb: Del B, en: Part B}
    scope: company
    questions:
      - id: B1
        text: {nb: Firma, en: Company}
        review: {}
        parts:
          - {id: note, type: text}
      - id: B2
        scope: agreement
        text: {nb: Denne avtalen, en: This agreement}
        review: {}
        parts:
          - {id: note, type: text}
"""


def _load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "scoped.yaml"
    path.write_text(text, encoding="utf-8")
    return load_definition(path)


def _refused(tmp_path: Path, text: str) -> DefinitionError:
    with pytest.raises(DefinitionError) as info:
        _load(tmp_path, text)
    return info.value


def test_section_scope_applies_to_its_questions_and_a_question_may_override_it(tmp_path: Path) -> None:
    definition = _load(tmp_path, _SMALL)
    assert [(q.id, q.scope) for q in definition.questions()] == [
        ("A1", "agreement"), ("B1", "company"), ("B2", "agreement")]
    assert definition.has_company_scope
    assert [(s.id, [q.id for q in s.questions]) for s in definition.company_sections()] == [("B", ["B1"])]
    section_b = definition.sections[1]
    assert section_b.has_company
    assert not section_b.is_company


def test_an_unknown_scope_is_a_definition_error_with_its_path(tmp_path: Path) -> None:
    error = _refused(tmp_path, _SMALL.replace("scope: company", "scope: buyer"))
    assert error.path == "sections[1].scope"
    assert "company" in error.message
    assert "agreement" in error.message
    error = _refused(tmp_path, _SMALL.replace("        scope: agreement\n", "        scope: everyone\n"))
    assert error.path == "sections[1].questions[1].scope"


def test_a_declaration_cannot_be_company_scope(tmp_path: Path) -> None:
    declaration = textwrap.indent(textwrap.dedent("""\
        - id: B3
          text: {nb: Erklæring, en: Declaration}
          review: {}
          parts:
            - {id: declaration, type: confirm}
        """), " " * 6)
    error = _refused(tmp_path, _SMALL + declaration)
    assert error.path == "sections[1].scope"
    assert "declaration 'B3'" in error.message


def test_a_company_question_cannot_depend_on_an_agreement_answer(tmp_path: Path) -> None:
    text = _SMALL.replace("""      - id: B1
        text""", """      - id: B1
        condition: {question: A1, part: answer, equals: "yes"}
        text""")
    error = _refused(tmp_path, text)
    assert error.path == "sections[1].questions[0].condition.question"
    assert "answered per agreement" in error.message


def test_a_section_shown_only_with_a_contract_condition_cannot_be_company_scope(tmp_path: Path) -> None:
    error = _refused(tmp_path, _SMALL.replace("    scope: company\n", "    scope: company\n    requires: social_dialogue\n"))
    assert error.path == "sections[1].scope"
    assert "social_dialogue" in error.message


def test_versions_without_scope_answer_every_question_per_response() -> None:
    for name in ("dfo-2025.yaml", "dfo-2026.yaml"):
        definition = load_definition(SHIPPED_DIR / name)
        assert not definition.has_company_scope
        assert all(q.scope is None and not q.is_company for q in definition.questions())
        assert definition.company_sections() == ()


def test_shipped_2026_2_has_the_questions_of_2026_1_with_their_scopes() -> None:
    old = load_definition(SHIPPED_DIR / "dfo-2026.yaml")
    new = load_definition(SHIPPED_DIR / "dfo-2026-2.yaml")
    assert (new.id, new.version) == (old.id, "2026.2")
    assert [q.id for q in new.questions()] == [q.id for q in old.questions()]
    # Only the scope differs, question by question.
    for before, after in zip(old.questions(), new.questions(), strict=True):
        assert (before.text, before.parts, before.condition) == (after.text, after.parts, after.condition)
    assert [q.id for q in new.questions() if q.is_company] == COMPANY_IDS
    agreement = [q.id for q in new.questions() if q.scope == "agreement"]
    # C1-C3 speak of "the products under this agreement" (DOMAIN 4.2); B3 and E3 of this agreement's
    # goods. A2 and A3 are facts about the company (F2, a company question, depends on A2).
    assert {"A1", "B3", "C1", "C2", "C3", "C5", "E3", "H1", "I1"} <= set(agreement)
    assert len(agreement) + len(COMPANY_IDS) == len(list(new.questions()))
