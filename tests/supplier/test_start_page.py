"""The supplier's start page: requests to do (nearest deadline first, each with its buyer) and done."""

from __future__ import annotations

from datetime import timedelta

from portal import clock
from portal.models import FollowUpRound, Response
from tests.responses.conftest import store_shipped_version


def _request(db, make, supplier, buyer, *, days, status="not_started", name=None):
    agreement = make.agreement(suppliers=[supplier], buyer=buyer, name_nb=name or f"Avtale om {days}")
    round_ = FollowUpRound(year=2026, name_nb=f"Oppfølging {buyer.name}", name_en="Follow-up",
                           questionnaire_version=store_shipped_version(db), buyer_id=buyer.id,
                           deadline=clock.today() + timedelta(days=days))
    db.session.add(round_)
    response = Response(round=round_, agreement=agreement, supplier=supplier, status=status,
                        deadline=round_.deadline)
    db.session.add(response)
    db.session.flush()
    return response


def test_to_do_lists_requests_of_every_buyer_nearest_deadline_first(client, make, db, login_as):
    user = login_as("supplier")
    supplier = user.supplier
    first, second = make.buyer(name="Fjordvik kommune"), make.buyer(name="Vestby kommune")
    later = _request(db, make, supplier, first, days=40, name="Arbeidsklær")
    sooner = _request(db, make, supplier, second, days=5, status="returned", name="Solcellepaneler")
    middle = _request(db, make, supplier, first, days=20, status="in_progress", name="Skotøy")
    done = _request(db, make, supplier, second, days=-10, status="submitted", name="Møbler")
    db.session.commit()

    page = client.get("/company/").get_data(as_text=True)

    to_do = page.split('id="to-do-heading"', 1)[1].split('id="done-heading"', 1)[0]
    finished = page.split('id="done-heading"', 1)[1].split('id="agreements-heading"', 1)[0]
    assert to_do.index("Solcellepaneler") < to_do.index("Skotøy") < to_do.index("Arbeidsklær")
    assert "Møbler" not in to_do
    assert "Møbler" in finished
    # Each card names its buyer and has exactly one primary action, to the response.
    cards = to_do.split('<li class="request-card">')[1:]
    assert len(cards) == 3
    for card, response, buyer in ((cards[0], sooner, second), (cards[1], middle, first), (cards[2], later, first)):
        assert buyer.name in card
        assert card.count('data-variant="primary"') == 1
        assert f'href="/responses/{response.id}"' in card
        assert "ds-tag" in card
    assert f'href="/responses/{done.id}"' in finished


def test_nothing_to_do_says_so(client, db, login_as):
    login_as("supplier")
    db.session.commit()
    page = client.get("/company/").get_data(as_text=True)
    assert 'id="to-do-heading"' in page
    assert 'id="done-heading"' in page
    assert "request-card" not in page


def test_each_request_shows_its_buyer_agreement_round_deadline_and_status(client, make, db, login_as):
    user = login_as("supplier", locale="en")
    supplier = user.supplier
    first, second = make.buyer(name="Fjordvik kommune"), make.buyer(name="Vestby kommune")
    overdue = _request(db, make, supplier, first, days=-2, name="Arbeidsklær")
    returned = _request(db, make, supplier, second, days=9, status="returned", name="Skotøy")
    for response, name_en in ((overdue, "Workwear"), (returned, "Footwear")):
        response.agreement.name_en = name_en
        response.round.name_en = f"Follow-up of {response.agreement.buyer.name}"
    db.session.commit()

    page = client.get("/company/").get_data(as_text=True)

    cards = page.split('id="to-do-heading"', 1)[1].split('id="done-heading"', 1)[0].split(
        '<li class="request-card">')[1:]
    assert len(cards) == 2
    for card, response, buyer, other, name, status in (
            (cards[0], overdue, first, second, "Workwear", "Overdue"),
            (cards[1], returned, second, first, "Footwear", "Clarification requested")):
        assert buyer.name in card
        assert other.name not in card
        assert name in card
        assert f"Follow-up of {buyer.name}" in card
        deadline = response.deadline
        assert f"Deadline {deadline.day} {deadline.strftime('%B')} {deadline.year}" in card
        assert status in card
