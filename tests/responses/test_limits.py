"""A supplier's draft cannot break or stall anyone's page (issue 11, security item 4).

Each question type's limits hold at every save, also of a draft: the part beyond them gets
a message at its field and keeps what was stored, the rest of the page is saved. Values
stored before the limits existed, or written by hand, are shown bounded on every page.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import pytest

from portal.models import Answer, AuditEvent, Response, Submission, utcnow
from portal.questionnaires import engine
from portal.questionnaires.definition import load_definition, shipped_definitions
from tests.conftest import csrf_token

ROWS = 20_000
BIG = "x" * 10_000_000
SECONDS = 10  # well below gunicorn's 30 s timeout; before the fix these pages took minutes or failed


def _section(client: Any, response: Response, section: str) -> str:
    return f"/responses/{response.id}/sections/{section}"


def _answers(db: Any) -> dict[str, Any]:
    db.session.expire_all()
    return {a.question_id: a.value for a in db.session.query(Answer).all()}


@pytest.fixture
def supplier_response(client, login_as, make_response, db):
    user = login_as("supplier")
    response = make_response(user.supplier, social_dialogue=True)
    db.session.commit()
    return user, response


def test_a_huge_exponent_is_refused_at_save_and_the_rest_of_the_page_is_saved(client, supplier_response, db):
    _user, response = supplier_response
    path = _section(client, response, "B")
    reply = client.post(path, data={"csrf_token": csrf_token(client, path), "present-B5": "1",
                                    "q-B5-trained": "1e999999999", "q-B5-total": "40",
                                    "present-B4": "1", "q-B4-answer": "Vi har en rutine."})

    assert reply.status_code == 422
    page = reply.get_data(as_text=True)
    assert "1e999999999" in page
    assert 'aria-invalid="true"' in page
    assert "Skriv et tall mindre enn" in page  # the message, in the supplier's language
    answers = _answers(db)
    assert answers["B4"] == {"answer": "Vi har en rutine."}
    assert answers["B5"] == {"total": "40"}
    assert client.get(path).status_code == 200


def test_a_table_beyond_its_maximum_is_refused_quickly(client, supplier_response, db):
    _user, response = supplier_response
    path = _section(client, response, "C")
    data: dict[str, Any] = {"csrf_token": csrf_token(client, path), "present-C5": "1",
                            "q-C5-sites-rows": [f"r{n:05d}" for n in range(ROWS)],
                            "present-C6": "1", "q-C6-answer": "80"}
    for n in range(ROWS):
        data[f"q-C5-sites-r{n:05d}-site_name"] = f"Fabrikk {n}"
    body = urlencode(data, doseq=True)  # encoded before the clock starts: only the server is timed
    started = time.monotonic()
    reply = client.post(path, data=body, content_type="application/x-www-form-urlencoded")

    assert reply.status_code == 422
    assert time.monotonic() - started < SECONDS
    page = reply.get_data(as_text=True)
    assert "Tabellen kan ha høyst 200 rader" in page
    assert page.count('name="q-C5-sites-rows"') == 200  # the rows typed are shown, as many as fit
    answers = _answers(db)
    assert answers["C6"] == {"answer": "80"}
    assert "C5" not in answers


def test_a_text_beyond_its_maximum_is_refused_and_not_copied_into_the_audit_trail(client, supplier_response, db):
    _user, response = supplier_response
    path = _section(client, response, "B")
    long_text = "Rutine. " * 200_000  # 1.6 million characters for a question of at most 4,000
    reply = client.post(path, data={"csrf_token": csrf_token(client, path), "present-B4": "1",
                                    "q-B4-answer": long_text, "present-B5": "1", "q-B5-total": "12"})

    assert reply.status_code == 422
    page = reply.get_data(as_text=True)
    assert "korte ned teksten til høyst 4\u00a0000 tegn (den har 1\u00a0599\u00a0999)" in page
    assert "ble ikke lagret" in page
    assert len(reply.get_data()) < 100_000  # the page shows what fits, not megabytes
    assert "B4" not in _answers(db)
    events = db.session.query(AuditEvent).filter_by(action="answer.changed").all()
    assert [e.field for e in events] == ["B5"]


def test_the_audit_trail_keeps_only_changed_parts_and_bounds_long_values(client, supplier_response, db):
    _user, response = supplier_response
    path = _section(client, response, "C")
    first = "a" * 3900
    client.post(path, data={"csrf_token": csrf_token(client, path), "present-C2": "1",
                            "q-C2-justification": first, "q-C2-risk_areas": []})
    client.post(path, data={"csrf_token": csrf_token(client, path), "present-C2": "1", "rev-C2": "1",
                            "q-C2-justification": first + "b"})

    changed = db.session.query(AuditEvent).filter_by(action="answer.changed", field="C2") \
        .order_by(AuditEvent.id).all()
    assert len(changed) == 2
    after = changed[-1].after["justification"]
    assert set(changed[-1].after) == set(changed[-1].before) == {"justification"}
    assert len(after) < 2200
    assert "3901" in after
    assert "sha256" in after


def _absurd_answers(ids: list[str]) -> dict[str, Any]:
    rows = [{"_id": f"r{n:05d}", "site_name": f"Fabrikk {n}", "workers_total": "NaN"} for n in range(ROWS)]
    return {
        "A1": {"name": BIG, "job_title": 12, "email": ["not", "a", "string"]},
        "A2": {"answer": {"a": "dict"}},
        "A3": {"url": "http://[::1" + "x" * 5000, "date": "9" * 100},
        "B2": {"answer": "not-a-list"},
        "B4": {"answer": BIG},
        "B5": {"trained": "1e999999999", "total": "Infinity"},
        "C5": {"sites": rows},
        "C6": {"answer": "-NaN"},
        "E2": {"count": 1e308},
        "E3": {"answer": "yes", "deviations": {"a": "dict where a list belongs"}},
        "F2": {"received": "sNaN", "answered_on_time": "abc" * 1000},
        "G3": {"count": "1e-999999999"},
        "H1": {"sites": [f"r{n:05d}" for n in range(ROWS)], "share": "1" * 5000},
        "H2": {"sites": [["a", "list"], "of", None, {"_id": 5}]},
        "H6": ["a", "list", "where", "a", "mapping", "belongs"],
        "I1": {"confirm": ["a", "list"]},
        "D1": None,
        **{qid: "a string" for qid in ids},
    }


def test_every_page_renders_absurd_stored_values_quickly(app, client, make, make_response, login_as, db):
    supplier = make.supplier()
    response = make_response(supplier, social_dialogue=True, status="in_progress")
    reviewer = make.user(role="reviewer")
    for question_id, value in _absurd_answers(["D2"]).items():
        response.answers.append(Answer(question_id=question_id, value=value, updated_at=utcnow()))
    submitted = make_response(make.supplier(), social_dialogue=True, status="submitted", year=2024)
    submitted.submissions.append(Submission(number=1, answers=_absurd_answers(["D3"]), files=[],
                                            submitted_at=utcnow(), submitted_by=reviewer, locale="nb"))
    second = make_response(make.supplier(), social_dialogue=True, status="resubmitted", year=2023)
    second.submissions.append(Submission(number=1, answers={"B4": {"answer": "Før"}}, files=[],
                                         submitted_at=utcnow(), submitted_by=reviewer, locale="nb"))
    second.submissions.append(Submission(number=2, answers=["a", "list"], files=[],  # type: ignore[arg-type]
                                         submitted_at=utcnow(), submitted_by=reviewer, locale="nb"))
    db.session.add(AuditEvent(action="answer.changed", object_type="Response", object_id=response.id,
                              buyer_id=response.agreement.buyer_id, field="B4", before={"answer": BIG}, after=[BIG, {"deep": [[[[[[[BIG]]]]]]]}]))
    db.session.commit()

    def timed(path: str) -> Any:
        started = time.monotonic()
        reply = client.get(path)
        assert reply.status_code == 200, (path, reply.status_code)
        assert time.monotonic() - started < SECONDS, path
        # A full table of 200 sites, each with its country list, is about 5 MB; 20,000 rows were 100 times that.
        assert len(reply.get_data()) < 8_000_000, path
        return reply

    client.post("/logout", data={"csrf_token": csrf_token(client, "/accessibility")})
    login_as("supplier", supplier=supplier)
    timed(f"/responses/{response.id}")
    for section in "ABCDEFGHI":
        timed(_section(client, response, section))
    timed(f"/responses/{response.id}/submit")

    client.post("/logout", data={"csrf_token": csrf_token(client, "/accessibility")})
    login_as("reviewer")
    for target in (response, submitted, second):
        timed(f"/review/responses/{target.id}")
        timed(f"/review/responses/{target.id}/history")
        timed(f"/responses/{target.id}")
    history = timed(f"/review/responses/{response.id}/history").get_data(as_text=True)
    assert "sha256" in history
    timed("/review")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/accessibility")})
    login_as("admin")
    assert "sha256" in timed("/review/audit").get_data(as_text=True)


def test_the_receipt_renders_absurd_stored_values(app, make, make_response, db):
    from portal.responses.services import store_receipt

    response = make_response(make.supplier(), social_dialogue=True, status="submitted")
    submission = Submission(number=1, answers=_absurd_answers(["D3"]), files=[], submitted_at=utcnow(),
                            locale="nb")
    response.submissions.append(submission)
    db.session.flush()
    definition = load_definition(shipped_definitions()[0])
    sections = engine.sections_for_agreement(definition, response.agreement)

    store_receipt(response, definition, sections, submission)

    assert submission.receipt_name
    assert submission.receipt_sha256
