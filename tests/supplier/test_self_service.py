"""A supplier user keeps their own company up to date: its address and who has access."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, Supplier, User
from tests.auth.helpers import flashed, link_in, location, post, reloaded, sign_in, text, tr


@pytest.fixture
def company(make: Any, db: Any) -> dict[str, Any]:
    supplier = make.supplier(name="Alfa AS", org_number="974760673", address="Storgata 1", postal_code="2000",
                             city="Lillestrøm")
    kari = make.user(role="supplier", supplier=supplier, email="kari@alfa.example", name="Kari Nordmann")
    ola = make.user(role="supplier", supplier=supplier, email="ola@alfa.example", name="Ola Nordmann",
                    locale="en")
    per = make.user(role="supplier", supplier=supplier, email="per@alfa.example", name="Per Hansen")
    stranger = make.user(role="supplier", email="eva@beta.example", name="Eva Beta")
    db.session.commit()
    return {"supplier": supplier, "kari": kari, "ola": ola, "per": per, "stranger": stranger}


def audit_events(db: Any, action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# Contact details


def test_a_supplier_user_changes_the_address_and_colleagues_are_told(client, company, db, sent_mail):
    sign_in(client, "kari@alfa.example")

    reply = post(client, "/company/details", {"address": "Kirkegata 5", "postal_code": "2000",
                                              "city": "Strømmen", "name": "Hacked AS",
                                              "org_number": "123456785"}, token_from="/company/details")

    assert location(reply) == "/company/"
    supplier = reloaded(db, Supplier, company["supplier"].id)
    assert (supplier.address, supplier.postal_code, supplier.city) == ("Kirkegata 5", "2000", "Strømmen")
    # The name and organisation number are not the supplier's to change, even when posted.
    assert (supplier.name, supplier.org_number) == ("Alfa AS", "974760673")
    [event] = audit_events(db, "supplier.contact_updated")
    assert event.actor_id == company["kari"].id
    assert event.before == {"address": "Storgata 1", "city": "Lillestrøm"}
    assert event.after == {"address": "Kirkegata 5", "city": "Strømmen"}
    assert sorted(m.to for m in sent_mail) == ["ola@alfa.example", "per@alfa.example"]
    to_ola = next(m for m in sent_mail if m.to == "ola@alfa.example")
    assert "Kari Nordmann" in to_ola.text
    assert "Storgata 1 → Kirkegata 5" in to_ola.text
    assert tr("Street address", "en") in to_ola.text  # in Ola's language
    assert link_in(to_ola) == "/company/"
    assert to_ola.text.count("http://aktsom.test/company/") == 1


def test_saving_unchanged_details_sends_nothing(client, company, db, sent_mail):
    sign_in(client, "kari@alfa.example")

    post(client, "/company/details", {"address": "Storgata 1", "postal_code": "2000", "city": "Lillestrøm"},
         token_from="/company/details")

    assert flashed(client) == [tr("Nothing was changed.")]
    assert audit_events(db, "supplier.contact_updated") == []
    assert sent_mail == []


def test_a_too_long_city_is_refused_with_a_message_and_nothing_saved(client, company, db):
    sign_in(client, "kari@alfa.example")

    reply = post(client, "/company/details", {"address": "Kirkegata 5", "city": "x" * 101},
                 token_from="/company/details")

    assert reply.status_code == 200
    assert tr("Write the city in at most %(max)d characters", max=100) in text(reply)
    assert 'value="Kirkegata 5"' in reply.get_data(as_text=True)  # the input is kept
    assert reloaded(db, Supplier, company["supplier"].id).address == "Storgata 1"


def test_the_details_form_shows_the_current_address(client, company, db):
    sign_in(client, "kari@alfa.example")

    page = client.get("/company/details").get_data(as_text=True)

    assert 'value="Storgata 1"' in page
    assert 'name="org_number"' not in page
    assert 'name="name"' not in page


# Deactivating a colleague


def last_user_warning(buyers: str) -> str:
    return tr("After this, you are the only person at %(supplier)s who can sign in. If you leave too, "
              "nobody can answer for the company until a new user is invited by %(buyers)s. Consider "
              "inviting a colleague first.", supplier="Alfa AS", buyers=buyers)


def test_a_supplier_user_deactivates_a_colleague(app, client, company, db, sent_mail):
    ola_client = app.test_client()
    sign_in(ola_client, "ola@alfa.example")
    sign_in(client, "kari@alfa.example")
    url = f"/company/colleagues/{company['ola'].id}/deactivate"
    assert client.get(url).status_code == 200

    reply = post(client, url, token_from=url)

    assert location(reply) == "/company/"
    ola = reloaded(db, User, company["ola"].id)
    assert ola.is_active is False
    [event] = audit_events(db, "user.deactivated")
    assert (event.actor_id, event.object_id) == (company["kari"].id, ola.id)
    # Ola is signed out at once and is told by e-mail, in English.
    assert location(ola_client.get("/company/")).startswith("/login")
    [message] = sent_mail
    assert message.to == "ola@alfa.example"
    assert "Kari Nordmann" in message.text
    assert message.subject == tr("Your access to Aktsom for %(supplier)s has been deactivated", "en",
                                 supplier="Alfa AS")
    assert link_in(message) == "/privacy"
    # The colleague no longer appears among those with access.
    assert "ola@alfa.example" not in text(client.get("/company/"))


def test_the_confirmation_warns_when_the_visitor_would_be_the_last_user(app, client, company, db, make):
    from portal.auth import services as accounts

    accounts.set_active(company["per"], False, actor=company["kari"])
    make.register(make.buyer(name="Fjordvik kommune"), company["supplier"])
    make.register(make.buyer(name="Nabo kommune"), make.supplier())  # not Alfa's buyer
    db.session.commit()
    sign_in(client, "kari@alfa.example")

    page = text(client.get(f"/company/colleagues/{company['ola'].id}/deactivate"))

    # Alfa answers to two buyers: the warning names both, and no other.
    assert last_user_warning("Fjordvik kommune og Testkommune") in page
    assert "Nabo kommune" not in page


def test_no_warning_while_other_colleagues_remain(app, client, company, db):
    sign_in(client, "kari@alfa.example")

    page = text(client.get(f"/company/colleagues/{company['ola'].id}/deactivate"))

    assert tr("Deactivate colleague") in page
    assert last_user_warning("Testkommune") not in page


def test_a_supplier_user_cannot_deactivate_themselves(client, company, db, sent_mail):
    sign_in(client, "kari@alfa.example")
    url = f"/company/colleagues/{company['kari'].id}/deactivate"

    reply = post(client, url)

    assert location(reply) == "/company/"
    assert reloaded(db, User, company["kari"].id).is_active is True
    assert audit_events(db, "user.deactivated") == []
    assert sent_mail == []


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_another_suppliers_user_is_not_found(client, company, db, method):
    sign_in(client, "kari@alfa.example")
    url = f"/company/colleagues/{company['stranger'].id}/deactivate"

    reply = client.get(url) if method == "GET" else post(client, url)

    assert reply.status_code == 404
    assert reloaded(db, User, company["stranger"].id).is_active is True


def test_an_already_deactivated_colleague_is_left_alone(client, company, db, sent_mail):
    from portal.auth import services as accounts

    accounts.set_active(company["per"], False, actor=company["kari"])
    db.session.commit()
    sign_in(client, "kari@alfa.example")

    reply = post(client, f"/company/colleagues/{company['per'].id}/deactivate")

    assert location(reply) == "/company/"
    assert len(audit_events(db, "user.deactivated")) == 1
    assert sent_mail == []


def test_the_company_page_links_each_colleague_but_not_oneself(client, company, db):
    sign_in(client, "kari@alfa.example")

    page = client.get("/company/").get_data(as_text=True)

    assert f'href="/company/colleagues/{company["ola"].id}/deactivate"' in page
    assert f'href="/company/colleagues/{company["kari"].id}/deactivate"' not in page
    assert 'href="/company/details"' in page
