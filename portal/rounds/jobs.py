"""The reminder tick: a periodic job of the worker (``JOBS_REMINDER_CRON``, hourly by default).

procrastinate defers each tick once however many workers run; the reminders themselves
are marked per response in the same commit that queues their e-mails, so a tick that
is repeated, or overlaps a ``flask send-reminders``, reminds nobody twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from portal import clock, jobs
from portal.extensions import db

log = logging.getLogger(__name__)


@jobs.periodic("portal.send_due_reminders", cron_setting="JOBS_REMINDER_CRON")
def send_due_reminders(timestamp: int) -> None:
    from portal.deviations.notify import send_deviation_overdue_notices
    from portal.rounds import services

    day = clock.day_of(datetime.fromtimestamp(timestamp, tz=UTC))
    counts = services.send_due_reminders(day, after_batch=db.session.commit)
    deviation_emails = send_deviation_overdue_notices(day, after_batch=db.session.commit)
    db.session.commit()
    log.info("reminder_tick timestamp=%s day=%s reminders=%s deviation_emails=%s", timestamp, day,
             counts, deviation_emails)
