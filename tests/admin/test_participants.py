"""Joint agreements: the lead's administrator chooses the buyers taking part (DOMAIN 0b)."""

from __future__ import annotations

from sqlalchemy import select

from portal.models import AuditEvent, agreement_participant
from portal.tenancy import ALL_BUYERS
from tests.auth.helpers import flashed, markup, post, text, tr


def _participants(db, agreement):
    db.session.expire_all()
    return set(db.session.scalars(
        select(agreement_participant.c.buyer_id)
        .where(agreement_participant.c.agreement_id == agreement.id)
        .execution_options(**{ALL_BUYERS: True})))


def _add(client, agreement, buyer_id):
    path = f"/admin/agreements/{agreement.id}"
    return post(client, f"{path}/participants", {"buyer_id": str(buyer_id)}, token_from=path)


def test_the_leads_administrator_adds_a_participant_picked_by_name_and_org_number(
    client, login_as, make, db
):
    lead = make.default_buyer
    agreement = make.agreement(reference="IS-2024-01")
    member = make.buyer(name="Medlemskommune", org_number="964949115")
    login_as("admin")

    page = markup(client.get(f"/admin/agreements/{agreement.id}"))
    assert "Medlemskommune (964949115)" in page
    assert f">{lead.name}" not in page.split('id="buyer_id"')[1].split("</select>")[0]

    response = _add(client, agreement, member.id)

    assert response.status_code == 302
    assert _participants(db, agreement) == {member.id}
    assert tr("%(buyer)s now takes part in the agreement.", buyer="Medlemskommune") in flashed(client)
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "agreement.participant_added")).one()
    assert event.object_id == agreement.id
    assert "Medlemskommune" in text(client.get(f"/admin/agreements/{agreement.id}"))


def test_neither_the_lead_itself_nor_a_cooperation_can_take_part(client, login_as, make, db):
    lead = make.default_buyer
    agreement = make.agreement()
    cooperation = make.buyer(name="Innkjøpssamarbeid", kind="cooperation")
    login_as("admin")

    for buyer_id in (lead.id, cooperation.id, 999999):
        response = _add(client, agreement, buyer_id)
        assert response.status_code == 400
        assert tr("Choose one of the buyers in the list") in text(response)

    assert _participants(db, agreement) == set()


def test_the_lead_removes_a_participant(client, login_as, make, db):
    agreement = make.agreement()
    member = make.buyer(name="Medlemskommune")
    agreement.participants.append(member)
    db.session.commit()
    login_as("admin")

    path = f"/admin/agreements/{agreement.id}"
    response = post(client, f"{path}/participants/{member.id}/remove", {}, token_from=path)

    assert response.status_code == 302
    assert _participants(db, agreement) == set()
    again = post(client, f"{path}/participants/{member.id}/remove", {}, token_from=path)
    assert again.status_code == 404


def test_a_reviewer_of_the_lead_sees_participants_but_cannot_change_them(client, login_as, make, db):
    agreement = make.agreement()
    member = make.buyer(name="Medlemskommune")
    other = make.buyer(name="Tredje kommune")
    agreement.participants.append(member)
    db.session.commit()
    login_as("reviewer")

    page = text(client.get(f"/admin/agreements/{agreement.id}"))
    assert "Medlemskommune" in page
    assert tr("Add participating buyer") not in page
    path = f"/admin/agreements/{agreement.id}"
    assert post(client, f"{path}/participants", {"buyer_id": str(other.id)}, token_from=path).status_code == 403
    assert _participants(db, agreement) == {member.id}


def test_a_participants_administrator_reads_the_agreement_and_cannot_change_who_takes_part(
    client, login_as, make, db
):
    lead = make.default_buyer
    agreement = make.agreement(reference="IS-2024-01")
    member = make.buyer(name="Medlemskommune")
    other = make.buyer(name="Tredje kommune")
    agreement.participants.append(member)
    db.session.commit()
    login_as("admin", buyer=member)

    page = client.get(f"/admin/agreements/{agreement.id}")
    assert page.status_code == 200
    assert tr("Joint agreement led by %(buyer)s. You see its follow-up read-only; it counts in your "
              "year report as joint follow-up.", buyer=lead.name) in text(page)
    assert tr("Edit agreement") not in text(page)
    assert tr("Add participating buyer") not in text(page)
    path = f"/admin/agreements/{agreement.id}"
    assert client.get(f"{path}/edit").status_code == 404
    assert post(client, f"{path}/participants", {"buyer_id": str(other.id)},
                token_from="/admin/agreements").status_code == 404
    assert post(client, f"{path}/participants/{member.id}/remove", {},
                token_from="/admin/agreements").status_code == 404
    assert _participants(db, agreement) == {member.id}
