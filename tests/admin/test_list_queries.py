"""List pages load what they show with a fixed number of queries, however many rows there are."""

from __future__ import annotations

import itertools

import pytest

_serial = itertools.count(1)


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
def test_list_pages_use_a_fixed_number_of_queries(client, login_as, make, db, count_queries,
                                                  path):
    login_as("admin")
    _fill(make, db, 2)
    client.get(path)
    with count_queries() as few:
        assert client.get(path).status_code == 200

    _fill(make, db, 8)
    with count_queries() as many:
        assert client.get(path).status_code == 200

    assert len(many) == len(few), "\n".join(many)
    assert len(few) <= 8, "\n".join(few)


def test_supplier_home_uses_a_fixed_number_of_queries(client, login_as, make, db, count_queries):
    me = login_as("supplier")
    supplier = db.session.get(type(me), me.id).supplier
    make.agreement(suppliers=[supplier])
    db.session.commit()
    with count_queries() as few:
        client.get("/company/")

    for _ in range(5):
        make.agreement(suppliers=[supplier])
        make.user(role="supplier", supplier=supplier)
    db.session.commit()
    with count_queries() as many:
        assert client.get("/company/").status_code == 200

    assert len(many) == len(few), "\n".join(many)
