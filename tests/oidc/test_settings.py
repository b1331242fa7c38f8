"""A buyer's administrator (or the platform administrator) sets up the buyer's provider; the
client secret is stored encrypted and never shown or logged again."""

from __future__ import annotations

import logging

from sqlalchemy import select, text

from portal.models import AuditEvent, IdentityProvider
from portal.oidc import secrets as oidc_secrets
from tests.auth.helpers import location, sign_in, tr
from tests.auth.helpers import text as page_text
from tests.conftest import csrf_token

SECRET = "s3cr3t-from-entra-id-~abcdefghijkl"  # noqa: S105 - a test value


def _form(**values):
    form = {"issuer": "https://login.microsoftonline.com/tenant-id/v2.0", "client_id": "aktsom-client",
            "client_secret": SECRET, "email_domains": "kommune.example\n@Kommune2.example",
            "required_acr": "", "is_enabled": "y"}
    form.update(values)
    return form


def _post(client, path, **values):
    return client.post(path, data={"csrf_token": csrf_token(client, path), **_form(**values)})


def test_a_buyer_administrator_sets_up_sign_in_and_the_secret_is_encrypted(client, db, make, caplog):
    caplog.set_level(logging.DEBUG)
    admin = make.user(role="admin")
    db.session.commit()
    sign_in(client, admin.email)

    saved = _post(client, "/admin/sign-in")

    assert saved.status_code == 302
    assert location(saved) == "/admin/sign-in"
    settings = db.session.scalar(select(IdentityProvider))
    assert settings.buyer_id == admin.buyer_id
    assert settings.client_id == "aktsom-client"
    assert settings.email_domains == "kommune.example\nkommune2.example"
    stored = db.session.execute(text("SELECT client_secret_encrypted FROM identity_provider")).scalar()
    assert SECRET not in stored
    assert oidc_secrets.decrypt(stored) == SECRET
    page = client.get("/admin/sign-in").get_data(as_text=True)
    assert SECRET not in page
    assert "http://aktsom.test/login/organisation/callback" in page
    # The hint's example is text: a translated hint is escaped like any other text.
    assert "&lt;tenant" in page
    assert "<tenant" not in page
    events = db.session.scalars(select(AuditEvent)).all()
    assert all(SECRET not in repr((e.before, e.after)) for e in events)
    assert all(SECRET not in record.getMessage() for record in caplog.records)


def test_an_empty_secret_keeps_the_saved_one(client, db, make):
    admin = make.user(role="admin")
    db.session.commit()
    sign_in(client, admin.email)
    _post(client, "/admin/sign-in")

    _post(client, "/admin/sign-in", client_secret="", client_id="renamed")

    settings = db.session.scalar(select(IdentityProvider))
    db.session.refresh(settings)
    assert settings.client_id == "renamed"
    assert oidc_secrets.decrypt(settings.client_secret_encrypted) == SECRET


def test_a_first_save_needs_the_secret_and_a_domain_belongs_to_one_buyer(client, db, make):
    other = make.buyer(name="Nabokommune")
    db.session.add(IdentityProvider(buyer_id=other.id, issuer="https://idporten.no", client_id="x",
                                    email_domains="kommune.example"))
    admin = make.user(role="admin")
    db.session.commit()
    sign_in(client, admin.email)

    no_secret = _post(client, "/admin/sign-in", client_secret="", email_domains="eget.example")
    taken = _post(client, "/admin/sign-in")
    plain_http = _post(client, "/admin/sign-in", issuer="http://login.example.com")

    assert tr("Enter the client secret the provider gave Aktsom") in page_text(no_secret)
    assert tr("Another buyer already signs in staff with %(domain)s", domain="kommune.example") in page_text(taken)
    assert tr("The issuer starts with https://") in page_text(plain_http)
    assert db.session.scalar(select(IdentityProvider).where(IdentityProvider.buyer_id == admin.buyer_id)) is None


def test_the_platform_administrator_sets_up_a_buyers_sign_in(client, db, make):
    buyer = make.buyer(name="Fjordvik")
    platform = make.user(role="platform_admin")
    db.session.commit()
    sign_in(client, platform.email)

    saved = _post(client, f"/platform/buyers/{buyer.id}/sign-in")

    assert saved.status_code == 302
    assert db.session.scalar(select(IdentityProvider.buyer_id)) == buyer.id
    assert client.get("/platform/buyers/999999/sign-in").status_code == 404
