"""The question-type registry is the one place for each type (issue 14): every type the
definition format knows has an entry, a translated name, rules in words, and a sample value
that its own check accepts."""

from __future__ import annotations

import random
from datetime import date

import pytest
from flask_babel import force_locale

from portal.questionnaires.definition import PART_TYPES, load_definition, shipped_definitions
from portal.questionnaires.samples import sample_answers
from portal.questionnaires.types import REGISTRY, Context, type_of


def test_every_type_of_the_format_is_registered_once():
    assert set(REGISTRY) == set(PART_TYPES)
    assert all(kind.name == name for name, kind in REGISTRY.items())


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_type_has_a_name_in_both_languages(app, name):
    with app.test_request_context():
        with force_locale("nb"):
            nb = str(REGISTRY[name].label)
        with force_locale("en"):
            en = str(REGISTRY[name].label)
    assert nb
    assert en
    assert name not in (nb, en)  # never the code name


def test_every_sampled_part_of_the_shipped_questionnaires_passes_its_own_check(app):
    with app.test_request_context():
        for path in shipped_definitions():
            definition = load_definition(path)
            answers = sample_answers(definition.sections, seed=5, today=date(2025, 6, 1))
            for section in definition.sections:
                for question in section.questions:
                    for part in question.parts:
                        kind = type_of(part)
                        if not kind.stores_value:
                            assert kind.sample(part, random.Random(1), date(2025, 6, 1), {}, question.id) is None
                            continue
                        value = answers[question.id][part.id]
                        ctx = Context(locale="nb", answers=answers, question_id=question.id)
                        checked = kind.check(value, part, ctx)
                        assert checked.ok, (path.name, question.id, part.id, checked)
                        assert not kind.is_empty(value, part, ctx), (question.id, part.id)
                        assert isinstance(kind.describe(part), list)
