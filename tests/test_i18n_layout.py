"""Two languages and one layout: locale choice, the no-JavaScript language switch, and page structure."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from flask_babel import force_locale, format_date, format_decimal

from portal.models import User
from tests.auth.helpers import isolate_requests, location, post, reloaded, sign_in, text, tr
from tests.test_access_matrix import MATRIX, OK, build_world


@pytest.fixture(autouse=True)
def _isolated_requests(app, monkeypatch):
    isolate_requests(app, monkeypatch)


def _lang(response) -> str:
    page = response.get_data(as_text=True)
    return page.split('<html lang="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "nb"),
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("nb-NO,nb;q=0.9,en;q=0.5", "nb"),
        ("no", "nb"),
        ("nn-NO", "nb"),
        ("sv-SE,sv;q=0.9", "nb"),
        ("de-DE,de;q=0.9,en;q=0.4", "en"),
    ],
)
def test_accept_language_picks_the_language_of_anonymous_visitors(client, db, header, expected):
    headers = {"Accept-Language": header} if header else {}

    response = client.get("/login", headers=headers)

    assert _lang(response) == expected


def test_session_choice_beats_accept_language(client, db):
    with client.session_transaction() as session:
        session["locale"] = "en"

    assert _lang(client.get("/login", headers={"Accept-Language": "nb"})) == "en"


def test_saved_choice_beats_session_and_accept_language(client, make, db):
    user = make.user(role="reviewer", locale="en")
    db.session.commit()
    sign_in(client, user.email)
    with client.session_transaction() as session:
        session["locale"] = "nb"

    assert _lang(client.get("/profile", headers={"Accept-Language": "nb"})) == "en"


def test_language_switch_works_without_javascript(client, db):
    page = client.get("/login").get_data(as_text=True)
    assert 'action="/language/en?next=/login"' in page

    response = post(client, "/language/en?next=/login", token_from="/login")

    assert response.status_code == 302
    assert location(response) == "/login"
    after = client.get("/login")
    assert _lang(after) == "en"
    assert tr("Sign in", "en") in text(after)
    assert 'action="/language/nb?next=/login"' in after.get_data(as_text=True)


def test_language_switch_keeps_the_query_of_the_page(client, login_as):
    login_as("reviewer")
    page = client.get("/admin/agreements?status=active").get_data(as_text=True)
    assert 'action="/language/en?next=/admin/agreements?status%3Dactive"' in page

    response = post(client, "/language/en?next=/admin/agreements?status%3Dactive")

    assert location(response) == "/admin/agreements?status=active"


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "https://evil.example",
                                    "javascript:alert(1)"])
def test_language_switch_never_redirects_out_of_the_portal(client, db, target):
    response = client.post("/language/en", query_string={"next": target},
                           data={"csrf_token": _token(client)})

    assert response.status_code == 302
    assert location(response) == "/"


def test_unknown_language_changes_nothing(client, db):
    response = post(client, "/language/sv?next=/login", token_from="/login")

    assert response.status_code == 302
    assert _lang(client.get("/login")) == "nb"


def test_language_switch_is_saved_on_the_account(client, login_as, db):
    user = login_as("reviewer", locale="nb")

    post(client, "/language/en?next=/profile")

    assert reloaded(db, User, user.id).locale == "en"
    assert _lang(client.get("/profile")) == "en"


def test_numbers_and_dates_are_formatted_for_the_language(client, login_as, make, db):
    agreement = make.agreement(estimated_value=Decimal("2000000000"), start_date=date(2024, 1, 31))
    db.session.commit()
    login_as("reviewer", locale="nb")

    page = client.get(f"/admin/agreements/{agreement.id}").get_data(as_text=True)

    with force_locale("nb"):
        value, day = format_decimal(Decimal("2000000000")), format_date(date(2024, 1, 31), "medium")
    assert value.replace("\xa0", " ").replace("\u202f", " ") == "2 000 000 000"
    assert value in page
    assert day in page


class _Page(HTMLParser):
    """What the layout checks need from a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: Counter[str] = Counter()
        self.h1 = 0
        self.live_regions = 0
        self.skip_links: list[str] = []
        self.label_for: set[str] = set()
        self.controls: list[dict[str, str | None]] = []
        self.html_lang: str | None = None
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids[a["id"] or ""] += 1
        if tag == "html":
            self.html_lang = a.get("lang")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "label" and a.get("for"):
            self.label_for.add(a["for"] or "")
        elif tag == "a" and "ds-skip-link" in (a.get("class") or ""):
            self.skip_links.append(a.get("href") or "")
        elif (tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit")
              and "hidden" not in a):
            self.controls.append(a)
        if a.get("aria-live") in ("polite", "assertive") or a.get("role") in ("status", "alert"):
            self.live_regions += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def _check_layout(response, where: str) -> None:
    page = _Page()
    page.feed(response.get_data(as_text=True))
    assert page.html_lang in ("nb", "en"), where
    assert page.title.strip(), where
    assert page.skip_links == ["#main"], where
    assert page.ids["main"] == 1, where
    assert page.h1 == 1, f"{where}: {page.h1} <h1>"
    assert page.live_regions >= 1, where
    duplicates = [i for i, n in page.ids.items() if n > 1]
    assert not duplicates, f"{where}: duplicate ids {duplicates}"
    for control in page.controls:
        labelled = control.get("id") in page.label_for or control.get("aria-label") or control.get("aria-labelledby")
        assert labelled, f"{where}: control without a label: {control}"
    for described in (c.get("aria-describedby") for c in page.controls if c.get("aria-describedby")):
        for ref in (described or "").split():
            assert page.ids[ref] == 1, f"{where}: aria-describedby names a missing id {ref}"


