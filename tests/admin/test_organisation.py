"""A buyer administrator keeps its organisation's details, and is asked for a missing
organisation number (an installation upgraded without BUYER_ORG_NUMBER) after signing in."""

from __future__ import annotations

from sqlalchemy import select

from portal.models import AuditEvent, Buyer
from tests.auth.helpers import location, post, sign_in, text, tr


def _details(**values):
    form = {"name": "Lillestrøm kommune", "org_number": "923456708", "kind": "municipality",
            "is_ehn_member": "y", "report_contact_name": "Kari Rapport",
            "report_contact_email": "Kari@Lillestrom.example", "default_locale": "nb"}
    form.update(values)
    return form


def test_an_administrator_keeps_its_organisations_details(client, db, make, login_as):
    admin = login_as("admin")

    reply = post(client, "/admin/organisation", _details(), token_from="/admin/organisation")

    assert reply.status_code == 302
    buyer = db.session.get(Buyer, admin.buyer_id, populate_existing=True)
    assert (buyer.name, buyer.org_number, buyer.is_ehn_member, buyer.report_contact_email) == (
        "Lillestrøm kommune", "923456708", True, "kari@lillestrom.example")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "buyer.updated")).one()
    assert event.actor_id == admin.id
    assert event.after["org_number"] == "923456708"


def test_another_buyers_organisation_number_is_a_field_error(client, db, make, login_as):
    make.buyer(name="Nabokommune", org_number="923456716")
    login_as("admin")

    reply = post(client, "/admin/organisation", _details(org_number="923456716"),
                 token_from="/admin/organisation")

    assert reply.status_code == 200
    assert tr("A buyer with this organisation number is already registered") in text(reply)


def test_a_wrong_check_digit_is_a_field_error_and_nothing_changes(client, db, make, login_as):
    admin = login_as("admin")
    before = db.session.get(Buyer, admin.buyer_id).org_number

    reply = post(client, "/admin/organisation", _details(org_number="923456709"),
                 token_from="/admin/organisation")

    assert reply.status_code == 200
    assert db.session.get(Buyer, admin.buyer_id, populate_existing=True).org_number == before


def test_an_administrator_of_a_buyer_without_its_number_is_asked_for_it_once(app, client, db, make):
    buyer = make.buyer(name="Oppgradert kommune", org_number=None)
    admin = make.user(role="admin", buyer=buyer, email="admin@oppgradert.example")
    reviewer = make.user(role="reviewer", buyer=buyer, email="fag@oppgradert.example")
    db.session.commit()
    sign_in(client, admin.email)

    first = client.get("/review")
    page = text(client.get("/admin/organisation"))
    again = client.get("/review")

    assert first.status_code == 302
    assert location(first) == "/admin/organisation"
    assert again.status_code == 200
    assert tr("Enter %(buyer)s's organisation number: the year report and the supplier register "
              "need it.", buyer="Oppgradert kommune") in page

    colleague = app.test_client()
    sign_in(colleague, reviewer.email)
    assert colleague.get("/review").status_code == 200  # only administrators can give it


def test_an_administrator_whose_buyer_has_its_number_is_not_asked(client, db, make, login_as):
    login_as("admin")

    assert client.get("/review").status_code == 200
