"""One request per supplier: invitations and reminders grouped per supplier user and round.

A supplier user gets one invitation per round listing the supplier's new responses (each
with its deadline and link), one reminder per round and stage, and separate e-mails for
separate buyers; repeating a call, a tick or a job sends nothing twice.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal import mail
from portal.models import MailDelivery, Response
from portal.review import services as review
from portal.rounds import notify, services
from tests.auth.helpers import tr
from tests.rounds.conftest import ntr

DEADLINE = date(2026, 3, 31)


@pytest.fixture
def supplier_users(db, make):
    """A supplier with a Norwegian and an English user (and one who never signed in)."""
    supplier = make.supplier(name="Alfa AS")
    make.user(role="supplier", supplier=supplier, email="kari@alfa.no", locale="nb", name="Kari")
    make.user(role="supplier", supplier=supplier, email="john@alfa.no", locale="en", name="John")
    make.user(role="supplier", supplier=supplier, email="pending@alfa.no", password_hash=None)
    db.session.commit()
    return supplier


def _agreement(active_agreement, supplier, nb, en, **kwargs):
    return active_agreement(suppliers=[supplier], name_nb=nb, name_en=en, **kwargs)


def _deliveries(db):
    db.session.expire_all()
    return db.session.scalars(select(MailDelivery).order_by(MailDelivery.id)).all()


def _to(sent_mail, address):
    return [m for m in sent_mail if m.to == address]


# Invitations


def test_two_agreements_of_one_supplier_make_one_invitation_per_user_listing_both(
        db, make_round, active_agreement, supplier_users, sent_mail):
    round_ = make_round(deadline=DEADLINE)
    workwear = _agreement(active_agreement, supplier_users, "Arbeidsklær", "Workwear")
    shoes = _agreement(active_agreement, supplier_users, "Skotøy", "Footwear")
    created = services.add_agreements_in_bulk(round_, rule=services.BULK_CONTRACT_CONDITION, actor=None)
    assert {r.agreement_id for r in created} == {workwear.id, shoes.id}

    assert notify.send_round_invitations(created) == 2
    db.session.commit()

    assert sorted(m.to for m in sent_mail) == ["john@alfa.no", "kari@alfa.no"]
    english, norwegian = _to(sent_mail, "john@alfa.no")[0], _to(sent_mail, "kari@alfa.no")[0]
    assert english.subject == "Follow-up 2025: 2 agreements – answer by 31 March 2026"
    assert norwegian.subject == ntr("%(round)s: %(num)s agreement – answer by %(date)s",
                                    "%(round)s: %(num)s agreements – answer by %(date)s", 2, "nb",
                                    round="Oppfølging 2025", date="31. mars 2026")
    for message, names in ((english, ("Workwear", "Footwear")), (norwegian, ("Arbeidsklær", "Skotøy"))):
        for name in names:
            assert name in message.text
            assert name in message.html
        for response in created:
            assert f"http://aktsom.test/responses/{response.id}" in message.text
            assert f'href="http://aktsom.test/responses/{response.id}"' in message.html
        assert "http://aktsom.test/company/" in message.text
    assert "31 March 2026" in english.text
    assert "31. mars 2026" in norwegian.text
    assert "Welcome" in english.text
    assert "Velkommen" in norwegian.text
    assert "Alfa AS" in english.text


def test_an_agreement_joining_later_gets_one_invitation_about_it_only(
        db, make_round, active_agreement, supplier_users, sent_mail):
    round_ = make_round(deadline=DEADLINE)
    first = [services.add_agreement_to_round(round_, _agreement(active_agreement, supplier_users, nb, en),
                                             actor=None)[0]
             for nb, en in (("Arbeidsklær", "Workwear"), ("Skotøy", "Footwear"))]
    notify.send_round_invitations(first)
    db.session.commit()
    assert len(sent_mail) == 2

    third = services.add_agreement_to_round(
        round_, _agreement(active_agreement, supplier_users, "Solcellepaneler", "Solar panels"), actor=None)
    assert notify.send_round_invitations(third) == 2
    db.session.commit()

    later = sent_mail[2:]
    assert sorted(m.to for m in later) == ["john@alfa.no", "kari@alfa.no"]
    english = _to(later, "john@alfa.no")[0]
    assert english.subject == "Follow-up 2025: Solar panels – answer by 31 March 2026"
    assert f"/responses/{third[0].id}" in english.text
    for response in first:
        assert f"/responses/{response.id}" not in english.text
    assert "Workwear" not in english.text
    assert "Footwear" not in english.text
    assert "The 2 requests your company got earlier in this round are unchanged." in english.text
    norwegian = _to(later, "kari@alfa.no")[0]
    assert "Solcellepaneler" in norwegian.subject
    assert tr("The request your company got earlier in this round is unchanged.", "nb") not in norwegian.text


def test_inviting_the_same_responses_again_or_retrying_the_job_sends_nothing_twice(
        db, make_round, active_agreement, supplier_users, sent_mail):
    round_ = make_round(deadline=DEADLINE)
    _agreement(active_agreement, supplier_users, "Arbeidsklær", "Workwear")
    _agreement(active_agreement, supplier_users, "Skotøy", "Footwear")
    created = services.add_agreements_in_bulk(round_, rule=services.BULK_CONTRACT_CONDITION, actor=None)
    notify.send_round_invitations(created)
    db.session.commit()

    # The same call again (a repeated request, a retried job that queues the invitations):
    assert notify.send_round_invitations(list(reversed(created))) == 0
    db.session.commit()
    deliveries = _deliveries(db)
    assert len(deliveries) == 2
    assert len({d.event_key for d in deliveries}) == 1
    assert deliveries[0].event_key.startswith(f"round:{round_.id}:invitation:")
    # The sending job run again for every row:
    for delivery in deliveries:
        mail.deliver_mail(delivery.id)
    assert len(sent_mail) == 2


def test_rounds_of_two_buyers_make_two_invitations_each_naming_its_buyer(
        db, make, make_round, active_agreement, supplier_users, sent_mail):
    fjordvik, vestby = make.buyer(name="Fjordvik kommune"), make.buyer(name="Vestby kommune")
    created = []
    for buyer, nb, en in ((fjordvik, "Arbeidsklær", "Workwear"), (vestby, "Skotøy", "Footwear")):
        round_ = make_round(deadline=DEADLINE, buyer=buyer)
        agreement = _agreement(active_agreement, supplier_users, nb, en, buyer=buyer)
        created += services.add_agreement_to_round(round_, agreement, actor=None)

    assert notify.send_round_invitations(created) == 4
    db.session.commit()

    english = _to(sent_mail, "john@alfa.no")
    assert len(english) == 2
    by_agreement = {("Workwear" in m.text): m for m in english}
    assert "Fjordvik kommune" in by_agreement[True].text
    assert "Vestby kommune" not in by_agreement[True].text
    assert "Vestby kommune" in by_agreement[False].text
    assert "Fjordvik kommune" not in by_agreement[False].text


def test_adding_agreements_through_the_page_sends_one_invitation_per_user(
        client, db, make_round, active_agreement, supplier_users, sent_mail, login_as):
    from tests.rounds.conftest import add_through_preview

    round_ = make_round(deadline=DEADLINE)
    _agreement(active_agreement, supplier_users, "Arbeidsklær", "Workwear")
    _agreement(active_agreement, supplier_users, "Skotøy", "Footwear")
    login_as("admin")

    reply = add_through_preview(client, round_.id, {"rule": "contract_condition"}, bulk=True)

    assert reply.status_code == 302
    assert db.session.scalar(select(func.count(Response.id)).where(Response.round_id == round_.id)) == 2
    assert sorted(m.to for m in sent_mail) == ["john@alfa.no", "kari@alfa.no"]


# Reminders


@pytest.fixture
def two_responses(db, make_round, active_agreement, supplier_users):
    round_ = make_round(deadline=DEADLINE)
    created = [services.add_agreement_to_round(round_, _agreement(active_agreement, supplier_users, nb, en),
                                               actor=None)[0]
               for nb, en in (("Arbeidsklær", "Workwear"), ("Skotøy", "Footwear"))]
    db.session.commit()
    return created


def _tick(db, day, **kwargs):
    counts = services.send_due_reminders(day, after_batch=db.session.commit, **kwargs)
    db.session.commit()
    return counts


def test_two_responses_due_at_one_stage_make_one_reminder_per_user(db, two_responses, sent_mail):
    counts = _tick(db, DEADLINE - timedelta(days=3))

    assert counts["3_days"] == 2
    assert counts["emails"] == 2
    assert sorted(m.to for m in sent_mail) == ["john@alfa.no", "kari@alfa.no"]
    english = _to(sent_mail, "john@alfa.no")[0]
    assert english.subject == "Reminder: 2 answers to Follow-up 2025 – the first deadline is 31 March 2026"
    assert "Workwear: the deadline is 31 March 2026, in 3 days." in english.text
    assert "Footwear: the deadline is 31 March 2026, in 3 days." in english.text
    for response in two_responses:
        assert f"/responses/{response.id}" in english.text
    norwegian = _to(sent_mail, "kari@alfa.no")[0]
    assert norwegian.subject == ntr(
        "Reminder: %(num)s answer to %(round)s – the first deadline is %(date)s",
        "Reminder: %(num)s answers to %(round)s – the first deadline is %(date)s", 2, "nb",
        round="Oppfølging 2025", date="31. mars 2026")
    assert "Arbeidsklær: " + ntr("the deadline is %(date)s, in %(num)s day.",
                                 "the deadline is %(date)s, in %(num)s days.", 3, "nb",
                                 date="31. mars 2026") in norwegian.text
    db.session.expire_all()
    assert all(db.session.get(Response, r.id).reminded_3_at is not None for r in two_responses)

    # The tick repeated reminds nobody again.
    assert _tick(db, DEADLINE - timedelta(days=3))["emails"] == 0
    assert _tick(db, DEADLINE - timedelta(days=2))["emails"] == 0
    assert len(sent_mail) == 2


def test_responses_at_different_stages_get_separate_reminders(db, two_responses, sent_mail):
    later = two_responses[1]
    services.extend_deadline(later, DEADLINE + timedelta(days=10), actor=None, reason="x",
                             today=DEADLINE - timedelta(days=3))
    db.session.commit()

    counts = _tick(db, DEADLINE - timedelta(days=3))

    assert (counts["3_days"], counts["14_days"], counts["emails"]) == (1, 1, 4)
    english = sorted(m.subject for m in _to(sent_mail, "john@alfa.no"))
    assert english == ["Reminder: Footwear – the deadline is 10 April 2026",
                       "Reminder: Workwear – the deadline is 31 March 2026"]


def test_overdue_responses_are_listed_in_one_overdue_reminder(db, two_responses, sent_mail):
    counts = _tick(db, DEADLINE + timedelta(days=2))

    assert (counts["overdue"], counts["emails"]) == (2, 2)
    english = _to(sent_mail, "john@alfa.no")[0]
    assert english.subject == "Overdue: 2 answers to Follow-up 2025"
    assert "Workwear: the deadline was 31 March 2026, 2 days ago." in english.text
    assert "Please submit the overdue answers as soon as you can." in english.text


def test_reminders_of_two_buyers_stay_separate(db, make, make_round, active_agreement, supplier_users,
                                               sent_mail):
    for name in ("Fjordvik kommune", "Vestby kommune"):
        buyer = make.buyer(name=name)
        round_ = make_round(deadline=DEADLINE, buyer=buyer)
        services.add_agreement_to_round(round_, _agreement(active_agreement, supplier_users, name, name,
                                                           buyer=buyer), actor=None)
    db.session.commit()

    counts = _tick(db, DEADLINE - timedelta(days=14))

    assert (counts["14_days"], counts["emails"]) == (2, 4)
    english = _to(sent_mail, "john@alfa.no")
    assert sorted("Fjordvik kommune" in m.subject for m in english) == [False, True]


def test_a_suppliers_responses_of_one_round_are_never_split_across_batches(
        db, make, make_round, active_agreement, supplier_users, sent_mail):
    round_ = make_round(deadline=DEADLINE)
    for n in range(3):
        services.add_agreement_to_round(round_, _agreement(active_agreement, supplier_users, f"Avtale {n}",
                                                           f"Agreement {n}"), actor=None)
    other = make.supplier()
    make.user(role="supplier", supplier=other, email="ola@other.no")
    services.add_agreement_to_round(round_, _agreement(active_agreement, other, "Annen", "Other"), actor=None)
    db.session.commit()
    batches: list[int] = []

    def _commit() -> None:
        batches.append(db.session.scalar(
            select(func.count(Response.id)).where(Response.reminded_3_at.is_not(None))))
        db.session.commit()

    counts = services.send_due_reminders(DEADLINE, after_batch=_commit, batch_size=2)
    db.session.commit()

    assert counts["3_days"] == 4
    assert batches == [3, 4]  # the three of one supplier in the first batch, then the other
    assert sorted(m.to for m in sent_mail) == ["john@alfa.no", "kari@alfa.no", "ola@other.no"]
    english = _to(sent_mail, "john@alfa.no")[0]
    assert all(f"Agreement {n}" in english.text for n in range(3))


def test_a_reviewers_bulk_reminder_is_one_email_per_user_and_can_be_sent_again(
        db, make, two_responses, sent_mail):
    reviewer = make.user(role="reviewer")
    db.session.commit()

    result = review.send_reminders(two_responses, actor=reviewer, today=DEADLINE - timedelta(days=20))
    db.session.commit()
    again = review.send_reminders(two_responses, actor=reviewer, today=DEADLINE - timedelta(days=20))
    db.session.commit()

    assert (result.done, result.emails, again.emails) == (2, 2, 2)
    english = _to(sent_mail, "john@alfa.no")
    assert len(english) == 2
    assert "Workwear" in english[0].text
    assert "Footwear" in english[0].text
