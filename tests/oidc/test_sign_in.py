"""Staff sign in with their buyer's OpenID Connect provider, through the real HTTP flow:
the Flask test client is Aktsom's browser, and the provider is a real process that signs
its ID tokens with its own key (tests/oidc/provider.py)."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, IdentityProvider, User
from portal.oidc import secrets as oidc_secrets
from tests.auth.helpers import flashed, location, redirect_path, reloaded, sign_in, text, tr
from tests.conftest import csrf_token
from tests.oidc.provider import Provider, path_of

SECRET = "provider-client-secret-0123456789"  # noqa: S105 - a test value


def set_up_provider(make: Any, db: Any, provider: Provider, *, buyer: Any = None,
                    domains: str = "kommune.example", **values: Any) -> IdentityProvider:
    buyer = buyer or make.default_buyer
    settings = IdentityProvider(buyer_id=buyer.id, issuer=provider.url, client_id=f"aktsom-{uuid.uuid4().hex[:8]}",
                                client_secret_encrypted=oidc_secrets.encrypt(SECRET),
                                email_domains=domains, **values)
    db.session.add(settings)
    db.session.commit()
    return settings


def refused_because(caplog: Any, *words: str) -> None:
    """The callback refused the answer for this reason (and not for some other one)."""
    lines = [r.getMessage() for r in caplog.records if "oidc_callback_invalid" in r.getMessage()]
    assert lines, "the callback logged no refusal"
    assert all(word in lines[-1] for word in words), lines[-1]


def subject() -> str:
    return f"sub-{uuid.uuid4().hex}"


def start(client: Any, email: str) -> str:
    """Type the e-mail, choose "Sign in with <buyer>'s account"; the provider's URL."""
    page = client.post("/login/organisation", data={"csrf_token": csrf_token(client, "/login/organisation"),
                                                    "email": email})
    assert page.status_code == 200
    action = re.search(r'action="(/login/organisation/\d+[^"]*)"', page.get_data(as_text=True))
    assert action, "the page offers the buyer's account"
    sent = client.post(action.group(1).replace("&amp;", "&"),
                       data={"csrf_token": csrf_token(client, "/login/organisation")})
    assert sent.status_code == 302, sent.get_data(as_text=True)[:300]
    return str(sent.headers["Location"])


def through_provider(client: Any, provider: Provider, email: str, sub: str) -> Any:
    """The whole flow: Aktsom → provider (the person picks ``sub``) → Aktsom's callback."""
    back = provider.authorize(start(client, email), sub)
    assert back.startswith("http://aktsom.test/login/organisation/callback?"), back
    return client.get(path_of(back))


