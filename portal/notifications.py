"""E-mails the portal sends, each rendered in the recipient's language."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale, format_datetime
from sqlalchemy import select

from portal import mail
from portal.extensions import db
from portal.models import Role, User, utcnow
from portal.tokens import INVITATION, PASSWORD_RESET, make_token


def external_url(endpoint: str, **values: object) -> str:
    """An absolute link, also from commands that run without a request (cron jobs);
    PUBLIC_BASE_URL wins so that those links are right too."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not has_request_context():
        # url_for needs a request unless SERVER_NAME is set.
        with current_app.test_request_context(base_url=base or "http://localhost"):
            return external_url(endpoint, **values)
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def supplier_users(supplier_ids: Collection[int]) -> dict[int, list[User]]:
    """Each supplier's active users who have completed their account, in one query: the
    ones who hear about its responses and deviations."""
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


def _inviting_organisation(user: User) -> str:
    """Whom the invitation is from: the staff member's buyer, else the installation's operator."""
    inviter = user.invited_by
    if inviter is not None and inviter.buyer is not None:
        return inviter.buyer.name
    if user.buyer is not None:
        return user.buyer.name
    return str(current_app.config["OPERATOR_NAME"])


def send_invitation(user: User) -> None:
    link = external_url("auth.accept_invitation", token=make_token(INVITATION, user))
    days = int(current_app.config["INVITATION_MAX_AGE_DAYS"])
    mail.send_mail(
        "invitation",
        user.locale,
        user.email,
        user=user,
        link=link,
        days=days,
        inviter=user.invited_by,
        municipality=_inviting_organisation(user),
    )


def send_password_reset(user: User) -> None:
    link = external_url("auth.reset_password", token=make_token(PASSWORD_RESET, user))
    with force_locale(user.locale):
        requested_at = format_datetime(utcnow(), "short")
    mail.send_mail(
        "password_reset",
        user.locale,
        user.email,
        user=user,
        link=link,
        hours=int(current_app.config["PASSWORD_RESET_MAX_AGE_HOURS"]),
        requested_at=requested_at,
    )
