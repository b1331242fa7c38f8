"""Translated error pages; no stack trace ever reaches the user."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _render(code: int, title: str, message: str) -> tuple[str, int] | tuple[object, int]:
    if _wants_json():
        return jsonify(error=title, status=code), code
    return render_template("errors/error.html", code=code, title=title, message=message), code


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


def handle_http_error(error: HTTPException) -> object:
    code = error.code or 500
    title, message = _messages(code)
    return _render(code, title, message)


def handle_csrf_error(error: CSRFError) -> object:
    log.warning("csrf_failed path=%s", request.path)
    return _render(
        400,
        _("The form has expired"),
        _("The form could not be sent because its security token was missing or out of date. "
          "Go back, reload the page and try again."),
    )


def handle_unexpected(error: Exception) -> object:
    log.exception("unhandled_error path=%s", request.path)
    try:
        from portal.extensions import db

        db.session.rollback()
    except Exception:  # noqa: BLE001, S110 - the database may be the thing that failed
        pass
    return handle_http_error(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
