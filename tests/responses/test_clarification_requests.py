"""Returned for clarification: what to answer comes first, with the reviewer's comments; comments on
questions that were not reopened stay secondary."""

from __future__ import annotations

from portal.models import Clarification, QuestionReview


def _returned(make_response, db, login_as):
    user = login_as("supplier")
    response = make_response(user.supplier, status="returned")
    response.reopened_questions = ["B5", "A1"]
    db.session.add(Clarification(response=response, number=1, message="Se på opplæringstallene.",
                                 questions=["A1", "B5"]))
    for question_id, comment in (("A1", "Oppgi en navngitt person."), ("B5", "Tallene stemmer ikke."),
                                 ("B1", "Bra, takk."), ("C1", "Fint.")):
        db.session.add(QuestionReview(response=response, question_id=question_id, comment_to_supplier=comment))
    db.session.commit()
    return response


def test_the_overview_lists_what_to_answer_first_with_the_comments(client, make_response, db, login_as):
    response = _returned(make_response, db, login_as)

    page = client.get(f"/responses/{response.id}").get_data(as_text=True)

    needs = page.split('id="needs-answer-heading"', 1)[1].split("</section>", 1)[0]
    assert page.index('id="needs-answer-heading"') < page.index('id="sections-heading"')
    # In questionnaire order, each linking to its question, with the reviewer's comment.
    assert needs.index(f'/responses/{response.id}/sections/A#q-A1') < needs.index(f'/responses/{response.id}/sections/B#q-B5')
    assert "Oppgi en navngitt person." in needs
    assert "Tallene stemmer ikke." in needs
    assert "Se på opplæringstallene." in needs
    assert "Bra, takk." not in needs
    # The other comments are there, collapsed.
    others = page.split('<details class="section secondary-comments">', 1)[1].split("</details>", 1)[0]
    assert "Bra, takk." in others
    assert "Fint." in others


def test_a_comment_on_a_locked_question_is_collapsed_on_its_part(client, make_response, db, login_as):
    response = _returned(make_response, db, login_as)

    page = client.get(f"/responses/{response.id}/sections/B").get_data(as_text=True)

    b1 = page.split('id="q-B1"', 1)[1].split('id="q-B2"', 1)[0]
    b5 = page.split('id="q-B5"', 1)[1]
    assert '<details class="secondary-comments">' in b1
    assert "Bra, takk." in b1
    assert "ds-alert" not in b1
    assert 'class="ds-alert" data-color="warning"' in b5
    assert "Tallene stemmer ikke." in b5
