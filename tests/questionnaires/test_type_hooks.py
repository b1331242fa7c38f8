"""The per-type decisions live in the registry (issue 14 structure): each hook a page, the
changes view, the site register or the definition check asks of a type, and a guard that the
modules which once switched on type names no longer do."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from portal.questionnaires.definition import CHOICE_TYPES, TYPE_RULES, Option, Part, Question, Text
from portal.questionnaires.types import REGISTRY, Context, Shown, TableType, same_values, type_of

ROOT = Path(__file__).resolve().parents[2]
A, B = Option(value="a", label=Text(nb="A", en="A")), Option(value="b", label=Text(nb="B", en="B"))


def test_the_pure_rules_and_the_type_classes_agree():
    assert set(TYPE_RULES) == set(REGISTRY)
    assert {name for name, kind in REGISTRY.items() if kind.lists_options} == CHOICE_TYPES
    assert {name for name, kind in REGISTRY.items() if kind.holds_files} == {"file"}
    assert all(kind.holds_files == (not kind.stores_value) for kind in REGISTRY.values())
    assert {name for name, kind in REGISTRY.items() if kind.has_rows} == {"table"}
    assert all(isinstance(kind, TableType) == kind.has_rows for kind in REGISTRY.values())
    assert {name for name, kind in REGISTRY.items() if kind.signs} == {"confirm"}


def test_a_new_table_cell_starts_empty_in_its_types_shape():
    assert type_of(Part(id="m", type="multi", options=(A, B))).empty_value(Part(id="m", type="multi")) == []
    many = Part(id="r", type="ref", table="C5", multiple=True)
    one = Part(id="r", type="ref", table="C5")
    assert type_of(many).empty_value(many) == []
    assert type_of(one).empty_value(one) == ""
    workers = Part(id="n", type="number", default=12)
    assert type_of(workers).empty_value(workers) == "12"
    choice = Part(id="s", type="single", options=(A, B), default="b")
    assert type_of(choice).empty_value(choice) == "b"
    assert type_of(Part(id="t", type="text")).empty_value(Part(id="t", type="text")) == ""


def test_a_register_value_is_fitted_to_the_column():
    single = Part(id="s", type="yes_no")
    assert type_of(single).fitted("yes", single) == "yes"
    assert type_of(single).fitted("maybe", single) == ""
    multi = Part(id="m", type="multi", options=(A, B))
    assert type_of(multi).fitted(["b", "x", "a"], multi) == ["b", "a"]
    assert type_of(multi).fitted(None, multi) == []
    short = Part(id="t", type="text", max_length=3)
    assert type_of(short).fitted("abcdef", short) == "abc"
    free = Part(id="t", type="text")
    assert type_of(free).fitted("abcdef", free) == "abcdef"
    number = Part(id="n", type="number")
    assert type_of(number).fitted("12", number) == "12"


def test_a_number_posted_back_as_stored_keeps_the_stored_text_also_in_table_rows():
    number = Part(id="n", type="number")
    text = Part(id="t", type="text")
    table = Part(id="rows", type="table", columns=(number, text))
    assert type_of(number).same_value("12.5", "12,5", number) == "12,5"
    assert type_of(number).same_value("13", "12,5", number) == "13"
    assert type_of(text).same_value("12.5", "12,5", text) == "12.5"
    typed = {"n": "12.5", "rows": [{"_id": "aaaa", "n": "7", "t": "x"}, {"_id": "bbbb", "n": "8"}]}
    stored = {"n": "12,5", "rows": [{"_id": "aaaa", "n": "7,0", "t": "x"}]}
    assert same_values((number, table), typed, stored) == {
        "n": "12,5", "rows": [{"_id": "aaaa", "n": "7,0", "t": "x"}, {"_id": "bbbb", "n": "8"}]}


def test_a_signature_is_signed_dated_and_complete_by_its_type():
    confirm = type_of(Part(id="c", type="confirm"))
    signed = confirm.signed({"confirmed": "yes", "name": "typed"}, {"name": "Kari", "title": ""})
    assert signed == {"confirmed": "yes", "name": "Kari"}
    assert confirm.signed(None, {"name": "Kari", "title": "Leder"}) == {"name": "Kari", "title": "Leder"}
    dated = confirm.dated(signed, date(2026, 6, 1))
    assert dated == {"confirmed": "yes", "name": "Kari", "date": "2026-06-01"}
    assert confirm.dated(signed, None, ticked=False) == {"confirmed": "", "name": "Kari", "date": ""}
    assert confirm.dated({}, date(2026, 6, 1)) == {}
    assert not confirm.is_given(dated)
    assert confirm.is_given({**dated, "title": "Leder"})
    assert not confirm.is_given(None)
    text = type_of(Part(id="t", type="text"))
    assert text.dated("as typed", date(2026, 6, 1)) == "as typed"
    assert text.signed("as typed", {"name": "Kari", "title": "Leder"}) == "as typed"
    question = Question(id="I1", text=Text(nb="Erklæring", en="Declaration"),
                        parts=(Part(id="c", type="confirm"),))
    assert question.is_declaration


def test_only_a_number_has_a_hint_and_each_type_says_how_a_change_is_shown(app):
    with app.test_request_context():
        number = Part(id="n", type="number")
        assert "1" in type_of(number).hint(number, "nb")
        assert type_of(Part(id="t", type="text")).hint(Part(id="t", type="text"), "nb") == ""
    shown_as = {name: kind.change_shown_as for name, kind in REGISTRY.items()}
    assert shown_as["text"] == "words"
    assert shown_as["table"] == "rows"
    assert shown_as["file"] == "files"
    assert {shown_as[name] for name in ("yes_no", "single", "multi", "number", "date", "url", "ref",
                                         "confirm")} == {"value"}


def test_a_file_part_is_shown_as_a_list_of_files_even_when_empty(app):
    part = Part(id="f", type="file")
    with app.test_request_context():
        shown = type_of(part).show(None, part, Context(locale="nb", question_id="B1"))
    assert shown.lists_files
    assert shown.files == ()
    assert not Shown(text="x").lists_files


#: The modules that switched on answer-type names before the registry held each decision.
MOVED = [
    "portal/responses/routes.py", "portal/responses/views.py", "portal/responses/services.py",
    "portal/responses/package.py", "portal/review/changes.py", "portal/sites/answers.py",
    "portal/demo_followup.py", "portal/questionnaires/engine.py", "portal/questionnaires/model.py",
    "portal/questionnaires/mapping.py", "portal/audit_labels.py",
    "portal/questionnaires/checking.py", "templates/questionnaire/_question.html", "templates/pdf/receipt.html",
]
#: A type name compared or listed: ``part.type == "file"``, ``part["type"] in ("single", "multi")``.
TYPE_SWITCH = re.compile(r"""(\.type|\["type"\])\s*((==|!=)\s*["']|(not\s+)?in\s*[(\[{])""")


@pytest.mark.parametrize("path", MOVED)
def test_no_module_that_moved_its_decisions_names_a_type_again(path):
    found = [line.strip() for line in (ROOT / path).read_text(encoding="utf-8").splitlines()
             if TYPE_SWITCH.search(line)]
    assert found == []
