"""Small helpers for reading responses the way a user would (shared by the foundation's tests)."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from flask_babel import force_locale, gettext

from tests.conftest import PASSWORD, csrf_token

SESSION_COOKIE = "aktsom_session"
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def tr(msgid: str, locale: str = "nb", **values: Any) -> str:
    """What a gettext call shows in ``locale``; needs an application context (the ``db`` fixture)."""
    with force_locale(locale):
        return gettext(msgid, **values)


def text(response: Any) -> str:
    """The page as a reader sees it: tags removed, entities decoded, whitespace collapsed."""
    body = _TAGS.sub(" ", response.get_data(as_text=True))
    return _SPACE.sub(" ", html.unescape(body))


def markup(response: Any) -> str:
    """The raw HTML with entities decoded, for checking attribute values."""
    return html.unescape(response.get_data(as_text=True))


def location(response: Any) -> str:
    """The redirect target as path plus query."""
    parts = urlsplit(response.headers["Location"])
    return parts.path + (f"?{parts.query}" if parts.query else "")


def redirect_path(response: Any) -> str:
    return urlsplit(response.headers["Location"]).path


def flashed(client: FlaskClient) -> list[str]:
    """Flashed messages waiting in the session (reading them does not consume them)."""
    with client.session_transaction() as session:
        return [str(message) for _category, message in session.get("_flashes", [])]


def session_cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie(SESSION_COOKIE)
    return cookie.value if cookie else None


def post(client: FlaskClient, path: str, data: dict[str, Any] | None = None, *,
         token_from: str = "/accessibility", **kwargs: Any) -> Any:  # noqa: S107 - a page, not a secret
    """POST with this session's CSRF token, taken from a page every visitor can open."""
    form = {"csrf_token": csrf_token(client, token_from), **(data or {})}
    return client.post(path, data=form, **kwargs)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD, *, path: str = "/login") -> Any:
    return client.post(path, data={"csrf_token": csrf_token(client, path), "email": email,
                                   "password": password})


def sign_out(client: FlaskClient) -> Any:
    return post(client, "/logout")


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own application context.

    The ``db`` fixture keeps an application context open for the whole test, and Flask
    reuses an open context for requests: ``g`` (Flask-Login's cached user, the CSRF
    token) and the database session would then leak from one request, or one client,
    to the next. A browser gets none of that, so neither do these tests. Responses are
    read to the end and closed, as a server does (work deferred until after the response runs).
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("buffered", True)
        with self.application.app_context():
            return super().open(*args, **kwargs)


def isolate_requests(app: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(app, "test_client_class", IsolatedClient)


def reloaded(db: Any, model: type[Any], object_id: int) -> Any:
    """The row as the database has it now (requests run in their own session)."""
    db.session.expire_all()
    return db.session.get(model, object_id)


def link_in(outgoing: Any) -> str:
    """The portal path of the link in an e-mail's text part."""
    match = re.search(r"https?://\S+", outgoing.text)
    assert match, outgoing.text
    return urlsplit(match.group(0)).path
