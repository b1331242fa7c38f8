"""The audit trail: a response's history, the full log for administrators, append-only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale

from portal import audit, clock
from portal.codes import RESPONSE_STATUSES, VERDICTS
from portal.models import AuditEvent
from portal.review import services
from tests.auth.helpers import post, text, tr
from tests.review.helpers import return_response, save_verdicts


def test_the_response_history_shows_who_changed_what_from_what_to_what(client, db, make, submitted,
                                                                        resubmit, login_as):
    user = make.user(role="supplier", name="Sara Leverandør")
    response = submitted(user=user, answers={"B4": {"answer": "Første svar."}})
    login_as("reviewer", name="Rita Revisor")
    save_verdicts(client, response, {"B4": ("partly", "Utdyp.", "Svakt")})
    return_response(client, response, ["B4"], "Utdyp B4, takk.")
    resubmit(response, user, {"B4": {"answer": "Andre svar."}})

    page = client.get(f"/review/responses/{response.id}/history")

    assert page.status_code == 200
    body = text(page)
    with force_locale("nb"):
        partly, resubmitted = VERDICTS.label("partly"), RESPONSE_STATUSES.label("resubmitted")
    for expected in ("Rita Revisor", "Sara Leverandør", "B4 – ", partly, "Svakt",
                     "Utdyp B4, takk.", "Første svar.", "Andre svar.",
                     tr("Returned for clarification"), resubmitted,
                     tr("Verdict changed")):
        assert expected in body, expected
    for raw in ("B4.verdict", "partly", "resubmitted", "{", "Response 1"):
        assert raw not in body, raw


def _table(reply) -> str:
    page = reply.get_data(as_text=True)
    return page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""


def test_the_audit_log_is_for_administrators_and_filters(client, db, make, submitted, login_as):
    response = submitted()
    first = make.user(role="reviewer", name="Første")
    services.save_verdicts(response, [services.VerdictInput("B1", "meets")], actor=first,
                           today=clock.today())
    db.session.add(AuditEvent(action="old.thing", object_type="Thing", object_id=1,
                              buyer_id=make.default_buyer.id,
                              at=datetime(2020, 1, 1, tzinfo=UTC)))
    db.session.commit()

    login_as("reviewer")
    assert client.get("/review/audit").status_code == 403
    post(client, "/logout")
    login_as("admin")

    everything = _table(client.get("/review/audit"))
    assert tr("Verdict changed") in everything
    old = tr("Other change (%(code)s)", code="old.thing")
    assert old in everything
    by_action = _table(client.get("/review/audit?action=verdict.changed"))
    assert old not in by_action
    assert "B1 – " in by_action
    by_actor = _table(client.get(f"/review/audit?actor={first.id}"))
    assert "B1 – " in by_actor
    assert tr("Response submitted") not in by_actor
    by_type = _table(client.get("/review/audit?object_type=Thing"))
    assert old in by_type
    assert "B1 – " not in by_type
    by_dates = _table(client.get("/review/audit?from=2019-12-31&to=2020-01-01"))
    assert old in by_dates
    assert "B1 – " not in by_dates
    assert client.get("/review/audit?from=nonsense&actor=x&page=99").status_code == 200


def test_the_audit_log_takes_the_last_possible_day(client, db, make, login_as):
    audit.record("test.event", None, actor=None, buyer_id=make.default_buyer.id)
    db.session.commit()
    login_as("admin")

    reply = client.get("/review/audit?from=0001-01-01&to=9999-12-31")

    assert reply.status_code == 200
    assert "test.event" in _table(reply)


def test_the_audit_log_is_paginated(client, db, make, login_as, app):
    for number in range(app.config["PAGE_SIZE"] + 3):
        audit.record(f"test.event{number:03d}", None, actor=None, buyer_id=make.default_buyer.id)
    db.session.commit()
    login_as("admin")

    first, second = client.get("/review/audit"), client.get("/review/audit?page=2")

    assert "test.event000" not in _table(first)
    assert "test.event000" in _table(second)
    assert tr("Page %(number)s of %(pages)s", number=1, pages=2) in text(first)


@pytest.mark.parametrize("path", ["/review/audit", "/review/responses/1/history"])
def test_no_screen_changes_the_audit_trail(client, db, login_as, path):
    login_as("admin")
    assert post(client, path).status_code == 405
    for rule in client.application.url_map.iter_rules():
        if "audit" in rule.rule or "history" in rule.rule:
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule


def test_rows_cannot_be_updated_or_deleted(db, make):
    event = audit.record("test.event", None, actor=None, buyer_id=make.default_buyer.id)
    db.session.commit()
    event.action = "tampered"
    with pytest.raises(PermissionError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(PermissionError):
        db.session.commit()
    db.session.rollback()
