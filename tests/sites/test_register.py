"""The supplier keeps its production sites once a year: add, change, delete, copy; checked by meaning."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import func, select

from portal import clock
from portal.models import AuditEvent, ProductionSite
from tests.auth.helpers import flashed, location, markup, post, sign_in, text
from tests.sites.conftest import add_site

FORM = {"name": "Chittagong Knit", "address": "Road 2", "city": "Chittagong", "country": "BD", "tier": "T1",
        "products": "Polo shirts", "relation": "direct", "workers": "1 200", "women_pct": "58",
        "migrant_workers": "unknown", "worker_representation": "union_with_cba", "last_audit_scheme": "amfori_bsci",
        "last_audit_date": "15.03.2024", "certifications": ["fair_wear", "fsc"], "is_confidential": "y"}


def _count(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(ProductionSite.id))) or 0


def test_a_supplier_user_adds_a_site_and_sees_it_in_the_register(client, alfa, db):
    sign_in(client, "kari@alfa.example")
    reply = post(client, "/company/sites/2025/new", FORM, token_from="/company/sites/2025/new")

    assert location(reply) == "/company/sites/2025"
    site = db.session.scalar(select(ProductionSite))
    assert (site.supplier_id, site.year, site.name, site.country, site.workers, site.women_pct) == (
        alfa["supplier"].id, 2025, "Chittagong Knit", "BD", 1200, 58)
    assert site.last_audit_date == date(2024, 3, 15)
    assert site.certifications == ["fair_wear", "fsc"]
    assert site.is_confidential
    assert site.created_by_id == alfa["user"].id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "site.created"))
    assert event.supplier_id == alfa["supplier"].id
    assert event.buyer_id is None
    page = text(client.get("/company/sites/2025"))
    assert "Chittagong Knit" in page
    assert "Bangladesh" in page
    assert 'href="/company/sites/"' in markup(client.get("/company/"))


def test_the_site_form_checks_by_meaning_and_stores_nothing_wrong(client, alfa, db):
    sign_in(client, "kari@alfa.example")
    tomorrow = (clock.today() + timedelta(days=1)).strftime("%d.%m.%Y")
    reply = post(client, "/company/sites/2025/new",
                 {**FORM, "country": "XX", "workers": "-3", "women_pct": "150", "last_audit_date": tomorrow,
                  "tier": "T9"}, token_from="/company/sites/2025/new")

    assert reply.status_code == 422
    page = text(reply)
    for message in ("Choose a country from the list", "Write a number of at least 0",
                    "Write a share between 0 and 100", "Write a date that is not in the future",
                    "Choose one of the allowed values"):
        assert message in page
    assert _count(db) == 0


def test_names_are_unique_in_a_year_whatever_the_case(client, alfa, db):
    add_site(db, alfa["supplier"], name="Chittagong Knit")
    db.session.commit()
    sign_in(client, "kari@alfa.example")
    reply = post(client, "/company/sites/2025/new", {**FORM, "name": "  chittagong KNIT "},
                 token_from="/company/sites/2025/new")

    assert reply.status_code == 422
    assert "Give each site its own name" in text(reply)
    assert _count(db) == 1
    # Another year is another register.
    reply = post(client, "/company/sites/2026/new", FORM, token_from="/company/sites/2026/new")
    assert location(reply) == "/company/sites/2026"


def test_changing_and_deleting_a_site(client, alfa, db):
    site = add_site(db, alfa["supplier"])
    db.session.commit()
    sign_in(client, "kari@alfa.example")
    path = f"/company/sites/site/{site.id}"
    assert "Dhaka Garments Ltd" in text(client.get(path))

    reply = post(client, path, {**FORM, "name": "Dhaka Garments Ltd", "workers": "430"}, token_from=path)
    assert location(reply) == "/company/sites/2025"
    db.session.expire_all()
    assert db.session.get(ProductionSite, site.id).workers == 430

    reply = post(client, f"{path}/delete", {}, token_from=f"{path}/delete")
    assert location(reply) == "/company/sites/2025"
    assert _count(db) == 0
    assert any("is deleted from the register of 2025" in message for message in flashed(client))


def test_another_suppliers_site_is_not_found(client, alfa, db):
    site = add_site(db, alfa["beta"])
    db.session.commit()
    sign_in(client, "kari@alfa.example")
    assert client.get(f"/company/sites/site/{site.id}").status_code == 404
    assert "Dhaka" not in text(client.get("/company/sites/2025"))


def test_copy_last_years_register_into_an_empty_year(client, alfa, db):
    add_site(db, alfa["supplier"], year=2024, name="Site A")
    add_site(db, alfa["supplier"], year=2024, name="Site B")
    add_site(db, alfa["beta"], year=2024, name="Not ours")
    db.session.commit()
    sign_in(client, "kari@alfa.example")
    assert "Copy the register of 2024 into 2025" in text(client.get("/company/sites/2025"))

    reply = post(client, "/company/sites/2025/copy", {}, token_from="/company/sites/2025")
    assert location(reply) == "/company/sites/2025"
    db.session.expire_all()
    names = db.session.scalars(select(ProductionSite.name).where(ProductionSite.year == 2025)).all()
    assert sorted(names) == ["Site A", "Site B"]

    # A year with sites is not copied into again.
    reply = post(client, "/company/sites/2025/copy", {}, token_from="/company/sites/2025")
    assert _count(db) == 5
    assert "nothing was copied" in " ".join(flashed(client))


def test_the_year_links_stay_within_the_registers_kept(client, alfa):
    sign_in(client, "kari@alfa.example")
    this_year = clock.today().year

    def year_links(year: int) -> list[str]:
        return re.findall(r'href="/company/sites/(\d{4})"', markup(client.get(f"/company/sites/{year}")))

    assert year_links(this_year) == [str(this_year - 1), str(this_year + 1)]
    assert year_links(this_year + 1) == [str(this_year)]  # no register after next year's
    assert year_links(2000) == ["2001"]  # none before the first year kept (its page is a 404)
    assert client.get("/company/sites/1999").status_code == 404
