"""Correcting and withdrawing follow-up activities, with the reason in the trail."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from portal import clock
from portal.models import AuditEvent, FollowUpActivity
from portal.reports import queries
from tests.auth.helpers import post, text


def _activity(db, make, day=date(2025, 3, 4), kind="status_meeting"):
    supplier = make.supplier(name="Møte AS")
    agreement = make.agreement(suppliers=[supplier], start_date=date(2024, 1, 1), end_date=None)
    activity = FollowUpActivity(kind=kind, date=day, agreement_id=agreement.id,
                                supplier_id=supplier.id, buyer_id=agreement.buyer_id, notes="Møte")
    db.session.add(activity)
    db.session.commit()
    return activity


def _suppliers(db, year, reviewer):
    from portal.tenancy import scope_to

    scope_to(db.session(), reviewer.buyer_id)
    try:
        return queries.follow_up(year, clock.today()).suppliers
    finally:
        scope_to(db.session(), None)


def test_a_wrong_date_is_corrected_and_the_trail_keeps_before_and_after(client, db, make, login_as):
    activity = _activity(db, make, day=date(2025, 3, 4))
    reviewer = login_as("reviewer", locale="en")
    assert (_suppliers(db, 2024, reviewer), _suppliers(db, 2025, reviewer)) == (0, 1)

    reply = post(client, f"/review/activities/{activity.id}/edit",
                 {"kind": "status_meeting", "date": "2024-03-04", "notes": "Møte",
                  "reason": "Feil år ført"}, token_from=f"/review/activities/{activity.id}/edit")

    assert reply.status_code == 302, text(reply)
    db.session.expire_all()
    assert db.session.get(FollowUpActivity, activity.id).date == date(2024, 3, 4)
    # The supplier moves from 2025's 4.A.2 to 2024's.
    assert (_suppliers(db, 2024, reviewer), _suppliers(db, 2025, reviewer)) == (1, 0)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "activity.edited"))
    assert event.before["date"] == "2025-03-04"
    assert event.after["date"] == "2024-03-04"
    assert event.after["reason"] == "Feil år ført"
    assert event.actor_id == reviewer.id


def test_a_correction_needs_a_reason_and_a_past_date(client, db, make, login_as):
    activity = _activity(db, make)
    login_as("reviewer", locale="en")
    edit = f"/review/activities/{activity.id}/edit"

    no_reason = post(client, edit, {"kind": "status_meeting", "date": "2024-03-04", "reason": ""},
                     token_from=edit)
    future = post(client, edit, {"kind": "status_meeting", "reason": "x",
                                 "date": (clock.today() + timedelta(days=3)).isoformat()},
                  token_from=edit)

    assert no_reason.status_code == 422
    assert "Say why the activity is corrected" in text(no_reason)
    assert "The date cannot be in the future" in text(future)
    db.session.expire_all()
    assert db.session.get(FollowUpActivity, activity.id).date == date(2025, 3, 4)
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "activity.edited")) is None


def test_a_withdrawn_activity_leaves_the_figures_and_stays_in_the_history(client, db, make, login_as):
    activity = _activity(db, make)
    reviewer = login_as("reviewer", locale="en")
    view = f"/review/activities/{activity.id}"

    refused = post(client, f"{view}/withdraw", {"reason": " "}, token_from=view)
    assert refused.status_code == 422
    assert "Say why the activity is withdrawn" in text(refused)

    reply = post(client, f"{view}/withdraw", {"reason": "Registrert på feil leverandør"},
                 token_from=view)

    assert reply.status_code == 302
    db.session.expire_all()
    stored = db.session.get(FollowUpActivity, activity.id)
    assert stored.is_withdrawn
    assert stored.withdrawn_reason == "Registrert på feil leverandør"
    assert _suppliers(db, 2025, reviewer) == 0
    page = text(client.get(view))
    assert "Withdrawn on" in page
    assert "Registrert på feil leverandør" in page
    assert "Withdrawn" in text(client.get("/review/activities?year=2025"))
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "activity.withdrawn"))
    assert event.after["reason"] == "Registrert på feil leverandør"
    # Withdrawn is final: no second withdrawal, no edit.
    again = post(client, f"{view}/withdraw", {"reason": "igjen"}, token_from="/review/activities")
    assert again.status_code == 302
    assert client.get(f"{view}/edit").status_code == 302
    assert db.session.query(AuditEvent).filter_by(action="activity.withdrawn").count() == 1


def test_an_activity_outside_its_agreements_period_is_recorded_with_a_warning(client, db, make, login_as):
    from tests.auth.helpers import flashed
    from tests.conftest import csrf_token

    supplier = make.supplier(name="Tidlig AS")
    agreement = make.agreement(suppliers=[supplier], start_date=date(2025, 3, 1), end_date=None)
    login_as("reviewer", locale="en")

    reply = client.post("/review/activities/new", data={
        "csrf_token": csrf_token(client, "/review/activities/new"), "kind": "status_meeting",
        "date": "2025-02-01", "agreement_id": agreement.id, "supplier_id": supplier.id})

    assert reply.status_code == 302
    assert db.session.query(FollowUpActivity).count() == 1
    assert any("dated outside the agreement's period" in m for m in flashed(client))
