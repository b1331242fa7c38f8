"""The supplier's start page: its company, its colleagues and its agreements, and nobody else's."""

from __future__ import annotations

from tests.auth.helpers import text, tr


def test_supplier_sees_own_company_colleagues_and_agreements(client, login_as, make, db):
    mine = make.supplier(name="Nordlys Arbeidsklær AS", org_number="912345602")
    theirs = make.supplier(name="Annen Leverandør AS")
    make.user(role="supplier", supplier=mine, email="kollega@nordlys.example", name="Kari Kollega")
    make.user(role="supplier", supplier=mine, email="ny@nordlys.example", password_hash=None)
    make.user(role="supplier", supplier=mine, email="sluttet@nordlys.example", is_active=False)
    make.user(role="supplier", supplier=theirs, email="fremmed@annen.example")
    make.agreement(suppliers=[mine], reference="LK-MINE", name_nb="Arbeidstøy", name_en="Workwear")
    make.agreement(suppliers=[theirs], reference="LK-THEIRS")
    db.session.commit()
    login_as("supplier", supplier=mine)

    page = text(client.get("/company/"))

    assert "Nordlys Arbeidsklær AS" in page
    assert "912345602" in page
    assert "kollega@nordlys.example" in page
    assert "ny@nordlys.example" in page
    assert tr("invited, not yet signed in") in page
    assert "sluttet@nordlys.example" not in page
    assert "fremmed@annen.example" not in page
    assert "LK-MINE" in page
    assert "Arbeidstøy" in page
    assert "LK-THEIRS" not in page
    assert "Annen Leverandør AS" not in page


def test_agreement_names_follow_the_language(client, login_as, make, db):
    mine = make.supplier()
    make.agreement(suppliers=[mine], name_nb="Arbeidstøy", name_en="Workwear")
    db.session.commit()
    login_as("supplier", supplier=mine, locale="en")

    page = text(client.get("/company/"))

    assert "Workwear" in page
    assert "Arbeidstøy" not in page


def test_supplier_without_agreements_is_told_so(client, login_as):
    login_as("supplier")

    assert tr("Your company has no agreements registered yet.") in text(client.get("/company/"))
