"""Extending one response's deadline: validation, audit trail, reminder markers, e-mail."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal import clock
from portal.models import AuditEvent, Response, ResponseStatus, utcnow
from portal.rounds import services
from tests.auth.helpers import flashed, location, text
from tests.conftest import post_form


@pytest.fixture
def open_response(db, make, make_round, active_agreement):
    supplier = make.supplier(name="Alfa AS")
    make.user(role="supplier", supplier=supplier, email="kari@alfa.no", locale="en")
    round = make_round(deadline=clock.today() + timedelta(days=10))
    response = services.add_agreement_to_round(round, active_agreement(suppliers=[supplier]), actor=None)[0]
    db.session.commit()
    return response


def _reloaded(db, response_id):
    db.session.expire_all()
    return db.session.get(Response, response_id)


def test_reviewer_extends_a_deadline(client, db, open_response, login_as, sent_mail):
    reviewer = login_as("reviewer", locale="en")
    old = open_response.deadline
    new = old + timedelta(days=14)
    path = f"/responses/{open_response.id}/deadline"

    assert client.get(path).status_code == 200
    response = post_form(client, path, {"new_deadline": new.isoformat(), "reason": "Asked by phone"})

    assert response.status_code == 302
    assert location(response) == f"/rounds/{open_response.round_id}"
    assert _reloaded(db, open_response.id).deadline == new
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "response.deadline_extended"))
    assert event.actor_id == reviewer.id
    assert event.supplier_id == open_response.supplier_id
    assert event.before == {"deadline": old.isoformat()}
    assert event.after["deadline"] == new.isoformat()
    assert event.after["reason"] == "Asked by phone"
    assert [m.to for m in sent_mail] == ["kari@alfa.no"]
    assert new.strftime("%B") in sent_mail[0].subject
    assert "1 e-mail was sent to the supplier." in flashed(client)[0]


@pytest.mark.parametrize(
    ("days_after_current", "reason", "message"),
    [
        (0, "Same day", "The new deadline must be later than the current deadline"),
        (-3, "Earlier", "The new deadline must be later than the current deadline"),
        (5, "", "Say why the deadline is extended"),
        (None, "No date", "Enter the new deadline as yyyy-mm-dd"),
    ],
)
def test_a_deadline_extension_is_validated(client, db, open_response, login_as, days_after_current,
                                           reason, message):
    login_as("reviewer", locale="en")
    new = "" if days_after_current is None else (
        open_response.deadline + timedelta(days=days_after_current)).isoformat()

    response = post_form(client, f"/responses/{open_response.id}/deadline",
                         {"new_deadline": new, "reason": reason})

    assert response.status_code == 200
    assert message in text(response)
    assert _reloaded(db, open_response.id).deadline == open_response.deadline


def test_a_new_deadline_in_the_past_is_refused(client, db, open_response, login_as):
    open_response.deadline = clock.today() - timedelta(days=10)
    db.session.commit()
    login_as("reviewer", locale="en")

    response = post_form(client, f"/responses/{open_response.id}/deadline",
                         {"new_deadline": (clock.today() - timedelta(days=1)).isoformat(), "reason": "x"})

    assert "The new deadline cannot be in the past" in text(response)


def test_a_submitted_response_gets_no_new_deadline(client, db, open_response, login_as):
    open_response.status = ResponseStatus.SUBMITTED.value
    db.session.commit()
    login_as("reviewer", locale="en")

    response = client.get(f"/responses/{open_response.id}/deadline")

    assert response.status_code == 302
    assert flashed(client) == ["Only a response that is not yet submitted can get a later deadline."]
    with pytest.raises(services.DeadlineError):
        services.extend_deadline(open_response, open_response.deadline + timedelta(days=3),
                                 actor=None, reason="x")


def test_the_service_refuses_a_deadline_that_is_not_later(db, open_response):
    with pytest.raises(services.DeadlineError):
        services.extend_deadline(open_response, open_response.deadline, actor=None, reason="x")


def test_extension_re_arms_only_the_reminders_that_lie_ahead_again(db, open_response):
    today = date(2026, 3, 10)
    stamp = utcnow()
    open_response.deadline = today - timedelta(days=1)  # overdue, every reminder sent
    open_response.reminded_14_at = open_response.reminded_3_at = open_response.reminded_overdue_at = stamp

    services.extend_deadline(open_response, today + timedelta(days=10), actor=None, reason="x", today=today)

    assert open_response.reminded_overdue_at is None
    assert open_response.reminded_3_at is None
    assert open_response.reminded_14_at == stamp  # 10 days left: the 14-day reminder still applies

    services.extend_deadline(open_response, today + timedelta(days=30), actor=None, reason="x", today=today)
    assert open_response.reminded_14_at is None


def test_extension_to_a_near_date_keeps_the_3_day_marker(db, open_response):
    today = date(2026, 3, 10)
    stamp = utcnow()
    open_response.deadline = today + timedelta(days=1)
    open_response.reminded_14_at = open_response.reminded_3_at = stamp

    services.extend_deadline(open_response, today + timedelta(days=3), actor=None, reason="x", today=today)

    assert (open_response.reminded_14_at, open_response.reminded_3_at) == (stamp, stamp)
