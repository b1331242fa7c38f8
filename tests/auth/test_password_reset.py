"""Password reset: the same answer for every address, a single-use link, and every old session ended."""

from __future__ import annotations

from datetime import timedelta

from freezegun import freeze_time

from portal.models import User, utcnow
from tests.auth.helpers import (
    flashed,
    link_in,
    location,
    post,
    redirect_path,
    reloaded,
    sign_in,
    text,
    tr,
)
from tests.conftest import PASSWORD

NEW = "otter meadow violin 7"
SENT = ("If the address belongs to an account, we have sent a link to reset the password. "
        "The link works once and for a limited time.")


def _forgot(client, email):
    return post(client, "/password/forgot", {"email": email}, token_from="/password/forgot")


def _reset(client, path, password=NEW, confirm=None):
    return post(client, path, {"password": password, "confirm": confirm or password}, token_from=path)


def test_the_answer_is_the_same_for_a_known_and_an_unknown_address(app, client, make, db, sent_mail):
    user = make.user(role="supplier", locale="en")
    db.session.commit()
    stranger = app.test_client()

    known = _forgot(client, user.email)
    unknown = _forgot(stranger, "nobody@example.no")

    for response, who in ((known, client), (unknown, stranger)):
        assert response.status_code == 302
        assert location(response) == "/login"
        assert flashed(who) == [tr(SENT)]
    assert [m.to for m in sent_mail] == [user.email]
    assert sent_mail[0].subject == tr("Reset your password for Aktsom", "en")
    assert '<html lang="en">' in sent_mail[0].html


def test_no_link_for_a_deactivated_or_unfinished_account(client, make, db, sent_mail):
    inactive = make.user(role="reviewer", is_active=False)
    invited = make.user(role="reviewer", password_hash=None)
    db.session.commit()

    _forgot(client, inactive.email)
    _forgot(client, invited.email)

    assert sent_mail == []


def test_the_link_sets_a_new_password_once(app, client, make, db, sent_mail):
    user = make.user(role="reviewer")
    db.session.commit()
    _forgot(client, user.email)
    path = link_in(sent_mail[0])

    assert client.get(path).status_code == 200
    response = _reset(client, path)

    assert response.status_code == 302
    assert location(response) == "/login"
    assert tr("Your password is changed. Sign in with the new password.") in flashed(client)
    assert sign_in(app.test_client(), user.email, PASSWORD).status_code == 200
    assert redirect_path(sign_in(app.test_client(), user.email, NEW)) == "/"
    used = app.test_client().get(path)
    assert used.status_code == 404
    assert tr("The link to reset the password has expired, has already been used, or is incomplete.") in text(used)


def test_a_reset_ends_every_existing_session(app, client, make, db, sent_mail):
    user = make.user(role="reviewer")
    db.session.commit()
    signed_in_elsewhere = app.test_client()
    sign_in(signed_in_elsewhere, user.email)
    assert signed_in_elsewhere.get("/profile").status_code == 200

    _forgot(client, user.email)
    _reset(client, link_in(sent_mail[0]))

    assert redirect_path(signed_in_elsewhere.get("/profile")) == "/login"


def test_using_one_link_kills_every_other_link(client, make, db, sent_mail):
    user = make.user(role="reviewer")
    db.session.commit()
    _forgot(client, user.email)
    _forgot(client, user.email)
    first, second = (link_in(m) for m in sent_mail)

    _reset(client, second)

    assert client.get(first).status_code == 404


def test_the_link_expires(app, client, make, db, sent_mail):
    app.config["PASSWORD_RESET_MAX_AGE_HOURS"] = 2
    user = make.user(role="reviewer")
    db.session.commit()
    _forgot(client, user.email)
    path = link_in(sent_mail[0])

    with freeze_time(utcnow() + timedelta(hours=2, minutes=1)):
        assert client.get(path).status_code == 404
        assert _reset(client, path).status_code in (400, 404)
    assert reloaded(db, User, user.id).password_hash == user.password_hash


def test_a_reset_link_is_not_an_invitation_link(client, make, db, sent_mail):
    user = make.user(role="reviewer")
    db.session.commit()
    _forgot(client, user.email)
    token = link_in(sent_mail[0]).rsplit("/", 1)[1]

    assert client.get(f"/invitation/{token}").status_code == 404


def test_a_weak_new_password_is_refused(client, make, db, sent_mail):
    user = make.user(role="reviewer", email="kari.nordmann@example.no")
    db.session.commit()
    _forgot(client, user.email)
    path = link_in(sent_mail[0])

    response = _reset(client, path, password="kari.nordmann")

    assert response.status_code == 200
    assert tr("The password must not be your e-mail address") in text(response)
    assert client.get(path).status_code == 200


def test_forgot_password_needs_an_address(client, db, sent_mail):
    response = _forgot(client, "not an address")

    assert response.status_code == 200
    assert tr("Enter an e-mail address like name@example.no") in text(response)
    assert 'value="not an address"' in response.get_data(as_text=True)


def test_known_and_unknown_addresses_cost_the_same_work(app, make, db, sent_mail, monkeypatch):
    from portal import mail, notifications

    calls: list[str] = []
    make_token, render_mail = notifications.make_token, mail.render_mail
    monkeypatch.setattr(notifications, "make_token",
                        lambda *args, **kwargs: calls.append("token") or make_token(*args, **kwargs))
    monkeypatch.setattr(mail, "render_mail",
                        lambda *args, **kwargs: calls.append("render") or render_mail(*args, **kwargs))
    user = make.user(role="reviewer")
    inactive = make.user(role="reviewer", is_active=False)
    db.session.commit()

    work = {}
    for email in (user.email, "nobody@example.no", inactive.email):
        calls.clear()
        assert _forgot(app.test_client(), email).status_code == 302
        work[email] = list(calls)

    assert work[user.email] == ["token", "render"]
    assert work["nobody@example.no"] == work[inactive.email] == work[user.email]
    assert [m.to for m in sent_mail] == [user.email]


def test_the_reset_mail_goes_out_after_the_response(client, make, db, sent_mail):
    from tests.conftest import csrf_token

    user = make.user(role="reviewer")
    db.session.commit()
    token = csrf_token(client, "/password/forgot")

    response = client.post("/password/forgot", data={"csrf_token": token, "email": user.email}, buffered=False)

    assert response.status_code == 302
    assert sent_mail == []
    response.close()
    assert [m.to for m in sent_mail] == [user.email]
