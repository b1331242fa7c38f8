"""Settings the portal gives each database connection (portal/database.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import text


def test_postgresql_compiles_no_statement_just_in_time(db):
    """JIT compilation cost a large buyer's year report 2.7 s on a 40 ms statement."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL setting")
    assert db.session.execute(text("SHOW jit")).scalar() == "off"
    # Also on a connection the pool opens later.
    db.session.remove()
    db.engine.dispose()
    assert db.session.execute(text("SHOW jit")).scalar() == "off"


def test_a_long_statement_is_parsed_once_not_at_every_execution(db):
    """psycopg keeps its placeholder conversion only for short statements unless told
    otherwise; the buyer's criteria make staff statements long (portal/database.py)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a psycopg setting")
    from psycopg import _queries

    long = "SELECT " + " + ".join(f"CAST(:p{i} AS integer)" for i in range(300))  # > 4 kB, > 50 params
    values = {f"p{i}": i for i in range(300)}
    assert len(long) > 4096
    db.session.execute(text(long), values)
    before = _queries._query2pg.cache_info()
    assert db.session.execute(text(long), values).scalar() == sum(range(300))
    after = _queries._query2pg.cache_info()
    assert (after.hits - before.hits, after.misses - before.misses) == (1, 0)


def test_sqlite_enforces_foreign_keys(db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("a SQLite setting")
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
