"""Health endpoints for load balancers and deploys.

GET /healthz: the application and the database answer. GET /livez: the process answers.
GET /readyz: database reachable and at the migration head, storage, Redis when configured,
job backlog when jobs are kept in the database. Then the deploy itself: two `flask db upgrade`
at once wait for each other, and a schema behind the code's head is reported not ready.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from flask import Flask, current_app
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

import tests.conftest as conftest
from portal import create_app, health
from portal.config import ROOT
from portal.extensions import db as _db
from portal.models import Base

# portal/migrations/env.py may still ask Flask-SQLAlchemy's deprecated get_engine() first.
pytestmark = pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")


def test_healthy(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.is_json
    assert response.get_json() == {"status": "ok", "application": "ok", "database": "ok"}


def test_database_failure_answers_503(client, db, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(_db.session, "execute", broken)

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.get_json()
    assert body["database"] == "unavailable"
    assert body["application"] == "ok"
    assert body["status"] != "ok"
    assert "connection refused" not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/healthz", "/livez", "/readyz"])
def test_health_is_not_rate_limited_and_needs_no_session(app, client, db, path):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "1 per minute"

    statuses = {client.get(path).status_code for _ in range(30)}

    assert statuses == {200}
    assert client.get_cookie("aktsom_session") is None


def test_livez_answers_without_the_database(client, db, count_queries, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("connect", {}, Exception("connection refused"))

    monkeypatch.setattr(_db.engine, "connect", broken)

    with count_queries() as counted:
        response = client.get("/livez")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert counted == []


def test_readyz_reports_each_check(client, db):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {
        "status": "ok",
        "checks": {"database": {"status": "ok"}, "migrations": {"status": "ok"},
                   "storage": {"status": "ok"}},
    }


def test_readyz_database_down_answers_503_without_the_error(client, db, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("connect", {}, Exception("connection refused"))

    monkeypatch.setattr(_db.engine, "connect", broken)

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {"status": "unavailable"}
    assert body["checks"]["migrations"] == {"status": "unknown"}
    assert "connection refused" not in response.get_data(as_text=True)


@pytest.fixture
def recorded_revision(db) -> Iterator[None]:
    """Lets a test change the revision recorded in alembic_version; puts the head back."""
    yield
    heads, _known = health.migration_revisions()
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM alembic_version"))
        for head in heads:
            connection.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": head})


def _record_revision(db, revision: str) -> None:
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})


def test_readyz_schema_behind_the_code_answers_503(client, db, recorded_revision):
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(health.MIGRATIONS)).get_current_head()
    parent = ScriptDirectory(str(health.MIGRATIONS)).get_revision(head).down_revision
    _record_revision(db, parent)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["checks"]["migrations"] == {"status": "behind"}


def test_readyz_schema_ahead_of_the_code_answers_503(client, db, recorded_revision):
    _record_revision(db, "0123456789ab")  # a revision this code does not have: a newer release's

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["checks"]["migrations"] == {"status": "ahead"}


def test_readyz_storage_folder_that_cannot_exist_answers_503(app, client, db, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    app.config["STORAGE_URL"] = (blocker / "files").as_uri()

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["checks"]["storage"] == {"status": "unavailable"}
    assert response.get_json()["checks"]["database"] == {"status": "ok"}


def test_readyz_creates_a_missing_storage_folder_as_the_first_upload_would(app, client, db, tmp_path):
    app.config["STORAGE_URL"] = (tmp_path / "new" / "files").as_uri()

    response = client.get("/readyz")

    assert response.status_code == 200
    assert (tmp_path / "new" / "files").is_dir()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A real Redis server of our own on a free loopback port (nothing saved to disk)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian package redis-server)")
    port = _free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no"], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_readyz_checks_redis_when_the_limiter_uses_it(app, client, db, redis_url):
    app.config["RATELIMIT_STORAGE_URI"] = redis_url

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.get_json()["checks"]["redis"] == {"status": "ok"}


def test_readyz_redis_unreachable_answers_503(app, client, db):
    app.config["RATELIMIT_STORAGE_URI"] = f"redis://127.0.0.1:{_free_port()}/0"

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"] == {"status": "unavailable"}


@pytest.fixture
def jobs_table(db) -> Iterator[None]:
    """The table procrastinate keeps its jobs in, as far as the backlog check reads it."""
    with db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE procrastinate_jobs (id INTEGER PRIMARY KEY, status VARCHAR(20))"))
    yield
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE procrastinate_jobs"))


def test_readyz_reports_the_job_backlog_when_jobs_are_kept(client, db, jobs_table):
    with db.engine.begin() as connection:
        for number, status in enumerate(["todo", "todo", "doing", "succeeded", "todo"], start=1):
            connection.execute(text("INSERT INTO procrastinate_jobs VALUES (:id, :status)"),
                               {"id": number, "status": status})

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.get_json()["checks"]["jobs"] == {"status": "ok", "todo": 3}


def test_not_ready_is_logged_when_it_changes_not_on_every_probe(app, client, db, tmp_path, caplog):
    client.get("/readyz")  # whatever an earlier test left, this process is now ready
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    caplog.set_level(logging.INFO)

    app.config["STORAGE_URL"] = (blocker / "files").as_uri()
    failing = [client.get("/readyz").status_code for _ in range(3)]
    app.config["STORAGE_URL"] = (tmp_path / "files").as_uri()
    ready = [client.get("/readyz").status_code for _ in range(3)]

    assert (failing, ready) == ([503] * 3, [200] * 3)
    messages = [r.getMessage() for r in caplog.records if r.name == "portal.health"]
    assert messages == ["not_ready failing=storage", "ready"]


# Deploy: fresh databases, migrated by Alembic as `flask db upgrade` does.


def _server_url() -> str:
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        pytest.skip("TEST_DATABASE_URL does not name a PostgreSQL server")
    return base


def _admin(base: str, sql: str) -> None:
    import psycopg

    dsn = make_url(base).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(sql)


@pytest.fixture
def empty_postgresql() -> Iterator[str]:
    """A new, empty PostgreSQL database named after the test database (no clash between runs)."""
    base = _server_url()
    name = f"{make_url(base).database}_deploy"
    _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(base, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'deploy.db'}"
    else:
        yield request.getfixturevalue("empty_postgresql")


@pytest.fixture
def fresh_app(empty_database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app (a server) on an empty database; its context is pushed for the test."""
    app = create_app(conftest.test_config(tmp_path, SQLALCHEMY_DATABASE_URI=empty_database_url))
    with app.app_context():
        yield app
        _db.session.remove()
        _db.engine.dispose()


