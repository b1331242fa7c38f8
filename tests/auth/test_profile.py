"""The profile page: change password (ends the other sessions) and language (screens and e-mails)."""

from __future__ import annotations

from portal.models import User
from tests.auth.helpers import (
    flashed,
    location,
    markup,
    post,
    redirect_path,
    reloaded,
    sign_in,
    text,
    tr,
)
from tests.conftest import PASSWORD

NEW = "harbour quilt thunder 9"


def _change_password(client, current=PASSWORD, new=NEW, confirm=None):
    return post(client, "/profile/password", {
        "current_password": current, "password": new, "confirm": confirm or new,
    }, token_from="/profile")


def test_profile_shows_the_account(client, login_as):
    user = login_as("supplier", name="Per Hansen")

    page = client.get("/profile")

    assert page.status_code == 200
    assert "Per Hansen" in text(page)
    assert user.email in text(page)


def test_change_password_needs_the_current_password(app, client, login_as, db):
    user = login_as("reviewer")

    response = _change_password(client, current="not my password")

    assert response.status_code == 200
    assert tr("The current password is wrong") in text(response)
    assert reloaded(db, User, user.id).password_hash == user.password_hash
    assert client.get("/profile").status_code == 200


def test_change_password_ends_other_sessions_but_keeps_this_one(app, client, make, db):
    user = make.user(role="reviewer")
    db.session.commit()
    other_device = app.test_client()
    sign_in(other_device, user.email)
    sign_in(client, user.email)

    response = _change_password(client)

    assert response.status_code == 302
    assert location(response) == "/profile"
    assert tr("Your password is changed. You have been signed out everywhere else.") in flashed(client)
    assert client.get("/profile").status_code == 200
    assert redirect_path(other_device.get("/profile")) == "/login"
    assert redirect_path(sign_in(app.test_client(), user.email, NEW)) == "/"
    assert sign_in(app.test_client(), user.email, PASSWORD).status_code == 200


def test_new_password_follows_the_policy(client, login_as, db):
    user = login_as("reviewer")

    response = _change_password(client, new="too short")

    assert response.status_code == 200
    assert tr("The password must have at least %(n)s characters", n=12) in text(response)
    assert reloaded(db, User, user.id).password_hash == user.password_hash


def test_new_password_must_not_be_the_email(client, login_as, db):
    user = login_as("reviewer", email="lang.adresse@example.no")

    response = _change_password(client, new="Lang.Adresse@example.no")

    assert response.status_code == 200
    assert tr("The password must not be your e-mail address") in text(response)
    assert reloaded(db, User, user.id).password_hash == user.password_hash


def test_new_passwords_must_match(client, login_as):
    login_as("reviewer")

    response = _change_password(client, confirm=NEW + "!")

    assert response.status_code == 200
    assert tr("The two passwords are not the same") in text(response)
    assert NEW not in markup(response)


def test_change_language_is_saved_and_used_for_pages_and_email(app, client, login_as, db, sent_mail):
    user = login_as("reviewer", locale="nb")
    assert '<html lang="nb">' in client.get("/profile").get_data(as_text=True)

    response = post(client, "/profile/language", {"locale": "en"}, token_from="/profile")

    assert response.status_code == 302
    assert location(response) == "/profile"
    assert reloaded(db, User, user.id).locale == "en"
    assert '<html lang="en">' in client.get("/profile").get_data(as_text=True)
    # A fresh browser with no language preference still gets the saved choice once signed in.
    fresh = app.test_client()
    sign_in(fresh, user.email)
    assert '<html lang="en">' in fresh.get("/profile").get_data(as_text=True)
    # E-mails follow the saved language too.
    post(app.test_client(), "/password/forgot", {"email": user.email}, token_from="/password/forgot")
    assert '<html lang="en">' in sent_mail[-1].html
    assert sent_mail[-1].subject == tr("Reset your password for Aktsom", "en")


def test_change_language_refuses_an_unknown_language(client, login_as, db):
    user = login_as("reviewer", locale="nb")

    response = post(client, "/profile/language", {"locale": "sv"}, token_from="/profile")

    assert response.status_code == 200
    assert reloaded(db, User, user.id).locale == "nb"


def test_profile_needs_sign_in(client, db):
    response = client.get("/profile")

    assert response.status_code == 302
    assert location(response) == "/login?next=/profile"


def test_password_change_is_on_the_audit_trail_against_the_user(client, login_as, db):
    from sqlalchemy import select

    from portal.models import AuditEvent

    user = login_as("reviewer")

    _change_password(client)

    db.session.expire_all()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.password_set"))
    assert (event.object_type, event.object_id, event.actor_id) == ("User", user.id, user.id)
