"""Check your answers: every answer by part with a link to change that part, before the declaration."""

from __future__ import annotations

import re

from portal.models import Answer
from portal.questionnaires import engine
from portal.questionnaires.samples import sample_answers


def test_the_check_page_lists_every_answer_by_part_with_a_change_link(client, make_response, db, login_as):
    user = login_as("supplier")
    response = make_response(user.supplier, variant="simplified")
    definition = engine.definition_of(response.round.questionnaire_version)
    sections = engine.sections_for_agreement(definition, response.agreement)
    for question_id, value in sample_answers(sections).items():
        if question_id != "I1":
            db.session.add(Answer(response=response, question_id=question_id, updated_by=user, value=value))
    db.session.commit()

    page = client.get(f"/responses/{response.id}/submit").get_data(as_text=True)

    answers = page.split('id="answers-heading"', 1)[1].split('id="declaration-heading"', 1)[0]
    for section in sections:
        change = f'href="/responses/{response.id}/sections/{section.id}"'
        if all(q.is_declaration for q in section.questions):
            assert f'id="part-{section.id}"' not in answers  # the declaration comes after, signed now
            continue
        assert f'id="part-{section.id}"' in answers
        assert change in answers, section.id
        for question in section.questions:
            assert f'<span class="question__id">{question.id}</span>' in answers
    assert len(re.findall(r">Endre<span", answers)) == len([s for s in sections
                                                          if not all(q.is_declaration for q in s.questions)])
    # Every question of the sample is answered, and shown as a reader sees it.
    assert "Ikke besvart" not in answers


def test_the_check_page_puts_answers_needing_attention_first(client, make_response, db, login_as):
    user = login_as("supplier")
    response = make_response(user.supplier, variant="simplified")
    db.session.commit()
    page = client.get(f"/responses/{response.id}/submit").get_data(as_text=True)
    assert page.index('id="check-heading"') < page.index('id="answers-heading"') < page.index('id="declaration-heading"')
    assert f'href="/responses/{response.id}/sections/A#q-A1"' in page
