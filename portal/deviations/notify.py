"""E-mails about deviations, in each recipient's language.

To the supplier's users when a deviation is registered (confirmed), when its status
changes, and once when its deadline passes; to the agreement's contract manager (else
the reviewers) when the supplier proposes its plan or reports progress or closure.
Call them in the transaction of the change: the messages are queued with it and sent by a
job after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import selectinload

from portal import audit, mail
from portal.codes import DEVIATION_STATUSES, DEVIATION_TYPES, OPEN_DEVIATION_STATUSES, SEVERITIES
from portal.extensions import db
from portal.models import Deviation, DeviationUpdate, User, utcnow
from portal.notifications import external_url
from portal.review.notify import review_recipients, supplier_recipients

log = logging.getLogger(__name__)


def _send(template: str, deviation: Deviation, users: Sequence[User], *, event: str = "",
          **context: Any) -> int:
    link = external_url("deviations.view_deviation", deviation_id=deviation.id)
    event = event or mail.new_event("deviation", deviation.id, template)
    for user in users:
        mail.queue_mail(
            event, template, user.locale, user.email, user=user, deviation=deviation,
            supplier=deviation.supplier, agreement=deviation.agreement, link=link,
            type_label=DEVIATION_TYPES.label, status_label=DEVIATION_STATUSES.label,
            severity_label=SEVERITIES.label,
            municipality=deviation.buyer.name, **context,
        )
    return len(users)


def _recipients(deviation: Deviation, exclude: User | None = None) -> list[User]:
    users = supplier_recipients(deviation.supplier_id)
    return [u for u in users if exclude is None or u.id != exclude.id]


def deviation_registered(deviation: Deviation) -> int:
    if deviation.is_proposed:
        return 0
    return _send("deviation_registered", deviation, _recipients(deviation))


def deviation_status_changed(
    deviation: Deviation, before: str, after: str, *, comment: str = "", actor: User | None = None
) -> int:
    """To the supplier's users, except the one who made the change."""
    if deviation.is_proposed:
        return 0
    return _send("deviation_status_changed", deviation, _recipients(deviation, exclude=actor),
                 before=before, after=after, comment=comment)


def supplier_reported(deviation: Deviation, update: DeviationUpdate) -> int:
    """Tell the municipality what the supplier sent: a plan, progress, or evidence of closure."""
    return _send("deviation_supplier_update", deviation, review_recipients(deviation.agreement),
                 event=f"deviation_update:{update.id}", update=update)


def _overdue_condition(today: date) -> ColumnElement[bool]:
    return (
        Deviation.is_proposed.is_(False)
        & Deviation.status.in_(OPEN_DEVIATION_STATUSES)
        & Deviation.deadline.is_not(None)
        & (Deviation.deadline < today)
        & Deviation.overdue_notified_at.is_(None)
    )


def send_deviation_overdue_notices(
    today: date, *, after_batch: Callable[[], None] | None = None, batch_size: int = 50
) -> int:
    """Tell suppliers once, per deviation, that its deadline has passed; returns e-mails sent.

    Each deviation is marked in the same transaction that queues its e-mails (sent by jobs
    after the commit), so a repeated or overlapping run sends nothing twice; ``after_batch``
    is where the caller commits. Rows another run holds locked are skipped (PostgreSQL).
    """
    ids = list(db.session.scalars(
        select(Deviation.id).where(_overdue_condition(today)).order_by(Deviation.id)
    ))
    sent = 0
    for start in range(0, len(ids), batch_size):
        chunk = ids[start:start + batch_size]
        deviations = db.session.scalars(
            select(Deviation)
            .where(Deviation.id.in_(chunk), _overdue_condition(today))
            .options(selectinload(Deviation.supplier), selectinload(Deviation.agreement))
            .order_by(Deviation.id)
            .with_for_update(skip_locked=True, of=Deviation)
        ).all()
        for deviation in deviations:
            deviation.overdue_notified_at = utcnow()
            db.session.flush()
            audit.record("deviation.overdue_notified", deviation, actor=None,
                         supplier_id=deviation.supplier_id, field="overdue_notified_at",
                         after=deviation.overdue_notified_at.isoformat())
            sent += _send("deviation_overdue", deviation, _recipients(deviation),
                          days_late=(today - deviation.deadline).days if deviation.deadline else 0)
        if after_batch is not None:
            after_batch()
    log.info("deviation_overdue_notices_queued emails=%s", sent)
    return sent
