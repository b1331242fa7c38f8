"""Backfilling past follow-up (issue 16 part 3): historical rounds, dated acceptances and
activities recorded afterwards, each marked in the audit trail."""
# The review's ``submitted`` fixture is imported, and then named as the tests' argument.
# ruff: noqa: F811

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.models import AuditEvent, FollowUpActivity, FollowUpRound, Response, ResponseStatus
from portal.reports import queries
from portal.rounds import services
from tests.auth.helpers import flashed, location, post, text
from tests.conftest import post_form
from tests.review.conftest import make_response, submitted  # noqa: F401 - fixtures used here
from tests.review.helpers import accept
from tests.rounds.conftest import add_through_preview

PAST = clock.today().year - 2


def _form(version, **changes):
    values = {"year": str(PAST), "name_nb": f"Oppfølging {PAST}", "name_en": f"Follow-up {PAST}",
              "questionnaire_version_id": str(version.id),
              "deadline": date(PAST, 10, 1).isoformat(), "historical": "y"}
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def test_an_admin_creates_a_historical_round_with_a_past_deadline(client, db, version, login_as):
    admin = login_as("admin", locale="en")

    reply = post_form(client, "/rounds/new", _form(version))

    assert reply.status_code == 302, text(reply)
    round_ = db.session.scalar(select(FollowUpRound))
    assert (round_.year, round_.deadline, round_.is_historical) == (PAST, date(PAST, 10, 1), True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "round.created"))
    assert event.actor_id == admin.id
    assert (event.after["historical"], event.after["backfilled"]) == (True, True)
    page = text(client.get(location(reply)))
    assert "Historical round" in page
    assert f"Entered afterwards for follow-up done in {PAST}" in page


@pytest.mark.parametrize(("changes", "message"), [
    ({"historical": None}, "The deadline cannot be in the past. For follow-up done in a past "
                           "year, mark the round as historical"),
    ({"year": str(clock.today().year), "deadline": (clock.today() + timedelta(days=30)).isoformat()},
     "A historical round is for a past year: enter a year before this one"),
])
def test_a_past_deadline_needs_a_historical_round_of_a_past_year(client, db, version, login_as,
                                                                changes, message):
    login_as("admin", locale="en")

    reply = post_form(client, "/rounds/new", _form(version, **changes))

    assert reply.status_code == 200
    assert message in text(reply)
    assert db.session.scalar(select(func.count(FollowUpRound.id))) == 0


def test_agreements_active_in_the_rounds_year_join_and_no_one_is_mailed(
        client, db, make, make_round, version, login_as, sent_mail):
    supplier = make.supplier(name="Gammel AS")
    ended = make.agreement(name_nb="Avsluttet", start_date=date(PAST - 1, 1, 1),
                           end_date=date(PAST, 12, 31), suppliers=[supplier],
                           contract_condition=True)
    make.user(role="supplier", supplier=supplier)
    historical = make_round(year=PAST, deadline=date(PAST, 10, 1), historical=True)
    normal = make_round(year=clock.today().year, name_nb="Nå", name_en="Now")
    login_as("admin", locale="en")

    assert [a.id for a in db.session.scalars(
        services.joinable_agreements_query(historical, clock.today()))] == [ended.id]
    assert ended.id not in [a.id for a in db.session.scalars(
        services.joinable_agreements_query(normal, clock.today()))]
    page = client.get(f"/rounds/{historical.id}").get_data(as_text=True)
    assert f'value="{ended.id}"' in page

    preview = client.get(f"/rounds/{historical.id}/agreements/preview?agreement_id={ended.id}")
    assert "No e-mail will be sent" in text(preview)
    reply = add_through_preview(client, historical.id, {"agreement_id": ended.id})

    assert reply.status_code == 302, text(reply)
    [response] = db.session.scalars(select(Response).where(Response.round_id == historical.id))
    assert response.agreement_id == ended.id
    assert sent_mail == []  # a historical round invites no one
    # Nor does it remind: its deadline has passed by design.
    assert services.send_due_reminders(clock.today())["emails"] == 0
    assert sent_mail == []


def _historical_response(db, submitted, make):
    supplier = make.supplier(name="Papir AS")
    response = submitted(supplier, year=PAST, deadline=date(PAST, 10, 1))
    response.round.is_historical = True
    db.session.commit()
    return response


