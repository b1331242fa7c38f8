"""Who may reach what: role gates for blueprints and loaders that 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, abort, current_app, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.extensions import db, login_manager
from portal.models import Role, User

T = TypeVar("T")


@login_manager.user_loader
def load_user(token: str) -> User | None:
    """The cookie holds ``<id>:<session token>``; a rotated token ends the session."""
    import secrets

    user_id, _, session_token = token.partition(":")
    if not (user_id.isascii() and user_id.isdigit()) or not session_token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active:
        return None
    if not secrets.compare_digest(user.session_token, session_token):
        return None
    return user


def signed_in_user() -> User:
    """The signed-in user itself, not Flask-Login's proxy.

    Hand this to services and to ``login_user``: the proxy passed to ``login_user``
    would become its own target (endless recursion), and ``type()`` of the proxy is
    not ``User``.
    """
    user = current_user._get_current_object()
    assert isinstance(user, User)
    return user


def _unauthorized() -> Response:
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


login_manager.unauthorized_handler(_unauthorized)
login_manager.session_protection = "basic"


def require_roles(bp: Blueprint, *roles: Role) -> None:
    """Gate every route of a blueprint, so a new route cannot forget its check."""

    @bp.before_request
    def _gate() -> Response | None:
        if not current_user.is_authenticated:
            return _unauthorized()
        if current_user.role not in roles:
            abort(403)
        return None


# Ids are INTEGER columns; a larger number in a URL cannot name a record, and SQLite
# would fail on it (OverflowError) instead of finding nothing.
MAX_ID = 2**31 - 1


def id_or_404(object_id: int) -> int:
    if not 0 < object_id <= MAX_ID:
        abort(404)
    return object_id


def get_or_404(model: type[T], object_id: int) -> T:
    # Always read the row: an object already in the session's identity map would skip the
    # buyer's criteria (portal/tenancy.py), which apply to the SELECT.
    obj = db.session.get(model, id_or_404(object_id), populate_existing=True)
    if obj is None:
        abort(404)
    return obj


def staff_two_factor_gate() -> Response | None:
    """With REQUIRE_STAFF_2FA, staff must set up two-factor sign-in before anything else,
    unless they signed in with their buyer's identity provider (it is their second factor:
    see portal/oidc; a buyer can demand multi-factor there with a required `acr`)."""
    if not current_app.config["REQUIRE_STAFF_2FA"] or not current_user.is_authenticated:
        return None
    if session.get("oidc_signed_in"):
        return None
    if not current_user.is_staff or current_user.is_totp_enabled:
        return None
    allowed = {"auth.setup_two_factor", "auth.logout", "static", "main.set_language", "main.healthz",
               "main.livez", "main.readyz"}
    if request.endpoint in allowed:
        return None
    return redirect(url_for("auth.setup_two_factor"))


def role_required(*roles: Role) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """For a single route whose blueprint is open to several roles."""
    from functools import wraps

    def decorator(view: Callable[..., T]) -> Callable[..., T]:
        @wraps(view)
        def wrapped(*args: object, **kwargs: object) -> T:
            if not current_user.is_authenticated:
                return _unauthorized()  # type: ignore[return-value]
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
