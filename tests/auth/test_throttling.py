"""Throttled sign-in (ASVS 2.2.1): failures slow the attacker's address, never keep the owner out.

Failures count per (account, address) and per address; an account is paused for everyone
only when failures come from many addresses, and the e-mailed reset always gets the owner in.
"""

from __future__ import annotations

from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import func, select

from portal.models import Attempt, utcnow
from tests.auth.helpers import flashed, link_in, location, post, sign_in, text, tr

ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"
WRONG = "not the password at all"
NEW_PASSWORD = "otter meadow violin 7"
WRONG_CREDENTIALS = ("The e-mail address or password is wrong. After many attempts, "
                     "sign-in is paused for a few minutes.")
PAUSED = ("Sign-in is paused for a while after many failed attempts. Try again in %(minutes)s minutes, "
          "or choose a new password with “Forgotten your password?” below.")


def _from(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _paused(app):
    return tr(PAUSED, minutes=app.config["LOGIN_FAILURE_WINDOW_MINUTES"])


def _attempts(db, **where):
    db.session.expire_all()
    return db.session.scalar(select(func.count(Attempt.id)).filter_by(**where))


def test_fifty_wrong_passwords_from_one_address_do_not_keep_the_owner_out(app, make, db):
    owner = make.user(role="reviewer", email="fagansvarlig@kommune.example")
    db.session.commit()
    attacker = _from(app, ATTACKER)

    statuses = [sign_in(attacker, owner.email, WRONG).status_code for _ in range(50)]

    assert statuses[:5] == [200] * 5
    assert set(statuses[5:]) == {429}
    response = sign_in(_from(app, OWNER), owner.email)
    assert response.status_code == 302
    assert location(response) == "/"


def test_the_attackers_address_is_paused_even_for_the_right_password(app, make, db):
    owner = make.user(role="reviewer")
    db.session.commit()
    attacker = _from(app, ATTACKER)
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS"]

    with freeze_time(utcnow()) as frozen:
        for _ in range(limit):
            assert tr(WRONG_CREDENTIALS) in text(sign_in(attacker, owner.email, WRONG))
        paused = sign_in(attacker, owner.email)

        assert paused.status_code == 429
        assert _paused(app) in text(paused)
        assert attacker.get("/profile").status_code == 302

        frozen.tick(timedelta(minutes=app.config["LOGIN_FAILURE_WINDOW_MINUTES"] + 1))
        assert location(sign_in(attacker, owner.email)) == "/"


def test_known_and_unknown_addresses_are_paused_alike(app, make, db):
    owner = make.user(role="reviewer", email="kari@example.no")
    db.session.commit()
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS"]
    responses = {}
    for email in ("kari@example.no", "nobody@example.no"):
        client = _from(app, ATTACKER)
        for _ in range(limit):
            sign_in(client, email, WRONG)
        responses[email] = sign_in(client, email, WRONG)

    known, unknown = responses[owner.email], responses["nobody@example.no"]
    assert known.status_code == unknown.status_code == 429
    assert text(known).replace(owner.email, "X") == text(unknown).replace("nobody@example.no", "X")


def test_many_failures_from_one_address_pause_it_for_every_account(app, make, db):
    app.config.update(LOGIN_MAX_FAILURES_PER_ADDRESS=6)
    owner = make.user(role="supplier")
    db.session.commit()
    attacker = _from(app, ATTACKER)

    for n in range(6):
        assert sign_in(attacker, f"guess{n}@example.no", WRONG).status_code == 200

    assert sign_in(attacker, owner.email).status_code == 429
    assert sign_in(_from(app, OWNER), owner.email).status_code == 302


def test_failures_from_the_owners_address_are_forgotten_after_success(app, make, db):
    owner = make.user(role="reviewer")
    db.session.commit()
    browser = _from(app, OWNER)
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS"]

    for _ in range(limit - 1):
        sign_in(browser, owner.email, WRONG)
    assert sign_in(browser, owner.email).status_code == 302

    assert _attempts(db, account=owner.email, address=OWNER) == 0


def test_failures_from_many_addresses_pause_the_account_and_the_reset_gets_the_owner_in(
        app, make, db, sent_mail):
    owner = make.user(role="reviewer", email="fagansvarlig@kommune.example")
    db.session.commit()
    for n in range(app.config["LOGIN_PAUSE_AFTER_ADDRESSES"]):
        assert sign_in(_from(app, f"192.0.2.{n + 1}"), owner.email, WRONG).status_code == 200

    owner_browser = _from(app, OWNER)
    paused = sign_in(owner_browser, owner.email)
    assert paused.status_code == 429
    assert _paused(app) in text(paused)

    # The attacker cannot block the reset: its limits count per address.
    attacker = _from(app, ATTACKER)
    statuses = {post(attacker, "/password/forgot", {"email": owner.email}, token_from="/password/forgot"
                     ).status_code for _ in range(25)}
    assert 429 in statuses
    del sent_mail[:]

    asked = post(owner_browser, "/password/forgot", {"email": owner.email}, token_from="/password/forgot")
    assert asked.status_code == 302
    assert [m.to for m in sent_mail] == [owner.email]
    path = link_in(sent_mail[0])
    reset = post(owner_browser, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, token_from=path)
    assert reset.status_code == 302
    assert tr("Your password is changed. Sign in with the new password.") in flashed(owner_browser)

    assert location(sign_in(owner_browser, owner.email, NEW_PASSWORD)) == "/"
    assert _attempts(db, account=owner.email) == 0
