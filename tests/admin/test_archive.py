"""Archiving instead of deleting: an archived agreement or supplier leaves lists and pickers,
keeps its history and report figures, and can be taken back into use."""

from __future__ import annotations

import io
import json
from datetime import date

from sqlalchemy import select

from portal import clock
from portal.models import AuditEvent, FollowUpActivity
from tests.auth.helpers import post, sign_in, text, tr
from tests.conftest import csrf_token

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _activity(client, agreement, supplier):
    form = {"csrf_token": csrf_token(client, "/review/activities/new"), "kind": "status_meeting",
            "date": "2025-03-04", "agreement_id": agreement.id, "supplier_id": supplier.id,
            "notes": "Møte om tiltaksplanen.", "files": [(io.BytesIO(PDF), "referat.pdf")]}
    return client.post("/review/activities/new", data=form, content_type="multipart/form-data")


def _report_2025(client):
    reply = client.get("/reports/2025.json")
    assert reply.status_code == 200
    document = json.loads(reply.data)
    document.pop("generated_at", None)
    return document


def test_an_archived_agreement_leaves_lists_and_pickers_and_keeps_its_figures(client, db, make, login_as):
    supplier = make.supplier(name="Arkiv AS")
    agreement = make.agreement(suppliers=[supplier], name_nb="Gammel avtale", name_en="Old agreement",
                               reference="ARK-1", start_date=date(2024, 1, 1))
    make.agreement(suppliers=[supplier], name_nb="Levende avtale", name_en="Live agreement",
                          reference="LIV-1", start_date=date(2024, 1, 1))
    login_as("admin")
    assert _activity(client, agreement, supplier).status_code == 302
    before = _report_2025(client)

    archived = post(client, f"/admin/agreements/{agreement.id}/archive")

    assert archived.status_code == 302
    listed = text(client.get("/admin/agreements"))
    assert "Levende avtale" in listed
    assert "Gammel avtale" not in listed
    assert "Gammel avtale" in text(client.get("/admin/agreements?status=archived"))
    assert "Levende avtale" not in text(client.get("/admin/agreements?status=archived"))
    new_activity = client.get("/review/activities/new").get_data(as_text=True)
    assert "(LIV-1)" in new_activity
    assert "(ARK-1)" not in new_activity
    new_deviation = client.get("/deviations/new").get_data(as_text=True)
    assert "ARK-1" not in new_deviation
    assert "LIV-1" in new_deviation
    # History stays: the activity, its list filter, the agreement page, the year's figures.
    assert "ARK-1" in client.get("/review/activities").get_data(as_text=True)
    assert "Gammel avtale" in text(client.get(f"/admin/agreements/{agreement.id}"))
    assert _report_2025(client) == before
    assert db.session.scalar(select(FollowUpActivity.agreement_id)) == agreement.id
    actions = list(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "Agreement", AuditEvent.object_id == agreement.id)))
    assert "agreement.archived" in actions


def test_an_archived_agreement_is_not_offered_to_a_round_and_comes_back_when_restored(
        client, db, make, login_as):
    from portal.rounds import queries as round_queries

    supplier = make.supplier()
    agreement = make.agreement(suppliers=[supplier], start_date=date(2024, 1, 1))
    login_as("admin")
    post(client, f"/admin/agreements/{agreement.id}/archive")
    db.session.expire_all()
    assert agreement.archived_at is not None

    from portal.models import FollowUpRound
    round_ = FollowUpRound(year=2026, name_nb="R", name_en="R", deadline=date(2026, 12, 31),
                           buyer_id=agreement.buyer_id)
    assert agreement not in round_queries.agreements_to_add(round_, clock.today())

    restored = post(client, f"/admin/agreements/{agreement.id}/restore")

    assert restored.status_code == 302
    db.session.expire_all()
    assert agreement.archived_at is None
    assert agreement in round_queries.agreements_to_add(round_, clock.today())


def test_a_supplier_archived_by_one_buyer_stays_in_another_buyers_register(app, client, db, make, login_as):
    other_buyer = make.buyer(name="Nabokommune")
    shared = make.supplier(name="Delt Leverandør AS")
    make.register(other_buyer, shared)
    other_admin = make.user(role="admin", buyer=other_buyer, email="admin@nabo.example")
    admin = login_as("admin")

    post(client, f"/admin/suppliers/{shared.id}/archive")

    page = text(client.get(f"/admin/suppliers/{shared.id}"))  # (its flash message is shown here)
    assert tr("Take the supplier back into use") in page
    assert "Delt Leverandør AS" not in text(client.get("/admin/suppliers"))
    assert "Delt Leverandør AS" in text(client.get("/admin/suppliers?archived=1"))
    assert "Delt Leverandør AS" not in client.get("/admin/agreements/new").get_data(as_text=True)
    assert "Delt Leverandør AS" not in client.get("/review/activities/new").get_data(as_text=True)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "supplier.archived")).one()
    assert (event.actor_id, event.buyer_id) == (admin.id, admin.buyer_id)

    db.session.commit()
    neighbour = app.test_client()
    sign_in(neighbour, other_admin.email)
    assert "Delt Leverandør AS" in text(neighbour.get("/admin/suppliers"))
    assert "Delt Leverandør AS" in neighbour.get("/admin/agreements/new").get_data(as_text=True)


def test_editing_an_agreement_keeps_an_archived_supplier_on_it(client, db, make, login_as):
    supplier = make.supplier(name="Stille AS")
    agreement = make.agreement(suppliers=[supplier])
    login_as("admin")
    post(client, f"/admin/suppliers/{supplier.id}/archive")

    form = client.get(f"/admin/agreements/{agreement.id}/edit").get_data(as_text=True)

    assert "Stille AS" in form  # still chosen on the agreement, so saving keeps it


def test_putting_an_archived_supplier_on_an_agreement_takes_it_back_into_use(client, db, make, login_as):
    from portal.admin import services

    supplier = make.supplier(name="Tilbake AS")
    admin = login_as("admin")
    post(client, f"/admin/suppliers/{supplier.id}/archive")
    db.session.expire_all()
    assert services.supplier_archived_at(admin.buyer_id, supplier) is not None

    services.add_to_register(admin.buyer_id, supplier)

    assert services.supplier_archived_at(admin.buyer_id, supplier) is None
