"""Accounts: authentication, invitations, passwords and two-factor sign-in."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import pyotp
from flask import current_app
from sqlalchemy import delete, func, select

from portal import audit
from portal.extensions import db
from portal.models import Attempt, AttemptKind, Buyer, Role, Supplier, User, utcnow
from portal.models.user import new_session_token
from portal.passwords import hash_password, needs_rehash, verify_password
from portal.tenancy import ALL_BUYERS

log = logging.getLogger(__name__)

#: Attempts older than this are never counted (the longest window) and are deleted.
ATTEMPT_RETENTION = timedelta(days=1)


class AccountError(Exception):
    """A request about an account that cannot be carried out; the message is shown."""


def find_user_by_email(email: str) -> User | None:
    """The account with this address on the whole installation (addresses are unique)."""
    return db.session.scalar(
        select(User).where(func.lower(User.email) == email.strip().lower())
        .execution_options(**{ALL_BUYERS: True})
    )


class SignInPaused(AccountError):
    """Too many failed attempts: this sign-in is refused for a while without checking it."""


class TooManyCodes(AccountError):
    """Too many wrong two-factor codes, for this pending sign-in (``per_sign_in``) or for
    the account over the last day."""

    def __init__(self, *, per_sign_in: bool) -> None:
        super().__init__("too_many_codes")
        self.per_sign_in = per_sign_in


def _account_key(email: str) -> str:
    return email.strip().lower()[:254]


def _since(delta: timedelta) -> datetime:
    return utcnow() - delta


def _login_window() -> timedelta:
    return timedelta(minutes=int(current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"]))


def _count_attempts(kind: AttemptKind, since: datetime, *conditions: Any) -> int:
    return db.session.scalar(
        select(func.count(Attempt.id)).where(Attempt.kind == kind.value, Attempt.created_at >= since, *conditions)
    ) or 0


def record_attempt(kind: AttemptKind, account: str, address: str, *, sign_in: str | None = None) -> None:
    """Count one attempt; rows older than the longest window (a day) are dropped on the way."""
    db.session.execute(delete(Attempt).where(Attempt.created_at < _since(ATTEMPT_RETENTION)))
    db.session.add(Attempt(kind=kind.value, account=account, address=address[:64], sign_in=sign_in))
    db.session.flush()


def forget_failures(email: str, *, address: str | None = None) -> None:
    """Drop the failed passwords and codes counted for an account (from one address, or all)."""
    conditions = [Attempt.account == _account_key(email),
                  Attempt.kind.in_([AttemptKind.PASSWORD.value, AttemptKind.CODE.value])]
    if address is not None:
        conditions += [Attempt.address == address[:64], Attempt.kind == AttemptKind.PASSWORD.value]
    db.session.execute(delete(Attempt).where(*conditions))


def sign_in_paused(email: str, address: str) -> bool:
    """Whether password sign-in for this e-mail from this address is paused.

    Failures count per (account, address) and per address, so an attacker slows only
    themself; the account itself is paused for every address only when failures for it
    come from many addresses (a distributed attack). The decision depends on the address
    typed, never on whether an account exists.
    """
    config = current_app.config
    account, address = _account_key(email), address[:64]
    since = _since(_login_window())
    if _count_attempts(AttemptKind.PASSWORD, since, Attempt.account == account,
                       Attempt.address == address) >= int(config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS"]):
        return True
    if _count_attempts(AttemptKind.PASSWORD, since,
                       Attempt.address == address) >= int(config["LOGIN_MAX_FAILURES_PER_ADDRESS"]):
        return True
    addresses = db.session.scalar(
        select(func.count(func.distinct(Attempt.address))).where(
            Attempt.kind == AttemptKind.PASSWORD.value, Attempt.account == account, Attempt.created_at >= since)
    ) or 0
    return addresses >= int(config["LOGIN_PAUSE_AFTER_ADDRESSES"])


def authenticate(email: str, password: str, *, address: str) -> User | None:
    """The user for these credentials, or None; counts the failure.

    Raises SignInPaused, without checking the password, while sign-in is paused.
    """
    if sign_in_paused(email, address):
        raise SignInPaused("paused")
    user = find_user_by_email(email)
    if user is not None and not user.is_active:
        user = None
    # The same work (a hash, the count, the check) whether or not the account exists.
    if not verify_password(user.password_hash if user else None, password) or user is None:
        record_attempt(AttemptKind.PASSWORD, _account_key(email), address)
        if sign_in_paused(email, address) and user is not None:
            audit.record("user.sign_in_paused", user, actor=None, supplier_id=user.supplier_id)
        return None
    forget_failures(user.email, address=address)
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _too_many_codes(account: str, sign_in: str) -> TooManyCodes | None:
    """The account's limit first: starting the sign-in over does not help with that one."""
    config = current_app.config
    since = _since(ATTEMPT_RETENTION)
    if _count_attempts(AttemptKind.CODE, since, Attempt.account == account
                       ) >= int(config["TWO_FACTOR_MAX_FAILURES_PER_ACCOUNT_PER_DAY"]):
        return TooManyCodes(per_sign_in=False)
    if _count_attempts(AttemptKind.CODE, since, Attempt.account == account, Attempt.sign_in == sign_in
                       ) >= int(config["TWO_FACTOR_MAX_FAILURES_PER_SIGN_IN"]):
        return TooManyCodes(per_sign_in=True)
    return None


