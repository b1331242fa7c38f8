"""A buyer's reviewer signs in through the buyer's OpenID Connect provider in Chromium: the
real provider process (oidc-provider-mock) shows its own sign-in page, and sends the
browser back to Aktsom; signing out also ends the provider's session."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from portal.models import Buyer, IdentityProvider, User
from portal.oidc import secrets as oidc_secrets
from tests.oidc.provider import Provider

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    server = Provider()
    server.start()
    yield server
    server.stop()


def test_a_reviewer_signs_in_with_the_buyers_account(page: Page, world: Any, live_app: Any, live_server: str,
                                                     provider: Provider, monkeypatch: pytest.MonkeyPatch) -> None:
    # The provider sends the browser back to the address the portal is published at.
    monkeypatch.setitem(live_app.config, "PUBLIC_BASE_URL", live_server)
    buyer = Buyer(name="Fjordvik kommune", org_number="964950768")
    world.session.add(buyer)
    world.session.flush()
    with live_app.test_request_context():
        secret = oidc_secrets.encrypt("client-secret-for-the-browser-test")
    world.session.add(IdentityProvider(buyer_id=buyer.id, issuer=provider.url, client_id="aktsom-fjordvik",
                                       client_secret_encrypted=secret, email_domains="fjordvik.example"))
    world.session.add(User(email="fagansvarlig@fjordvik.example", role="reviewer", buyer_id=buyer.id,
                           locale="nb", invited_at=None))
    world.session.commit()
    provider.set_user("fjordvik-ansatt-17", email="fagansvarlig@fjordvik.example", email_verified=True,
                      name="Frida Fagansvarlig")

    page.goto("/login")
    page.get_by_role("link", name=re.compile("Logg inn med kontoen fra virksomheten din")).click()
    page.get_by_label("E-postadressen din på jobben").fill("fagansvarlig@fjordvik.example")
    page.get_by_role("button", name="Fortsett").click()
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()
    page.get_by_role("button", name="Logg inn med kontoen fra Fjordvik kommune").click()

    # The provider's own page: the person signs in there.
    expect(page).to_have_url(re.compile(re.escape(provider.url) + "/oauth2/authorize"))
    page.locator("input[name=sub]").fill("fjordvik-ansatt-17")
    page.get_by_role("button", name="Authorize").click()

    expect(page).to_have_url(live_server + "/")
    expect(page.locator(".site-brand__org")).to_have_text("Fjordvik kommune")
    expect(page.get_by_role("navigation", name="Hovedmeny")).to_contain_text("Gjennomgang")

    page.get_by_role("button", name="Logg ut").click()
    expect(page).to_have_url(re.compile(re.escape(provider.url) + "/oauth2/end_session"))
    page.get_by_role("button", name="End session").click()
    expect(page).to_have_url(re.compile(re.escape(live_server) + "/login"))
    page.goto("/profile")
    expect(page).to_have_url(re.compile("/login"))