@pytest.mark.parametrize("actor", ["anonymous", "supplier_own", "reviewer", "admin"])
@pytest.mark.parametrize("locale", ["nb", "en"])
def test_every_page_has_the_layout_landmarks(client, make, db, actor, locale):
    world = build_world(make, db)
    visitor = world.visitor(actor)
    if visitor is not None:
        sign_in(client, visitor.email)
    with client.session_transaction() as session:
        session["locale"] = locale
    if visitor is not None:
        db.session.get(User, visitor.id).locale = locale
        db.session.commit()

    pages = [spec.url(world, world.a) for endpoint, spec in sorted(MATRIX.items())
             if spec.method == "GET" and getattr(spec, actor) == OK and endpoint != "main.healthz"]
    pages += ["/no-such-page", "/invitation/not-a-token"]
    assert len(pages) >= 3
    for path in pages:
        response = client.get(path)
        assert response.status_code in (200, 404), path
        if response.mimetype != "text/html":
            continue  # downloads and exports (PDF, CSV, JSON) are not pages
        assert _lang(response) == locale, path
        _check_layout(response, f"{actor} {path}")


def test_pages_with_form_errors_keep_the_layout(client, login_as, make, db):
    supplier = make.supplier()
    db.session.commit()
    login_as("admin")

    for path, data in [
        ("/admin/suppliers/new", {"name": "", "country": "NO", "org_number": "912345603"}),
        ("/admin/agreements/new", {"name_nb": "", "start_date": "2025-02-01", "end_date": "2025-01-01"}),
        ("/admin/users/invite", {"email": "x", "role": "supplier", "supplier_id": "0", "locale": "nb"}),
        (f"/admin/suppliers/{supplier.id}/edit", {"name": "", "country": "SE"}),
        ("/profile/password", {"current_password": ""}),
    ]:
        response = post(client, path, data, token_from="/profile" if path.startswith("/profile") else path)
        assert response.status_code == 200, path
        _check_layout(response, path)
        assert text(response).lstrip().startswith(tr("Error:")), path


def _token(client):
    from tests.conftest import csrf_token

    return csrf_token(client, "/login")


@pytest.mark.parametrize(("path", "data"), [
    ("/profile/password", {"current_password": ""}),
    ("/profile/language", {"locale": "xx"}),
    ("/profile/two-factor/disable", {"current_password": ""}),
])
def test_language_switch_on_a_page_shown_after_a_failed_post(client, login_as, path, data):
    login_as("reviewer", locale="nb")
    failed = post(client, path, data, token_from="/profile")
    assert failed.status_code == 200
    action = failed.get_data(as_text=True).split('<form method="post" action="/language/en', 1)[1]
    switch = "/language/en" + action.split('"', 1)[0].replace("&amp;", "&")

    response = post(client, switch)
    landed = client.get(location(response))

    assert landed.status_code in (200, 302)
    if landed.status_code == 302:
        landed = client.get(location(landed))
    assert landed.status_code == 200
    assert _lang(landed) == "en"
