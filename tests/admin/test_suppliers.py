"""The supplier register: organisation numbers, foreign suppliers, search and pagination."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.models import Supplier
from tests.auth.helpers import flashed, location, markup, post, reloaded, text, tr

VALID = "912345602"
OTHER_VALID = "912345610"


def _supplier_form(**values):
    form = {"name": "Fjordtekstil AS", "country": "NO", "org_number": VALID, "registry_id": "",
            "address": "Storgata 1", "postal_code": "2000", "city": "Lillestrøm"}
    form.update(values)
    return form


def _create(client, **values):
    return post(client, "/admin/suppliers/new", _supplier_form(**values), token_from="/admin/suppliers/new")


def _count(db):
    db.session.expire_all()
    return db.session.scalar(select(func.count(Supplier.id)))


def test_admin_registers_a_norwegian_supplier(client, login_as, db):
    login_as("admin")

    response = _create(client, org_number="912 345 602")

    supplier = db.session.scalar(select(Supplier))
    assert response.status_code == 302
    assert location(response) == f"/admin/suppliers/{supplier.id}"
    assert tr("The supplier %(name)s is registered.", name="Fjordtekstil AS") in flashed(client)
    assert (supplier.name, supplier.org_number, supplier.country, supplier.city) == (
        "Fjordtekstil AS", VALID, "NO", "Lillestrøm")
    assert "Fjordtekstil AS" in text(client.get(location(response)))


@pytest.mark.parametrize(
    ("org_number", "message"),
    [
        ("912345603", "This is not a valid organisation number: check the digits against "
                      "Brønnøysundregistrene"),
        ("91234560X", "Enter the organisation number as 9 digits, like 123 456 785"),
        ("12345", "Enter the organisation number as 9 digits, like 123 456 785"),
        # Unicode calls these digits too, but int() and MOD11 do not take them.
        ("¹²³⁴⁵⁶⁷⁸⁵", "Enter the organisation number as 9 digits, like 123 456 785"),
        ("٩١٢٣٤٥٦٧٨", "Enter the organisation number as 9 digits, like 123 456 785"),
        ("", "Enter the organisation number: Norwegian suppliers must have one"),
    ],
)
def test_organisation_number_is_checked(client, login_as, db, org_number, message):
    login_as("admin")

    response = _create(client, org_number=org_number, name="Typed Name AS", city="Typedby")

    assert response.status_code == 200
    assert tr(message) in text(response)
    page = markup(response)
    assert f'value="{org_number}"' in page
    assert 'value="Typed Name AS"' in page
    assert 'value="Typedby"' in page
    assert 'aria-invalid="true"' in page
    assert _count(db) == 0


def test_organisation_number_is_unique(client, login_as, make, db):
    make.supplier(org_number=VALID, name="Første AS")
    db.session.commit()
    login_as("admin")

    response = _create(client, org_number=VALID, name="Andre AS")

    assert response.status_code == 200
    assert tr("A supplier with this organisation number is already registered") in text(response)
    assert 'value="Andre AS"' in markup(response)
    assert _count(db) == 1


def test_foreign_supplier_needs_a_registry_id(client, login_as, db):
    login_as("admin")

    missing = _create(client, country="SE", org_number="", registry_id="", name="Svensk AB")

    assert missing.status_code == 200
    assert tr("Enter the registry id, or a Norwegian organisation number if the supplier has one") in text(missing)
    assert 'value="Svensk AB"' in markup(missing)
    assert '<option value="SE" selected>' in markup(missing)
    assert _count(db) == 0

    response = _create(client, country="SE", org_number="", registry_id="556000-1234", name="Svensk AB")

    assert response.status_code == 302
    supplier = db.session.scalar(select(Supplier))
    assert (supplier.country, supplier.org_number, supplier.registry_id) == ("SE", None, "556000-1234")


def test_supplier_needs_a_name_and_a_known_country(client, login_as, db):
    login_as("admin")

    response = _create(client, name="", country="XX")

    assert response.status_code == 200
    assert tr("Enter the supplier's name") in text(response)
    assert _count(db) == 0


def test_admin_edits_a_supplier(client, login_as, make, db):
    supplier = make.supplier(name="Gammelt Navn AS", org_number=VALID)
    db.session.commit()
    login_as("admin")
    path = f"/admin/suppliers/{supplier.id}/edit"
    assert 'value="Gammelt Navn AS"' in markup(client.get(path))

    response = post(client, path, _supplier_form(name="Nytt Navn AS", org_number=VALID), token_from=path)

    assert response.status_code == 302
    assert location(response) == f"/admin/suppliers/{supplier.id}"
    assert tr("The changes are saved.") in flashed(client)
    assert reloaded(db, Supplier, supplier.id).name == "Nytt Navn AS"


def test_editing_to_another_suppliers_org_number_is_refused(client, login_as, make, db):
    make.supplier(org_number=OTHER_VALID)
    supplier = make.supplier(name="Meg AS", org_number=VALID)
    db.session.commit()
    login_as("admin")
    path = f"/admin/suppliers/{supplier.id}/edit"

    response = post(client, path, _supplier_form(name="Meg Endret AS", org_number=OTHER_VALID),
                    token_from=path)

    assert response.status_code == 200
    assert tr("A supplier with this organisation number is already registered") in text(response)
    assert 'value="Meg Endret AS"' in markup(response)
    fresh = reloaded(db, Supplier, supplier.id)
    assert (fresh.name, fresh.org_number) == ("Meg AS", VALID)


def test_failed_edit_keeps_typed_values_and_saves_nothing(client, login_as, make, db):
    supplier = make.supplier(name="Meg AS", org_number=VALID)
    db.session.commit()
    login_as("admin")
    path = f"/admin/suppliers/{supplier.id}/edit"

    response = post(client, path, _supplier_form(name="Nytt Navn AS", org_number="912345603",
                                                 city="Typedby"), token_from=path)

    assert response.status_code == 200
    page = markup(response)
    assert 'value="Nytt Navn AS"' in page
    assert 'value="912345603"' in page
    assert 'value="Typedby"' in page
    assert reloaded(db, Supplier, supplier.id).name == "Meg AS"


def test_unknown_supplier_is_404(client, login_as):
    login_as("admin")

    assert client.get("/admin/suppliers/999999").status_code == 404
    assert client.get("/admin/suppliers/999999/edit").status_code == 404


def test_search_finds_by_name_and_org_number(client, login_as, make, db):
    make.supplier(name="Nordlys Arbeidsklær AS", org_number=VALID)
    make.supplier(name="Solfanger Energi AS", org_number=OTHER_VALID)
    make.supplier(name="Utenlandsk GmbH", country="DE", registry_id="HRB-4711")
    db.session.commit()
    login_as("reviewer")

    by_name = text(client.get("/admin/suppliers?q=nordlys"))
    by_number = text(client.get(f"/admin/suppliers?q={OTHER_VALID}"))
    by_registry = text(client.get("/admin/suppliers?q=HRB-47"))

    assert "Nordlys Arbeidsklær AS" in by_name
    assert "Solfanger Energi AS" not in by_name
    assert "Solfanger Energi AS" in by_number
    assert "Nordlys Arbeidsklær AS" not in by_number
    assert "Utenlandsk GmbH" in by_registry
    assert 'value="nordlys"' in markup(client.get("/admin/suppliers?q=nordlys"))


def test_list_is_paginated(app, client, login_as, make, db):
    app.config["PAGE_SIZE"] = 2
    for name in ("A1 AS", "A2 AS", "A3 AS", "A4 AS", "A5 AS"):
        make.supplier(name=name)
    db.session.commit()
    login_as("reviewer")

    first = text(client.get("/admin/suppliers"))
    third = text(client.get("/admin/suppliers?page=3"))
    beyond = client.get("/admin/suppliers?page=99")
    garbage = client.get("/admin/suppliers?page=abc")

    assert "A1 AS" in first
    assert "A2 AS" in first
    assert "A3 AS" not in first
    assert tr("Page %(number)s of %(pages)s", number=1, pages=3) in first
    assert "A5 AS" in third
    assert "A1 AS" not in third
    assert beyond.status_code == 200
    assert "A5 AS" in text(beyond)
    assert garbage.status_code == 200
    assert "A1 AS" in text(garbage)


def test_pagination_keeps_the_search(app, client, login_as, make, db):
    app.config["PAGE_SIZE"] = 1
    make.supplier(name="Treff En AS")
    make.supplier(name="Treff To AS")
    make.supplier(name="Annet AS")
    db.session.commit()
    login_as("reviewer")

    page = markup(client.get("/admin/suppliers?q=Treff"))

    assert 'href="/admin/suppliers?page=2&q=Treff"' in page


def test_supplier_page_shows_users_and_agreements(client, login_as, make, db):
    supplier = make.supplier(name="Meg AS")
    make.user(role="supplier", supplier=supplier, email="kontakt@meg.example")
    make.agreement(suppliers=[supplier], name_nb="Arbeidstøy", reference="LK-1")
    db.session.commit()
    login_as("reviewer")

    page = text(client.get(f"/admin/suppliers/{supplier.id}"))

    assert "kontakt@meg.example" in page
    assert "LK-1" in page


@pytest.mark.parametrize("path", ["/admin/suppliers/new", "/admin/suppliers/{id}/edit"])
def test_reviewers_read_but_cannot_change_suppliers(client, login_as, make, db, path):
    supplier = make.supplier(name="Meg AS")
    db.session.commit()
    login_as("reviewer")
    path = path.format(id=supplier.id)

    assert client.get("/admin/suppliers").status_code == 200
    assert client.get(f"/admin/suppliers/{supplier.id}").status_code == 200
    assert client.get(path).status_code == 403
    assert post(client, path, _supplier_form(name="Endret AS")).status_code == 403
    assert reloaded(db, Supplier, supplier.id).name == "Meg AS"
    assert _count(db) == 1
