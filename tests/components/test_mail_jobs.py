"""Mail through jobs with a real SMTP server and real worker processes.

The submit answers at once whatever the mail server does; once the server works every
expected message arrives exactly once, also when a worker is killed mid-send; with two
workers, each reminder tick runs once and each reminder is sent once.
"""

from __future__ import annotations

import os
import re
import signal
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal import clock
from portal.models import MailDelivery, Response
from portal.rounds import services as rounds
from tests.components.conftest import wait_for
from tests.conftest import csrf_token
from tests.responses.conftest import store_shipped_version
from tests.responses.test_fill import _fill_all

pytestmark = pytest.mark.component


def _response_to_submit(db, make, login_as):
    reviewer = make.user(role="reviewer", email="reviewer@kommune.example")
    user = login_as("supplier", email="kari@leverandor.example")
    version = store_shipped_version(db)
    from portal.models import FollowUpRound

    agreement = make.agreement(suppliers=[user.supplier], questionnaire_variant="simplified")
    round_ = FollowUpRound(year=2025, name_nb="Oppfølging 2025", name_en="Follow-up 2025",
                           questionnaire_version=version, deadline=clock.today() + timedelta(days=30),
                           buyer_id=agreement.buyer_id)
    response = Response(round=round_, agreement=agreement, supplier=user.supplier,
                        status="not_started", deadline=round_.deadline)
    db.session.add_all([round_, response])
    db.session.commit()
    _fill_all(db, response, user)
    return response, user, reviewer


def _submit(client, response):
    path = f"/responses/{response.id}/submit"
    data = {"csrf_token": csrf_token(client, path), "q-I1-confirm-confirmed": "yes",
            "q-I1-confirm-name": "Kari Nordmann", "q-I1-confirm-title": "Daglig leder",
            "q-I1-confirm-date": "2025-03-01"}
    started = time.perf_counter()
    reply = client.post(path, data=data, follow_redirects=True)
    return reply, time.perf_counter() - started


def _by_recipient(messages):
    found: dict[str, list[str]] = {}
    for message in messages:
        found.setdefault(str(message["To"]), []).append(str(message["Message-ID"]))
    return found


@pytest.mark.parametrize("server", ["down", "slow", "fails_after_one"])
def test_the_submit_answers_at_once_and_each_mail_arrives_once(
        server, client, db, make, login_as, smtp, workers):
    response, user, reviewer = _response_to_submit(db, make, login_as)
    if server == "down":
        smtp.stop()
    elif server == "slow":
        smtp.handler.delay = 25
    else:
        smtp.handler.fail_after = 1
    workers.start(concurrency=2)

    reply, seconds = _submit(client, response)

    assert reply.status_code == 200
    assert "Kvitteringen er på vei til" in reply.get_data(as_text=True)
    assert seconds < 1.0, f"the submit took {seconds:.2f} s"
    print(f"\nsubmit with the mail server {server}: {seconds * 1000:.0f} ms")

    if server == "down":
        db.session.expire_all()
        wait_for(lambda: db.session.scalar(select(MailDelivery).where(MailDelivery.attempts > 1)),
                 30, "a retry against the server that is down")
        db.session.rollback()
        smtp.start()
    elif server == "fails_after_one":
        wait_for(lambda: len(smtp.messages) == 1, 30, "the first message")
        time.sleep(2)  # the other one is answered 451 and retried meanwhile
        smtp.handler.fail_after = None

    wait_for(lambda: len(smtp.messages) >= 2, 90, "both messages")
    time.sleep(3)  # anything sent twice would arrive now
    received = _by_recipient(smtp.messages)
    assert sorted(received) == sorted([user.email, reviewer.email])
    assert all(len(ids) == 1 for ids in received.values()), received
    db.session.expire_all()
    assert all(d.sent_at is not None for d in db.session.scalars(select(MailDelivery)))


def test_a_worker_killed_mid_send_loses_nothing_and_doubles_nothing(
        client, db, make, login_as, smtp, workers):
    response, user, reviewer = _response_to_submit(db, make, login_as)
    smtp.handler.delay = 30
    first = workers.start(concurrency=1)
    reply, _seconds = _submit(client, response)
    assert reply.status_code == 200

    assert smtp.handler.receiving.wait(30), "the worker never started sending"
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    smtp.handler.delay = 0
    second = workers.start(concurrency=1)

    wait_for(lambda: len(smtp.messages) >= 2, 60, "both messages after the kill")
    time.sleep(3)
    received = _by_recipient(smtp.messages)
    assert sorted(received) == sorted([user.email, reviewer.email])
    assert all(len(ids) == 1 for ids in received.values()), received
    db.session.expire_all()
    deliveries = list(db.session.scalars(select(MailDelivery)))
    assert all(d.sent_at is not None for d in deliveries)
    # The job that was running when the worker died was handed back and run again.
    assert "job_stalled_retried task=portal.deliver_mail" in workers.log_of(second)


def test_two_workers_run_each_reminder_tick_once_and_send_each_reminder_once(
        app, db, make, smtp, workers):
    today = clock.today()
    oslo_today = datetime.now(ZoneInfo("Europe/Oslo")).date()  # the tick's day
    version = store_shipped_version(db)
    round_ = rounds.create_round(actor=None, buyer=make.default_buyer, year=2025, name_nb="Oppfølging",
                                 name_en="Follow-up", version=version,
                                 deadline=oslo_today + timedelta(days=3), intro_nb="", intro_en="")
    suppliers = [make.supplier() for _ in range(3)]
    users = [make.user(role="supplier", supplier=s) for s in suppliers]
    agreement = make.agreement(suppliers=suppliers, start_date=today - timedelta(days=365),
                               end_date=today + timedelta(days=365))
    created = rounds.add_agreement_to_round(round_, agreement, actor=None)
    # A second agreement of the first supplier in the round: its user still gets one reminder.
    second = make.agreement(suppliers=suppliers[:1], start_date=today - timedelta(days=365),
                            end_date=today + timedelta(days=365))
    created += rounds.add_agreement_to_round(round_, second, actor=None)
    db.session.commit()
    due = oslo_today + timedelta(days=3)
    assert [(r.status, r.deadline) for r in created] == [("not_started", due)] * 4
    assert rounds.reminder_stage(created[0], oslo_today) == rounds.REMIND_3

    ticks = {"JOBS_REMINDER_CRON": "* * * * * */2"}
    pair = [workers.start(concurrency=2, **ticks), workers.start(concurrency=2, **ticks)]

    wait_for(lambda: len(smtp.messages) >= 3, 60, "3 reminders")
    time.sleep(6)  # at least three more ticks, each of which must find nothing to send

    received = _by_recipient(smtp.messages)
    assert sorted(received) == sorted(u.email for u in users)
    assert all(len(ids) == 1 for ids in received.values()), received
    db.session.expire_all()
    events = [d.event_key for d in db.session.scalars(select(MailDelivery))]
    assert sum(":reminder:3_days:" in e for e in events) == 3
    db.session.expire_all()
    assert all(db.session.get(Response, r.id).reminded_3_at is not None for r in created)

    logs = "".join(workers.log_of(p) for p in pair)
    stamps = re.findall(r"reminder_tick timestamp=(\d+)", logs)
    assert len(stamps) >= 3, logs[-3000:]
    assert len(stamps) == len(set(stamps)), "a tick ran twice"
