"""The platform administrator: registers buyers, invites their first administrators, and
sees nothing of any buyer's follow-up."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.models import Buyer, User
from tests.auth.helpers import flashed, isolate_requests, link_in, location, tr
from tests.conftest import post_form


@pytest.fixture(autouse=True)
def _isolated(app, monkeypatch):
    isolate_requests(app, monkeypatch)


def _buyer_form(**values):
    form = {"name": "Nordfjell kommune", "org_number": "923456724", "kind": "municipality",
            "is_ehn_member": "y", "report_contact_name": "Siri Fjell",
            "report_contact_email": "Siri@Nordfjell.example", "default_locale": "nb"}
    form.update(values)
    return form


def test_the_platform_administrator_registers_a_buyer_and_invites_its_administrator(
    client, db, login_as, sent_mail
):
    login_as("platform_admin")

    created = post_form(client, "/platform/buyers/new", _buyer_form())
    buyer = db.session.scalar(select(Buyer).where(Buyer.org_number == "923456724"))
    invited = post_form(client, f"/platform/buyers/{buyer.id}/invite",
                        {"email": "innkjop@nordfjell.example", "name": "Ola Innkjøp", "locale": "nb"})

    assert location(created) == f"/platform/buyers/{buyer.id}/invite"
    assert (buyer.name, buyer.kind, buyer.is_ehn_member, buyer.report_contact_email) == (
        "Nordfjell kommune", "municipality", True, "siri@nordfjell.example")
    assert location(invited) == f"/platform/buyers/{buyer.id}"
    admin = db.session.scalar(select(User).where(User.email == "innkjop@nordfjell.example"))
    assert (admin.role, admin.buyer_id, admin.password_hash) == ("admin", buyer.id, None)
    assert sent_mail[-1].to == "innkjop@nordfjell.example"
    assert "Nordfjell kommune" in sent_mail[-1].subject
    assert link_in(sent_mail[-1]).startswith("/invitation/")


def test_a_buyer_needs_a_valid_unique_organisation_number(client, db, login_as, make):
    make.buyer(name="Eksisterende kommune", org_number="923456732")
    db.session.commit()
    login_as("platform_admin")

    invalid = post_form(client, "/platform/buyers/new", _buyer_form(org_number="923456725"))
    taken = post_form(client, "/platform/buyers/new", _buyer_form(org_number="923456732"))

    assert invalid.status_code == 200
    assert taken.status_code == 200
    assert tr("A buyer with this organisation number is already registered") in taken.get_data(as_text=True)
    assert db.session.scalar(select(Buyer).where(Buyer.name == "Nordfjell kommune")) is None


@pytest.mark.parametrize("path", ["/review", "/admin/agreements", "/admin/suppliers", "/admin/users",
                                  "/reports", "/deviations", "/rounds", "/review/audit"])
def test_the_platform_administrator_sees_no_buyers_follow_up(client, login_as, path):
    login_as("platform_admin")

    assert client.get(path).status_code == 403


def test_a_buyers_first_administrator_starts_with_an_empty_portal(client, db, login_as, make):
    """The new buyer's administrator sees its own (empty) lists, not another buyer's records."""
    theirs = make.agreement(name_nb="Avtale hos Testkommune", reference="TK-1")
    other = make.buyer(name="Nordfjell kommune")
    db.session.commit()
    login_as("admin", buyer=other)

    agreements = client.get("/admin/agreements").get_data(as_text=True)
    suppliers = client.get("/admin/suppliers").get_data(as_text=True)

    assert "TK-1" not in agreements
    assert theirs.suppliers[0].name not in suppliers
    assert "Nordfjell kommune" in agreements  # the buyer's name in the page header


def test_an_existing_supplier_joins_the_buyers_register_without_a_second_record(
    client, db, login_as, make
):
    supplier = make.supplier(name="Felles Leverandør AS")
    other = make.buyer(name="Nordfjell kommune")
    db.session.commit()
    login_as("admin", buyer=other)

    response = post_form(client, "/admin/suppliers/new", {
        "name": "Et annet navn", "org_number": supplier.org_number, "country": "NO",
        "registry_id": "", "address": "", "postal_code": "", "city": ""})

    assert location(response) == f"/admin/suppliers/{supplier.id}"
    assert any("Felles Leverandør AS" in message for message in flashed(client))
    db.session.expire_all()
    assert db.session.scalar(select(Buyer).where(Buyer.id == other.id)) is not None
    suppliers = client.get("/admin/suppliers").get_data(as_text=True)
    assert "Felles Leverandør AS" in suppliers
    assert db.session.get(type(supplier), supplier.id).name == "Felles Leverandør AS"
