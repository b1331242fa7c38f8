"""A section save costs a fixed, small number of SQL statements, and none after the commit.

The load benchmark (bench/load_bench.py) found a save running 22 statements, 8 of them
after the commit: the user loaded again to choose the language of the flash, the response
and its collections loaded again to build the redirect. Each statement is a round trip
while the request holds a worker. The budget was 12; it is now 7 (bench/request_cost.py):
the user, the response with its round, questionnaire, agreement and supplier, its answers,
the audit event, the answer written, the response marked started (a first save only) and
the input kept at sign-out removed. Neither the evidence files nor the submissions are read
by a save that does not touch a file; nothing runs after the commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from portal.models import Answer, PendingInput
from portal.questionnaires import engine
from tests.conftest import HOUSEKEEPING, csrf_token

BUDGET = 7


@contextmanager
def _statements_around_commit(db: Any) -> Iterator[tuple[list[str], list[str]]]:
    """Record the statements run inside, split at the session's (outermost) commit."""
    before: list[str] = []
    after: list[str] = []
    committed: list[bool] = []

    def _record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(HOUSEKEEPING):
            (after if committed else before).append(statement)

    def _mark(session: Any) -> None:
        if not session.in_nested_transaction():  # releasing a savepoint fires after_commit too
            committed.append(True)

    event.listen(db.engine, "before_cursor_execute", _record)
    event.listen(db.session, "after_commit", _mark)
    try:
        yield before, after
        assert committed, "the request never committed"
    finally:
        event.remove(db.engine, "before_cursor_execute", _record)
        event.remove(db.session, "after_commit", _mark)


@pytest.fixture
def setting(make: Any, make_response: Any, db: Any, login_as: Any) -> Any:
    user = login_as("supplier")
    response = make_response(user.supplier)
    db.session.commit()
    return user, response, f"/responses/{response.id}/sections/B"


def _save(client: Any, db: Any, path: str, data: dict[str, Any]) -> tuple[Any, list[str], list[str]]:
    token = csrf_token(client, path)
    # The test shares the request's session; a server starts each request with an empty one.
    db.session.remove()
    with _statements_around_commit(db) as (before, after):
        reply = client.post(path, data={"csrf_token": token, **data})
    return reply, before, after


def _report(before: list[str], after: list[str]) -> str:
    return "\n".join(before) + "\n===== after the commit:\n" + "\n".join(after)


def test_a_first_save_stays_within_budget_and_runs_nothing_after_the_commit(client, db, setting):
    _user, response, path = setting
    reply, before, after = _save(client, db, path, {"present-B4": "1", "rev-B4": "", "q-B4-answer": "Vi har en rutine."})
    assert reply.status_code == 302
    assert reply.location.endswith(path)
    assert after == [], _report(before, after)
    assert len(before) <= BUDGET, _report(before, after)
    assert db.session.query(Answer).filter_by(question_id="B4").one().value["answer"] == "Vi har en rutine."
    assert "Lagret." in client.get(path).get_data(as_text=True)  # the flash, in the user's language


def test_changing_an_answer_and_going_on_stays_within_budget(client, db, setting):
    user, response, path = setting
    db.session.add(Answer(response=response, question_id="B4", value={"answer": "Før"}, revision=1,
                          updated_by=user))
    db.session.commit()
    reply, before, after = _save(client, db, path, {"present-B4": "1", "rev-B4": "1", "q-B4-answer": "Etter",
                                                    "action": "next"})
    assert reply.status_code == 302
    assert reply.location.endswith(f"/responses/{response.id}/sections/C")
    assert after == [], _report(before, after)
    assert len(before) <= BUDGET, _report(before, after)
    answer = db.session.query(Answer).filter_by(question_id="B4").one()
    assert (answer.value["answer"], answer.revision) == ("Etter", 2)


def _reads_of(before: list[str], table: str) -> list[str]:
    return [s for s in before if s.lstrip().upper().startswith("SELECT") and f"FROM {table}" in s]


def test_a_save_reads_neither_the_files_nor_the_submissions(client, db, setting):
    user, response, path = setting
    db.session.add(Answer(response=response, question_id="B4", value={"answer": "Før"}, revision=1,
                          updated_by=user))
    response.status = "in_progress"  # started: the save only changes the answer
    db.session.commit()
    reply, before, after = _save(client, db, path, {"present-B4": "1", "rev-B4": "1", "q-B4-answer": "Etter"})
    assert reply.status_code == 302
    assert _reads_of(before, "evidence_file") == [], _report(before, after)
    assert _reads_of(before, "submission") == [], _report(before, after)
    # The user, the response (one statement with its round, questionnaire, agreement and
    # supplier), its answers; the audit event, the answer, the kept input removed.
    assert len(before) == 6, _report(before, after)


def test_a_save_removes_the_input_kept_at_sign_out_in_one_statement(client, db, setting):
    user, response, path = setting
    db.session.add(PendingInput(user_id=user.id, path=path, form={"present-B4": ["1"], "q-B4-answer": ["Sent"]}))
    db.session.add(PendingInput(user_id=user.id, path=f"/responses/{response.id}/sections/C",
                                form={"present-C1": ["1"]}))
    db.session.commit()
    reply, before, after = _save(client, db, path, {"present-B4": "1", "rev-B4": "", "q-B4-answer": "Sent"})
    assert reply.status_code == 302
    assert after == [], _report(before, after)
    assert len(before) <= BUDGET, _report(before, after)
    assert not [s for s in before if s.lstrip().upper().startswith("SELECT") and "pending_input" in s]
    assert [p.path for p in db.session.query(PendingInput).all()] == [f"/responses/{response.id}/sections/C"]
    assert "Du ble logget ut før de siste endringene" not in client.get(path).get_data(as_text=True)


def test_the_last_section_leads_to_the_submit_check_without_a_statement_after_the_commit(client, db, setting):
    _user, response, _path = setting
    definition = engine.definition_of(response.round.questionnaire_version)
    last = engine.sections_for_agreement(definition, response.agreement)[-1]
    path = f"/responses/{response.id}/sections/{last.id}"
    reply, before, after = _save(client, db, path, {"action": "next"})
    assert reply.status_code == 302
    assert reply.location.endswith(f"/responses/{response.id}/submit")
    assert after == [], _report(before, after)
    assert len(before) <= BUDGET, _report(before, after)


def test_the_section_page_reads_no_submission_and_a_fixed_number_of_statements(client, db, setting, count_queries):
    user, response, path = setting
    db.session.add(Answer(response=response, question_id="B4", value={"answer": "Før"}, revision=1,
                          updated_by=user))
    db.session.commit()
    client.get(path)  # the definition parsed and cached, as on a running server
    db.session.remove()
    with count_queries() as counted:
        page = client.get(path)
    assert page.status_code == 200
    assert "Før" in page.get_data(as_text=True)
    assert _reads_of(counted, "submission") == [], "\n".join(counted)
    # The user, the response (with its round, questionnaire, agreement and supplier), its
    # answers, its files, the input kept at sign-out.
    assert len(counted) == 5, "\n".join(counted)
