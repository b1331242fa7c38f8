"""Accounts: authentication, invitations, passwords and two-factor sign-in."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from flask import current_app
from sqlalchemy import func, select

from portal import audit
from portal.extensions import db
from portal.models import Buyer, Role, Supplier, User, utcnow
from portal.passwords import hash_password, needs_rehash, verify_password
from portal.tenancy import ALL_BUYERS


class AccountError(Exception):
    """A request about an account that cannot be carried out; the message is shown."""


def find_user_by_email(email: str) -> User | None:
    """The account with this address on the whole installation (addresses are unique)."""
    return db.session.scalar(
        select(User).where(func.lower(User.email) == email.strip().lower())
        .execution_options(**{ALL_BUYERS: True})
    )


def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or None. Counts failures and locks for a while."""
    user = find_user_by_email(email)
    now = utcnow()
    if user is None or not user.is_active:
        verify_password(None, password)
        return None
    if user.locked_until is not None and user.locked_until > now:
        verify_password(None, password)
        return None
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= int(current_app.config["LOGIN_LOCK_AFTER_FAILURES"]):
            user.locked_until = now + timedelta(minutes=int(current_app.config["LOGIN_LOCK_MINUTES"]))
            user.failed_logins = 0
            audit.record("user.locked", user, actor=None, supplier_id=user.supplier_id)
        return None
    user.failed_logins = 0
    user.locked_until = None
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def record_login(user: User) -> None:
    user.last_login_at = utcnow()
    audit.record("user.login", user, actor=user, supplier_id=user.supplier_id)


def set_password(user: User, password: str, *, actor: User | None) -> None:
    """Set a new password and end every existing session and link of the user."""
    user.password_hash = hash_password(password)
    user.rotate_session_token()
    user.failed_logins = 0
    user.locked_until = None
    audit.record("user.password_set", user, actor=actor, supplier_id=user.supplier_id)


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise AccountError("current_password")
    set_password(user, new, actor=user)


def end_all_sessions(user: User) -> None:
    user.rotate_session_token()


def invite_user(
    email: str,
    *,
    role: Role,
    supplier: Supplier | None,
    locale: str,
    name: str = "",
    actor: User,
    buyer: Buyer | None = None,
) -> User:
    """Create an account that is completed when the invitee follows the link.

    Staff join the inviting administrator's buyer; the platform administrator names the
    buyer whose administrator it invites.
    """
    if not actor.can_invite_to(supplier.id if supplier else None):
        raise PermissionError("actor may not invite to this supplier")
    if role == Role.SUPPLIER and supplier is None:
        raise AccountError("supplier_required")
    if role != Role.SUPPLIER and not (actor.is_admin or (actor.is_platform_admin and buyer)):
        raise PermissionError("only administrators invite staff")
    existing = find_user_by_email(email)
    if existing is not None:
        if existing.has_accepted_invitation:
            raise AccountError("exists")
        existing.invited_at = utcnow()
        existing.invited_by = actor
        existing.rotate_session_token()
        audit.record("user.reinvited", existing, actor=actor, supplier_id=existing.supplier_id)
        return existing
    user = User(
        email=email.strip().lower(),
        name=name,
        role=role.value,
        supplier=supplier if role == Role.SUPPLIER else None,
        buyer_id=None if role == Role.SUPPLIER else (buyer.id if buyer else actor.buyer_id),
        locale=locale,
        invited_at=utcnow(),
        invited_by=actor,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user.invited", user, actor=actor, supplier_id=user.supplier_id,
        after={"email": user.email, "role": user.role},
    )
    return user


def accept_invitation(user: User, *, name: str, job_title: str, password: str, locale: str) -> None:
    user.name = name
    user.job_title = job_title
    user.locale = locale
    set_password(user, password, actor=user)
    audit.record("user.invitation_accepted", user, actor=user, supplier_id=user.supplier_id)


def change_role(user: User, role: Role, supplier: Supplier | None, *, actor: User) -> None:
    before = {"role": user.role, "supplier_id": user.supplier_id}
    user.role = role.value
    user.supplier = supplier if role == Role.SUPPLIER else None
    user.buyer_id = None if role == Role.SUPPLIER else actor.buyer_id
    user.rotate_session_token()
    audit.record(
        "user.role_changed", user, actor=actor, supplier_id=user.supplier_id, before=before,
        after={"role": user.role, "supplier_id": supplier.id if supplier else None},
    )


def set_active(user: User, active: bool, *, actor: User) -> None:
    if user.id == actor.id and not active:
        raise AccountError("self")
    before = user.is_active
    user.is_active = active
    user.rotate_session_token()
    audit.record(
        "user.activated" if active else "user.deactivated", user, actor=actor,
        supplier_id=user.supplier_id, before=before, after=active,
    )


def set_locale(user: User, locale: str) -> None:
    user.locale = locale


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    issuer = current_app.config["SERVICE_NAME"]
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def check_totp(user: User, code: str, secret: str | None = None) -> bool:
    """Accept a code once within ±1 step; a code already used is refused (replay)."""
    secret = secret or user.totp_secret
    if not secret:
        return False
    totp = pyotp.TOTP(secret)
    now = utcnow()
    current_step = int(now.timestamp()) // totp.interval
    for offset in (-1, 0, 1):
        step = current_step + offset
        if totp.at(step * totp.interval) == code:
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False
            user.totp_last_step = step
            return True
    return False


def enable_totp(user: User, secret: str) -> None:
    user.totp_secret = secret
    user.is_totp_enabled = True
    audit.record("user.totp_enabled", user, actor=user, supplier_id=user.supplier_id)


def disable_totp(user: User) -> None:
    user.totp_secret = None
    user.is_totp_enabled = False
    user.totp_last_step = None
    audit.record("user.totp_disabled", user, actor=user, supplier_id=user.supplier_id)
