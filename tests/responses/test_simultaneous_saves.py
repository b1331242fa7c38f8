"""Two saves at the same moment, and a database that stops answering.

A colleague's save that commits between this request's read and its write must not be
overwritten silently (the load benchmark found that it was). The tests make that happen
deterministically: they wrap ``services.save_answers`` so that, after the request has read
the answers, the colleague's row is written with Core (as another connection would have
committed it), and only then does the request write.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import insert, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from portal.models import Answer, AuditEvent
from portal.responses import services
from tests.conftest import csrf_token


@pytest.fixture
def setting(make: Any, make_response: Any, db: Any, login_as: Any) -> Any:
    user = login_as("supplier")
    response = make_response(user.supplier)
    colleague = make.user(role="supplier", supplier=user.supplier, name="Kari Kollega")
    db.session.commit()
    return user, response, colleague


def _colleague_writes_first(monkeypatch: Any, db: Any, write: Any) -> None:
    original = services.save_answers

    def racing(response: Any, *args: Any, **kwargs: Any) -> Any:
        list(response.answers)  # this request has read the answers ...
        write(response)  # ... when the colleague's save commits
        return original(response, *args, **kwargs)

    monkeypatch.setattr(services, "save_answers", racing)


def _answer(db: Any, question_id: str) -> Answer:
    db.session.expire_all()
    return db.session.query(Answer).filter_by(question_id=question_id).one()


def test_change_saved_by_a_colleague_in_the_same_moment_is_a_conflict(client, db, setting, monkeypatch):
    _user, response, colleague = setting
    db.session.add(Answer(response=response, question_id="B4", value={"answer": "Første tekst"}, revision=1))
    db.session.commit()
    _colleague_writes_first(monkeypatch, db, lambda r: db.session.execute(
        update(Answer.__table__).where(Answer.__table__.c.question_id == "B4")
        .values(value={"answer": "Kari sin tekst"}, revision=2, updated_by_id=colleague.id)))
    path = f"/responses/{response.id}/sections/B"
    reply = client.post(path, data={"csrf_token": csrf_token(client, path), "present-B4": "1", "rev-B4": "1",
                                    "q-B4-answer": "Min tekst"})
    assert reply.status_code == 409
    page = reply.get_data(as_text=True)
    assert "Kari sin tekst" in page
    assert "Min tekst" in page
    assert 'name="rev-B4" value="2"' in page  # saving again from here is a deliberate choice
    answer = _answer(db, "B4")
    assert (answer.value["answer"], answer.revision) == ("Kari sin tekst", 2)
    assert db.session.query(AuditEvent).filter_by(action="answer.changed").count() == 0


def test_first_answer_written_by_both_in_the_same_moment_is_a_conflict(client, db, setting, monkeypatch):
    _user, response, colleague = setting
    _colleague_writes_first(monkeypatch, db, lambda r: db.session.execute(insert(Answer.__table__).values(
        response_id=r.id, question_id="B4", value={"answer": "Kari sin tekst"}, revision=1,
        is_copied=False, updated_at=r.created_at, updated_by_id=colleague.id)))
    path = f"/responses/{response.id}/sections/B"
    reply = client.post(path, data={"csrf_token": csrf_token(client, path), "present-B4": "1", "rev-B4": "",
                                    "q-B4-answer": "Min tekst", "present-B5": "1", "q-B5-total": "40"})
    assert reply.status_code == 409
    assert "Kari sin tekst" in reply.get_data(as_text=True)
    assert _answer(db, "B4").value["answer"] == "Kari sin tekst"
    assert _answer(db, "B5").value["total"] == "40"  # the rest of the page is saved


def test_without_a_colleague_the_same_save_goes_through(client, db, setting):
    _user, response, _colleague = setting
    db.session.add(Answer(response=response, question_id="B4", value={"answer": "Første tekst"}, revision=1))
    db.session.commit()
    path = f"/responses/{response.id}/sections/B"
    reply = client.post(path, data={"csrf_token": csrf_token(client, path), "present-B4": "1", "rev-B4": "1",
                                    "q-B4-answer": "Min tekst"})
    assert reply.status_code == 302
    answer = _answer(db, "B4")
    assert (answer.value["answer"], answer.revision) == ("Min tekst", 2)


def test_database_that_stops_answering_gets_a_clear_translated_page(client, db, setting, monkeypatch):
    _user, response, _colleague = setting

    def down(*_args: Any, **_kwargs: Any) -> Any:
        raise OperationalError("UPDATE answer", {}, Exception("terminating connection due to administrator command"))

    monkeypatch.setattr(services, "save_answers", down)
    path = f"/responses/{response.id}/sections/B"
    reply = client.post(path, data={"csrf_token": csrf_token(client, path), "present-B4": "1",
                                    "q-B4-answer": "Min tekst"})
    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "5"
    page = reply.get_data(as_text=True)
    assert "Databasen svarer ikke" in page
    assert "ble ikke lagret" in page


def test_error_page_falls_back_to_plain_html_when_the_layout_fails(client, db, setting, monkeypatch):
    _user, response, _colleague = setting
    import portal.errors

    def down(*_args: Any, **_kwargs: Any) -> Any:
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(services, "save_answers", down)
    monkeypatch.setattr(portal.errors, "render_template", down)  # the layout loads the user: down too
    path = f"/responses/{response.id}/sections/B"
    reply = client.post(path, data={"csrf_token": csrf_token(client, path), "present-B4": "1",
                                    "q-B4-answer": "Min tekst"})
    assert reply.status_code == 503
    page = reply.get_data(as_text=True)
    assert page.startswith("<!doctype html>")
    assert '<html lang="nb">' in page
    assert "<h1>Databasen svarer ikke</h1>" in page


def test_other_simultaneous_change_is_a_translated_409(client, db, setting, monkeypatch):
    user, response, _colleague = setting
    user.locale = "en"
    db.session.commit()

    def stale(*_args: Any, **_kwargs: Any) -> Any:
        raise StaleDataError("UPDATE statement on table 'answer' expected to update 1 row(s); 0 were matched.")

    monkeypatch.setattr(services, "save_answers", stale)
    path = f"/responses/{response.id}/sections/B"
    reply = client.post(path, data={"csrf_token": csrf_token(client, path), "present-B4": "1",
                                    "q-B4-answer": "Min tekst"})
    assert reply.status_code == 409
    assert "Changed by someone else at the same moment" in reply.get_data(as_text=True)


def test_signed_in_user_cannot_be_loaded_gives_a_503_page_not_a_bare_500(client, db, setting, monkeypatch):
    """What a PostgreSQL restart does: the first query of the request, loading the user, fails
    (in before_request, in the error page's layout and in the security headers alike)."""
    from portal.extensions import login_manager

    def down(_user_id: str) -> Any:
        raise OperationalError("SELECT user", {}, Exception("the database system is shutting down"))

    client.get("/company/")  # the user's language (nb) is in the session from here on
    monkeypatch.setattr(login_manager, "_user_callback", down)
    reply = client.get("/company/")
    assert reply.status_code == 503
    page = reply.get_data(as_text=True)
    assert "<h1>Databasen svarer ikke</h1>" in page
    assert reply.headers["Cache-Control"] == "no-store"



def test_connection_lost_at_the_end_of_the_request_does_not_spoil_the_page(app, db, monkeypatch):
    """The page was rendered; closing the session then fails because the server dropped the
    connection (a restart). That used to turn the page into a bare 500 in the teardown.
    (The test client keeps one app context per test, so the teardown is called here.)"""
    from sqlalchemy.orm import Session

    from portal.database import _close_session

    original = Session.close
    calls = []

    def close(self: Session) -> None:
        calls.append(self)
        original(self)  # really closed, so nothing is left open for the next test
        raise OperationalError("ROLLBACK", {}, Exception("terminating connection due to administrator command"))

    broken = db.session()
    monkeypatch.setattr(Session, "close", close)
    _close_session(None)  # does not raise
    monkeypatch.setattr(Session, "close", original)
    assert calls == [broken]
    assert db.session() is not broken  # the next request gets a new session
