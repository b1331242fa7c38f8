"""Demo data: loading twice changes nothing; every demo account signs in and sees its pages in both languages.

Loading the demo is slow (it renders PDF receipts), so each test loads it once and
checks every account in it, with one subtest per account and language.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select

from portal.demo import DEMO_LOGINS, DEMO_PASSWORD
from portal.models import Base, User
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
        "Fjordvik kommune (demo)", "Lillestrøm kommune", "Lillestrøm kommune"]
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
