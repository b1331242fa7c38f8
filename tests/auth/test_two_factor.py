"""Two-factor sign-in with an authenticator app (TOTP) for staff accounts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from freezegun import freeze_time

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
from tests.conftest import PASSWORD, csrf_token

# Mid-step, so that a code never straddles a 30-second boundary while a test runs.
START = datetime(2025, 3, 3, 9, 0, 10, tzinfo=UTC)
WRONG_CODE = "The code is wrong or has expired. Enter the newest code from the app."


def _code(secret, when):
    return pyotp.TOTP(secret).at(when)


def _submit_code(client, path, code):
    return client.post(path, data={"csrf_token": csrf_token(client, path), "code": code})


def _set_up(client, when):
    page = client.get("/profile/two-factor")
    assert page.status_code == 200
    match = re.search(r'class="totp-secret">([A-Z2-7]+)<', page.get_data(as_text=True))
    assert match, "the key is written out on the page"
    secret = match.group(1)
    with client.session_transaction() as session:
        assert session["totp_setup_secret"] == secret
    response = _submit_code(client, "/profile/two-factor", _code(secret, when))
    assert response.status_code == 302, text(response)
    return secret


@pytest.fixture
def frozen():
    with freeze_time(START) as frozen:
        yield frozen


def test_reviewer_turns_on_two_factor_and_is_asked_for_a_code_at_sign_in(app, client, make, db, frozen):
    user = make.user(role="reviewer")
    db.session.commit()
    sign_in(client, user.email)

    secret = _set_up(client, START)

    assert reloaded(db, User, user.id).is_totp_enabled
    browser = app.test_client()
    first_step = sign_in(browser, user.email)
    assert first_step.status_code == 302
    assert location(first_step) == "/login/two-factor"
    # The password alone does not sign in.
    assert redirect_path(browser.get("/profile")) == "/login"

    frozen.tick(timedelta(seconds=30))
    response = _submit_code(browser, "/login/two-factor", _code(secret, START + timedelta(seconds=30)))

    assert response.status_code == 302
    assert location(response) == "/"
    assert browser.get("/profile").status_code == 200


def test_wrong_setup_code_does_not_turn_it_on(client, login_as, db, frozen):
    user = login_as("admin")
    client.get("/profile/two-factor")

    response = _submit_code(client, "/profile/two-factor", "000000")

    assert response.status_code == 200
    assert tr(WRONG_CODE) in text(response)
    assert not reloaded(db, User, user.id).is_totp_enabled


def test_a_wrong_code_is_refused_at_sign_in(app, client, login_as, db, frozen):
    user = login_as("reviewer")
    secret = _set_up(client, START)
    frozen.tick(timedelta(seconds=30))
    browser = app.test_client()
    sign_in(browser, user.email)

    right = _code(secret, START + timedelta(seconds=30))
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = _submit_code(browser, "/login/two-factor", wrong)

    assert response.status_code == 200
    assert tr(WRONG_CODE) in text(response)
    assert redirect_path(browser.get("/profile")) == "/login"


def test_a_code_that_is_not_six_digits_is_refused(app, client, login_as, db, frozen):
    user = login_as("reviewer")
    _set_up(client, START)
    browser = app.test_client()
    sign_in(browser, user.email)

    response = _submit_code(browser, "/login/two-factor", "12ab56")

    assert response.status_code == 200
    assert tr("The code has exactly six digits, like 123456") in text(response)
    assert 'value="12ab56"' in markup(response)


def test_a_used_code_cannot_be_replayed(app, client, login_as, db, frozen):
    user = login_as("reviewer")
    secret = _set_up(client, START)
    frozen.tick(timedelta(seconds=30))
    code = _code(secret, START + timedelta(seconds=30))
    first = app.test_client()
    sign_in(first, user.email)
    assert _submit_code(first, "/login/two-factor", code).status_code == 302

    second = app.test_client()
    sign_in(second, user.email)
    replay = _submit_code(second, "/login/two-factor", code)

    assert replay.status_code == 200
    assert tr(WRONG_CODE) in text(replay)
    assert redirect_path(second.get("/profile")) == "/login"


def test_the_setup_code_cannot_be_replayed_at_sign_in(app, client, login_as, db, frozen):
    user = login_as("reviewer")
    secret = _set_up(client, START)
    browser = app.test_client()
    sign_in(browser, user.email)

    response = _submit_code(browser, "/login/two-factor", _code(secret, START))

    assert response.status_code == 200
    assert tr(WRONG_CODE) in text(response)


def test_the_second_step_expires_after_a_few_minutes(app, client, login_as, db, frozen):
    user = login_as("reviewer")
    secret = _set_up(client, START)
    browser = app.test_client()
    sign_in(browser, user.email)

    token = csrf_token(browser, "/login/two-factor")

    frozen.tick(timedelta(minutes=6))
    late = START + timedelta(minutes=6)
    response = browser.post("/login/two-factor", data={"csrf_token": token, "code": _code(secret, late)})

    assert response.status_code == 302
    assert location(response) == "/login"
    assert redirect_path(browser.get("/profile")) == "/login"


def test_next_is_kept_through_the_second_step(app, client, login_as, db, frozen):
    user = login_as("reviewer")
    secret = _set_up(client, START)
    frozen.tick(timedelta(seconds=30))
    browser = app.test_client()

    sign_in(browser, user.email, path="/login?next=/admin/risks")
    response = _submit_code(browser, "/login/two-factor", _code(secret, START + timedelta(seconds=30)))

    assert location(response) == "/admin/risks"


def test_the_second_step_without_a_password_goes_back_to_sign_in(client, db):
    response = client.get("/login/two-factor")

    assert response.status_code == 302
    assert location(response) == "/login"


def test_suppliers_cannot_set_up_two_factor(client, login_as):
    login_as("supplier")

    assert client.get("/profile/two-factor").status_code == 403
    assert post(client, "/profile/two-factor", {"code": "123456"}).status_code == 403


def test_staff_turn_it_off_with_their_password(client, login_as, db, frozen):
    user = login_as("reviewer")
    _set_up(client, START)

    wrong = post(client, "/profile/two-factor/disable", {"current_password": "nope", "confirm": "y"},
                 token_from="/profile")
    assert wrong.status_code == 200
    assert tr("The current password is wrong") in text(wrong)
    assert reloaded(db, User, user.id).is_totp_enabled

    response = post(client, "/profile/two-factor/disable",
                    {"current_password": PASSWORD, "confirm": "y"}, token_from="/profile")

    assert response.status_code == 302
    assert not reloaded(db, User, user.id).is_totp_enabled


@pytest.mark.parametrize("path", ["/", "/profile", "/admin/suppliers", "/admin/agreements", "/accessibility"])
def test_required_two_factor_sends_staff_without_it_to_setup(app, client, login_as, path):
    app.config["REQUIRE_STAFF_2FA"] = True
    login_as("admin")

    response = client.get(path)

    assert response.status_code == 302
    assert location(response) == "/profile/two-factor"


def test_required_two_factor_lets_staff_set_it_up_and_continue(app, client, login_as, frozen):
    app.config["REQUIRE_STAFF_2FA"] = True
    login_as("reviewer")

    page = client.get("/profile/two-factor")
    assert tr("Staff accounts must use two-factor sign-in. Set it up to continue.") in text(page)
    _set_up(client, START)

    assert client.get("/admin/suppliers").status_code == 200


def test_required_two_factor_cannot_be_turned_off(app, client, login_as, db, frozen):
    user = login_as("reviewer")
    _set_up(client, START)
    app.config["REQUIRE_STAFF_2FA"] = True

    response = post(client, "/profile/two-factor/disable",
                    {"current_password": PASSWORD, "confirm": "y"}, token_from="/profile")

    assert response.status_code == 302
    assert reloaded(db, User, user.id).is_totp_enabled


def test_required_two_factor_does_not_concern_suppliers(app, client, login_as):
    app.config["REQUIRE_STAFF_2FA"] = True
    login_as("supplier")

    assert client.get("/company/").status_code == 200


TOO_MANY_FOR_SIGN_IN = "Too many wrong codes. Sign in again with your password to get new attempts."
TOO_MANY_FOR_ACCOUNT = ("Too many wrong codes have been entered for this account. Try again tomorrow, "
                        "or choose a new password with “Forgotten your password?”.")


def _wrong(code):
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_after_too_many_wrong_codes_even_the_right_one_is_refused(app, client, login_as, db, frozen):
    limit = app.config["TWO_FACTOR_MAX_FAILURES_PER_SIGN_IN"]
    user = login_as("reviewer")
    secret = _set_up(client, START)
    frozen.tick(timedelta(seconds=30))
    right = _code(secret, START + timedelta(seconds=30))
    browser = app.test_client()
    sign_in(browser, user.email)
    pending_cookie = browser.get_cookie("aktsom_session").value

    for _ in range(limit - 1):
        response = _submit_code(browser, "/login/two-factor", _wrong(right))
        assert response.status_code == 200
        assert tr(WRONG_CODE) in text(response)
    last = _submit_code(browser, "/login/two-factor", _wrong(right))

    assert last.status_code == 302
    assert location(last) == "/login"
    assert tr(TOO_MANY_FOR_SIGN_IN) in flashed(browser)
    after = browser.post("/login/two-factor", data={"csrf_token": csrf_token(browser), "code": right})
    assert location(after) == "/login"
    # Replaying the cookie of the pending sign-in does not bring the attempts back.
    replay = app.test_client()
    replay.set_cookie("aktsom_session", pending_cookie)
    refused = replay.post("/login/two-factor", data={"csrf_token": csrf_token(replay, "/login/two-factor"),
                                                     "code": right})
    assert location(refused) == "/login"
    assert tr(TOO_MANY_FOR_SIGN_IN) in flashed(replay)
    assert redirect_path(replay.get("/profile")) == "/login"
    assert redirect_path(browser.get("/profile")) == "/login"

    # Starting over with the password gives new attempts.
    sign_in(browser, user.email)
    assert location(_submit_code(browser, "/login/two-factor", right)) == "/"


def test_wrong_codes_over_many_sign_ins_are_capped_per_account(app, client, login_as, db, frozen):
    app.config.update(TWO_FACTOR_MAX_FAILURES_PER_SIGN_IN=3, TWO_FACTOR_MAX_FAILURES_PER_ACCOUNT_PER_DAY=6)
    user = login_as("reviewer")
    secret = _set_up(client, START)
    frozen.tick(timedelta(seconds=30))
    right = _code(secret, START + timedelta(seconds=30))
    for n, address in enumerate(("203.0.113.1", "203.0.113.2")):
        attacker = app.test_client()
        attacker.environ_base["REMOTE_ADDR"] = address
        sign_in(attacker, user.email)
        for _ in range(3):
            _submit_code(attacker, "/login/two-factor", _wrong(right))
        assert tr(TOO_MANY_FOR_ACCOUNT if n else TOO_MANY_FOR_SIGN_IN) in flashed(attacker)

    browser = app.test_client()
    sign_in(browser, user.email)
    refused = _submit_code(browser, "/login/two-factor", right)

    assert location(refused) == "/login"
    assert tr(TOO_MANY_FOR_ACCOUNT) in flashed(browser)
    assert redirect_path(browser.get("/profile")) == "/login"

    frozen.tick(timedelta(days=1, minutes=1))
    later = _code(secret, START + timedelta(days=1, minutes=1))
    sign_in(browser, user.email)
    assert location(_submit_code(browser, "/login/two-factor", later)) == "/"