def _alembic_config():
    return current_app.extensions["migrate"].migrate.get_config(None)


def test_never_migrated_database_is_not_ready(fresh_app):
    response = fresh_app.test_client().get("/readyz")

    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["database"] == {"status": "ok"}
    assert checks["migrations"] == {"status": "not_migrated"}


def test_server_one_migration_behind_is_not_ready_until_upgraded(fresh_app):
    config = _alembic_config()
    command.upgrade(config, "head")
    command.downgrade(config, "-1")
    client = fresh_app.test_client()

    behind = client.get("/readyz")
    command.upgrade(config, "head")
    upgraded = client.get("/readyz")

    assert behind.status_code == 503
    assert behind.get_json()["checks"]["migrations"] == {"status": "behind"}
    assert upgraded.status_code == 200
    assert upgraded.get_json()["status"] == "ok"


def _waiting_for_migration_lock(connection, database: str) -> int:
    key = health.MIGRATION_LOCK_KEY
    return connection.execute(
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = %s "
        "AND l.classid = %s AND l.objid = %s",
        (database, key >> 32, key & 0xFFFFFFFF),
    ).fetchone()[0]


def test_two_upgrades_at_once_wait_for_each_other_and_both_succeed(empty_postgresql, tmp_path):
    import psycopg

    url = make_url(empty_postgresql)
    env = {**os.environ, "DATABASE_URL": empty_postgresql, "PORTAL_ENV": "development",
           "PORTAL_LOG_FORMAT": "json"}
    env.pop("TEST_DATABASE_URL", None)
    upgrade = [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"]
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as holder:
        # Hold the deploy lock ourselves so that both upgrades surely start while it is taken.
        holder.execute("SELECT pg_advisory_lock(%s)", (health.MIGRATION_LOCK_KEY,))
        processes = [subprocess.Popen(upgrade, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True) for _ in range(2)]
        try:
            deadline = time.monotonic() + 90
            while _waiting_for_migration_lock(holder, url.database) < 2:
                assert all(p.poll() is None for p in processes), [p.communicate()[0] for p in processes]
                assert time.monotonic() < deadline, "the upgrades never waited for the lock"
                time.sleep(0.1)
            holder.execute("SELECT pg_advisory_unlock(%s)", (health.MIGRATION_LOCK_KEY,))
            outputs = [p.communicate(timeout=120)[0] for p in processes]
        finally:
            for p in processes:
                if p.poll() is None:
                    p.kill()
                    p.wait()

    assert [p.returncode for p in processes] == [0, 0], outputs
    assert all('"event": "migration_lock_wait"' in output for output in outputs), outputs
    assert sum("Running upgrade" in output for output in outputs) == 1, outputs
    app = create_app(conftest.test_config(tmp_path, SQLALCHEMY_DATABASE_URI=empty_postgresql))
    with app.app_context():
        with _db.engine.connect() as connection:
            versions = set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
            tables = set(inspect(connection).get_table_names())
        _db.engine.dispose()
    assert versions == health.migration_revisions()[0]
    assert set(Base.metadata.tables) <= tables