def test_a_historical_acceptance_is_dated_within_the_year(client, db, make, submitted, login_as):
    response = _historical_response(db, submitted, make)
    reviewer = login_as("reviewer", locale="en")
    page = text(client.get(f"/review/responses/{response.id}"))
    assert "Date of the acceptance" in page
    assert f"{PAST}-12-31" in client.get(f"/review/responses/{response.id}").get_data(as_text=True)

    reply = accept(client, response, {"accepted_on": f"{PAST}-06-15"})

    assert reply.status_code == 302
    db.session.expire_all()
    activity = db.session.scalar(select(FollowUpActivity))
    assert (activity.date, activity.backfilled, activity.created_by_id) == (
        date(PAST, 6, 15), True, reviewer.id)
    assert db.session.get(Response, response.id).accepted_at.date() == date(PAST, 6, 15)
    dated = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "response.accepted",
                                                       AuditEvent.field == "accepted_on"))
    assert dated.after == {"accepted_on": f"{PAST}-06-15", "backfilled": True}
    created = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "activity.created"))
    assert created.after["backfilled"] is True
    # The buyer's 4.A.2 of that year counts the supplier; as of its 31.12 it is accepted.
    report = queries.year_report(PAST, clock.today(), as_of=date(PAST, 12, 31))
    assert (report.follow_up.suppliers, report.follow_up.activities) == (1, 1)
    assert report.follow_up.funnel.accepted == 1


def test_without_a_date_a_past_rounds_acceptance_is_its_31_december(client, db, make, submitted,
                                                                    login_as):
    response = _historical_response(db, submitted, make)
    login_as("reviewer", locale="en")

    accept(client, response, {"accepted_on": ""})

    activity = db.session.scalar(select(FollowUpActivity))
    assert (activity.date, activity.backfilled) == (date(PAST, 12, 31), True)


@pytest.mark.parametrize(("value", "message"), [
    (f"{PAST + 1}-01-02", f"Date the acceptance within {PAST}, the round's year, and not after "
                          "today. Nothing was changed."),
    (f"{PAST - 1}-12-31", f"Date the acceptance within {PAST}, the round's year, and not after "
                          "today. Nothing was changed."),
    ("15.06.2024", "Enter the date as yyyy-mm-dd"),
])
def test_an_acceptance_date_outside_the_year_is_refused(client, db, make, submitted, login_as,
                                                        value, message):
    response = _historical_response(db, submitted, make)
    login_as("reviewer", locale="en")

    reply = post(client, f"/review/responses/{response.id}/accept", {"accepted_on": value},
                 token_from=f"/review/responses/{response.id}")

    assert reply.status_code == 302
    assert message in flashed(client)
    db.session.expire_all()
    assert db.session.get(Response, response.id).status == ResponseStatus.SUBMITTED.value
    assert db.session.scalar(select(func.count(FollowUpActivity.id))) == 0


def test_a_normal_rounds_acceptance_is_today_whatever_is_posted(client, db, make, submitted,
                                                               login_as):
    response = submitted(make.supplier(name="Vanlig AS"))
    login_as("reviewer", locale="en")
    assert "Date of the acceptance" not in text(client.get(f"/review/responses/{response.id}"))

    accept(client, response, {"accepted_on": "2020-01-01"})

    activity = db.session.scalar(select(FollowUpActivity))
    assert (activity.date, activity.backfilled) == (clock.today(), False)


def test_an_activity_recorded_afterwards_is_marked(client, db, make, login_as):
    from tests.review.test_activities import PDF, _post

    supplier = make.supplier(name="Revisjon AS")
    agreement = make.agreement(suppliers=[supplier], start_date=date(2018, 1, 1))
    login_as("reviewer", locale="en")
    assert "Recorded afterwards" in text(client.get("/review/activities/new"))

    reply = _post(client, {"kind": "site_audit", "date": "2019-05-06", "agreement_id": agreement.id,
                           "supplier_id": supplier.id, "notes": "Revisjon på papir.",
                           "backfilled": "y"}, files=[("rapport.pdf", PDF)])

    assert reply.status_code == 302, text(reply)
    activity = db.session.scalar(select(FollowUpActivity))
    assert (activity.date, activity.backfilled) == (date(2019, 5, 6), True)
    assert [a.original_name for a in activity.attachments] == ["rapport.pdf"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "activity.created"))
    assert event.after["backfilled"] is True
    assert "Recorded afterwards" in text(client.get(f"/review/activities/{activity.id}"))
