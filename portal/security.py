"""Security headers, session expiry (idle and absolute) and safe redirects."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, logout_user

from portal import inputs
from portal.i18n import current_locale
from portal.models import utcnow

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
DOWNLOAD_CSP = "sandbox; default-src 'none'; frame-ancestors 'none'"


def is_safe_next(target: str | None) -> bool:
    """Only a path inside this portal: no scheme, no host, no backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str) -> str:
    return target if target and is_safe_next(target) else default


#: How often a session's last activity is written (an idle session may end this much early).
LAST_SEEN_STEP_SECONDS = 60


def _expire_session() -> ResponseReturnValue | None:
    """End a session that has been idle too long (staff sooner than suppliers) or that
    began too long ago, however active it has been since (ASVS 7.3.1, 7.3.2)."""
    if not current_user.is_authenticated:
        return None
    now = utcnow().timestamp()
    signed_in_at = session.get("signed_in_at")
    last_seen = session.get("last_seen")
    max_age_hours = int(_app_config("SESSION_MAX_AGE_HOURS"))
    if signed_in_at is None or now - float(signed_in_at) > max_age_hours * 3600:
        message = ngettext(
            "For your security, a session lasts at most %(num)s hour. Please sign in again.",
            "For your security, a session lasts at most %(num)s hours. Please sign in again.",
            max_age_hours,
        )
    elif last_seen is not None and now - float(last_seen) > _idle_timeout_seconds():
        message = _("You were signed out after a period of inactivity. Please sign in again.")
    else:
        # Activity is recorded to the minute: writing it on every request would sign and send
        # the session cookie anew with every response.
        if last_seen is None or now - float(last_seen) >= LAST_SEEN_STEP_SECONDS:
            session["last_seen"] = now
        return None
    kept = _keep_posted_answers()
    locale = current_locale()  # the user's language, resolved before the user is gone
    logout_user()
    session.clear()
    session["locale"] = locale
    flash(message, "info")
    if request.method == "GET" or kept:
        target = request.path if kept else request.full_path.rstrip("?")
        return redirect(url_for("auth.login", next=target))
    return redirect(url_for("auth.login"))


def _idle_timeout_seconds() -> float:
    key = "STAFF_IDLE_TIMEOUT_MINUTES" if current_user.is_staff else "IDLE_TIMEOUT_MINUTES"
    return float(_app_config(key)) * 60


def _keep_posted_answers() -> bool:
    """A questionnaire save that arrives after the session expired is kept for after sign-in."""
    if request.method != "POST" or request.endpoint != "responses.edit_section":
        return False
    from portal.extensions import db
    from portal.responses.services import keep_pending_input

    keep_pending_input(current_user, request.path, inputs.form_lists())
    db.session.commit()
    return True


def _app_config(key: str) -> Any:
    from flask import current_app

    return current_app.config[key]


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure or _app_config("ENV_NAME") == "production":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if _signed_in():
        headers["Cache-Control"] = "no-store"
    return response


def _signed_in() -> bool:
    """Whether a user is signed in, from the session alone: no database query, not even a
    refresh of a user expired by a rollback (the page that says the database is not
    answering comes through here too). Login and logout set and clear this key."""
    return "_user_id" in session


def init_app(app: Flask) -> None:
    app.before_request(_expire_session)
    app.after_request(_security_headers)
