"""Priority risks (table 2.A.3): add, edit, remove; reviewers only read."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.models import PriorityRisk
from tests.auth.helpers import flashed, location, markup, post, reloaded, text, tr


def _risk_form(**values):
    form = {"impact_nb": "Tvangsarbeid i solcellepaneler", "impact_en": "Forced labour in solar panels",
            "themes": ["FORCED", "OHS"], "geography": "Globalt", "position": "1"}
    form.update(values)
    return form


def _count(db):
    db.session.expire_all()
    return db.session.scalar(select(func.count(PriorityRisk.id)))


def test_admin_adds_a_risk(client, login_as, db):
    login_as("admin")

    response = post(client, "/admin/risks/new", _risk_form(), token_from="/admin/risks/new")

    assert response.status_code == 302
    assert location(response) == "/admin/risks"
    assert tr("The risk is saved.") in flashed(client)
    risk = db.session.scalar(select(PriorityRisk))
    assert (risk.impact_nb, risk.themes, risk.geography, risk.position) == (
        "Tvangsarbeid i solcellepaneler", ["FORCED", "OHS"], "Globalt", 1)
    assert "Tvangsarbeid i solcellepaneler" in text(client.get("/admin/risks"))


def test_risk_needs_an_impact_and_a_theme_and_keeps_input(client, login_as, db):
    login_as("admin")

    response = post(client, "/admin/risks/new", _risk_form(impact_nb="", themes=[], geography="Asia"),
                    token_from="/admin/risks/new")

    assert response.status_code == 200
    assert tr("Describe the adverse impact in Norwegian") in text(response)
    assert tr("Choose at least one theme") in text(response)
    assert 'value="Asia"' in markup(response)
    assert "Forced labour in solar panels" in markup(response)
    assert _count(db) == 0


def test_unknown_theme_is_refused(client, login_as, db):
    login_as("admin")

    response = post(client, "/admin/risks/new", _risk_form(themes=["NOPE"]), token_from="/admin/risks/new")

    assert response.status_code == 200
    assert _count(db) == 0


def test_position_out_of_range_is_refused(client, login_as, db):
    login_as("admin")

    response = post(client, "/admin/risks/new", _risk_form(position="1000"), token_from="/admin/risks/new")

    assert response.status_code == 200
    assert tr("Enter a number from 0 to 999") in text(response)
    assert 'value="1000"' in markup(response)


def test_admin_edits_a_risk(client, login_as, make, db):
    risk = make.risk(impact_nb="Gammel")
    db.session.commit()
    login_as("admin")
    path = f"/admin/risks/{risk.id}/edit"
    assert "Gammel" in markup(client.get(path))

    response = post(client, path, _risk_form(impact_nb="Ny", themes=["ANIMAL"]), token_from=path)

    assert response.status_code == 302
    fresh = reloaded(db, PriorityRisk, risk.id)
    assert (fresh.impact_nb, fresh.themes) == ("Ny", ["ANIMAL"])


def test_failed_edit_keeps_input_and_saves_nothing(client, login_as, make, db):
    risk = make.risk(impact_nb="Gammel")
    db.session.commit()
    login_as("admin")
    path = f"/admin/risks/{risk.id}/edit"

    response = post(client, path, _risk_form(impact_nb="Ny tekst", themes=[]), token_from=path)

    assert response.status_code == 200
    assert "Ny tekst" in markup(response)
    assert reloaded(db, PriorityRisk, risk.id).impact_nb == "Gammel"


def test_admin_removes_a_risk(client, login_as, make, db):
    risk = make.risk()
    db.session.commit()
    login_as("admin")

    response = post(client, f"/admin/risks/{risk.id}/delete", token_from="/admin/risks")

    assert response.status_code == 302
    assert tr("The risk is removed.") in flashed(client)
    assert _count(db) == 0


def test_risks_are_listed_in_order_in_the_readers_language(client, login_as, make, db):
    make.risk(impact_nb="Andre", impact_en="Second", position=2)
    make.risk(impact_nb="Første", impact_en="First", position=1)
    db.session.commit()
    login_as("reviewer", locale="en")

    page = text(client.get("/admin/risks"))

    assert page.index("First") < page.index("Second")
    assert "Første" not in page


def test_reviewers_read_but_cannot_change_risks(client, login_as, make, db):
    risk = make.risk(impact_nb="Uendret")
    db.session.commit()
    login_as("reviewer")

    assert client.get("/admin/risks").status_code == 200
    assert client.get("/admin/risks/new").status_code == 403
    assert client.get(f"/admin/risks/{risk.id}/edit").status_code == 403
    assert post(client, f"/admin/risks/{risk.id}/edit", _risk_form()).status_code == 403
    assert post(client, f"/admin/risks/{risk.id}/delete").status_code == 403
    assert reloaded(db, PriorityRisk, risk.id).impact_nb == "Uendret"
    assert _count(db) == 1
