"""Jobs run after the commit of the transaction that enqueued them, and never when it rolls back.

These tests run jobs in-process (``JOBS_RUN=inline``); tests/components runs the same
jobs in real worker processes against a real SMTP server.
"""

from __future__ import annotations

import logging

import pytest
from flask import g
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from portal import jobs, mail
from portal.models import MailDelivery
from tests.conftest import closed_port


def _queue(to: str = "kari@example.no", event: str = "test:1") -> None:
    mail.queue_mail(event, "password_reset", "en", to, user=_Person("Kari"),
                    link="http://aktsom.test/password/reset/abc", hours=2, requested_at="now")


def _deliveries(db):
    db.session.expire_all()
    return list(db.session.scalars(select(MailDelivery).order_by(MailDelivery.id)))


def test_queued_mail_is_sent_after_the_commit_and_marked_sent(db, sent_mail):
    _queue()
    assert sent_mail == []  # nothing leaves before the commit

    db.session.commit()

    assert [m.to for m in sent_mail] == ["kari@example.no"]
    [delivery] = _deliveries(db)
    assert delivery.sent_at is not None
    assert delivery.attempts == 1
    assert sent_mail[0].message_id == delivery.message_id


def test_nothing_is_sent_when_the_transaction_rolls_back(db, sent_mail):
    _queue()
    db.session.rollback()
    db.session.commit()

    assert sent_mail == []
    assert _deliveries(db) == []


def test_mail_queued_in_a_rolled_back_savepoint_is_forgotten(db, sent_mail):
    savepoint = db.session.begin_nested()
    _queue("gone@example.no", "test:gone")
    savepoint.rollback()
    with db.session.begin_nested():
        _queue("kept@example.no", "test:kept")
    db.session.commit()

    assert [m.to for m in sent_mail] == ["kept@example.no"]


def test_a_sent_delivery_is_not_sent_again_when_its_job_runs_twice(app, db, sent_mail):
    _queue()
    db.session.commit()
    [delivery] = _deliveries(db)

    with app.app_context():
        mail.deliver_mail(delivery.id)

    assert len(sent_mail) == 1


def test_a_failing_job_is_logged_tried_again_and_the_commit_still_succeeds(
        app, db, sent_mail, caplog):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=closed_port(), SMTP_STARTTLS=False,
                      SMTP_USERNAME="", JOBS_INLINE_ATTEMPTS=3)
    _queue()
    with caplog.at_level(logging.INFO):
        db.session.commit()

    [delivery] = _deliveries(db)
    assert delivery.sent_at is None
    assert delivery.attempts == 3
    assert "ConnectionRefusedError" in (delivery.last_error or "")
    messages = [r.getMessage() for r in caplog.records]
    assert sum("job_failed task=portal.deliver_mail" in m for m in messages) == 3
    assert any("job_gave_up task=portal.deliver_mail attempts=3" in m for m in messages)


def test_an_inline_job_that_fails_once_succeeds_on_its_next_try(app, db, caplog, monkeypatch):
    monkeypatch.setattr(jobs, "_TASKS", dict(jobs._TASKS))  # the test's task leaves with it
    monkeypatch.setattr(jobs, "_BY_FUNCTION", dict(jobs._BY_FUNCTION))
    calls: list[int] = []

    @jobs.task("tests.flaky_once")
    def flaky_once(number: int) -> None:
        calls.append(number)
        if len(calls) == 1:
            raise OperationalError("UPDATE x", {}, Exception("database is locked"))

    app.config.update(JOBS_INLINE_ATTEMPTS=3)
    with caplog.at_level(logging.INFO, logger="portal.jobs"):
        jobs.run_inline(app, "tests.flaky_once", {"number": 7})

    assert calls == [7, 7]
    assert "job_failed task=tests.flaky_once attempt=1" in caplog.text
    assert "job_done task=tests.flaky_once" in caplog.text
    assert "job_gave_up" not in caplog.text


def test_a_job_carries_the_request_id_that_enqueued_it(app, db, sent_mail, caplog):
    g.request_id = "req-4711"
    try:
        _queue()
        with caplog.at_level(logging.INFO, logger="portal.jobs"):
            db.session.commit()
    finally:
        g.pop("request_id", None)

    assert "job_started task=portal.deliver_mail request_id=req-4711" in caplog.text
    assert len(sent_mail) == 1


def test_one_event_mails_one_address_once(db):
    from sqlalchemy.exc import IntegrityError

    _queue("kari@example.no", "test:same")
    with pytest.raises(IntegrityError):
        _queue("kari@example.no", "test:same")
    db.session.rollback()


class _Person:
    def __init__(self, name):
        self.name = name
        self.email = f"{name.lower()}@example.no"
