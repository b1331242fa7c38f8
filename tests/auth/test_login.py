"""Signing in and out: redirects, safe ``next``, session rotation, lockout, rate limits, idle expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time

from portal.models import User, utcnow
from tests.auth.helpers import (
    SESSION_COOKIE,
    flashed,
    location,
    post,
    redirect_path,
    reloaded,
    session_cookie,
    sign_in,
    sign_out,
    text,
    tr,
)

WRONG_CREDENTIALS = ("The e-mail address or password is wrong. After many attempts, "
                     "sign-in is paused for a few minutes.")


@pytest.mark.parametrize(("role", "home"), [("supplier", "/company/"), ("reviewer", "/"), ("admin", "/")])
def test_sign_in_lands_on_the_home_page_of_the_role(client, make, db, role, home):
    user = make.user(role=role)
    db.session.commit()

    response = sign_in(client, user.email)

    assert response.status_code == 302
    assert location(response) == home
    assert client.get(home).status_code == 200
    assert reloaded(db, User, user.id).last_login_at is not None


def test_sign_in_ignores_case_and_surrounding_space_in_the_email(client, make, db):
    make.user(role="reviewer", email="kari@example.no")
    db.session.commit()

    response = sign_in(client, "  Kari@Example.NO ")

    assert response.status_code == 302
    assert location(response) == "/"


def test_wrong_password_and_unknown_email_get_the_same_message(client, make, db):
    user = make.user(role="reviewer")
    db.session.commit()

    wrong_password = sign_in(client, user.email, "not the password at all")
    unknown_email = sign_in(client, "nobody@example.no", "not the password at all")

    message = tr(WRONG_CREDENTIALS)
    for response in (wrong_password, unknown_email):
        assert response.status_code == 200
        assert message in text(response)
        assert tr("Error:") in text(response).split(" – ")[0]
    assert text(wrong_password).replace(user.email, "X") == text(unknown_email).replace(
        "nobody@example.no", "X")


def test_sign_in_keeps_the_typed_email_after_a_failure(client, make, db):
    make.user(role="reviewer", email="kari@example.no")
    db.session.commit()

    response = sign_in(client, "kari@example.no", "wrong-password-here")

    assert 'value="kari@example.no"' in response.get_data(as_text=True)
    assert "wrong-password-here" not in response.get_data(as_text=True)


def test_empty_form_asks_for_email_and_password(client, db):
    response = post(client, "/login", {"email": "", "password": ""}, token_from="/login")

    assert response.status_code == 200
    assert tr("Enter your e-mail address") in text(response)
    assert tr("Enter your password") in text(response)


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)",
     "/\t/evil.example", "http:/evil.example", "\\\\evil.example", "evil.example"],
)
def test_next_never_leaves_the_portal(client, make, db, target):
    user = make.user(role="reviewer")
    db.session.commit()

    response = client.post("/login", query_string={"next": target}, data={
        "csrf_token": _token(client), "email": user.email, "password": _password()})

    assert response.status_code == 302
    assert location(response) == "/"


def test_next_within_the_portal_is_followed(client, make, db):
    user = make.user(role="reviewer")
    db.session.commit()

    response = client.post("/login?next=/admin/agreements", data={
        "csrf_token": _token(client), "email": user.email, "password": _password()})

    assert location(response) == "/admin/agreements"


def test_a_protected_page_sends_you_to_sign_in_and_back(client, make, db):
    user = make.user(role="reviewer")
    db.session.commit()

    first = client.get("/admin/agreements?status=active")
    assert first.status_code == 302
    assert redirect_path(first) == "/login"

    response = sign_in(client, user.email, path=location(first))

    assert location(response) == "/admin/agreements?status=active"


def test_signed_in_user_visiting_login_goes_home(client, login_as):
    login_as("supplier")

    response = client.get("/login")

    assert response.status_code == 302
    assert location(response) == "/company/"


def test_session_cookie_changes_at_sign_in(client, make, db):
    user = make.user(role="reviewer")
    db.session.commit()
    client.get("/login")
    before = session_cookie(client)
    assert before is not None

    sign_in(client, user.email)

    after = session_cookie(client)
    assert after is not None
    assert after != before


def test_sign_out_ends_the_session_and_a_copied_cookie_is_dead(app, client, login_as):
    login_as("reviewer")
    stolen = session_cookie(client)
    assert client.get("/profile").status_code == 200

    response = sign_out(client)

    assert response.status_code == 302
    assert location(response) == "/login"
    assert tr("You are signed out.") in flashed(client)
    assert redirect_path(client.get("/profile")) == "/login"
    attacker = app.test_client()
    attacker.set_cookie(SESSION_COOKIE, stolen)
    replay = attacker.get("/profile")
    assert replay.status_code == 302
    assert redirect_path(replay) == "/login"


def test_sign_out_ends_the_users_other_sessions_too(app, client, make, db):
    user = make.user(role="reviewer")
    db.session.commit()
    other_device = app.test_client()
    sign_in(other_device, user.email)
    sign_in(client, user.email)

    sign_out(client)

    assert redirect_path(other_device.get("/profile")) == "/login"


def test_sign_out_by_get_is_not_allowed(client, login_as):
    login_as("reviewer")

    response = client.get("/logout")

    assert response.status_code == 405
    assert client.get("/profile").status_code == 200


def test_rate_limit_per_address_answers_429(app, client, db):
    app.config.update(LOGIN_LIMIT_PER_ADDRESS="3 per minute")

    statuses = [sign_in(client, f"nobody{n}@example.no", "wrong password 123").status_code
                for n in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_deactivated_user_cannot_sign_in(client, make, db):
    user = make.user(role="reviewer", is_active=False)
    db.session.commit()

    response = sign_in(client, user.email)

    assert response.status_code == 200
    assert tr(WRONG_CREDENTIALS) in text(response)
    assert redirect_path(client.get("/profile")) == "/login"


def test_invited_user_without_password_cannot_sign_in(client, make, db):
    user = make.user(role="reviewer", password_hash=None)
    db.session.commit()

    response = sign_in(client, user.email, "")

    assert response.status_code == 200
    assert redirect_path(client.get("/profile")) == "/login"


def test_idle_session_expires_with_a_message(app, client, login_as):
    app.config["STAFF_IDLE_TIMEOUT_MINUTES"] = 5
    login_as("reviewer")
    with client.session_transaction() as session:
        session["last_seen"] = (utcnow() - timedelta(minutes=6)).timestamp()

    response = client.get("/admin/suppliers")

    assert response.status_code == 302
    assert location(response) == "/login?next=/admin/suppliers"
    message = tr("You were signed out after a period of inactivity. Please sign in again.")
    assert message in flashed(client)
    assert message in text(client.get("/login?next=/admin/suppliers"))
    assert redirect_path(client.get("/profile")) == "/login"


def test_idle_expiry_with_frozen_time(app, client, make, db):
    app.config["STAFF_IDLE_TIMEOUT_MINUTES"] = 5
    user = make.user(role="reviewer")
    db.session.commit()

    with freeze_time(utcnow()) as frozen:
        sign_in(client, user.email)
        frozen.tick(timedelta(minutes=4))
        assert client.get("/profile").status_code == 200
        frozen.tick(timedelta(minutes=4))  # 4 minutes since the last request: still alive
        assert client.get("/profile").status_code == 200
        frozen.tick(timedelta(minutes=6))
        response = client.get("/profile")
        assert response.status_code == 302
        assert redirect_path(response) == "/login"


def test_idle_expiry_on_a_post_redirects_to_sign_in(app, client, login_as):
    app.config["STAFF_IDLE_TIMEOUT_MINUTES"] = 5
    login_as("reviewer")
    token = _token(client, "/profile")
    with client.session_transaction() as session:
        session["last_seen"] = (utcnow() - timedelta(minutes=6)).timestamp()

    response = client.post("/profile/language", data={"csrf_token": token, "locale": "en"})

    assert response.status_code == 302
    assert location(response) == "/login"


def _token(client, path="/login"):
    from tests.conftest import csrf_token

    return csrf_token(client, path)


def _password():
    from tests.conftest import PASSWORD

    return PASSWORD


def test_sign_out_keeps_the_users_language(client, login_as):
    login_as("reviewer", locale="en")

    sign_out(client)

    assert flashed(client) == [tr("You are signed out.", "en")]
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)


def test_idle_expiry_speaks_the_users_language(app, client, login_as):
    app.config["STAFF_IDLE_TIMEOUT_MINUTES"] = 5
    login_as("reviewer", locale="en")
    with client.session_transaction() as session:
        session["last_seen"] = (utcnow() - timedelta(minutes=6)).timestamp()

    client.get("/profile")

    assert flashed(client) == [tr("You were signed out after a period of inactivity. Please sign in again.", "en")]
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)