def with_param(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(params)
    return urlunsplit(parts._replace(query=urlencode(query)))


@pytest.fixture
def staff(make, db, provider):
    set_up_provider(make, db, provider)
    user = make.user(role="reviewer", email="kari@kommune.example", password_hash=None, name="")
    db.session.commit()
    return user


def claims(email: str = "kari@kommune.example", **extra: Any) -> dict[str, Any]:
    return {"email": email, "email_verified": True, "name": "Kari Nordmann", **extra}


def test_an_invited_reviewer_signs_in_with_the_buyers_provider_and_is_linked(app, client, db, provider, staff):
    sub = subject()
    provider.set_user(sub, **claims())

    done = through_provider(client, provider, "kari@kommune.example", sub)

    assert done.status_code == 302
    assert location(done) == "/"
    assert client.get("/").status_code == 200
    user = reloaded(db, User, staff.id)
    assert (user.oidc_issuer, user.oidc_subject) == (provider.url, sub)
    assert user.has_accepted_invitation
    assert user.name == "Kari Nordmann"
    # The next time the subject alone finds the user, whatever e-mail the provider sends.
    provider.set_user(sub, **claims(email="kari.nordmann@kommune.example"))
    again = app.test_client()
    assert location(through_provider(again, provider, "kari@kommune.example", sub)) == "/"


def test_the_login_page_offers_the_buyers_account_only_for_its_domains(client, db, make, provider, staff):
    login = client.get("/login")
    assert "/login/organisation" in login.get_data(as_text=True)

    known = client.post("/login/organisation", data={"csrf_token": csrf_token(client, "/login/organisation"),
                                                     "email": "Kari@Kommune.example"})
    unknown = client.post("/login/organisation", data={"csrf_token": csrf_token(client, "/login/organisation"),
                                                       "email": "ola@annen.example"})

    assert tr("Sign in with %(buyer)s's account", buyer="Testkommune") in text(known)
    assert unknown.status_code == 200
    assert tr("Aktsom has no organisation sign-in for this address. "
              "Sign in with your e-mail and password instead.") in text(unknown)


def test_the_request_uses_pkce_state_and_nonce(client, provider, staff):
    url = start(client, "kari@kommune.example")
    query = parse_qs(urlsplit(url).query)

    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert len(query["state"][0]) >= 20
    assert len(query["nonce"][0]) >= 20
    assert query["scope"][0].split() == ["openid", "email", "profile"]
    assert query["redirect_uri"] == ["http://aktsom.test/login/organisation/callback"]


def test_a_wrong_state_is_refused(client, db, provider, staff, caplog):
    sub = subject()
    provider.set_user(sub, **claims())
    back = provider.authorize(start(client, "kari@kommune.example"), sub)

    answer = client.get(path_of(with_param(back, state="forged-state-value-123456")))

    assert answer.status_code == 400
    refused_because(caplog, "MismatchingStateError")
    assert client.get("/profile").status_code == 302
    assert reloaded(db, User, staff.id).oidc_subject is None


def test_a_replayed_callback_is_refused(app, client, provider, staff, caplog):
    sub = subject()
    provider.set_user(sub, **claims())
    back = provider.authorize(start(client, "kari@kommune.example"), sub)
    assert client.get(path_of(back)).status_code == 302

    other = app.test_client()
    start(other, "kari@kommune.example")  # a sign-in of its own is pending
    replayed = other.get(path_of(back))

    assert replayed.status_code == 400
    refused_because(caplog, "MismatchingStateError")
    assert other.get("/profile").status_code == 302


@pytest.mark.parametrize("nonce", ["replayed", "wrong"])
def test_an_id_token_with_another_nonce_is_refused(app, client, db, provider, staff, nonce, caplog):
    """The provider signs a token with the nonce of an earlier sign-in (replay) or any other."""
    sub = subject()
    if nonce == "replayed":
        earlier = app.test_client()
        url = start(earlier, "kari@kommune.example")
        value = parse_qs(urlsplit(url).query)["nonce"][0]
    else:
        value = "a-nonce-aktsom-never-sent"
    provider.set_user(sub, **claims(nonce=value))

    answer = through_provider(client, provider, "kari@kommune.example", sub)

    assert answer.status_code == 400
    refused_because(caplog, "InvalidClaimError", "nonce")
    assert client.get("/profile").status_code == 302
    assert reloaded(db, User, staff.id).oidc_subject is None


@pytest.mark.parametrize("authorised_party", [False, True])
def test_an_id_token_for_another_client_is_refused(client, db, provider, staff, caplog, authorised_party):
    """Also when it names Aktsom as the authorised party (``azp``) but not as its audience."""
    sub = subject()
    extra = {"azp": db.session.scalar(select(IdentityProvider.client_id))} if authorised_party else {}
    provider.set_user(sub, **claims(aud="another-application", **extra))

    answer = through_provider(client, provider, "kari@kommune.example", sub)

    assert answer.status_code == 400
    refused_because(caplog, "InvalidClaimError", "aud")
    assert client.get("/profile").status_code == 302


def test_an_expired_id_token_is_refused(client, db, provider, staff, caplog):
    sub = subject()
    now = int(time.time())
    provider.set_user(sub, **claims(iat=now - 7200, exp=now - 3600))

    answer = through_provider(client, provider, "kari@kommune.example", sub)

    assert answer.status_code == 400
    refused_because(caplog, "ExpiredTokenError")
    assert client.get("/profile").status_code == 302


def test_an_id_token_from_another_issuer_is_refused(client, db, provider, staff, caplog):
    sub = subject()
    provider.set_user(sub, **claims(iss="https://login.example.com"))

    answer = through_provider(client, provider, "kari@kommune.example", sub)

    assert answer.status_code == 400
    refused_because(caplog, "InvalidClaimError", "iss")


def test_an_unknown_person_is_refused_with_a_clear_message(client, db, provider, staff):
    sub = subject()
    provider.set_user(sub, **claims(email="ukjent@kommune.example"))

    answer = through_provider(client, provider, "ukjent@kommune.example", sub)

    assert answer.status_code == 403
    assert tr("%(buyer)s has not given you access to Aktsom. Ask an administrator at "
              "%(buyer)s to invite you with your work e-mail address.", buyer="Testkommune") in text(answer)
    assert db.session.scalar(select(User).where(User.email == "ukjent@kommune.example")) is None


def test_the_buyer_may_let_unknown_colleagues_in_as_reviewers(client, db, make, provider):
    settings = set_up_provider(make, db, provider, creates_reviewers=True)
    sub = subject()
    provider.set_user(sub, **claims(email="ny@kommune.example"))

    answer = through_provider(client, provider, "ny@kommune.example", sub)

    assert location(answer) == "/"
    created = db.session.scalar(select(User).where(User.email == "ny@kommune.example"))
    assert created.role == "reviewer"
    assert created.buyer_id == settings.buyer_id
    assert created.oidc_subject == sub
    assert created.password_hash is None


def test_an_unverified_e_mail_is_not_linked(client, db, provider, staff):
    sub = subject()
    provider.set_user(sub, email="kari@kommune.example", email_verified=False)

    answer = through_provider(client, provider, "kari@kommune.example", sub)

    assert answer.status_code == 403
    assert reloaded(db, User, staff.id).oidc_subject is None


def test_a_deactivated_user_is_refused_though_the_provider_says_yes(client, db, provider, staff):
    sub = subject()
    provider.set_user(sub, **claims())
    staff.oidc_issuer, staff.oidc_subject, staff.is_active = provider.url, sub, False
    db.session.commit()

    answer = through_provider(client, provider, "kari@kommune.example", sub)

    assert answer.status_code == 403
    assert tr("Your Aktsom account at %(buyer)s is deactivated. Ask an administrator at "
              "%(buyer)s if you need access again.", buyer="Testkommune") in text(answer)
    assert client.get("/profile").status_code == 302


def test_staff_of_another_buyer_cannot_sign_in_through_this_buyers_provider(client, db, make, provider):
    """The provider vouches for an address of another buyer's domain: no account is linked."""
    set_up_provider(make, db, provider)
    other = make.buyer(name="Nabokommune")
    set_up_provider(make, db, provider, buyer=other, domains="nabo.example")
    neighbour = make.user(role="reviewer", buyer=other, email="per@nabo.example")
    db.session.commit()
    sub = subject()
    provider.set_user(sub, **claims(email="per@nabo.example"))

    answer = through_provider(client, provider, "kari@kommune.example", sub)

    assert answer.status_code == 403
    assert tr("Your e-mail address does not belong to %(buyer)s. Sign in with the account "
              "of the organisation you work for.", buyer="Testkommune") in text(answer)
    assert reloaded(db, User, neighbour.id).oidc_subject is None


def test_a_required_acr_must_be_reported(client, db, make, provider):
    set_up_provider(make, db, provider, required_acr="idporten-loa-high")
    make.user(role="reviewer", email="kari@kommune.example")
    db.session.commit()
    weak, strong = subject(), subject()
    provider.set_user(weak, **claims(acr="idporten-loa-substantial"))
    provider.set_user(strong, **claims(acr="idporten-loa-high"))

    url = start(client, "kari@kommune.example")
    assert parse_qs(urlsplit(url).query)["acr_values"] == ["idporten-loa-high"]
    refused = client.get(path_of(provider.authorize(url, weak)))
    accepted = through_provider(client, provider, "kari@kommune.example", strong)

    assert refused.status_code == 403
    assert location(accepted) == "/"


def test_provider_sign_in_skips_the_local_second_factor_where_it_is_required(app, client, db, provider, staff):
    app.config["REQUIRE_STAFF_2FA"] = True
    sub = subject()
    provider.set_user(sub, **claims())

    assert location(through_provider(client, provider, "kari@kommune.example", sub)) == "/"

    assert client.get("/").status_code == 200  # not sent to set up the authenticator app


def test_password_only_staff_must_set_up_a_second_factor_in_production():
    from portal.config import apply_production_rules

    config = {"ENV_NAME": "production", "SECRET_KEY": "k3Y-" + uuid.uuid4().hex + uuid.uuid4().hex,
              "PUBLIC_BASE_URL": "https://aktsom.kommune.no", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
              "SESSION_COOKIE_NAME": "aktsom_session", "REQUIRE_STAFF_2FA": False}

    apply_production_rules(config)

    assert config["REQUIRE_STAFF_2FA"] is True


def test_sign_out_ends_the_providers_session_too(client, db, provider, staff):
    sub = subject()
    provider.set_user(sub, **claims())
    through_provider(client, provider, "kari@kommune.example", sub)
    with client.session_transaction() as session:
        id_token = session["oidc_signed_in"]["id_token"]

    out = client.post("/logout", data={"csrf_token": csrf_token(client, "/accessibility")})

    assert out.status_code == 302
    target = urlsplit(out.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{provider.url}/oauth2/end_session"
    query = parse_qs(target.query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == ["http://aktsom.test/login"]
    assert client.get("/profile").status_code == 302
    assert flashed(client) == [tr("You are signed out.")]


def test_password_sign_out_stays_in_aktsom(client, make, db):
    user = make.user(role="reviewer")
    db.session.commit()
    sign_in(client, user.email)

    out = client.post("/logout", data={"csrf_token": csrf_token(client, "/accessibility")})

    assert redirect_path(out) == "/login"


def test_a_sign_in_started_on_one_app_server_finishes_on_another(app, client, db, provider, staff):
    """The pending state, nonce and PKCE verifier live in the signed session cookie."""
    from portal import create_app
    from tests.auth.helpers import IsolatedClient

    second = create_app(dict(app.config))
    second.test_client_class = IsolatedClient
    other_server = second.test_client()
    sub = subject()
    provider.set_user(sub, **claims())
    back = provider.authorize(start(client, "kari@kommune.example"), sub)
    other_server.set_cookie("aktsom_session", client.get_cookie("aktsom_session").value)

    done = other_server.get(path_of(back))

    assert location(done) == "/"
    assert other_server.get("/").status_code == 200


def test_the_login_audit_names_the_user(client, db, provider, staff):
    sub = subject()
    provider.set_user(sub, **claims())
    through_provider(client, provider, "kari@kommune.example", sub)

    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == staff.id)).all()

    assert "user.identity_provider_linked" in actions
    assert "user.login" in actions


def test_the_pages_whose_forms_lead_to_the_provider_allow_its_origin_and_no_other(client, db, provider, staff):
    """Browsers apply the CSP's form-action to the redirect after a POST (start, sign-out)."""
    before = client.get("/login").headers["Content-Security-Policy"]
    offer = client.post("/login/organisation", data={"csrf_token": csrf_token(client, "/login/organisation"),
                                                     "email": "kari@kommune.example"})
    sub = subject()
    provider.set_user(sub, **claims())
    through_provider(client, provider, "kari@kommune.example", sub)
    signed_in = client.get("/").headers["Content-Security-Policy"]

    assert "form-action 'self';" in before
    assert f"form-action 'self' {provider.url};" in offer.headers["Content-Security-Policy"]
    assert f"form-action 'self' {provider.url};" in signed_in


def test_a_deactivated_user_is_not_linked_at_a_first_sign_in(client, db, provider, staff):
    staff.is_active = False
    db.session.commit()
    sub = subject()
    provider.set_user(sub, **claims())

    answer = through_provider(client, provider, "kari@kommune.example", sub)

    assert answer.status_code == 403
    assert reloaded(db, User, staff.id).oidc_subject is None
