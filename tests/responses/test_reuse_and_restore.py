"""Last year's answers, input kept across an expired session, and the cost of a save."""

from __future__ import annotations

from datetime import date

from portal import clock
from portal.models import Answer, FollowUpRound, Response, Submission
from tests.conftest import csrf_token, login


def test_copied_answers_are_marked_until_confirmed(client, make, make_response, db, login_as, version):
    user = login_as("supplier")
    old = make_response(user.supplier, year=2024, status="accepted")
    source = Submission(response=old, number=1, answers={"B4": {"answer": "Vår rutine fra i fjor"}},
                        files=[], submitted_by=user)
    db.session.add(source)
    new = make_response(user.supplier, year=2025, agreement=old.agreement)
    db.session.commit()
    page = client.get(f"/responses/{new.id}").get_data(as_text=True)
    assert f"/responses/{new.id}/copy" in page
    preview = f"/responses/{new.id}/copy/preview?submission={source.id}"
    reply = client.post(f"/responses/{new.id}/copy",
                        data={"csrf_token": csrf_token(client, preview), "submission": str(source.id)})
    assert reply.status_code == 302
    answer = db.session.query(Answer).filter_by(response_id=new.id, question_id="B4").one()
    assert answer.is_copied
    assert answer.copied_from_submission_id == source.id
    assert answer.value == {"answer": "Vår rutine fra i fjor"}
    path = f"/responses/{new.id}/sections/B"
    assert 'name="confirm-B4"' in client.get(path).get_data(as_text=True)
    client.post(path, data={"csrf_token": csrf_token(client, path), "present-B4": "1",
                            "rev-B4": str(answer.revision), "q-B4-answer": "Vår rutine fra i fjor",
                            "confirm-B4": "1"})
    db.session.expire_all()
    assert not db.session.get(Answer, answer.id).is_copied


def test_input_posted_after_session_expiry_is_restored_after_sign_in(client, make, make_response, db, login_as, app):
    user = login_as("supplier")
    response = make_response(user.supplier)
    db.session.commit()
    path = f"/responses/{response.id}/sections/B"
    token = csrf_token(client, path)
    with client.session_transaction() as session:
        session["last_seen"] = session["last_seen"] - (app.config["IDLE_TIMEOUT_MINUTES"] * 60 + 5)
    reply = client.post(path, data={"csrf_token": token, "present-B4": "1", "q-B4-answer": "Skrevet sent"})
    assert reply.status_code == 302
    assert "/login" in reply.location
    assert db.session.query(Answer).count() == 0
    reply = login(client, user.email)
    page = client.get(path).get_data(as_text=True)
    assert "Skrevet sent" in page
    client.post(path, data={"csrf_token": csrf_token(client, path), "present-B4": "1", "q-B4-answer": "Skrevet sent"})
    assert db.session.query(Answer).filter_by(question_id="B4").one().value["answer"] == "Skrevet sent"
    assert "Skrevet sent" not in client.get(f"/responses/{response.id}/sections/C").get_data(as_text=True)


def _post_section_c(client, path, rows, all_questions):
    data = {"csrf_token": csrf_token(client, path), "present-C5": "1"}
    data["q-C5-sites-rows"] = [f"row{n:04d}" for n in range(rows)]
    for n in range(rows):
        data[f"q-C5-sites-row{n:04d}-site_name"] = f"Fabrikk {n}"
    if all_questions:
        data.update({"present-C1": "1", "q-C1-answer": "yes", "present-C2": "1", "q-C2-justification": "Risiko",
                     "present-C3": "1", "q-C3-answer": "country_indices", "present-C4": "1",
                     "q-C4-answer": "final_only", "present-C6": "1", "q-C6-answer": "80"})
    return data


def test_saving_a_section_costs_the_same_number_of_queries_for_more_answers(
    client, make, make_response, db, login_as, count_queries
):
    user = login_as("supplier")
    small = make_response(user.supplier)
    large = make_response(user.supplier, year=2026)
    db.session.commit()
    counts = []
    for response, rows, everything in ((small, 1, False), (large, 40, True)):
        path = f"/responses/{response.id}/sections/C"
        data = _post_section_c(client, path, rows, everything)
        with count_queries() as statements:
            assert client.post(path, data=data).status_code == 302
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_deadline_and_rounds_are_shown(client, make, make_response, db, login_as):
    user = login_as("supplier")
    response = make_response(user.supplier, deadline=date(2020, 1, 31))
    db.session.commit()
    page = client.get(f"/responses/{response.id}").get_data(as_text=True)
    assert "2020" in page
    assert db.session.get(Response, response.id).is_overdue(clock.today())
    assert db.session.query(FollowUpRound).count() == 1
