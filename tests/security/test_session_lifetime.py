"""Sessions end a fixed time after sign-in however active they are (ASVS 7.3.2), and after
an idle period that is shorter for staff than for suppliers (ASVS 7.3.1).

Time is moved by ageing the timestamps the signed session cookie carries, not the clock.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale, ngettext

from portal.models import Answer, utcnow
from tests.auth.helpers import flashed, isolate_requests, location, redirect_path, tr
from tests.conftest import csrf_token, login

IDLE = "You were signed out after a period of inactivity. Please sign in again."


@pytest.fixture(autouse=True)
def _isolated_requests(app, monkeypatch):
    isolate_requests(app, monkeypatch)


def _lifetime_message(hours: int, locale: str = "nb") -> str:
    with force_locale(locale):
        return ngettext(
            "For your security, a session lasts at most %(num)s hour. Please sign in again.",
            "For your security, a session lasts at most %(num)s hours. Please sign in again.",
            hours,
        )


def _age(client, *, signed_in: timedelta | None = None, idle: timedelta | None = None) -> None:
    """Move the sign-in and the last request of the client's session into the past."""
    now = utcnow()
    with client.session_transaction() as session:
        if signed_in is not None:
            session["signed_in_at"] = (now - signed_in).timestamp()
        if idle is not None:
            session["last_seen"] = (now - idle).timestamp()


@pytest.mark.parametrize("role", ["supplier", "reviewer", "admin"])
def test_a_session_ends_twelve_hours_after_sign_in_however_active(client, login_as, role):
    login_as(role)
    _age(client, signed_in=timedelta(hours=11, minutes=59), idle=timedelta(minutes=1))
    assert client.get("/profile").status_code == 200

    _age(client, signed_in=timedelta(hours=12, minutes=1), idle=timedelta(minutes=1))
    response = client.get("/profile")

    assert response.status_code == 302
    assert location(response) == "/login?next=/profile"
    assert flashed(client) == [_lifetime_message(12)]
    assert redirect_path(client.get("/profile")) == "/login"


def test_the_lifetime_is_a_setting_and_its_message_is_translated(app, client, login_as):
    app.config["SESSION_MAX_AGE_HOURS"] = 1
    login_as("supplier", locale="en")
    _age(client, signed_in=timedelta(minutes=61), idle=timedelta(seconds=5))

    client.get("/profile")

    assert flashed(client) == [_lifetime_message(1, "en")]
    assert flashed(client)[0] != _lifetime_message(1, "nb")
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)


def test_signing_in_again_starts_a_new_lifetime(client, login_as):
    user = login_as("reviewer")
    _age(client, signed_in=timedelta(hours=13), idle=timedelta(minutes=1))
    assert client.get("/profile").status_code == 302

    assert login(client, user.email).status_code == 302

    assert client.get("/profile").status_code == 200


def test_a_session_without_a_sign_in_time_is_ended(client, login_as):
    login_as("reviewer")
    with client.session_transaction() as session:
        del session["signed_in_at"]

    assert redirect_path(client.get("/profile")) == "/login"


@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_staff_are_signed_out_after_30_idle_minutes(client, login_as, role):
    login_as(role)
    _age(client, idle=timedelta(minutes=29))
    assert client.get("/profile").status_code == 200

    _age(client, idle=timedelta(minutes=31))
    response = client.get("/profile")

    assert redirect_path(response) == "/login"
    assert flashed(client) == [tr(IDLE)]


def test_suppliers_keep_a_longer_idle_timeout(app, client, login_as):
    login_as("supplier")
    minutes = int(app.config["IDLE_TIMEOUT_MINUTES"])
    assert minutes > int(app.config["STAFF_IDLE_TIMEOUT_MINUTES"])
    _age(client, idle=timedelta(minutes=31))
    assert client.get("/profile").status_code == 200
    _age(client, idle=timedelta(minutes=minutes - 1))
    assert client.get("/profile").status_code == 200

    _age(client, idle=timedelta(minutes=minutes + 1))

    assert redirect_path(client.get("/profile")) == "/login"
    assert flashed(client) == [tr(IDLE)]


def test_input_sent_after_the_lifetime_ended_is_restored_after_sign_in(client, login_as, make_response, db):
    user = login_as("supplier")
    response = make_response(user.supplier)
    db.session.commit()
    path = f"/responses/{response.id}/sections/B"
    token = csrf_token(client, path)
    _age(client, signed_in=timedelta(hours=12, minutes=1), idle=timedelta(minutes=2))

    reply = client.post(path, data={"csrf_token": token, "present-B4": "1", "q-B4-answer": "Skrevet sent"})

    assert reply.status_code == 302
    assert location(reply) == f"/login?next={path}"
    assert db.session.query(Answer).count() == 0
    assert login(client, user.email).status_code == 302
    assert "Skrevet sent" in client.get(path).get_data(as_text=True)


def test_activity_is_recorded_to_the_minute_so_a_busy_session_keeps_its_cookie(client, login_as):
    """The idle clock moves at most once a minute: a page opened seconds after the last one
    neither changes the session nor sends its cookie again; one opened later does both."""
    login_as("supplier")
    client.get("/profile")  # the first page also keeps the session's CSRF token
    _age(client, idle=timedelta(seconds=10))
    with client.session_transaction() as session:
        seen = session["last_seen"]

    quick = client.get("/profile")

    assert quick.status_code == 200
    assert "Set-Cookie" not in quick.headers
    with client.session_transaction() as session:
        assert session["last_seen"] == seen

    _age(client, idle=timedelta(minutes=2))
    later = client.get("/profile")

    assert later.status_code == 200
    assert "Set-Cookie" in later.headers
    with client.session_transaction() as session:
        assert utcnow().timestamp() - session["last_seen"] < 60
