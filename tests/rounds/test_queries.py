"""The round pages run a fixed number of queries however many responses there are."""

from __future__ import annotations

import itertools
from datetime import timedelta

from portal import clock
from portal.rounds import services

_registry_ids = itertools.count(1)


def _foreign_supplier(make):
    # The factory has few valid Norwegian organisation numbers; foreign suppliers need none.
    return make.supplier(country="SE", registry_id=f"556{next(_registry_ids):07d}")


def _fill(db, make, round, active_agreement, agreements: int, suppliers_each: int) -> None:
    for _ in range(agreements):
        agreement = active_agreement(suppliers=[_foreign_supplier(make) for _ in range(suppliers_each)])
        services.add_agreement_to_round(round, agreement, actor=None)
    db.session.commit()


def _queries(client, count_queries, path: str) -> int:
    with count_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


def test_round_list_queries_do_not_grow_with_rounds_or_responses(
    client, db, make, make_round, active_agreement, login_as, count_queries
):
    first = make_round()
    _fill(db, make, first, active_agreement, agreements=1, suppliers_each=1)
    login_as("admin")
    few = _queries(client, count_queries, "/rounds")

    for year in (2022, 2023, 2024):
        _fill(db, make, make_round(year=year), active_agreement, agreements=2, suppliers_each=2)
    _fill(db, make, first, active_agreement, agreements=3, suppliers_each=2)
    many = _queries(client, count_queries, "/rounds")

    assert many == few


def test_round_page_queries_do_not_grow_with_responses(
    client, db, make, make_round, active_agreement, login_as, count_queries
):
    round = make_round(deadline=clock.today() + timedelta(days=30))
    _fill(db, make, round, active_agreement, agreements=1, suppliers_each=1)
    login_as("admin")
    few = _queries(client, count_queries, f"/rounds/{round.id}")

    _fill(db, make, round, active_agreement, agreements=6, suppliers_each=2)
    # Agreements still to add are offered in the form; their count must not matter either.
    for _ in range(4):
        active_agreement(suppliers=[_foreign_supplier(make)])
    db.session.commit()
    many = _queries(client, count_queries, f"/rounds/{round.id}")

    assert many == few
    assert few <= 8
