"""E-mails the portal sends, each rendered in the recipient's language."""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import force_locale, format_datetime

from portal import mail
from portal.models import User, utcnow
from portal.tokens import INVITATION, PASSWORD_RESET, make_token


def external_url(endpoint: str, **values: object) -> str:
    """An absolute link; PUBLIC_BASE_URL wins so links from cron jobs are right too."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


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
        municipality=current_app.config["MUNICIPALITY_NAME"],
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
