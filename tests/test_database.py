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


def test_sqlite_enforces_foreign_keys(db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("a SQLite setting")
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
