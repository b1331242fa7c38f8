"""E-mails about follow-up rounds: invitations, reminders and deadline changes.

Each goes to every active user of the response's supplier who has accepted their
account invitation (the others get the account invitation first), in that user's
language. Call these in the transaction of the change: the messages are queued with
it and sent by a job after the commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from portal import mail, notifications
from portal.models import Response, User

RESPONSE_ENDPOINT = "responses.view_response"


def response_link(response: Response) -> str:
    return notifications.external_url(RESPONSE_ENDPOINT, response_id=response.id)


def _send(template: str, event: str, response: Response, users: Iterable[User],
          **context: Any) -> int:
    link = response_link(response)
    sent = 0
    for user in users:
        mail.queue_mail(
            event,
            template,
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
            **context,
        )
        sent += 1
    return sent


def send_round_invitations(responses: Sequence[Response]) -> int:
    """Tell each supplier's users that a response is waiting; returns the e-mails sent."""
    recipients = notifications.supplier_users({r.supplier_id for r in responses})
    return sum(
        _send("round_invitation", f"response:{response.id}:round_invitation", response,
              recipients.get(response.supplier_id, []))
        for response in responses
    )


def send_reminder(response: Response, stage: str, today: date, users: Sequence[User]) -> int:
    """One reminder (``14_days``, ``3_days`` or ``overdue``) to the given users."""
    days_left = (response.deadline - today).days
    event = mail.new_event("response", response.id, "reminder", stage, response.deadline)
    return _send("reminder", event, response, users, stage=stage, days_left=days_left,
                 days_late=max(-days_left, 0))


def send_deadline_extended(response: Response) -> int:
    recipients = notifications.supplier_users({response.supplier_id})
    return _send("deadline_extended", mail.new_event("response", response.id, "deadline_extended"),
                 response, recipients.get(response.supplier_id, []))
