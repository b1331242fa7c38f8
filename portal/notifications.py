"""E-mails the portal sends, each rendered in the recipient's language; queued in the
transaction of the change and sent by a job after the commit (see portal/mail.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from portal import mail
from portal.config import public_base_url
from portal.extensions import db
from portal.i18n import format_date
from portal.models import Role, User, utcnow
from portal.tokens import INVITATION, PASSWORD_RESET, make_token


def external_url(endpoint: str, **values: object) -> str:
    """An absolute link for an e-mail, always on PUBLIC_BASE_URL (see ``public_base_url``):
    never on the Host or X-Forwarded-Host of the request that caused the mail, which an
    attacker chooses. Works without a request too (cron jobs, commands)."""
    base = urlsplit(public_base_url(current_app.config))
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    current_app.inject_url_defaults(endpoint, values)
    return adapter.build(endpoint, values, force_external=True)


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
    inviter = user.invited_by
    mail.queue_mail(
        mail.new_event("user", user.id, "invitation"),
        "invitation",
        user.locale,
        user.email,
        user=user,
        link=link,
        days=days,
        inviter=inviter,
        inviter_organisation=(inviter.supplier.name if inviter and inviter.supplier
                              else _inviting_organisation(user)),
        municipality=_inviting_organisation(user),
    )


def password_reset_mail(user: User) -> mail.Outgoing:
    """The reset e-mail for ``user``, rendered but not sent."""
    link = external_url("auth.reset_password", token=make_token(PASSWORD_RESET, user))
    with force_locale(user.locale):
        requested_at = format_date(utcnow(), "medium")
    return mail.render_mail(
        "password_reset",
        user.locale,
        user.email,
        user=user,
        link=link,
        hours=int(current_app.config["PASSWORD_RESET_MAX_AGE_HOURS"]),
        requested_at=requested_at,
    )


def send_password_reset(user: User) -> None:
    """Queue the reset e-mail, sent after the commit; rendered like ``password_reset_mail``."""
    outgoing = password_reset_mail(user)
    mail.queue_rendered(mail.new_event("user", user.id, "password_reset"), outgoing)
