"""Translated error pages; no stack trace ever reaches the user.

An error page must not fail in its turn: when the database is down, the page is rendered
without the signed-in user (whom the layout would load), and if even that fails, as plain
HTML that needs nothing but the translations.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from limits.errors import StorageError
from markupsafe import escape
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path in ("/healthz", "/livez", "/readyz")


def _rollback() -> None:
    try:
        from portal.extensions import db

        db.session.rollback()
    except Exception:  # noqa: BLE001, S110 - the database may be the thing that failed
        pass


def _render(code: int, title: str, message: str) -> tuple[Response | str, int]:
    if _wants_json():
        return jsonify(error=title, status=code), code
    try:
        return render_template("errors/error.html", code=code, title=title, message=message), code
    except Exception:  # noqa: BLE001 - the layout needs the database (the signed-in user)
        log.exception("error_page_failed code=%s path=%s", code, request.path)
        _rollback()
        return _plain_page(code, title, message), code


def _plain_page(code: int, title: str, message: str) -> str:
    """The error page without the layout: no database, no user, only the translations."""
    try:
        from portal.i18n import current_locale

        lang = current_locale()
        home, stylesheet = url_for("main.index"), url_for("static", filename="css/app.css")
    except Exception:  # noqa: BLE001 - as little as possible may fail here
        lang, home, stylesheet = "nb", "/", "/static/css/app.css"
    front_page = _("Go to the front page")
    return (
        f'<!doctype html>\n<html lang="{escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(title)} – Aktsom</title><link rel="stylesheet" href="{escape(stylesheet)}"></head>'
        f'<body><main class="site-main" id="main"><h1>{escape(title)}</h1><p>{escape(message)}</p>'
        f'<p><a href="{escape(home)}">{escape(front_page)}</a></p></main></body></html>'
    )


def _messages(code: int) -> tuple[str, str]:
    messages = {
        400: (_("Bad request"), _("The request could not be understood. Go back and try again.")),
        403: (_("Access denied"), _("You do not have access to this page.")),
        404: (
            _("Page not found"),
            _("We could not find the page. Check the address, or go to the front page."),
        ),
        405: (_("Method not allowed"), _("This page cannot be used in that way.")),
        413: (
            _("The upload is too large"),
            _("What you sent is larger than the portal accepts. Nothing was saved from it."),
        ),
        415: (_("File type not accepted"), _("This type of file is not accepted.")),
        429: (
            _("Too many attempts"),
            _("You have tried too many times. Wait a few minutes and try again."),
        ),
        500: (
            _("Something went wrong"),
            _("An error occurred on our side. What you saved earlier is kept. Try again later."),
        ),
        503: (
            _("Service unavailable"),
            _("The service is temporarily unavailable. Try again in a few minutes."),
        ),
    }
    return messages.get(code, messages[400] if code < 500 else messages[500])


def handle_http_error(error: HTTPException) -> ResponseReturnValue:
    code = error.code or 500
    title, message = _messages(code)
    return _render(code, title, message)


def handle_csrf_error(error: CSRFError) -> ResponseReturnValue:
    log.warning("csrf_failed path=%s", request.path)
    return _render(
        400,
        _("The form has expired"),
        _("The form could not be sent because its security token was missing or out of date. "
          "Go back, reload the page and try again."),
    )


def handle_unexpected(error: Exception) -> ResponseReturnValue:
    log.exception("unhandled_error path=%s", request.path)
    _rollback()
    return handle_http_error(InternalServerError())


def handle_database_error(error: DBAPIError) -> ResponseReturnValue:
    """The database did not answer (restart, failover, lost connection): nothing was saved."""
    unavailable = isinstance(error, OperationalError | InterfaceError) or error.connection_invalidated
    if not unavailable:
        return handle_unexpected(error)
    log.error("database_unavailable path=%s error=%s", request.path, error.orig.__class__.__name__)
    _rollback()
    reply = _render(
        503,
        _("The database is not answering"),
        _("What you just sent was not saved. Wait a moment, go back and try again: what you "
          "saved earlier is kept."),
    )
    return reply[0], reply[1], {"Retry-After": "5"}


def handle_simultaneous_change(error: StaleDataError) -> ResponseReturnValue:
    """Someone changed the same record between this request's read and its write."""
    log.warning("simultaneous_change path=%s", request.path)
    _rollback()
    return _render(
        409,
        _("Changed by someone else at the same moment"),
        _("Someone else changed the same thing while your request was being handled, so nothing "
          "was saved from it. Go back, reload the page and try again."),
    )


def handle_limiter_unavailable(error: StorageError) -> ResponseReturnValue:
    """The rate limiter's shared store (Redis) did not answer. Sign-in and the other guarded
    forms fail closed: without their counters an attacker could guess without limit."""
    log.error("rate_limit_storage_unavailable path=%s error=%s", request.path,
              error.storage_error.__class__.__name__)
    _rollback()
    reply = _render(
        503,
        _("Temporarily unavailable"),
        _("This cannot be done right now because a service the portal depends on is not "
          "answering. Nothing was changed. Wait a few minutes and try again."),
    )
    return reply[0], reply[1], {"Retry-After": "30"}


def init_app(app: Flask) -> None:
    app.register_error_handler(StorageError, handle_limiter_unavailable)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(StaleDataError, handle_simultaneous_change)
    app.register_error_handler(Exception, handle_unexpected)
