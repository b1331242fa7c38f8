"""Demo data: loading twice changes nothing; every demo account signs in and sees its pages in both languages.

Loading the demo is slow (it renders PDF receipts), so each test loads it once and
checks every account in it, with one subtest per account and language.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select

from portal.demo import DEMO_LOGINS, DEMO_PASSWORD
from portal.models import Base, Response, User
from tests.auth.helpers import isolate_requests, location, sign_in
from tests.conftest import csrf_token

HOME = {"admin": "/", "reviewer": "/", "supplier": "/company/", "platform_admin": "/platform/"}
PAGES = {
    "admin": ["/", "/admin/users", "/admin/suppliers", "/admin/agreements", "/admin/risks", "/profile"],
    "reviewer": ["/", "/admin/suppliers", "/admin/agreements", "/admin/risks", "/profile"],
    "supplier": ["/company/", "/company/invite", "/profile"],
    "platform_admin": ["/platform/", "/platform/buyers/new", "/profile"],
}


def _counts(db):
    """Rows in every table, so demo data added by later issues is covered too."""
    db.session.expire_all()
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables}


def _load(app):
    result = app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    return result


def test_loading_twice_changes_nothing(app, db):
    _load(app)
    first = _counts(db)
    hashes = dict(db.session.execute(select(User.email, User.password_hash)).all())

    second = _load(app)

    assert _counts(db) == first
    assert dict(db.session.execute(select(User.email, User.password_hash)).all()) == hashes
    created = re.search(r"\((.*) created\)", second.output).group(1)
    assert all(part.startswith("0 ") for part in created.split(", ")), created
    assert first["supplier"] >= 2
    assert first["agreement"] >= 3
    assert first["priority_risk"] == 6


def test_every_demo_account_signs_in_and_sees_its_pages(app, db, monkeypatch, subtests):
    isolate_requests(app, monkeypatch)
    _load(app)

    workwear = db.session.scalar(select(User).where(User.email == "leverandor@arbeidsklaer.example"))
    workwear_agreements = [a for a in workwear.supplier.agreements if a.dfo_category == "workwear"]
    assert sorted(a.buyer.name for a in workwear_agreements) == [
        "Fjordvik kommune (demo)", "Innkjøpssamarbeidet Romerike og Fjord (demo)",
        "Lillestrøm kommune", "Lillestrøm kommune"]
    solar = db.session.scalar(select(User).where(User.email == "leverandor@solcelle.example"))
    assert [a.name_en for a in solar.supplier.agreements] == ["Solar panels"]
    for login in DEMO_LOGINS:
        user = db.session.scalar(select(User).where(User.email == login.email))
        assert user is not None, login.email
        assert (user.role, user.is_active) == (login.role, True)
        for locale in ("nb", "en"):
            with subtests.test(msg=f"{login.email} in {locale}"):
                _sign_in_and_browse(app, login, locale)


def _sign_in_and_browse(app, login, locale):
    client = app.test_client()
    response = sign_in(client, login.email, DEMO_PASSWORD)
    assert response.status_code == 302
    assert location(response) == HOME[login.role]
    client.post(f"/language/{locale}", data={"csrf_token": csrf_token(client, "/accessibility")})
    for path in PAGES[login.role]:
        page = client.get(path)
        assert page.status_code == 200, path
        assert f'<html lang="{locale}">' in page.get_data(as_text=True), path
    client.post("/logout", data={"csrf_token": csrf_token(client, "/accessibility")})


JOINT_LEAD = "Innkjøpssamarbeidet Romerike og Fjord (demo)"


def test_the_cooperations_joint_workwear_agreement_counts_for_both_municipalities(app, db, monkeypatch):
    from portal.demo import JOINT_REFERENCE
    from portal.models import Agreement, Buyer
    from tests.auth.helpers import text, tr

    isolate_requests(app, monkeypatch)
    _load(app)
    agreement = db.session.scalar(select(Agreement).where(Agreement.reference == JOINT_REFERENCE))
    assert agreement.buyer.name == JOINT_LEAD
    assert (agreement.buyer.kind, agreement.buyer.is_demo) == ("cooperation", True)
    assert sorted(b.name for b in agreement.participants) == ["Fjordvik kommune (demo)", "Lillestrøm kommune"]
    assert db.session.scalar(select(Buyer).where(Buyer.name == JOINT_LEAD)).org_number == "923456724"
    supplier = agreement.suppliers[0]
    served = {a.buyer.name for a in supplier.agreements} | {
        b.name for a in supplier.agreements for b in a.participants}
    assert {"Lillestrøm kommune", "Fjordvik kommune (demo)"} <= served

    for email in ("fagansvarlig@kommune.example", "fagansvarlig@fjordvik.example"):
        client = app.test_client()
        assert sign_in(client, email, DEMO_PASSWORD).status_code == 302
        page = text(client.get(f"/admin/agreements/{agreement.id}"))
        assert JOINT_REFERENCE in page
        report = text(client.get("/reports?year=2024"))
        assert tr("Joint follow-up led by %(buyer)s", buyer=JOINT_LEAD) in report, email
        assert "Følg opp på neste statusmøte" not in report

    lead = app.test_client()
    assert sign_in(lead, "fagansvarlig@innkjopssamarbeid.example", DEMO_PASSWORD).status_code == 302
    response = db.session.scalar(select(Response).where(Response.agreement_id == agreement.id))
    assert response.status == "submitted"
    assert tr("Accept the response") in text(lead.get(f"/review/responses/{response.id}"))
    participant = app.test_client()
    assert sign_in(participant, "fagansvarlig@fjordvik.example", DEMO_PASSWORD).status_code == 302
    read_only = participant.get(f"/review/responses/{response.id}")
    assert read_only.status_code == 200
    assert tr("Accept the response") not in text(read_only)
    assert "Sjekket mot revisjonsrapporten." not in read_only.get_data(as_text=True)


def test_the_workwear_supplier_keeps_its_sites_and_has_shared_its_2024_answer_with_fjordvik(
        app, db, monkeypatch):
    """The register and a share are in the demo (issue 14): the supplier finds its factories
    instead of an empty register, and Fjordvik's reviewer has a received response to try."""
    from portal.demo_register import SHARED_AGREEMENT
    from portal.models import Agreement, ProductionSite, ResponseShare
    from portal.questionnaires.samples import SITES
    from tests.auth.helpers import text

    isolate_requests(app, monkeypatch)
    _load(app)
    supplier_id = db.session.scalar(select(User.supplier_id).where(
        User.email == "leverandor@arbeidsklaer.example"))
    for year in (2024, 2026):
        names = db.session.scalars(select(ProductionSite.name).where(
            ProductionSite.supplier_id == supplier_id, ProductionSite.year == year)).all()
        assert sorted(names) == sorted(site[0] for site in SITES), year
    share = db.session.scalar(select(ResponseShare))
    assert share.supplier_id == supplier_id
    assert share.revoked_at is None
    response = db.session.get(Response, share.response_id)
    assert db.session.get(Agreement, response.agreement_id).reference == SHARED_AGREEMENT

    supplier = app.test_client()
    assert sign_in(supplier, "leverandor@arbeidsklaer.example", DEMO_PASSWORD).status_code == 302
    assert SITES[0][0] in text(supplier.get("/company/sites/2026"))
    fjordvik = app.test_client()
    assert sign_in(fjordvik, "fagansvarlig@fjordvik.example", DEMO_PASSWORD).status_code == 302
    assert fjordvik.get(f"/review/received/{share.id}").status_code == 200
    lillestrom = app.test_client()
    assert sign_in(lillestrom, "fagansvarlig@kommune.example", DEMO_PASSWORD).status_code == 302
    assert lillestrom.get(f"/review/received/{share.id}").status_code == 404
