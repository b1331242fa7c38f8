"""Agreements: every field of DOMAIN part 0, date order, social-dialogue wording, unique reference, filters."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.models import Agreement
from tests.auth.helpers import flashed, location, markup, post, reloaded, text, tr


def _agreement_form(**values):
    form = {
        "name_nb": "Arbeidstøy", "name_en": "Workwear", "reference": "LK-2024-0001",
        "kind": "framework", "dfo_category": "workwear", "estimated_value": "30000000",
        "start_date": "2024-01-01", "end_date": "2027-12-31", "supplier_ids": [],
        "contract_manager_id": "0", "qualification_requirement": "y", "contract_condition": "y",
        "social_dialogue_wording": "", "questionnaire_variant": "full",
        "product_scope": "Arbeidsbukser\nVernesko",
    }
    form.update(values)
    return {k: v for k, v in form.items() if v is not None}


def _create(client, **values):
    return post(client, "/admin/agreements/new", _agreement_form(**values),
                token_from="/admin/agreements/new")


def _count(db):
    db.session.expire_all()
    return db.session.scalar(select(func.count(Agreement.id)))


def test_admin_registers_an_agreement_with_every_field(client, login_as, make, db):
    supplier_a = make.supplier(name="A AS")
    supplier_b = make.supplier(name="B AS")
    manager = make.user(role="reviewer", name="Ingrid Fagerli")
    db.session.commit()
    login_as("admin")

    response = _create(client, supplier_ids=[str(supplier_a.id), str(supplier_b.id)],
                       contract_manager_id=str(manager.id), award_criterion="y",
                       social_dialogue_required="y", social_dialogue_wording="Tiltak for sosial dialog.")

    agreement = db.session.scalar(select(Agreement))
    assert response.status_code == 302, text(response)
    assert location(response) == f"/admin/agreements/{agreement.id}"
    assert tr("The agreement is registered.") in flashed(client)
    assert (agreement.name_nb, agreement.name_en, agreement.reference, agreement.kind) == (
        "Arbeidstøy", "Workwear", "LK-2024-0001", "framework")
    assert (agreement.dfo_category, agreement.estimated_value) == ("workwear", Decimal("30000000"))
    assert (agreement.start_date, agreement.end_date) == (date(2024, 1, 1), date(2027, 12, 31))
    assert sorted(s.id for s in agreement.suppliers) == sorted([supplier_a.id, supplier_b.id])
    assert agreement.contract_manager_id == manager.id
    assert (agreement.qualification_requirement, agreement.award_criterion,
            agreement.contract_condition) == (True, True, True)
    assert agreement.social_dialogue_required
    assert agreement.social_dialogue_wording == "Tiltak for sosial dialog."
    assert agreement.questionnaire_variant == "full"
    assert agreement.product_scope == "Arbeidsbukser\r\nVernesko" or agreement.product_scope == "Arbeidsbukser\nVernesko"
    page = text(client.get(location(response)))
    assert "LK-2024-0001" in page
    assert "A AS" in page
    assert "B AS" in page


def test_end_date_before_start_date_is_refused_and_input_kept(client, login_as, db):
    login_as("admin")

    response = _create(client, start_date="2025-06-01", end_date="2025-05-31", name_nb="Typet navn",
                       reference="LK-TYPED")

    assert response.status_code == 200
    assert tr("The end date cannot be before the start date") in text(response)
    page = markup(response)
    assert 'value="2025-05-31"' in page
    assert 'value="2025-06-01"' in page
    assert 'value="Typet navn"' in page
    assert 'value="LK-TYPED"' in page
    assert "Arbeidsbukser\nVernesko" in page or "Arbeidsbukser\r\nVernesko" in page
    assert _count(db) == 0


def test_agreement_without_end_date_is_allowed(client, login_as, db):
    login_as("admin")

    response = _create(client, end_date="")

    assert response.status_code == 302
    assert db.session.scalar(select(Agreement)).end_date is None


def test_social_dialogue_needs_its_wording(client, login_as, db):
    login_as("admin")

    response = _create(client, social_dialogue_required="y", social_dialogue_wording="")

    assert response.status_code == 200
    assert tr("Enter the wording agreed with the supplier for the social-dialogue requirement") in text(response)
    assert _count(db) == 0


def test_reference_is_unique(client, login_as, make, db):
    make.agreement(reference="LK-2024-0001")
    db.session.commit()
    login_as("admin")

    response = _create(client, reference="LK-2024-0001", name_nb="Nytt navn")

    assert response.status_code == 200
    assert tr("Another agreement already has this reference number") in text(response)
    assert 'value="Nytt navn"' in markup(response)
    assert _count(db) == 1


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"name_nb": ""}, "Enter the agreement's Norwegian name"),
        ({"name_en": ""}, "Enter the agreement's English name"),
        ({"reference": ""}, "Enter the reference number"),
        ({"start_date": ""}, "Enter the start date as yyyy-mm-dd"),
        ({"estimated_value": "-5"}, "The value cannot be negative"),
    ],
)
def test_required_and_checked_fields(client, login_as, db, values, message):
    login_as("admin")

    response = _create(client, **values)

    assert response.status_code == 200
    assert tr(message) in text(response)
    assert _count(db) == 0


@pytest.mark.parametrize("value", ["9" * 40, "100000000000000", "99999999999999.999", "Infinity", "1e309"])
def test_a_value_too_large_to_store_is_refused_and_kept(client, login_as, db, value):
    login_as("admin")

    response = _create(client, estimated_value=value)

    assert response.status_code == 200
    assert tr("Enter at most 14 digits before the decimal point") in text(response)
    assert f'value="{value}"' in markup(response)
    assert _count(db) == 0


def test_a_value_of_14_digits_is_stored(client, login_as, db):
    login_as("admin")

    response = _create(client, estimated_value="99999999999999")

    assert response.status_code == 302, text(response)
    assert db.session.scalar(select(Agreement.estimated_value)) == Decimal("99999999999999")
    assert client.get(location(response)).status_code == 200


@pytest.mark.parametrize(("field", "value"), [("start_date", "31.12.2024"), ("estimated_value", "mange penger")])
def test_unreadable_dates_and_numbers_are_refused_and_kept(client, login_as, db, field, value):
    login_as("admin")

    response = _create(client, **{field: value})

    assert response.status_code == 200
    assert f'value="{value}"' in markup(response)
    assert 'aria-invalid="true"' in markup(response)
    assert _count(db) == 0


def test_admin_edits_an_agreement(client, login_as, make, db):
    old_supplier = make.supplier(name="Gammel AS")
    new_supplier = make.supplier(name="Ny AS")
    agreement = make.agreement(suppliers=[old_supplier], reference="LK-1", name_nb="Gammelt navn")
    db.session.commit()
    login_as("admin")
    path = f"/admin/agreements/{agreement.id}/edit"
    form_page = markup(client.get(path))
    assert 'value="Gammelt navn"' in form_page
    assert 'value="LK-1"' in form_page

    response = post(client, path, _agreement_form(reference="LK-1", name_nb="Nytt navn",
                                                  supplier_ids=[str(new_supplier.id)]), token_from=path)

    assert response.status_code == 302
    assert location(response) == f"/admin/agreements/{agreement.id}"
    fresh = reloaded(db, Agreement, agreement.id)
    assert fresh.name_nb == "Nytt navn"
    assert [s.name for s in fresh.suppliers] == ["Ny AS"]


def test_failed_edit_changes_nothing(client, login_as, make, db):
    agreement = make.agreement(reference="LK-1", name_nb="Gammelt navn",
                               start_date=date(2024, 1, 1), end_date=date(2025, 1, 1))
    db.session.commit()
    login_as("admin")
    path = f"/admin/agreements/{agreement.id}/edit"

    response = post(client, path, _agreement_form(reference="LK-1", name_nb="Nytt navn",
                                                  start_date="2026-01-01", end_date="2025-01-01"),
                    token_from=path)

    assert response.status_code == 200
    assert 'value="Nytt navn"' in markup(response)
    fresh = reloaded(db, Agreement, agreement.id)
    assert (fresh.name_nb, fresh.start_date) == ("Gammelt navn", date(2024, 1, 1))


def test_edit_to_another_agreements_reference_is_refused(client, login_as, make, db):
    make.agreement(reference="LK-1")
    agreement = make.agreement(reference="LK-2")
    db.session.commit()
    login_as("admin")
    path = f"/admin/agreements/{agreement.id}/edit"

    response = post(client, path, _agreement_form(reference="LK-1"), token_from=path)

    assert response.status_code == 200
    assert tr("Another agreement already has this reference number") in text(response)
    assert reloaded(db, Agreement, agreement.id).reference == "LK-2"


@pytest.fixture
def three_agreements(make, db):
    today = clock.today()
    a = make.supplier(name="A AS")
    b = make.supplier(name="B AS")
    make.agreement(suppliers=[a], reference="ACTIVE-WORKWEAR", dfo_category="workwear",
                   start_date=today - timedelta(days=30), end_date=today + timedelta(days=30))
    make.agreement(suppliers=[b], reference="ENDED-ICT", dfo_category="ict",
                   start_date=today - timedelta(days=400), end_date=today - timedelta(days=1))
    make.agreement(suppliers=[a, b], reference="OPEN-FOOD", dfo_category="food",
                   start_date=today - timedelta(days=10), end_date=None)
    db.session.commit()
    return {"a": a, "b": b}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"ACTIVE-WORKWEAR", "ENDED-ICT", "OPEN-FOOD"}),
        ("category=ict", {"ENDED-ICT"}),
        ("status=active", {"ACTIVE-WORKWEAR", "OPEN-FOOD"}),
        ("status=ended", {"ENDED-ICT"}),
        ("supplier={a}", {"ACTIVE-WORKWEAR", "OPEN-FOOD"}),
        ("supplier={b}&status=active", {"OPEN-FOOD"}),
        ("category=food&supplier={b}", {"OPEN-FOOD"}),
        ("category=nonsense&status=nonsense&supplier=x", {"ACTIVE-WORKWEAR", "ENDED-ICT", "OPEN-FOOD"}),
    ],
)
def test_list_filters(client, login_as, three_agreements, query, expected):
    login_as("reviewer")
    query = query.format(a=three_agreements["a"].id, b=three_agreements["b"].id)

    page = text(client.get(f"/admin/agreements?{query}"))

    shown = {ref for ref in ("ACTIVE-WORKWEAR", "ENDED-ICT", "OPEN-FOOD") if ref in page}
    assert shown == expected


def test_filters_are_kept_in_the_form(client, login_as, three_agreements):
    login_as("reviewer")
    supplier_id = three_agreements["a"].id

    page = markup(client.get(f"/admin/agreements?category=ict&status=ended&supplier={supplier_id}"))

    assert '<option value="ict" selected>' in page
    assert '<option value="ended" selected>' in page
    assert f'<option value="{supplier_id}" selected>' in page


@pytest.mark.parametrize("path", ["/admin/agreements/new", "/admin/agreements/{id}/edit"])
def test_reviewers_read_but_cannot_change_agreements(client, login_as, make, db, path):
    agreement = make.agreement(reference="LK-1")
    db.session.commit()
    login_as("reviewer")
    path = path.format(id=agreement.id)

    assert client.get("/admin/agreements").status_code == 200
    assert client.get(f"/admin/agreements/{agreement.id}").status_code == 200
    assert client.get(path).status_code == 403
    assert post(client, path, _agreement_form(reference="LK-9")).status_code == 403
    assert _count(db) == 1
    assert reloaded(db, Agreement, agreement.id).reference == "LK-1"


def test_unknown_agreement_is_404(client, login_as):
    login_as("admin")

    assert client.get("/admin/agreements/424242").status_code == 404
    assert client.get("/admin/agreements/424242/edit").status_code == 404
