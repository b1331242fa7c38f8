"""List pages load what they show with a fixed number of queries, however many rows there are."""

from __future__ import annotations

import itertools
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from portal.extensions import db as _db

_serial = itertools.count(1)


@contextmanager
def counting_queries():
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("PRAGMA", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    event.listen(_db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(_db.engine, "before_cursor_execute", count)


def _supplier(make):
    # Foreign suppliers: the factories have only a few valid organisation numbers.
    return make.supplier(country="SE", registry_id=f"SE-{next(_serial)}")


def _fill(make, db, n):
    for _ in range(n):
        supplier = _supplier(make)
        make.user(role="supplier", supplier=supplier)
        make.agreement(suppliers=[supplier, _supplier(make)])
        make.risk()
    db.session.commit()


@pytest.mark.parametrize("path", ["/admin/suppliers", "/admin/agreements", "/admin/users", "/admin/risks"])
def test_list_pages_use_a_fixed_number_of_queries(client, login_as, make, db, path):
    login_as("admin")
    _fill(make, db, 2)
    client.get(path)
    with counting_queries() as few:
        assert client.get(path).status_code == 200

    _fill(make, db, 8)
    with counting_queries() as many:
        assert client.get(path).status_code == 200

    assert len(many) == len(few), "\n".join(many)
    assert len(few) <= 8, "\n".join(few)


def test_supplier_home_uses_a_fixed_number_of_queries(client, login_as, make, db):
    me = login_as("supplier")
    supplier = db.session.get(type(me), me.id).supplier
    make.agreement(suppliers=[supplier])
    db.session.commit()
    with counting_queries() as few:
        client.get("/company/")

    for _ in range(5):
        make.agreement(suppliers=[supplier])
        make.user(role="supplier", supplier=supplier)
    db.session.commit()
    with counting_queries() as many:
        assert client.get("/company/").status_code == 200

    assert len(many) == len(few), "\n".join(many)
