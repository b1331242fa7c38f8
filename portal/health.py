"""Readiness checks behind ``/readyz``: may this process be sent traffic?

Each check returns a small dict with a ``status`` (``"ok"`` or what is wrong) and never an
error text (the answer is public). A failing check is logged when the answer changes, not
on every probe.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

import redis
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from portal import storage
from portal.extensions import db

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
JOBS_TABLE = "procrastinate_jobs"
OK = {"status": "ok"}
# Key of the PostgreSQL advisory lock that `flask db upgrade` holds (migrations/env.py):
# "aktsom" in ASCII.
MIGRATION_LOCK_KEY = 0x616B74736F6D

_last_failing: frozenset[str] = frozenset()


@functools.cache
def migration_revisions() -> tuple[frozenset[str], frozenset[str]]:
    """The head revision(s) of portal/migrations and all its revisions, read once: the code
    cannot change under a running process."""
    script = ScriptDirectory(str(MIGRATIONS))
    return frozenset(script.get_heads()), frozenset(r.revision for r in script.walk_revisions())


def storage_ready() -> dict[str, Any]:
    """Files can be stored: the storage folder exists (or can be made, as the first upload
    would) and is writable, or the S3 bucket answers (portal/storage.py)."""
    try:
        storage.check()
    except Exception:  # noqa: BLE001 - a folder, a bucket or the network: any failure is "not ready"
        return {"status": "unavailable"}
    return dict(OK)


def redis_ready(uri: str) -> dict[str, Any]:
    try:
        _redis_client(uri).ping()
    except redis.RedisError:
        return {"status": "unavailable"}
    return dict(OK)


@functools.cache
def _redis_client(uri: str) -> redis.Redis:
    # Short timeouts: a probe must answer before the load balancer gives up on it.
    return redis.Redis.from_url(uri, socket_connect_timeout=1, socket_timeout=1)


def _migrations(connection: Connection, tables: set[str]) -> dict[str, Any]:
    if "alembic_version" not in tables:
        return {"status": "not_migrated"}
    current = set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    heads, known = migration_revisions()
    if current == heads:
        return dict(OK)
    if not current:
        return {"status": "not_migrated"}
    # Behind: `flask db upgrade` is due. Ahead: this server runs older code than the schema.
    return {"status": "behind" if current <= known else "ahead"}


def _jobs(connection: Connection) -> dict[str, Any]:
    todo = connection.execute(
        text(f"SELECT count(*) FROM {JOBS_TABLE} WHERE status = 'todo'")  # noqa: S608 - a constant
    ).scalar_one()
    return {"status": "ok", "todo": todo}


def database_checks() -> dict[str, dict[str, Any]]:
    """Database reachable, schema at the migration head and, if jobs are kept there, the backlog."""
    try:
        connection = db.engine.connect()
    except SQLAlchemyError:
        return {"database": {"status": "unavailable"}, "migrations": {"status": "unknown"}}
    checks: dict[str, dict[str, Any]] = {}
    with connection:
        try:
            tables = set(inspect(connection).get_table_names())
        except SQLAlchemyError:
            return {"database": {"status": "unavailable"}, "migrations": {"status": "unknown"}}
        checks["database"] = dict(OK)
        try:
            checks["migrations"] = _migrations(connection, tables)
        except SQLAlchemyError:
            connection.rollback()
            checks["migrations"] = {"status": "unknown"}
        if JOBS_TABLE in tables:
            try:
                checks["jobs"] = _jobs(connection)
            except SQLAlchemyError:
                connection.rollback()
                checks["jobs"] = {"status": "unknown"}
    return checks


def readiness() -> tuple[bool, dict[str, dict[str, Any]]]:
    """Every check by name, and whether all of them are ok."""
    global _last_failing
    checks = database_checks()
    checks["storage"] = storage_ready()
    uri = str(current_app.config.get("RATELIMIT_STORAGE_URI") or "")
    if uri.startswith(("redis://", "rediss://", "redis+")):
        checks["redis"] = redis_ready(uri)
    failing = frozenset(name for name, check in checks.items() if check["status"] != "ok")
    if failing != _last_failing:
        if failing:
            log.warning("not_ready failing=%s", ",".join(sorted(failing)))
        else:
            log.info("ready")
        _last_failing = failing
    return not failing, checks
