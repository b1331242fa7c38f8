"""Reminders 14 and 3 days before the deadline and once when overdue, each at most once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.models import Response, ResponseStatus
from portal.rounds import services

DEADLINE = date(2026, 3, 31)


@pytest.fixture
def response(db, make, make_round, active_agreement):
    supplier = make.supplier(name="Alfa AS")
    make.user(role="supplier", supplier=supplier, email="kari@alfa.no", locale="nb")
    make.user(role="supplier", supplier=supplier, email="john@alfa.no", locale="en")
    make.user(role="supplier", supplier=supplier, email="pending@alfa.no", password_hash=None)
    round = make_round(deadline=DEADLINE)
    created = services.add_agreement_to_round(
        round, active_agreement(suppliers=[supplier], name_nb="Arbeidsklær", name_en="Workwear"), actor=None
    )
    db.session.commit()
    return created[0]


def _run(db, day: date) -> dict[str, int]:
    counts = services.send_due_reminders(day, after_batch=db.session.commit)
    db.session.commit()
    return counts


def _sent(counts):
    return {k: v for k, v in counts.items() if v}


def test_each_reminder_is_sent_once_across_repeated_runs(db, response, sent_mail):
    assert _sent(_run(db, DEADLINE - timedelta(days=15))) == {}
    assert _sent(_run(db, DEADLINE - timedelta(days=14))) == {"14_days": 1, "emails": 2}
    assert _sent(_run(db, DEADLINE - timedelta(days=14))) == {}
    assert _sent(_run(db, DEADLINE - timedelta(days=5))) == {}
    assert _sent(_run(db, DEADLINE - timedelta(days=3))) == {"3_days": 1, "emails": 2}
    assert _sent(_run(db, DEADLINE - timedelta(days=1))) == {}
    assert _sent(_run(db, DEADLINE)) == {}
    assert _sent(_run(db, DEADLINE + timedelta(days=1))) == {"overdue": 1, "emails": 2}
    assert _sent(_run(db, DEADLINE + timedelta(days=8))) == {}

    assert sorted({m.to for m in sent_mail}) == ["john@alfa.no", "kari@alfa.no"]
    assert len(sent_mail) == 6
    db.session.expire_all()
    stored = db.session.get(Response, response.id)
    assert stored.reminded_14_at is not None
    assert stored.reminded_3_at is not None
    assert stored.reminded_overdue_at is not None


def test_a_response_first_seen_two_days_before_gets_only_the_3_day_reminder(db, response, sent_mail):
    assert _sent(_run(db, DEADLINE - timedelta(days=2))) == {"3_days": 1, "emails": 2}
    assert _sent(_run(db, DEADLINE - timedelta(days=1))) == {}

    db.session.expire_all()
    assert db.session.get(Response, response.id).reminded_14_at is None


def test_a_response_first_seen_overdue_gets_only_the_overdue_reminder(db, response, sent_mail):
    assert _sent(_run(db, DEADLINE + timedelta(days=3))) == {"overdue": 1, "emails": 2}
    assert _sent(_run(db, DEADLINE + timedelta(days=4))) == {}


@pytest.mark.parametrize("status", [ResponseStatus.SUBMITTED, ResponseStatus.RESUBMITTED, ResponseStatus.ACCEPTED])
def test_submitted_and_accepted_responses_are_not_reminded(db, response, sent_mail, status):
    response.status = status.value
    db.session.commit()

    for day in (DEADLINE - timedelta(days=14), DEADLINE - timedelta(days=3), DEADLINE + timedelta(days=1)):
        assert _sent(_run(db, day)) == {}
    assert sent_mail == []


def test_a_returned_response_is_reminded(db, response, sent_mail):
    response.status = ResponseStatus.RETURNED.value
    db.session.commit()

    assert _sent(_run(db, DEADLINE + timedelta(days=1))) == {"overdue": 1, "emails": 2}


def test_reminders_are_in_each_recipients_language(db, response, sent_mail):
    _run(db, DEADLINE - timedelta(days=3))

    by_address = {m.to: m for m in sent_mail}
    assert "31. mars 2026" in by_address["kari@alfa.no"].text
    assert "Arbeidsklær" in by_address["kari@alfa.no"].subject
    english = by_address["john@alfa.no"]
    assert english.subject == "Reminder: Workwear – the deadline is 31 March 2026"
    assert "is 31 March 2026, in 3 days." in english.text
    assert f"/responses/{response.id}" in english.text

    _run(db, DEADLINE + timedelta(days=2))
    overdue = [m for m in sent_mail if m.to == "john@alfa.no"][-1]
    assert overdue.subject == "Overdue: Workwear – the deadline was 31 March 2026"
    assert "2 days ago" in overdue.text


def test_an_extended_deadline_is_reminded_again(db, response, sent_mail):
    _run(db, DEADLINE + timedelta(days=1))
    services.extend_deadline(response, DEADLINE + timedelta(days=10), actor=None, reason="x",
                             today=DEADLINE + timedelta(days=1))
    db.session.commit()

    assert _sent(_run(db, DEADLINE + timedelta(days=7))) == {"3_days": 1, "emails": 2}
    assert _sent(_run(db, DEADLINE + timedelta(days=11))) == {"overdue": 1, "emails": 2}


def test_many_responses_are_handled_in_batches(db, make, make_round, active_agreement, sent_mail):
    round = make_round(deadline=DEADLINE)
    suppliers = [make.supplier() for _ in range(5)]
    for supplier in suppliers:
        make.user(role="supplier", supplier=supplier)
    services.add_agreement_to_round(round, active_agreement(suppliers=suppliers), actor=None)
    db.session.commit()
    batches: list[int] = []

    counts = services.send_due_reminders(DEADLINE, after_batch=lambda: batches.append(1), batch_size=2)
    db.session.commit()

    assert counts["3_days"] == 5
    assert len(batches) == 3
    assert len(sent_mail) == 5


def test_cli_sends_reminders_and_is_idempotent(app, db, response, sent_mail):
    runner = app.test_cli_runner()
    day = (DEADLINE - timedelta(days=3)).isoformat()

    first = runner.invoke(args=["send-reminders", "--today", day])
    second = runner.invoke(args=["send-reminders", "--today", day])

    assert first.exit_code == 0, first.output
    assert "0 at 14 days, 1 at 3 days, 0 overdue; 2 e-mail(s) queued." in first.output
    assert "0 at 14 days, 0 at 3 days, 0 overdue; 0 e-mail(s) queued." in second.output
    assert len(sent_mail) == 2


def test_a_mail_server_failing_part_way_keeps_the_markers_and_sends_the_rest_once(
        db, response, flaky_smtp):
    from sqlalchemy import select

    from portal import mail
    from portal.models import MailDelivery

    flaky_smtp.accept = 1  # one reminder is accepted, then 451
    assert _sent(_run(db, DEADLINE - timedelta(days=3))) == {"3_days": 1, "emails": 2}

    assert len(flaky_smtp.delivered) == 1
    db.session.expire_all()
    assert db.session.get(Response, response.id).reminded_3_at is not None
    assert _sent(_run(db, DEADLINE - timedelta(days=3))) == {}  # no second reminder queued

    flaky_smtp.accept = 10
    for delivery in db.session.scalars(select(MailDelivery).where(MailDelivery.sent_at.is_(None))):
        mail.deliver_mail(delivery.id)  # what the job's retry does
    for delivery in db.session.scalars(select(MailDelivery)):
        mail.deliver_mail(delivery.id)  # and a retry of a job that had succeeded sends nothing

    assert sorted(flaky_smtp.delivered) == ["john@alfa.no", "kari@alfa.no"]