def check_sign_in_code(user: User, code: str, *, sign_in: str, address: str) -> bool:
    """Check the second factor of a pending sign-in; a wrong code is counted.

    Raises TooManyCodes, without checking the code, once the pending sign-in or the
    account has had too many wrong codes (and with the wrong code that reaches the
    limit), so that a six-digit code cannot be guessed.
    """
    account = _account_key(user.email)
    if refused := _too_many_codes(account, sign_in):
        raise refused
    if check_totp(user, code):
        return True
    record_attempt(AttemptKind.CODE, account, address, sign_in=sign_in)
    if refused := _too_many_codes(account, sign_in):
        audit.record("user.two_factor_paused", user, actor=None, supplier_id=user.supplier_id)
        raise refused
    return False


def password_reset_recipient(email: str) -> tuple[User, bool]:
    """The user a reset link for ``email`` is made for, and whether it may be sent.

    For an address without a usable account this is a stand-in that is never stored, so
    that the same work (token, rendering) is done whatever the address.
    """
    user = find_user_by_email(email)
    if user is not None and user.is_active and user.has_accepted_invitation:
        return user, True
    stand_in = User(id=0, email=_account_key(email), name="", role=Role.SUPPLIER.value,
                    locale=current_app.config["BABEL_DEFAULT_LOCALE"], session_token=new_session_token())
    return stand_in, False


def record_login(user: User) -> None:
    user.last_login_at = utcnow()
    audit.record("user.login", user, actor=user, supplier_id=user.supplier_id)


def set_password(user: User, password: str, *, actor: User | None) -> None:
    """Set a new password and end every existing session and link of the user."""
    user.password_hash = hash_password(password)
    user.rotate_session_token()
    # The owner's way in that nobody else can block: a new password lifts every pause.
    forget_failures(user.email)
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


class TooManyInvitations(AccountError):
    """The user has sent as many invitations as allowed in the last hour."""


def invite_colleague(email: str, *, supplier: Supplier, locale: str, name: str, actor: User) -> User | None:
    """Invite a colleague to the actor's supplier; the user to e-mail, or None.

    None when the address cannot be invited from here (an account of another supplier,
    staff, a colleague who already has an account): nothing is sent, and the caller answers
    exactly as when an invitation goes out, so the form does not tell which addresses have
    accounts. Every request counts towards the hourly limit, sent or not.
    """
    if not actor.can_invite_to(supplier.id):
        raise PermissionError("actor may not invite to this supplier")
    key = f"user:{actor.id}"
    if _count_attempts(AttemptKind.INVITATION, _since(timedelta(hours=1)), Attempt.account == key
                       ) >= int(current_app.config["SUPPLIER_INVITATIONS_PER_HOUR"]):
        raise TooManyInvitations("too_many_invitations")
    record_attempt(AttemptKind.INVITATION, key, "")
    existing = find_user_by_email(email)
    if existing is not None and (existing.supplier_id != supplier.id or existing.has_accepted_invitation
                                 or not existing.is_active):
        log.info("invitation_withheld actor=%s", actor.id)
        return None
    return invite_user(email, role=Role.SUPPLIER, supplier=supplier, locale=locale, name=name, actor=actor)


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
