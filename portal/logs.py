"""Logging: one configuration, a request id on every line, one access line per request.

``configure(app)`` (called once from ``create_app``) sends every logger's lines to stdout,
as JSON (``LOG_FORMAT=json``, the production default) or as readable text (the default
elsewhere). A JSON line carries ``timestamp`` (ISO 8601, UTC), ``level``, ``logger``,
``message``, ``event`` (the message's first word when it is a name such as ``mail_sent``)
and, inside a request, ``request_id``, ``method``, ``path`` (no query string), ``endpoint``
and ``user_id`` (the number only: never an e-mail address or the session token). The
access line (``event: request``) adds ``status`` and ``duration_ms``; an error adds
``traceback``.

The request id is the caller's ``X-Request-ID`` when it is 1–128 visible ASCII characters,
otherwise a new uuid4 hex; it is in ``flask.g.request_id`` and echoed in the response's
``X-Request-ID`` header. Code that runs outside the request (a background job) keeps the
id of the request that caused it with ``bind_request_id``::

    def send_receipt(submission_id: int, request_id: str | None = None) -> None:
        with bind_request_id(request_id):
            ...  # every line logged here carries that request_id

and the code that enqueues the job passes ``request_id=current_request_id()``.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_request_context, request
from flask.logging import default_handler
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy import inspect as sa_inspect
from werkzeug.wrappers import Response

from portal.config import ConfigError

HEADER = "X-Request-ID"
VALID_REQUEST_ID = re.compile(r"[!-~]{1,128}")
EVENT_NAME = re.compile(r"[a-z][a-z0-9_]*")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# Chatty at INFO, useless in production logs.
QUIET_LOGGERS = {"fontTools": logging.WARNING, "weasyprint.progress": logging.WARNING,
                 "alembic.runtime.plugins": logging.WARNING}

access_log = logging.getLogger("portal.access")
_bound_request_id: ContextVar[str | None] = ContextVar("portal_request_id", default=None)

F = TypeVar("F", bound=Callable[..., Any])


def new_request_id() -> str:
    return uuid.uuid4().hex


def valid_request_id(value: str | None) -> str | None:
    """The value if it is safe to log and echo (1–128 visible ASCII characters), else None."""
    if value and VALID_REQUEST_ID.fullmatch(value):
        return value
    return None


def current_request_id() -> str | None:
    """The id of the request (or job) being handled now, to pass on to a job it enqueues."""
    bound = _bound_request_id.get()
    if bound is not None:
        return bound
    if has_request_context():
        return g.get("request_id")
    return None


@contextmanager
def bind_request_id(request_id: str | None = None) -> Iterator[str]:
    """Lines logged inside the block carry ``request_id`` (a new id if none or invalid).

    For background jobs: pass the id of the request that enqueued the job, so its lines can
    be found with the request's. Yields the id in force.
    """
    value = valid_request_id(request_id) or new_request_id()
    token = _bound_request_id.set(value)
    try:
        yield value
    finally:
        _bound_request_id.reset(token)


def quiet(view: F) -> F:
    """Log this view's access lines at DEBUG: load-balancer probes would flood the logs."""
    view.quiet_access_log = True  # type: ignore[attr-defined]
    return view


class ContextFilter(logging.Filter):
    """Adds the request's (or bound job's) context to every line that passes the handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "event") and isinstance(record.msg, str):
            first = record.msg.split(" ", 1)[0]
            if EVENT_NAME.fullmatch(first):
                record.event = first
        request_id = current_request_id()
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        if has_request_context():
            for name, value in _request_fields().items():
                if not hasattr(record, name):
                    setattr(record, name, value)
        return True


def _request_fields() -> dict[str, Any]:
    fields: dict[str, Any] = {
        "method": request.method,
        "path": request.path,
        "endpoint": request.endpoint,
    }
    user_id = _user_id()
    if user_id is not None:
        fields["user_id"] = user_id
    return fields


def _user_id() -> int | None:
    """The signed-in user's id if this request loaded the user; never loads it (no query)."""
    user = g.get("_login_user")  # where Flask-Login keeps the user it loaded
    # After the request's commit the user is expired: ``user.id`` (and UserMixin's
    # ``is_authenticated``, which reads ``is_active``) would load it again. The identity key
    # survives the expiry; the anonymous user is not mapped.
    state = sa_inspect(user, raiseerr=False) if user is not None else None
    if state is None or not state.identity:
        return None
    return int(state.identity[0])


class StdoutHandler(logging.StreamHandler[Any]):
    """Writes to the current ``sys.stdout`` (not the one at start-up, which tests replace)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def make_formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter(
            ["levelname", "name", "message"],
            rename_fields={"levelname": "level", "name": "logger", "exc_info": "traceback"},
            timestamp=True,
        )
    formatter = logging.Formatter(TEXT_FORMAT, defaults={"request_id": "-"})
    formatter.converter = time.gmtime
    formatter.default_time_format = "%Y-%m-%dT%H:%M:%S"
    formatter.default_msec_format = "%s.%03dZ"
    return formatter


def configure(app: Flask) -> None:
    """Set up logging for the process and the app's request hooks.

    Call it before the other extensions register theirs, so the request id exists before
    any of them can abort a request (CSRF, size limits) and the access line is written last.
    """
    configure_logging(app.config)
    # Flask's own stderr handler would print the app's lines a second time.
    logging.getLogger(app.name).removeHandler(default_handler)
    app.before_request(_start_request)
    app.after_request(_finish_request)


def configure_logging(config: Mapping[str, Any]) -> None:
    """One stdout handler on the root logger (replacing an earlier call's), format and level
    from LOG_FORMAT (json, or text; json by default in production) and LOG_LEVEL (INFO)."""
    log_format = config.get("LOG_FORMAT") or (
        "json" if config.get("ENV_NAME") == "production" else "text"
    )
    if log_format not in ("json", "text"):
        raise ConfigError(f"LOG_FORMAT must be json or text, not {log_format!r}")
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, StdoutHandler)]:
        root.removeHandler(old)
    handler = StdoutHandler()
    handler.setFormatter(make_formatter(log_format))
    handler.addFilter(ContextFilter())
    root.addHandler(handler)
    root.setLevel(str(config.get("LOG_LEVEL") or "INFO").upper())
    for name, level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(level)


def _start_request() -> None:
    g.request_id = valid_request_id(request.headers.get(HEADER)) or new_request_id()
    g.request_started = time.perf_counter()


def _finish_request(response: Response) -> Response:
    # g.get: another hook may have answered before ours ran (see STACK.md, gotcha 7).
    request_id = g.get("request_id") or new_request_id()
    g.request_id = request_id
    response.headers[HEADER] = request_id
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
    view = current_app.view_functions.get(request.endpoint or "")
    level = logging.DEBUG if getattr(view, "quiet_access_log", False) else logging.INFO
    access_log.log(
        level, "request %s %s %s %sms", request.method, request.path, response.status_code,
        duration_ms, extra={"status": response.status_code, "duration_ms": duration_ms},
    )
    return response
