"""E-mails about follow-up rounds: invitations, reminders and deadline changes.

Each goes to every active user of the response's supplier who has accepted their
account invitation (the others get the account invitation first), in that user's
language. Call these after the change is committed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import date

from flask import current_app, has_request_context
from sqlalchemy import select

from portal import mail, notifications
from portal.extensions import db
from portal.models import Response, Role, User

RESPONSE_ENDPOINT = "responses.view_response"


def recipients_by_supplier(supplier_ids: Collection[int]) -> dict[int, list[User]]:
    """The users who should hear about a supplier's responses, in one query."""
    if not supplier_ids:
        return {}
    users = db.session.scalars(
        select(User)
        .where(
            User.supplier_id.in_(supplier_ids),
            User.role == Role.SUPPLIER.value,
            User.is_active.is_(True),
            User.password_hash.is_not(None),
        )
        .order_by(User.email)
    )
    grouped: dict[int, list[User]] = defaultdict(list)
    for user in users:
        assert user.supplier_id is not None  # the query selects supplier users only
        grouped[user.supplier_id].append(user)
    return dict(grouped)


def _external_url(endpoint: str, **values: object) -> str:
    if has_request_context():
        return notifications.external_url(endpoint, **values)
    # Cron jobs and scripts have no request, and url_for needs one unless SERVER_NAME is set.
    base = current_app.config.get("PUBLIC_BASE_URL") or "http://localhost"
    with current_app.test_request_context(base_url=base):
        return notifications.external_url(endpoint, **values)


def response_link(response: Response) -> str:
    return _external_url(RESPONSE_ENDPOINT, response_id=response.id)


def _send(template: str, response: Response, users: Iterable[User], **context: object) -> int:
    link = response_link(response)
    sent = 0
    for user in users:
        mail.send_mail(
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
            municipality=current_app.config["MUNICIPALITY_NAME"],
            **context,
        )
        sent += 1
    return sent


def send_round_invitations(responses: Sequence[Response]) -> int:
    """Tell each supplier's users that a response is waiting; returns the e-mails sent."""
    recipients = recipients_by_supplier({r.supplier_id for r in responses})
    return sum(
        _send("round_invitation", response, recipients.get(response.supplier_id, []))
        for response in responses
    )


def send_reminder(response: Response, stage: str, today: date, users: Sequence[User]) -> int:
    """One reminder (``14_days``, ``3_days`` or ``overdue``) to the given users."""
    days_left = (response.deadline - today).days
    return _send("reminder", response, users, stage=stage, days_left=days_left,
                 days_late=max(-days_left, 0))


def send_deadline_extended(response: Response) -> int:
    recipients = recipients_by_supplier({response.supplier_id})
    return _send("deadline_extended", response, recipients.get(response.supplier_id, []))
