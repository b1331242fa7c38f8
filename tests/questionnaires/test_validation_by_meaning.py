"""Validation by meaning, written in the definition: e-mail parts and a number that may not exceed another."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.questionnaires import engine
from portal.questionnaires.definition import DefinitionError, load_definition
from portal.questionnaires.types import Context
from tests.questionnaires.test_definition import _minimal, _question, _write

MEANING = """\
parts:
  - {id: email, type: text, format: email, label: {nb: E-post, en: E-mail}}
  - {id: trained, type: number, integer: true, at_most: total, label: {nb: Antall med opplæring, en: Number trained}}
  - {id: total, type: number, integer: true, label: {nb: Antall totalt, en: Total number}}
"""


@pytest.fixture
def question(tmp_path: Path):
    return load_definition(_write(tmp_path, _minimal(extra_question=_question(MEANING)))).question("A2")


def _errors(question, answer, locale="nb"):
    state = engine.question_state(question, {"A2": answer}, Context(locale=locale))
    return {part_id: checked.errors.get("", []) for part_id, checked in state.errors.items()}


@pytest.mark.parametrize("address", ["per.hansen@arbeidsklaer.example", "a@b.no", "ola+nb@post.kommune.no"])
def test_an_email_address_passes(app, question, address):
    with app.test_request_context():
        assert "email" not in _errors(question, {"email": address})


@pytest.mark.parametrize("address", ["per.hansen", "per@", "per@example", "per hansen@example.no", "a@b@c.no"])
def test_what_is_not_an_email_address_is_refused_and_kept(app, question, address):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert _errors(question, {"email": address}) == {
            "email": ["Enter an e-mail address in the correct format, like name@example.no"]}


def test_trained_may_not_exceed_the_total(app, question):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert _errors(question, {"trained": "12", "total": "10"}, locale="en") == {
            "trained": ["Number trained cannot be more than total number (10)"]}
        assert _errors(question, {"trained": "10", "total": "10"}) == {}
        # Only once both are numbers: a missing or invalid total is its own message, not this one.
        assert _errors(question, {"trained": "12", "total": ""}) == {}
        assert "trained" not in _errors(question, {"trained": "12", "total": "ti"})


@pytest.mark.parametrize(("parts", "message"), [
    ("  - {id: a, type: number, at_most: a}\n", "compared with itself"),
    ("  - {id: a, type: number, at_most: b}\n  - {id: b, type: text}\n", "not a number part"),
    ("  - {id: a, type: number, at_most: zz}\n", "not a number part"),
])
def test_at_most_must_name_another_number_part(tmp_path, parts, message):
    with pytest.raises(DefinitionError) as info:
        load_definition(_write(tmp_path, _minimal(extra_question=_question("parts:\n" + parts))))
    assert message in info.value.report()


def test_the_2026_questionnaire_checks_a1_as_e_mail_and_b5_trained_against_total(app):
    definition = load_definition(Path("portal/questionnaires/definitions/dfo-2026.yaml"))
    assert definition.version == "2026.1"
    assert definition.question("A1").part("email").format == "email"
    assert definition.question("B5").part("trained").at_most == "total"
    earlier = load_definition(Path("portal/questionnaires/definitions/dfo-2025.yaml"))
    # Apart from the checks by meaning, the questions are those of 2025.
    assert [q.id for q in definition.questions()] == [q.id for q in earlier.questions()]
