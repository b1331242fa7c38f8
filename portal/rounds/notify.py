"""E-mails about follow-up rounds: invitations, reminders and deadline changes.

Each goes to every active user of the response's supplier who has accepted their
account invitation (the others get the account invitation first), in that user's
language. Call these in the transaction of the change: the messages are queued with
it and sent by a job after the commit.

Invitations and reminders are grouped: a supplier user gets one e-mail per round (and,
for reminders, per stage) listing each of the supplier's responses concerned, with its
agreement, deadline and link, never one e-mail per response. Rounds are one buyer's, so
two buyers' requests stay two e-mails, each naming its buyer. The event key of a grouped
e-mail names the round, the supplier and the exact set of responses (a digest of their
ids, and for reminders their deadlines), so sending the same group again, from a
repeated call or a retried job, queues nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from portal import mail, notifications
from portal.extensions import db
from portal.models import MailDelivery, Response, User

RESPONSE_ENDPOINT = "responses.view_response"
START_PAGE_ENDPOINT = "supplier.home"
#: The stage of a reminder a reviewer sends by hand: it may be sent again on purpose.
MANUAL = "manual"


def response_link(response: Response) -> str:
    return notifications.external_url(RESPONSE_ENDPOINT, response_id=response.id)


@dataclass(frozen=True)
class Item:
    """One response in a grouped e-mail."""

    response: Response
    deadline: date
    link: str
    days_left: int = 0

    @property
    def agreement(self) -> Any:
        return self.response.agreement

    @property
    def days_late(self) -> int:
        return max(-self.days_left, 0)


def group_by_round_and_supplier(responses: Iterable[Response]) -> list[list[Response]]:
    """The responses in groups of one round and one supplier, each ordered by deadline and
    agreement, the groups in the order first met."""
    groups: dict[tuple[int, int], list[Response]] = {}
    for response in responses:
        groups.setdefault((response.round_id, response.supplier_id), []).append(response)
    return [sorted(group, key=lambda r: (r.deadline, r.agreement.name_nb, r.id))
            for group in groups.values()]


def _digest(parts: Iterable[object]) -> str:
    return hashlib.sha256(",".join(map(str, parts)).encode()).hexdigest()[:20]


def _queued(events: Iterable[str]) -> set[tuple[str, str]]:
    """The (event key, recipient) pairs already queued for these events, in one query."""
    keys = sorted({event[:200] for event in events})
    if not keys:
        return set()
    rows = db.session.execute(
        select(MailDelivery.event_key, MailDelivery.recipient).where(MailDelivery.event_key.in_(keys)))
    return {(row.event_key, row.recipient) for row in rows}


def _send_group(template: str, event: str, group: Sequence[Response], items: Sequence[Item],
                users: Iterable[User], queued: set[tuple[str, str]], **context: Any) -> int:
    """One e-mail to each user about the group; a user already mailed about this event is skipped."""
    first = group[0]
    start_link = notifications.external_url(START_PAGE_ENDPOINT)
    sent = 0
    for user in users:
        if (event[:200], user.email) in queued:
            continue
        mail.queue_mail(
            event,
            template,
            user.locale,
            user.email,
            user=user,
            round=first.round,
            supplier=first.supplier,
            municipality=first.agreement.buyer.name,
            items=items,
            start_link=start_link,
            **context,
        )
        queued.add((event[:200], user.email))
        sent += 1
    return sent


def invitation_event(group: Sequence[Response]) -> str:
    """The same key for the same round, supplier and set of new responses, however often asked."""
    first = group[0]
    return (f"round:{first.round_id}:invitation:supplier:{first.supplier_id}:"
            f"{_digest(sorted(r.id for r in group))}")


def send_round_invitations(responses: Sequence[Response]) -> int:
    """Tell each supplier's users which of its responses of a round are waiting: one e-mail
    per user and round listing them; returns the e-mails queued."""
    groups = group_by_round_and_supplier(responses)
    if not groups:
        return 0
    recipients = notifications.supplier_users({r.supplier_id for r in responses})
    queued = _queued(invitation_event(group) for group in groups)
    # Each supplier's responses in the round, the new ones included (they are flushed).
    totals = {
        (row.round_id, row.supplier_id): row.total
        for row in db.session.execute(
            select(Response.round_id, Response.supplier_id, func.count(Response.id).label("total"))
            .where(Response.round_id.in_({r.round_id for r in responses}),
                   Response.supplier_id.in_({r.supplier_id for r in responses}))
            .group_by(Response.round_id, Response.supplier_id))
    }
    sent = 0
    for group in groups:
        first = group[0]
        earlier = max(totals.get((first.round_id, first.supplier_id), 0) - len(group), 0)
        items = [Item(r, r.deadline, response_link(r)) for r in group]
        sent += _send_group("round_invitation", invitation_event(group), group, items,
                            recipients.get(first.supplier_id, []), queued, earlier=earlier)
    return sent


def reminder_event(group: Sequence[Response], stage: str, *, by_hand: bool = False) -> str:
    """Scheduled reminders: the same key for the same responses, deadlines and stage; a reminder
    sent by hand gets a new key each time, since a reviewer may send it again."""
    first = group[0]
    if by_hand:
        return mail.new_event("round", first.round_id, "reminder", stage, "supplier", first.supplier_id)
    return (f"round:{first.round_id}:reminder:{stage}:supplier:{first.supplier_id}:"
            f"{_digest(sorted(f'{r.id}@{r.deadline.isoformat()}' for r in group))}")


def send_reminders(group: Sequence[Response], stage: str, today: date, users: Sequence[User], *,
                   by_hand: bool = False) -> int:
    """One reminder (``14_days``, ``3_days``, ``overdue`` or ``manual``) to the given users about
    the responses of one round and one supplier; returns the e-mails queued. A scheduled
    reminder of the same responses, deadlines and stage is queued once; one ``by_hand`` (a
    reviewer's) each time."""
    if not group:
        return 0
    if len({(r.round_id, r.supplier_id) for r in group}) != 1:
        raise ValueError("a reminder is about the responses of one round and one supplier")
    group = group_by_round_and_supplier(group)[0]
    items = [Item(r, r.deadline, response_link(r), (r.deadline - today).days) for r in group]
    event = reminder_event(group, stage, by_hand=by_hand)
    return _send_group("reminder", event, group, items, users, _queued([event]), stage=stage,
                       overdue=all(item.days_left < 0 for item in items))


def send_deadline_extended(response: Response) -> int:
    recipients = notifications.supplier_users({response.supplier_id})
    link = response_link(response)
    event = mail.new_event("response", response.id, "deadline_extended")
    sent = 0
    for user in recipients.get(response.supplier_id, []):
        mail.queue_mail(
            event,
            "deadline_extended",
            user.locale,
            user.email,
            user=user,
            response=response,
            round=response.round,
            agreement=response.agreement,
            supplier=response.supplier,
            deadline=response.deadline,
            link=link,
            municipality=response.agreement.buyer.name,
        )
        sent += 1
    return sent
