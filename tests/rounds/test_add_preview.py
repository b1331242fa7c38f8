"""Adding agreements to a round: the choice shows a preview; only its confirmation creates and invites."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.models import AuditEvent, MailDelivery, Response, utcnow
from portal.rounds import services
from tests.auth.helpers import flashed, location, text
from tests.conftest import post_form
from tests.rounds.conftest import add_through_preview, choose_agreements, confirmation_on


def _count(db, entity):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(entity))


def _nothing_done(db):
    return (_count(db, Response), _count(db, MailDelivery),
            db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "response.created")))


@pytest.fixture
def setting(db, make, make_round, active_agreement):
    """One agreement: Alfa (two users), Beta (only an invitation not yet accepted), Gamma
    (already in the round for this agreement)."""
    alfa = make.supplier(name="Alfa AS")
    beta = make.supplier(name="Beta AS")
    gamma = make.supplier(name="Gamma AS")
    make.user(role="supplier", supplier=alfa, email="kari@alfa.no")
    make.user(role="supplier", supplier=alfa, email="ola@alfa.no", locale="en")
    make.user(role="supplier", supplier=beta, email="ny@beta.no", password_hash=None, invited_at=utcnow())
    make.user(role="supplier", supplier=gamma, email="per@gamma.no")
    agreement = active_agreement(suppliers=[alfa, beta, gamma], name_nb="Arbeidsklær", name_en="Workwear",
                                 reference="LK-77")
    round = make_round(deadline=date(clock.today().year + 1, 3, 31))
    db.session.add(Response(round=round, agreement=agreement, supplier=gamma, status="not_started",
                            deadline=round.deadline))
    db.session.commit()
    return round, agreement, {"alfa": alfa, "beta": beta, "gamma": gamma}


def test_the_choice_leads_to_a_preview_that_creates_and_sends_nothing(client, db, setting, login_as, sent_mail):
    round, agreement, s = setting
    login_as("admin", locale="en")
    before = _nothing_done(db)

    choice = choose_agreements(client, round.id, {"agreement_id": str(agreement.id)})

    assert choice.status_code == 302
    assert urlsplit(location(choice)).path == f"/rounds/{round.id}/agreements/preview"
    assert parse_qs(urlsplit(choice.headers["Location"]).query) == {"agreement_id": [str(agreement.id)]}
    preview = client.get(choice.headers["Location"])
    page = text(preview)
    assert preview.status_code == 200
    assert "Check before adding" in page
    # Responses to create: Alfa and Beta, with org number, agreement and deadline; Gamma skipped.
    created_part = page[page.index("Responses to create", page.index("Invitation e-mails")):]
    created_part = created_part[:created_part.index("Suppliers without a user")]
    for expected in ("Alfa AS", s["alfa"].org_number, "Beta AS", s["beta"].org_number,
                     "Workwear (LK-77)", f"31 Mar {round.deadline.year}", "2 users", "No user"):
        assert expected in created_part, expected
    assert "Gamma AS" not in created_part
    skipped_part = page[page.index("1 supplier already has a response for the agreement"):]
    assert "Gamma AS" in skipped_part
    # The e-mails: one to each of Alfa's two users; Beta has no user who can receive one.
    assert "2 invitation e-mails will be sent" in page
    assert confirmation_on(preview.get_data(as_text=True)) is not None
    assert "Create 2 responses and send the invitations" in page
    assert _nothing_done(db) == before
    assert sent_mail == []


def test_the_preview_lists_suppliers_without_a_user_with_a_way_to_invite_one(client, db, setting, login_as):
    round, agreement, s = setting
    login_as("admin", locale="en")
    here = f"/rounds/{round.id}/agreements/preview?agreement_id={agreement.id}"

    page = client.get(here).get_data(as_text=True)

    without = page[page.index('id="without-heading"'):page.index('id="skipped-heading"')]
    assert "Beta AS" in without
    assert "Alfa AS" not in without
    assert "Gamma AS" not in without
    links = [part.split('"')[0].replace("&amp;", "&") for part in without.split('href="')[1:]]
    [invite] = [link for link in links if link.startswith("/admin/users/invite")]
    query = parse_qs(urlsplit(invite).query)
    assert query == {"supplier": [str(s["beta"].id)], "next": [here]}
    # The pending account invitation is counted.
    assert "<td>1</td>" in without

    # Inviting there returns to the preview, where Beta still lacks a user until the account exists.
    form = client.get(invite).get_data(as_text=True)
    assert f'<option selected value="{s["beta"].id}"' in form or f'value="{s["beta"].id}" selected' in form
    assert "Back without inviting" in form
    sent = post_form(client, invite, {"email": "anna@beta.no", "name": "Anna", "role": "supplier",
                                      "supplier_id": str(s["beta"].id), "locale": "nb"})
    assert sent.status_code == 302
    assert sent.headers["Location"].endswith(here)


def test_inviting_ignores_a_next_address_outside_the_portal(client, db, setting, login_as):
    _round, _agreement, s = setting
    login_as("admin", locale="en")

    sent = post_form(client, f"/admin/users/invite?supplier={s['beta'].id}&next=//evil.example/x",
                     {"email": "anna@beta.no", "name": "Anna", "role": "supplier",
                      "supplier_id": str(s["beta"].id), "locale": "nb"})

    assert location(sent) == "/admin/users"


def test_confirming_creates_the_responses_and_invites_as_before(client, db, setting, login_as, sent_mail):
    round, agreement, s = setting
    login_as("admin", locale="en")

    reply = add_through_preview(client, round.id, {"agreement_id": str(agreement.id)})

    assert reply.status_code == 302
    assert location(reply) == f"/rounds/{round.id}"
    db.session.expire_all()
    created = db.session.scalars(select(Response).where(Response.round_id == round.id,
                                                        Response.supplier_id != s["gamma"].id)).all()
    assert sorted(r.supplier.name for r in created) == ["Alfa AS", "Beta AS"]
    assert all(r.invited_at is not None and r.deadline == round.deadline for r in created)
    assert sorted(m.to for m in sent_mail) == ["kari@alfa.no", "ola@alfa.no"]
    assert flashed(client) == ["2 responses were created. 2 invitation e-mails were sent."]


def test_a_change_since_the_preview_shows_the_new_preview_and_creates_nothing(
        client, db, make, setting, login_as, sent_mail):
    round, agreement, _s = setting
    login_as("admin", locale="en")
    preview = client.get(f"/rounds/{round.id}/agreements/preview?agreement_id={agreement.id}")
    shown = confirmation_on(preview.get_data(as_text=True))
    # Meanwhile a supplier joins the agreement.
    agreement.suppliers.append(make.supplier(name="Delta AS"))
    db.session.commit()
    before = _nothing_done(db)

    reply = post_form(client, f"/rounds/{round.id}/agreements",
                      {"agreement_id": str(agreement.id), "confirmation": shown},
                      token_from=f"/rounds/{round.id}")

    assert reply.status_code == 200
    page = text(reply)
    assert "has changed since you saw the preview" in page
    assert "Delta AS" in page
    assert _nothing_done(db) == before
    assert sent_mail == []
    # The new preview can be confirmed: it creates what it shows.
    again = post_form(client, f"/rounds/{round.id}/agreements",
                      {"agreement_id": str(agreement.id), "confirmation": confirmation_on(reply.get_data(as_text=True))},
                      token_from=f"/rounds/{round.id}")
    assert again.status_code == 302
    assert _count(db, Response) == before[0] + 3


def test_a_user_who_completed_the_account_since_the_preview_changes_it(client, db, setting, login_as, sent_mail):
    round, agreement, s = setting
    login_as("admin", locale="en")
    shown = confirmation_on(client.get(
        f"/rounds/{round.id}/agreements/preview?agreement_id={agreement.id}").get_data(as_text=True))
    beta_user = s["beta"].users[0]
    beta_user.password_hash = s["alfa"].users[0].password_hash
    db.session.commit()

    reply = post_form(client, f"/rounds/{round.id}/agreements",
                      {"agreement_id": str(agreement.id), "confirmation": shown},
                      token_from=f"/rounds/{round.id}")

    assert reply.status_code == 200
    assert "3 invitation e-mails will be sent" in text(reply)
    assert sent_mail == []


@pytest.mark.parametrize("confirmation", ["0" * 64, "not-a-fingerprint", "x" * 500])
def test_a_forged_confirmation_creates_nothing(client, db, setting, login_as, sent_mail, confirmation):
    round, agreement, _s = setting
    login_as("admin", locale="en")
    before = _nothing_done(db)

    reply = post_form(client, f"/rounds/{round.id}/agreements",
                      {"agreement_id": str(agreement.id), "confirmation": confirmation},
                      token_from=f"/rounds/{round.id}")

    assert reply.status_code == 200
    assert _nothing_done(db) == before
    assert sent_mail == []


def test_a_confirmation_posted_with_another_choice_shows_that_choice_instead(
        client, db, setting, active_agreement, make, login_as, sent_mail):
    round, agreement, _s = setting
    other = active_agreement(suppliers=[make.supplier(name="Epsilon AS")], name_en="Footwear")
    db.session.commit()
    login_as("admin", locale="en")
    shown = confirmation_on(client.get(
        f"/rounds/{round.id}/agreements/preview?agreement_id={agreement.id}").get_data(as_text=True))
    before = _nothing_done(db)

    reply = post_form(client, f"/rounds/{round.id}/agreements",
                      {"agreement_id": str(other.id), "confirmation": shown},
                      token_from=f"/rounds/{round.id}")

    assert reply.status_code == 200
    assert "Epsilon AS" in text(reply)
    assert "has changed since you saw the preview" in text(reply)
    assert _nothing_done(db) == before


def test_bulk_preview_lists_created_and_skipped_across_agreements(
        client, db, make, make_round, active_agreement, login_as, sent_mail):
    first, second = make.supplier(name="Alfa AS"), make.supplier(name="Beta AS")
    make.user(role="supplier", supplier=first, email="kari@alfa.no")
    with_condition = active_agreement(suppliers=[first, second], contract_condition=True, name_en="Workwear")
    active_agreement(suppliers=[second], contract_condition=False, name_en="Paper")
    round = make_round()
    services.add_agreement_to_round(round, with_condition, actor=None)
    db.session.commit()
    third = make.supplier(name="Gamma AS")
    with_condition.suppliers.append(third)
    db.session.commit()
    login_as("admin", locale="en")

    choice = choose_agreements(client, round.id, {"rule": "contract_condition"}, bulk=True)
    page = text(client.get(choice.headers["Location"]))

    assert parse_qs(urlsplit(choice.headers["Location"]).query) == {"rule": ["contract_condition"]}
    assert "1 response to create" in page
    assert "Gamma AS" in page
    assert "2 suppliers already have a response for the agreement" in page
    assert "Paper" not in page
    assert "No invitation e-mail will be sent: none of these suppliers has a user yet." in page
    assert "Create 1 response" in page
    assert "send the invitations" not in page
    assert sent_mail == []


def test_a_historical_round_preview_says_no_email_is_sent(client, db, make, make_round, active_agreement, login_as):
    year = clock.today().year - 2
    supplier = make.supplier(name="Alfa AS")
    make.user(role="supplier", supplier=supplier)
    agreement = active_agreement(suppliers=[supplier], start_date=date(year, 1, 1), end_date=date(year, 12, 31))
    round = make_round(year=year, deadline=date(year, 10, 1), historical=True)
    login_as("admin", locale="en")

    page = text(client.get(f"/rounds/{round.id}/agreements/preview?agreement_id={agreement.id}"))

    assert "No e-mail will be sent" in page
    assert "No e-mail (historical round)" in page
    assert "send the invitations" not in page


def test_a_preview_where_no_supplier_has_a_user_says_no_email_is_sent(
        client, db, make, make_round, active_agreement, login_as):
    # Seen in the 375 px screenshot: "0 invitation e-mails will be sent: one to each user…".
    supplier = make.supplier(name="Alfa AS")
    agreement = active_agreement(suppliers=[supplier])
    round = make_round(year=clock.today().year, name_nb=f"Oppfølging {clock.today().year}")
    login_as("admin", locale="en")

    page = text(client.get(f"/rounds/{round.id}/agreements/preview?agreement_id={agreement.id}"))

    assert "No invitation e-mail will be sent: none of these suppliers has a user yet." in page
    assert "0 invitation e-mails will be sent" not in page
    assert "Create 1 response" in page
    assert "send the invitations" not in page


@pytest.mark.parametrize("query", ["", "?agreement_id=abc", "?agreement_id=0", "?rule=everything",
                                   "?rule=category&category=nonsense", "?agreement_id=99999999999999999999"])
def test_a_bad_choice_in_the_address_shows_the_round_with_the_error(client, db, setting, login_as, query):
    round, _agreement, _s = setting
    login_as("admin", locale="en")
    before = _nothing_done(db)

    reply = client.get(f"/rounds/{round.id}/agreements/preview{query}")

    assert reply.status_code == 200
    assert "There is a problem" in text(reply)
    assert _nothing_done(db) == before


# Tenancy


@pytest.fixture
def other_buyer(db, make, make_round):
    buyer = make.buyer(name="Annen kommune")
    supplier = make.supplier(name="Fremmed AS")
    agreement = make.agreement(suppliers=[supplier], buyer=buyer, start_date=clock.today() - timedelta(days=10),
                               end_date=clock.today() + timedelta(days=100))
    round = make_round(buyer=buyer)
    db.session.commit()
    return round, agreement


def test_another_buyers_round_is_not_found(client, db, setting, other_buyer, login_as):
    _round, agreement, _s = setting
    foreign_round, foreign_agreement = other_buyer
    login_as("admin", locale="en")

    assert client.get(f"/rounds/{foreign_round.id}/agreements/preview?agreement_id={foreign_agreement.id}"
                      ).status_code == 404
    for path in (f"/rounds/{foreign_round.id}/agreements", f"/rounds/{foreign_round.id}/agreements/bulk"):
        reply = post_form(client, path, {"agreement_id": str(foreign_agreement.id), "rule": "contract_condition"},
                          token_from="/rounds")
        assert reply.status_code == 404


def test_another_buyers_agreement_is_not_found_in_an_own_round(client, db, setting, other_buyer, login_as):
    round, _agreement, _s = setting
    _foreign_round, foreign_agreement = other_buyer
    login_as("admin", locale="en")
    before = _nothing_done(db)

    assert client.get(f"/rounds/{round.id}/agreements/preview?agreement_id={foreign_agreement.id}"
                      ).status_code == 404
    reply = post_form(client, f"/rounds/{round.id}/agreements",
                      {"agreement_id": str(foreign_agreement.id), "confirmation": "0" * 64},
                      token_from=f"/rounds/{round.id}")
    assert reply.status_code == 404
    assert _nothing_done(db) == before


def test_a_participant_of_a_joint_agreement_cannot_preview_the_lead_round(
        client, db, make, setting, login_as):
    round, agreement, _s = setting
    partner = make.buyer(name="Deltakerkommune")
    agreement.participants.append(partner)
    db.session.commit()
    login_as("admin", locale="en", buyer=partner)

    assert client.get(f"/rounds/{round.id}").status_code == 200  # reads it, as before
    assert client.get(f"/rounds/{round.id}/agreements/preview?agreement_id={agreement.id}").status_code == 404
