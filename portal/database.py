"""Database engine tweaks that both SQLite and PostgreSQL need to behave alike, and a
session teardown that survives a database that went away during the request."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db

log = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _postgresql_settings(dbapi_connection: Any, connection_record: Any) -> None:
    """No JIT compilation for the portal's statements (SQLAlchemy's recipe for session settings).

    PostgreSQL compiles a statement whose estimated cost passes ``jit_above_cost``. The
    buyer's criteria (portal/tenancy.py) add correlated subqueries whose estimates pass it
    on a large buyer while the statement runs in milliseconds: the year report's funnel spent
    2.7 s compiling 544 functions to run 40 ms (bench/report_bench.py). Every statement here
    is a short web request or a job's report; none gains from JIT.
    """
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    cursor = dbapi_connection.cursor()
    cursor.execute("SET jit = off")
    cursor.close()
    dbapi_connection.autocommit = autocommit


#: psycopg converts each statement's ``%(name)s`` placeholders to PostgreSQL's ``$n`` by
#: parsing the whole text, and keeps the result (an LRU of 128 statements) only for statements
#: under 4 kB with at most 50 parameters: it guards against ORMs' one-off bulk INSERTs. The
#: buyer's criteria make most staff statements longer than that, and the traffic lights'
#: is 38 kB: they were parsed again at every execution, 8 % of the CPU of a reviewer's
#: report page and inbox (measured with bench/request_cost.py --staff). These limits let
#: them be kept; the LRU still holds at most 128 statements, under 10 MB at these sizes.
PSYCOPG_CACHED_STATEMENT_LENGTH = 64 * 1024
PSYCOPG_CACHED_STATEMENT_PARAMS = 1000


def _cache_long_statements() -> None:
    """Raise psycopg's limits (module settings of ``psycopg._queries``, read at each execution)."""
    from psycopg import _queries

    _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH,
                                               PSYCOPG_CACHED_STATEMENT_LENGTH)
    _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS,
                                               PSYCOPG_CACHED_STATEMENT_PARAMS)


def _close_session(_error: BaseException | None) -> None:
    """Close the request's session even when the database is gone (a restart, a failover).

    Closing rolls back on the connection; when the server has dropped it, that raises, and
    a page that was already rendered became a bare 500 in the teardown. The connection is
    invalidated by then (the pool opens a new one), so the error is only logged.
    """
    try:
        db.session.remove()
    except SQLAlchemyError:
        log.warning("session_close_failed", exc_info=True)
        db.session.registry.clear()


def init_app(app: Flask) -> None:
    # Registered after Flask-SQLAlchemy's own teardown, so it runs first (teardowns run in
    # reverse); Flask-SQLAlchemy's then finds nothing left to close.
    app.teardown_appcontext(_close_session)
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        elif engine.dialect.name == "postgresql":
            event.listen(engine, "connect", _postgresql_settings, insert=True)
            if engine.dialect.driver == "psycopg":
                _cache_long_statements()
