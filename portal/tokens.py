"""Signed, expiring, single-use links for invitations and password resets.

A token carries the user's current session token; setting a password rotates
it, so a used link (and every login cookie of that user) stops working.
"""

from __future__ import annotations

import secrets

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from portal.extensions import db
from portal.models import User

INVITATION = "invitation-v1"
PASSWORD_RESET = "password-reset-v1"  # noqa: S105 - a salt name, not a secret


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def make_token(purpose: str, user: User) -> str:
    return _serializer(purpose).dumps({"uid": user.id, "v": user.session_token})


def load_token(purpose: str, token: str, max_age_seconds: int) -> User | None:
    """The user the token was issued to, or None if it is forged, expired or used."""
    try:
        data = _serializer(purpose).loads(token, max_age=max_age_seconds)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
        return None
    user = db.session.get(User, data["uid"])
    if user is None or not user.is_active:
        return None
    if not secrets.compare_digest(user.session_token, str(data.get("v", ""))):
        return None
    return user


def invitation_max_age() -> int:
    return int(current_app.config["INVITATION_MAX_AGE_DAYS"]) * 86400


def reset_max_age() -> int:
    return int(current_app.config["PASSWORD_RESET_MAX_AGE_HOURS"]) * 3600
