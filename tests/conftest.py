"""Shared fixtures: one app per test session, an empty database per test.

Set TEST_DATABASE_URL to run the same suite on PostgreSQL
(``make test-postgres``); otherwise a SQLite file in a temporary folder is used.
"""

from __future__ import annotations

import os
import re
import smtplib
import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import freezegun
import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import event, text

from portal import create_app, mail
from portal.extensions import db as _db
from portal.extensions import limiter
from portal.models import Base
from tests.factories import Factories

# pytester runs a small pytest session inside a test (tests/test_pytest_clock.py).
pytest_plugins = ["pytester", "tests.seaweed"]  # tests.seaweed: one S3 server per session

# freezegun swaps time.perf_counter in every loaded module, pytest's timer included, so a
# fixture that freezes time was reported as taking 1.7 billion seconds. Its default list
# names "_pytest.runner." (with the dot, so it matches nothing); pytest 8+ times in
# _pytest.timing. Ignoring only that module keeps the portal's clock frozen in tests.
freezegun.configure(extend_ignore_list=["_pytest.timing"])

PASSWORD = "correct horse battery staple"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _database_url(tmp: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp / 'test.db'}"


def test_config(tmp: Path, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp),
        "SECRET_KEY": "test-secret-key-that-is-long-enough-123456",
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp),
        "SERVER_NAME": None,
        "PUBLIC_BASE_URL": "http://aktsom.test",
        # Cheap hashing in tests; the production profile is measured in bench/.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "ARGON2_PARALLELISM": 1,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        # Jobs run in the process right after each commit on both databases, so tests see
        # their effects (sent mail); tests/components runs them in a real worker.
        "JOBS_RUN": "inline",
        "JOBS_INLINE_BACKOFF_SECONDS": 0,
    }
    config.update(overrides)
    return config


class Client(FlaskClient):
    """A test client whose requests never see the previous request's ``g``.

    Tests hold an application context open (to query the database between
    requests); Flask then reuses it for each request, so values cached in ``g``
    (Flask-WTF's CSRF token, Flask-Login's user) would leak from one request to
    the next in a way no browser could see. Clearing ``g`` restores real behaviour.
    Responses are read to the end and closed, as a server does, so that work deferred
    until after the response (``Response.call_on_close``) has run when a request returns.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("buffered", True)
        if has_app_context():
            for name in list(g):
                g.pop(name, None)
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp("instance")
    app = create_app(test_config(tmp))
    app.test_client_class = Client
    with app.app_context():
        Base.metadata.drop_all(_db.engine)
        _drop_alembic_version()
        Base.metadata.create_all(_db.engine)
        _stamp_head()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


def _drop_alembic_version() -> None:
    with _db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def _stamp_head() -> None:
    """create_all builds what the migrations build (tests/test_migrations.py checks it):
    record the head revision as `flask db upgrade` would, so /readyz sees a migrated schema."""
    from portal.health import migration_revisions

    heads, _known = migration_revisions()
    with _db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        for head in heads:
            connection.execute(text("INSERT INTO alembic_version VALUES (:head)"), {"head": head})


def _empty_all_tables() -> None:
    _db.session.rollback()
    _db.session.remove()
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with _db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # One round trip: foreign-key triggers off for this transaction, delete every row,
            # restart the id sequences (as SQLite does) — much cheaper than TRUNCATE per test.
            deletes = "; ".join(f'DELETE FROM "{name}"' for name in tables)  # noqa: S608 - our tables
            connection.exec_driver_sql(
                "SET LOCAL session_replication_role = replica; " + deletes + "; "  # noqa: S608
                "SELECT setval(c.oid::regclass, 1, false) FROM pg_class c WHERE c.relkind = 'S'"
            )
        else:
            for name in tables:
                connection.execute(text(f'DELETE FROM "{name}"'))  # noqa: S608 - our table names


@pytest.fixture
def db(app: Flask) -> Iterator[Any]:
    """An application context over an empty database."""
    with app.app_context():
        yield _db
        _empty_all_tables()


@pytest.fixture(autouse=True)
def _fresh_state(app: Flask) -> Iterator[None]:
    limiter.reset()
    app.extensions["aktsom_sent_mail"] = []
    saved = dict(app.config)
    yield
    app.config.clear()
    app.config.update(saved)


@pytest.fixture
def client(app: Flask, db: Any) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make(db: Any) -> Factories:
    return Factories(db, PASSWORD)


#: Statements a page does not choose to run: they are not counted.
HOUSEKEEPING = ("PRAGMA", "SAVEPOINT", "RELEASE")


@pytest.fixture
def count_queries(db: Any) -> Callable[[], AbstractContextManager[list[str]]]:
    """``with count_queries() as counted: ...`` then ``len(counted)`` is the SQL statements
    run inside (housekeeping such as SQLite's PRAGMA left out)."""

    @contextmanager
    def _count() -> Iterator[list[str]]:
        statements: list[str] = []

        def _record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if not statement.lstrip().upper().startswith(HOUSEKEEPING):
                statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", _record)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", _record)

    return _count


@pytest.fixture
def sent_mail(app: Flask) -> list[Any]:
    return app.extensions["aktsom_sent_mail"]


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    response = client.get(path)
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_form(client: FlaskClient, path: str, data: dict[str, Any], *, token_from: str | None = None,
              **kwargs: Any) -> Any:
    """POST like a browser: fetch the page for its CSRF token, then send the form."""
    data = {"csrf_token": csrf_token(client, token_from or path), **data}
    return client.post(path, data=data, **kwargs)


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    return post_form(client, "/login", {"email": email, "password": password})


@pytest.fixture
def login_as(client: FlaskClient, make: Factories) -> Callable[..., Any]:
    """Create a user of the given role and sign the test client in as them."""

    def _login_as(role: str = "reviewer", **kwargs: Any) -> Any:
        user = make.user(role=role, **kwargs)
        _db.session.commit()
        response = login(client, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    return _login_as


class FlakySMTP:
    """An SMTP client whose server accepts ``accept`` messages, then answers 451."""

    accept = 0
    delivered: list[str] = []

    def __init__(self, host: str, port: int, timeout: float) -> None:
        pass

    def __enter__(self) -> FlakySMTP:
        return self

    def __exit__(self, *exc: object) -> bool:
        return False

    def starttls(self) -> None:
        pass

    def login(self, user: str, password: str) -> None:
        pass

    def send_message(self, message: Any) -> None:
        if len(FlakySMTP.delivered) >= FlakySMTP.accept:
            raise smtplib.SMTPDataError(451, b"4.3.0 Try again later")
        FlakySMTP.delivered.append(message["To"])


@pytest.fixture
def flaky_smtp(app: Flask, monkeypatch: pytest.MonkeyPatch) -> type[FlakySMTP]:
    FlakySMTP.accept = 0
    FlakySMTP.delivered = []
    monkeypatch.setattr(mail.smtplib, "SMTP", FlakySMTP)
    app.config.update(SMTP_HOST="smtp.kommune.example", SMTP_STARTTLS=False, SMTP_USERNAME="")
    return FlakySMTP


def closed_port() -> int:
    """A loopback port nothing listens on: a mail server that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
