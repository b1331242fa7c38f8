"""Invitations: sent in the invitee's language, single-use, expiring; the invitee completes the account."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from flask_babel import force_locale, ngettext
from freezegun import freeze_time
from sqlalchemy import select

from portal.models import User, utcnow
from tests.auth.helpers import (
    flashed,
    link_in,
    location,
    markup,
    post,
    redirect_path,
    reloaded,
    sign_in,
    text,
    tr,
)

STRONG = "fjord lantern pebble 42"


def _invite(client, supplier_id, email="ny@leverandor.example", locale="en", role="supplier", name=""):
    return post(client, "/admin/users/invite", {
        "email": email, "name": name, "role": role, "supplier_id": supplier_id, "locale": locale,
    }, token_from="/admin/users/invite")


def _accept(client, path, password=STRONG, confirm=None, name="Nora Nilsen", locale="en",
            job_title="Innkjøper"):
    return post(client, path, {
        "name": name, "job_title": job_title, "password": password,
        "confirm": password if confirm is None else confirm, "locale": locale,
    }, token_from=path)


def _invited_user(db, email="ny@leverandor.example"):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


@pytest.fixture
def invitation(app, client, login_as, make, db, sent_mail):
    """An administrator has invited a supplier user (in English); the admin is signed out again."""
    supplier = make.supplier(name="Fjordtekstil AS")
    db.session.commit()
    admin = login_as("admin")
    response = _invite(client, supplier.id)
    assert response.status_code == 302, text(response)
    post(client, "/logout")
    return {"supplier": supplier, "admin": admin, "mail": sent_mail[-1], "path": link_in(sent_mail[-1])}


def test_admin_invites_a_supplier_user_in_the_chosen_language(client, login_as, make, db, sent_mail):
    supplier = make.supplier(name="Fjordtekstil AS")
    db.session.commit()
    login_as("admin")

    response = _invite(client, supplier.id, email="Ny@Leverandor.example", name="Nora")

    assert response.status_code == 302
    assert location(response) == "/admin/users"
    assert tr("An invitation has been sent to %(email)s.", email="ny@leverandor.example") in flashed(client)
    user = _invited_user(db)
    assert (user.role, user.supplier_id, user.locale, user.password_hash) == ("supplier", supplier.id, "en", None)
    assert len(sent_mail) == 1
    mail = sent_mail[0]
    assert mail.to == "ny@leverandor.example"
    municipality = "Testkommune"  # the inviting administrator's buyer
    assert mail.subject == tr("You are invited to Aktsom – %(municipality)s", "en", municipality=municipality)
    assert mail.subject != tr("You are invited to Aktsom – %(municipality)s", "nb", municipality=municipality)
    assert '<html lang="en">' in mail.html
    assert "Fjordtekstil AS" in mail.text
    assert link_in(mail).startswith("/invitation/")


def test_invitation_in_norwegian_is_rendered_in_norwegian(client, login_as, make, db, sent_mail):
    supplier = make.supplier()
    db.session.commit()
    login_as("admin", locale="en")

    _invite(client, supplier.id, locale="nb")

    municipality = "Testkommune"  # the inviting administrator's buyer
    assert sent_mail[0].subject == tr("You are invited to Aktsom – %(municipality)s", "nb",
                                      municipality=municipality)
    assert '<html lang="nb">' in sent_mail[0].html


def test_invitee_sets_name_password_and_language_and_is_signed_in(client, db, invitation):
    page = client.get(invitation["path"])
    assert page.status_code == 200
    assert "ny@leverandor.example" in text(page)

    response = _accept(client, invitation["path"])

    assert response.status_code == 302
    assert location(response) == "/company/"
    assert tr("Welcome to Aktsom. Your account is ready.", "en") in flashed(client)
    home = client.get("/company/")
    assert home.status_code == 200
    assert '<html lang="en">' in home.get_data(as_text=True)
    user = _invited_user(db)
    assert (user.name, user.job_title, user.locale) == ("Nora Nilsen", "Innkjøper", "en")
    assert user.password_hash is not None


def test_invitee_can_sign_in_later_with_the_chosen_password(app, client, db, invitation):
    _accept(client, invitation["path"])
    post(client, "/logout")

    assert redirect_path(sign_in(app.test_client(), "ny@leverandor.example", STRONG)) == "/company/"


def test_invitation_link_works_once(app, client, db, invitation):
    assert _accept(client, invitation["path"]).status_code == 302

    again = app.test_client().get(invitation["path"])

    assert again.status_code == 404
    assert tr("The link does not work") in text(again)


def test_invitation_link_expires(app, client, db, invitation):
    app.config["INVITATION_MAX_AGE_DAYS"] = 7
    with freeze_time(utcnow() + timedelta(days=6, hours=23)):
        assert client.get(invitation["path"]).status_code == 200
    with freeze_time(utcnow() + timedelta(days=7, minutes=1)):
        expired = client.get(invitation["path"])
        assert expired.status_code == 404
        assert tr("The link does not work") in text(expired)
        assert _accept(client, invitation["path"]).status_code in (400, 404)
    assert _invited_user(db).password_hash is None


def test_tampered_invitation_link_is_refused(client, db, invitation):
    response = client.get(invitation["path"][:-2] + "xx")

    assert response.status_code == 404


def test_resent_invitation_replaces_the_earlier_link(client, login_as, db, invitation):
    login_as("admin")
    user = _invited_user(db)
    response = post(client, f"/admin/users/{user.id}/resend", token_from=f"/admin/users/{user.id}")
    assert response.status_code == 302
    post(client, "/logout")

    assert client.get(invitation["path"]).status_code == 404


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short pass", "The password must have at least %(n)s characters"),
        ("ny@leverandor.example", "The password must not be your e-mail address"),
        ("passwordpassword1", "This password is too common and easy to guess. Choose another, "
                              "for example a few unrelated words"),
        ("aktsomaktsom12", "This password is too common and easy to guess. Choose another, "
                           "for example a few unrelated words"),
        ("1qaz2wsx3edc", "This password is too common and easy to guess. Choose another, "
                         "for example a few unrelated words"),
    ],
)
def test_weak_passwords_are_refused(client, db, invitation, password, message):
    response = _accept(client, invitation["path"], password=password)

    assert response.status_code == 200
    assert tr(message, n=12) in text(response)
    assert _invited_user(db).password_hash is None


def test_passwords_must_match_and_typed_values_are_kept(client, db, invitation):
    response = _accept(client, invitation["path"], confirm=STRONG + "x", name="Nora Typed",
                       job_title="Rådgiver")

    assert response.status_code == 200
    assert tr("The two passwords are not the same") in text(response)
    page = markup(response)
    assert 'value="Nora Typed"' in page
    assert 'value="Rådgiver"' in page
    assert STRONG not in page
    assert _invited_user(db).password_hash is None


def test_invitee_must_give_a_name(client, db, invitation):
    response = _accept(client, invitation["path"], name="")

    assert response.status_code == 200
    assert tr("Enter your full name") in text(response)


def test_supplier_user_invites_a_colleague_for_their_own_supplier(client, login_as, db, sent_mail):
    me = login_as("supplier")

    response = post(client, "/company/invite", {"email": "kollega@example.no", "locale": "nb"},
                    token_from="/company/invite")

    assert response.status_code == 302
    assert location(response) == "/company/"
    colleague = _invited_user(db, "kollega@example.no")
    assert colleague.supplier_id == me.supplier_id
    assert colleague.invited_by_id == me.id
    assert [m.to for m in sent_mail] == ["kollega@example.no"]
    assert "kollega@example.no" in text(client.get("/company/"))


SAME_ANSWER = ("If %(email)s can be invited from your company, your colleague gets an e-mail with a link "
               "to create an account. Colleagues who already have an account are listed on this page.")


def _invite_colleague(client, email, name=""):
    return post(client, "/company/invite", {"email": email, "name": name, "locale": "nb"},
                token_from="/company/invite")


def test_the_invite_form_answers_the_same_for_every_address(client, login_as, make, db, sent_mail):
    other = make.user(role="supplier", email="annen@example.no")
    make.user(role="reviewer", email="fag@kommune.example")
    make.user(role="admin", email="admin@kommune.example")
    db.session.commit()
    me = login_as("supplier")
    make.user(role="supplier", supplier=db.session.get(type(me), me.id).supplier, email="aktiv@example.no")
    db.session.commit()

    answers = {}
    for email in ("ukjent@example.no", "annen@example.no", "fag@kommune.example", "admin@kommune.example",
                  "aktiv@example.no"):
        response = _invite_colleague(client, email)
        answers[email] = (response.status_code, location(response), flashed(client))
        client.get("/company/")  # shows, and so consumes, the flashed message

    for email, answer in answers.items():
        assert answer == (302, "/company/", [tr(SAME_ANSWER, email=email)])
    # Only the unknown address was invited; nobody else got mail or changed.
    assert [m.to for m in sent_mail] == ["ukjent@example.no"]
    assert reloaded(db, User, other.id).supplier_id == other.supplier_id
    assert _invited_user(db, "fag@kommune.example").role == "reviewer"


def test_invitations_per_user_and_hour_are_limited(app, client, login_as, db, sent_mail):
    app.config["SUPPLIER_INVITATIONS_PER_HOUR"] = 3
    elsewhere = login_as("admin")  # an account elsewhere: withheld invitations count too
    post(client, "/logout")
    login_as("supplier")

    with freeze_time(utcnow()) as frozen:
        assert _invite_colleague(client, "en@example.no").status_code == 302
        assert _invite_colleague(client, elsewhere.email).status_code == 302
        assert _invite_colleague(client, "tre@example.no").status_code == 302
        refused = _invite_colleague(client, "fire@example.no")

        assert refused.status_code == 429
        with force_locale("nb"):
            message = ngettext("You can send at most %(num)d invitation an hour. Try again later.",
                               "You can send at most %(num)d invitations an hour. Try again later.", 3)
        assert message in text(refused)
        assert 'value="fire@example.no"' in markup(refused)
        assert _invited_user(db, "fire@example.no") is None
        assert [m.to for m in sent_mail] == ["en@example.no", "tre@example.no"]

        frozen.tick(timedelta(hours=1, minutes=1))
        assert _invite_colleague(client, "fire@example.no").status_code == 302
        assert sent_mail[-1].to == "fire@example.no"


def test_the_inviters_text_is_quoted_after_the_services_own(client, login_as, make, db, sent_mail):
    supplier = make.supplier(name="Fjordtekstil AS")
    db.session.commit()
    login_as("supplier", supplier=supplier, name="Per Persen")
    lure = "URGENT: your account is blocked, sign in at https://evil.example now"

    _invite_colleague(client, "kollega@example.no", name=lure)

    mail = sent_mail[0]
    body = mail.text
    assert body.startswith(tr("Hello,"))
    assert lure not in mail.subject
    service_text = tr("Create your account with this link. It works once, for %(days)s days:",
                      days=client.application.config["INVITATION_MAX_AGE_DAYS"])
    attribution = tr("Invited by %(person)s (%(organisation)s).", person="Per Persen",
                     organisation="Fjordtekstil AS")
    assert body.index(service_text) < body.index(attribution) < body.index(f"“{lure}”")
    assert link_in(mail).startswith("/invitation/")
    html_text = html.unescape(re.sub(r"<[^>]+>", " ", mail.html))
    assert html_text.index(service_text) < html_text.index(attribution) < html_text.index(lure)
    assert re.search(r"<blockquote[^>]*>URGENT", mail.html)


def test_admin_reinviting_an_existing_active_user_is_refused(client, login_as, make, db, sent_mail):
    existing = make.user(role="supplier", email="finnes@example.no")
    db.session.commit()
    login_as("admin")

    response = _invite(client, existing.supplier_id, email="Finnes@example.no")

    assert response.status_code == 200
    assert tr("A user with this e-mail address already exists") in text(response)
    assert 'value="Finnes@example.no"' in markup(response)
    assert sent_mail == []


def test_admin_invites_a_reviewer_without_a_supplier(client, login_as, db, sent_mail):
    login_as("admin")

    response = _invite(client, 0, email="fag@kommune.example", role="reviewer", locale="nb")

    assert response.status_code == 302
    user = _invited_user(db, "fag@kommune.example")
    assert (user.role, user.supplier_id) == ("reviewer", None)
    assert len(sent_mail) == 1


def test_supplier_user_invitation_needs_a_supplier(client, login_as, db, sent_mail):
    login_as("admin")

    response = _invite(client, 0, email="ny@example.no", role="supplier")

    assert response.status_code == 200
    assert tr("Choose the supplier the user belongs to") in text(response)
    assert 'value="ny@example.no"' in markup(response)
    assert sent_mail == []


def test_invitation_needs_a_valid_email(client, login_as, make, db, sent_mail):
    supplier = make.supplier()
    db.session.commit()
    login_as("admin")

    response = _invite(client, supplier.id, email="not-an-address")

    assert response.status_code == 200
    assert tr("Enter an e-mail address like name@example.no") in text(response)
    assert 'value="not-an-address"' in markup(response)
