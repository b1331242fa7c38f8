"""Each statement of a buyer's staff gets only the criteria it can use (portal/tenancy.py): the
SQL and parameters must be exactly those of the full set. With ``TENANCY_CHECK_SUBSETS`` every
scoped statement is compiled both ways and a difference fails the request."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload, lazyload, selectinload, with_loader_criteria

from portal import tenancy
from portal.models import Agreement, Deviation, QuestionReview, Response, Supplier


@pytest.fixture
def checked(app):
    app.config[tenancy.CHECK_SUBSETS] = True  # the autouse _fresh_state fixture restores it


def _statements():
    return [
        select(func.count(Agreement.id)),
        select(Response.id).join(Response.agreement),
        select(Agreement.id).join(Agreement.suppliers),
        select(Agreement.id).where(Agreement.suppliers.any()),
        select(func.count(QuestionReview.id)).join(Response, Response.id == QuestionReview.response_id),
        select(Deviation.type, func.count()).group_by(Deviation.type),
        select(Supplier).where(Supplier.id.in_(select(Response.supplier_id))),
        select(Agreement).options(joinedload(Agreement.suppliers)),
        select(Response).join(Response.round).options(
            contains_eager(Response.round), selectinload(Response.agreement)),
    ]


@pytest.mark.parametrize("joint", [False, True])
def test_subset_compiles_like_the_full_set(app, db, checked, joint):
    session = db.session()
    tenancy.scope_to(session, 1, joint_reads=joint)
    try:
        for statement in _statements():
            db.session.execute(statement).all()
    finally:
        tenancy.scope_to(session, None)


def test_a_wrong_subset_is_caught(app, db, checked, monkeypatch):
    """The check itself: a subset that leaves out a criterion in use fails the statement."""
    monkeypatch.setattr(tenancy._Scope, "for_statement", lambda self, statement: ())
    session = db.session()
    tenancy.scope_to(session, 1)
    try:
        with pytest.raises(tenancy.CriteriaSubsetError):
            db.session.execute(select(func.count(Agreement.id))).all()
    finally:
        tenancy.scope_to(session, None)


def test_a_statement_keeps_only_the_criteria_of_what_it_names(app):
    scope = tenancy._scope(1, True)
    subset = scope.for_statement(select(func.count(Agreement.id)))
    assert [opt.entity.class_ for opt in subset] == [Agreement]
    # Response's criteria select from Agreement: both come along.
    subset = scope.for_statement(select(func.count(Response.id)))
    assert {opt.entity.class_ for opt in subset} == {Agreement, Response}


def test_loader_options_bring_their_entities(app):
    scope = tenancy._scope(1, False)
    subset = scope.for_statement(select(Agreement).options(joinedload(Agreement.suppliers)))
    assert Supplier in {opt.entity.class_ for opt in subset}
    assert len(subset) < len(scope.options)


def test_other_options_keep_every_criterion(app):
    scope = tenancy._scope(1, False)
    other = with_loader_criteria(Agreement, Agreement.id > 0)
    assert scope.for_statement(select(Agreement).options(other)) is scope.options
    assert scope.for_statement(select(Agreement).options(lazyload("*"))) is scope.options


def test_reviewer_pages_under_the_check(checked, client, login_as):
    login_as(role="reviewer")
    for url in ("/review", "/reports"):
        assert client.get(url).status_code == 200
