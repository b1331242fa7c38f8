"""Creating rounds and adding agreements: responses per supplier, invitations by e-mail."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from babel.dates import format_date
from flask import url_for
from sqlalchemy import func, select

from portal import clock
from portal.models import AuditEvent, FollowUpRound, Response, ResponseStatus
from portal.rounds import notify, services
from tests.auth.helpers import flashed, location, text, tr
from tests.conftest import post_form
from tests.rounds.conftest import add_through_preview, choose_agreements, confirmation_on, ntr


def _responses(db, round_id):
    db.session.expire_all()
    return db.session.scalars(
        select(Response).where(Response.round_id == round_id).order_by(Response.id)
    ).all()


# Creating a round


def test_admin_creates_a_round(client, db, version, login_as):
    admin = login_as("admin", locale="en")
    deadline = clock.today() + timedelta(days=90)

    response = post_form(client, "/rounds/new", {
        "year": "2025", "name_nb": "Oppfølging 2025", "name_en": "Follow-up 2025",
        "questionnaire_version_id": str(version.id), "deadline": deadline.isoformat(),
        "intro_nb": "Hei", "intro_en": "",
    })

    assert response.status_code == 302
    round = db.session.scalar(select(FollowUpRound))
    assert location(response) == f"/rounds/{round.id}"
    assert (round.year, round.name_nb, round.deadline) == (2025, "Oppfølging 2025", deadline)
    assert round.questionnaire_version_id == version.id
    assert round.created_by_id == admin.id
    assert db.session.scalar(
        select(AuditEvent.actor_id).where(AuditEvent.action == "round.created", AuditEvent.object_id == round.id)
    ) == admin.id
    assert "Follow-up 2025" in text(client.get(location(response)))


def test_a_round_needs_a_deadline_not_in_the_past_and_names(client, db, version, login_as):
    login_as("admin", locale="en")

    response = post_form(client, "/rounds/new", {
        "year": "1999", "name_nb": "", "name_en": "Follow-up",
        "questionnaire_version_id": str(version.id),
        "deadline": (clock.today() - timedelta(days=1)).isoformat(),
    })

    assert response.status_code == 200
    page = text(response)
    assert "The deadline cannot be in the past" in page
    assert "Enter the round's Norwegian name" in page
    assert "Enter a year between 2000 and 2100" in page
    assert db.session.scalar(select(func.count(FollowUpRound.id))) == 0


def test_rounds_are_listed_with_counts(client, db, make_round, active_agreement, login_as):
    old = make_round(year=2024, name_en="Old round")
    new = make_round(year=2025, name_en="New round")
    services.add_agreement_to_round(new, active_agreement(), actor=None)
    db.session.commit()
    login_as("reviewer", locale="en")

    page = text(client.get("/rounds"))

    assert page.index("New round") < page.index("Old round")
    assert old.id != new.id


# Adding agreements


@pytest.fixture
def two_suppliers(make, active_agreement):
    """An agreement with two suppliers and users in every state."""
    first, second = make.supplier(name="Alfa AS"), make.supplier(name="Beta AS")
    users = {
        "nb": make.user(role="supplier", supplier=first, locale="nb", email="nb@alfa.no"),
        "en": make.user(role="supplier", supplier=first, locale="en", email="en@alfa.no"),
        "invited": make.user(role="supplier", supplier=first, password_hash=None, email="invited@alfa.no"),
        "inactive": make.user(role="supplier", supplier=first, is_active=False, email="gone@alfa.no"),
        "beta": make.user(role="supplier", supplier=second, locale="en", email="en@beta.no"),
    }
    agreement = active_agreement(suppliers=[first, second], name_nb="Arbeidsklær", name_en="Workwear")
    return agreement, users


def test_adding_an_agreement_creates_a_response_per_supplier_and_invites_users(
    client, db, make_round, two_suppliers, login_as, sent_mail
):
    agreement, _users = two_suppliers
    deadline = date(clock.today().year + 1, 3, 31)
    round = make_round(deadline=deadline, name_nb="Oppfølging 2025", name_en="Follow-up 2025")
    login_as("admin")

    response = add_through_preview(client, round.id, {"agreement_id": str(agreement.id)})

    assert response.status_code == 302
    assert location(response) == f"/rounds/{round.id}"
    responses = _responses(db, round.id)
    assert sorted(r.supplier.name for r in responses) == ["Alfa AS", "Beta AS"]
    for r in responses:
        assert (r.agreement_id, r.status, r.deadline) == (agreement.id, ResponseStatus.NOT_STARTED, deadline)
        assert r.invited_at is not None
    assert db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "response.created")
    ) == 2

    by_address = {m.to: m for m in sent_mail}
    assert sorted(by_address) == ["en@alfa.no", "en@beta.no", "nb@alfa.no"]
    nb, en = by_address["nb@alfa.no"], by_address["en@alfa.no"]
    assert format_date(deadline, "long", locale="nb") == f"31. mars {deadline.year}"
    assert nb.subject == tr("%(round)s: %(agreement)s – answer by %(date)s", "nb",
                            round="Oppfølging 2025", agreement="Arbeidsklær",
                            date=f"31. mars {deadline.year}")
    assert f"31. mars {deadline.year}" in nb.text
    assert "Arbeidsklær" in nb.text
    assert en.subject == f"Follow-up 2025: Workwear – answer by 31 March {deadline.year}"
    assert f"31 March {deadline.year}" in en.text
    assert "Welcome" in en.text
    assert "Velkommen" in nb.text
    assert flashed(client) == [
        ntr("%(num)s response was created.", "%(num)s responses were created.", 2) + " "
        + ntr("%(num)s invitation e-mail was sent.", "%(num)s invitation e-mails were sent.", 3)
    ]


def test_invitation_links_to_the_response(app, db, make_round, two_suppliers, sent_mail):
    agreement, users = two_suppliers
    round = make_round()
    created = services.add_agreement_to_round(round, agreement, actor=None)
    notify.send_round_invitations(created)
    db.session.commit()

    beta = next(m for m in sent_mail if m.to == "en@beta.no")
    beta_response = next(r for r in created if r.supplier_id == users["beta"].supplier_id)
    assert "http://aktsom.test/" in beta.text
    if "responses.view_response" not in app.view_functions:
        pytest.skip("the response page (responses.view_response) is not registered yet")
    with app.test_request_context():
        expected = url_for("responses.view_response", response_id=beta_response.id)
    assert f"http://aktsom.test{expected}" in beta.text
    assert f'href="http://aktsom.test{expected}"' in beta.html


def test_adding_the_same_agreement_again_creates_nothing(db, make, make_round, two_suppliers, sent_mail):
    agreement, _users = two_suppliers
    round = make_round()
    first = services.add_agreement_to_round(round, agreement, actor=None)
    db.session.commit()

    again = services.add_agreement_to_round(round, agreement, actor=None)
    assert again == []
    assert notify.send_round_invitations(again) == 0
    assert sent_mail == []

    # A supplier who joins the agreement later is added on its own.
    newcomer = make.supplier(name="Gamma AS")
    agreement.suppliers.append(newcomer)
    later = services.add_agreement_to_round(round, agreement, actor=None)
    assert [r.supplier_id for r in later] == [newcomer.id]
    assert len(_responses(db, round.id)) == len(first) + 1


def test_the_add_form_offers_only_agreements_with_suppliers_missing_from_the_round(
    client, db, make, make_round, active_agreement, login_as
):
    round = make_round()
    added = active_agreement(name_en="Already added")
    open_ = active_agreement(name_en="Not yet added")
    active_agreement(name_en="Ended long ago", start_date=date(2010, 1, 1), end_date=date(2011, 1, 1))
    active_agreement(name_en="Without suppliers", suppliers=[])
    services.add_agreement_to_round(round, added, actor=None)
    db.session.commit()
    login_as("admin", locale="en")

    page = text(client.get(f"/rounds/{round.id}"))

    assert f"Not yet added ({open_.reference})" in page
    assert f"Already added ({added.reference})" not in page
    assert "Ended long ago" not in page
    assert "Without suppliers" not in page


def test_adding_without_choosing_an_agreement_shows_the_error(client, db, make_round, login_as):
    round = make_round()
    login_as("admin", locale="en")

    response = post_form(client, f"/rounds/{round.id}/agreements", {"agreement_id": "0"},
                         token_from=f"/rounds/{round.id}")

    assert response.status_code == 200
    assert "Choose the agreement to add" in text(response)


# Bulk


@pytest.fixture
def agreements(make, active_agreement):
    today = clock.today()
    return {
        "condition": active_agreement(contract_condition=True, dfo_category="ict"),
        "no_condition": active_agreement(contract_condition=False, dfo_category="workwear"),
        "ended": active_agreement(contract_condition=True, dfo_category="workwear",
                                  start_date=today - timedelta(days=800), end_date=today - timedelta(days=1)),
        "future": active_agreement(contract_condition=True, dfo_category="workwear",
                                   start_date=today + timedelta(days=1), end_date=None),
        "open_ended": active_agreement(contract_condition=True, dfo_category="food", end_date=None),
        "two_suppliers": active_agreement(contract_condition=False, dfo_category="workwear",
                                          suppliers=[make.supplier(), make.supplier()]),
    }


def _agreement_ids(responses):
    return {r.agreement_id for r in responses}


def test_bulk_by_contract_condition_takes_active_agreements_with_the_condition(db, make_round, agreements):
    round = make_round()

    created = services.add_agreements_in_bulk(round, rule="contract_condition", category=None, actor=None)

    assert _agreement_ids(created) == {agreements["condition"].id, agreements["open_ended"].id}
    assert services.add_agreements_in_bulk(round, rule="contract_condition", category=None, actor=None) == []


def test_bulk_by_category_takes_active_agreements_in_the_category(db, make_round, agreements):
    round = make_round()

    created = services.add_agreements_in_bulk(round, rule="category", category="workwear", actor=None)

    assert _agreement_ids(created) == {agreements["no_condition"].id, agreements["two_suppliers"].id}
    assert len(created) == 3


def test_bulk_rejects_unknown_rules_and_categories(db, make_round):
    round = make_round()
    with pytest.raises(ValueError, match="category"):
        services.add_agreements_in_bulk(round, rule="category", category="nonsense", actor=None)
    with pytest.raises(ValueError, match="rule"):
        services.add_agreements_in_bulk(round, rule="everything", category=None, actor=None)


def test_bulk_through_the_page(client, db, make, make_round, agreements, login_as, sent_mail):
    round = make_round()
    supplier = agreements["condition"].suppliers[0]
    make.user(role="supplier", supplier=supplier, email="someone@ict.no")
    db.session.commit()
    login_as("admin", locale="en")

    response = add_through_preview(client, round.id, {"rule": "contract_condition"}, bulk=True)

    assert response.status_code == 302
    assert _agreement_ids(_responses(db, round.id)) == {agreements["condition"].id, agreements["open_ended"].id}
    assert [m.to for m in sent_mail] == ["someone@ict.no"]
    assert flashed(client) == ["2 responses were created. 1 invitation e-mail was sent."]

    again = client.get(location(choose_agreements(client, round.id, {"rule": "contract_condition"}, bulk=True)))
    assert "No responses would be created" in text(again)
    assert confirmation_on(again.get_data(as_text=True)) is None


def test_bulk_by_category_needs_a_category(client, db, make_round, login_as):
    round = make_round()
    login_as("admin", locale="en")

    response = post_form(client, f"/rounds/{round.id}/agreements/bulk", {"rule": "category", "category": ""},
                         token_from=f"/rounds/{round.id}")

    assert response.status_code == 200
    assert "Choose the DFØ high-risk category whose agreements to add" in text(response)
    assert _responses(db, round.id) == []


def test_round_page_lists_responses_with_status_and_overdue_flag(
    client, db, make_round, active_agreement, login_as
):
    round = make_round(deadline=clock.today() + timedelta(days=5))
    late, on_time = (active_agreement(name_en=name) for name in ("Late agreement", "On-time agreement"))
    created = services.add_agreement_to_round(round, late, actor=None)
    services.add_agreement_to_round(round, on_time, actor=None)
    created[0].deadline = clock.today() - timedelta(days=2)
    db.session.commit()
    login_as("reviewer", locale="en")

    response = client.get(f"/rounds/{round.id}")

    page = text(response)
    assert response.status_code == 200
    assert page.count("Overdue") == 1
    assert page.index("Late agreement") < page.index("Overdue") < page.index("On-time agreement")
    assert "Not started" in page
    assert "Add an agreement" not in page  # reviewers do not change rounds
    assert "<caption" in response.get_data(as_text=True)
