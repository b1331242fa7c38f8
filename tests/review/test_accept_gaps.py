"""Accepting with questions still unjudged asks first and says which (issue 15): the
4.A.2 figure an acceptance adds must mean a real review, or say in the trail that it did not."""

from __future__ import annotations

import re

from portal.models import AuditEvent, FollowUpActivity, Response
from portal.questionnaires import engine
from portal.review import services
from tests.auth.helpers import post, text, tr
from tests.review.helpers import accept, save_verdicts


def _scored_shown(response: Response) -> list[str]:
    _definition, sections = services.definition_and_sections(response)
    answers = services.reviewed_answers(response).answers
    return [q.id for s in sections for q in s.questions
            if q.scored and not q.is_declaration and engine.is_shown(q, answers)]


def _accept_page(client, response):
    return post(client, f"/review/responses/{response.id}/accept")


def test_accepting_with_unjudged_questions_names_them_and_changes_nothing(client, db, submitted, login_as):
    response = submitted()
    login_as("reviewer")
    scored = _scored_shown(response)
    save_verdicts(client, response, {scored[0]: ("meets", "", "")})

    reply = _accept_page(client, response)

    assert reply.status_code == 200
    page = text(reply)
    assert tr("Accept with questions not judged?") in page
    listed = re.findall(r'href="[^"]*#q-([A-Z0-9.]+)"', reply.get_data(as_text=True))
    assert listed == scored[1:]
    db.session.expire_all()
    assert db.session.get(Response, response.id).status == "submitted"
    assert db.session.query(FollowUpActivity).count() == 0


def test_accepting_anyway_records_which_questions_were_left_unjudged(client, db, submitted, login_as):
    response = submitted()
    login_as("reviewer")
    scored = _scored_shown(response)
    save_verdicts(client, response, {scored[0]: ("meets", "", "")})

    reply = accept(client, response)

    assert reply.status_code == 302
    db.session.expire_all()
    assert db.session.get(Response, response.id).status == "accepted"
    assert db.session.query(FollowUpActivity).count() == 1
    event = db.session.query(AuditEvent).filter_by(action="response.accepted_with_gaps").one()
    assert event.after == {"unassessed": scored[1:], "unconfirmed_copies": []}


def test_a_confirmation_for_other_gaps_does_not_count(client, db, submitted, login_as):
    response = submitted()
    login_as("reviewer")
    scored = _scored_shown(response)
    first = _accept_page(client, response)
    seen = re.search(r'name="gaps_seen"[^>]*value="([0-9a-f]+)"', first.get_data(as_text=True)).group(1)
    # A colleague judges a question meanwhile: the gaps confirmed are no longer the gaps.
    save_verdicts(client, response, {scored[0]: ("meets", "", "")})

    reply = post(client, f"/review/responses/{response.id}/accept", {"gaps_seen": seen})

    assert reply.status_code == 200
    assert tr("Accept with questions not judged?") in text(reply)
    db.session.expire_all()
    assert db.session.get(Response, response.id).status == "submitted"


def test_a_fully_judged_response_is_accepted_at_once(client, db, submitted, login_as):
    response = submitted()
    login_as("reviewer")
    save_verdicts(client, response, {qid: ("meets", "", "") for qid in _scored_shown(response)})

    reply = _accept_page(client, response)

    assert reply.status_code == 302
    db.session.expire_all()
    assert db.session.get(Response, response.id).status == "accepted"
    assert db.session.query(AuditEvent).filter_by(action="response.accepted_with_gaps").count() == 0


def test_a_forged_confirmation_is_asked_again(client, db, submitted, login_as):
    response = submitted()
    login_as("reviewer")

    reply = post(client, f"/review/responses/{response.id}/accept", {"gaps_seen": "0" * 32})

    assert reply.status_code == 200
    db.session.expire_all()
    assert db.session.get(Response, response.id).status == "submitted"
