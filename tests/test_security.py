"""Security headers, cookies, CSRF on every POST, error pages without internals, 413 and malformed ids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

import tests.conftest as conftest
from portal import create_app
from portal.extensions import db as _db
from tests.auth.helpers import isolate_requests, sign_in, text, tr
from tests.conftest import csrf_token
from tests.test_access_matrix import ACTORS, MATRIX, build_world

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


@pytest.fixture(autouse=True)
def _isolated_requests(app, monkeypatch):
    isolate_requests(app, monkeypatch)


def _csp(response) -> dict[str, str]:
    directives = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value
    return directives


def _sample_responses(client, make, db):
    """A spread of responses: public, signed-in, redirect, error, JSON."""
    admin = make.user(role="admin")
    db.session.commit()
    yield client.get("/login")
    yield client.get("/healthz")
    yield client.get("/no-such-page")
    yield client.post("/logout")  # 400: no CSRF token
    sign_in(client, admin.email)
    yield client.get("/")
    yield client.get("/admin/suppliers")
    yield client.get("/admin/suppliers/999999")


def test_every_response_carries_the_security_headers(client, make, db):
    for response in _sample_responses(client, make, db):
        csp = _csp(response)
        assert "'unsafe-inline'" not in csp.get("script-src", "'unsafe-inline'")
        assert "'unsafe-eval'" not in csp["script-src"]
        assert csp["frame-ancestors"] == "'none'"
        assert csp["object-src"] == "'none'"
        assert csp["base-uri"] == "'none'"
        assert "'unsafe-inline'" not in csp.get("style-src", "")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")


def test_pages_have_no_inline_script_or_style(client, login_as):
    login_as("admin")
    for path in ("/", "/admin/suppliers", "/admin/agreements/new", "/profile"):
        page = client.get(path).get_data(as_text=True)
        assert not INLINE_SCRIPT.search(page), path
        assert " style=" not in page, path
        assert "<style" not in page, path
        assert not re.search(r"<[^>]+\son[a-z]+=", page), path  # no event-handler attributes


def test_signed_in_pages_are_not_cached(client, login_as):
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    login_as("reviewer")

    for path in ("/", "/profile", "/admin/suppliers"):
        assert "no-store" in client.get(path).headers["Cache-Control"]


def test_hsts_on_https_only(client, db):
    assert "Strict-Transport-Security" not in client.get("/login").headers

    secure = client.get("/login", base_url="https://localhost")

    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(secure.headers["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= 31536000


def test_session_cookie_is_httponly_and_samesite_lax(client, make, db):
    user = make.user(role="reviewer")
    db.session.commit()
    client.get("/login")

    response = sign_in(client, user.email)

    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("aktsom_session="))
    attributes = {a.strip().split("=")[0].lower(): a for a in cookie.split(";")}
    assert "httponly" in attributes
    assert attributes["samesite"].strip().lower() == "samesite=lax"
    assert "domain" not in attributes


def _post_urls(world):
    """Every endpoint that takes POST, with a URL for supplier A's records."""
    from flask import current_app

    methods: dict[str, set[str]] = {}
    for rule in current_app.url_map.iter_rules():
        methods.setdefault(rule.endpoint, set()).update(rule.methods or ())
    return [(endpoint, spec.url(world, world.a)) for endpoint, spec in sorted(MATRIX.items())
            if "POST" in methods.get(endpoint, set())]


@pytest.mark.parametrize("actor", ["anonymous", "admin", "supplier_own"])
def test_every_post_refuses_a_missing_csrf_token(app, client, make, db, actor):
    world = build_world(make, db)
    visitor = world.visitor(actor)
    if visitor is not None:
        sign_in(client, visitor.email)

    for endpoint, url in _post_urls(world):
        response = client.post(url, data={"email": world.admin.email, "password": conftest.PASSWORD})
        assert response.status_code == 400, endpoint
        assert tr("The form has expired") in text(response), endpoint
    assert client.get("/profile").status_code == (302 if visitor is None else 200)


def test_every_post_refuses_a_token_from_another_session(app, client, make, db):
    world = build_world(make, db)
    sign_in(client, world.admin.email)
    other = app.test_client()
    sign_in(other, world.a.user.email)
    foreign_token = csrf_token(other, "/accessibility")

    for endpoint, url in _post_urls(world):
        response = client.post(url, data={"csrf_token": foreign_token})
        assert response.status_code == 400, endpoint


def test_the_login_form_refuses_a_token_from_another_session(app, client, make, db):
    user = make.user(role="reviewer")
    db.session.commit()
    foreign_token = csrf_token(app.test_client(), "/login")

    response = client.post("/login", data={"csrf_token": foreign_token, "email": user.email,
                                           "password": conftest.PASSWORD})

    assert response.status_code == 400
    assert client.get("/profile").status_code == 302


@pytest.fixture
def throwaway_app(tmp_path: Path, db) -> Flask:
    """A fresh app with a route that fails, on the same database as the test."""
    url = str(_db.engine.url.render_as_string(hide_password=False))
    fresh = create_app(conftest.test_config(tmp_path, SQLALCHEMY_DATABASE_URI=url))
    fresh.config["PROPAGATE_EXCEPTIONS"] = False

    @fresh.route("/boom")
    def boom() -> str:
        raise RuntimeError("secret internals: password=hunter2 at /srv/aktsom/portal/x.py")

    yield fresh
    with fresh.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.mark.parametrize("locale", ["nb", "en"])
def test_500_page_is_translated_and_shows_no_internals(throwaway_app, db, locale, caplog):
    response = throwaway_app.test_client().get("/boom", headers={"Accept-Language": locale})

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Traceback" not in page
    assert "secret internals" not in page
    assert "RuntimeError" not in page
    assert "hunter2" not in page
    assert tr("Something went wrong", locale) in text(response)
    assert f'<html lang="{locale}">' in page
    assert "unhandled_error" in caplog.text  # it is logged for us instead


@pytest.mark.parametrize("locale", ["nb", "en"])
def test_404_page_is_translated(client, db, locale):
    response = client.get("/no/such/page", headers={"Accept-Language": locale})

    assert response.status_code == 404
    assert tr("Page not found", locale) in text(response)
    assert f'<html lang="{locale}">' in response.get_data(as_text=True)


def test_403_page_is_translated(client, login_as):
    login_as("supplier", locale="en")

    response = client.get("/admin/suppliers")

    assert response.status_code == 403
    assert tr("Access denied", "en") in text(response)


def test_translations_differ_between_the_languages(client, db):
    # Guards the two tests above: a missing catalog would make nb and en look alike.
    assert tr("Page not found", "nb") != tr("Page not found", "en")


@pytest.mark.parametrize("locale", ["nb", "en"])
def test_oversized_request_gets_a_translated_413(app, client, db, locale):
    app.config["MAX_CONTENT_LENGTH"] = 1024

    response = client.post("/login", data={"email": "x" * 4096, "password": "y"},
                           headers={"Accept-Language": locale})

    assert response.status_code == 413
    assert tr("The upload is too large", locale) in text(response)


@pytest.mark.parametrize(
    "path",
    ["/admin/suppliers/abc", "/admin/suppliers/1.5", "/admin/suppliers/-1", "/admin/agreements/x/edit",
     "/admin/users/%20", "/admin/risks/99999999999999999999999/edit", "/admin/suppliers/0x1",
     "/admin/suppliers/99999999999999999999999", "/admin/agreements/9223372036854775808",
     "/admin/users/2147483648"],
)
def test_malformed_ids_are_404(client, login_as, path):
    login_as("admin")

    response = client.get(path)

    assert response.status_code == 404
    assert tr("Page not found") in text(response)


def test_healthz_errors_are_json_not_html(client, db):
    response = client.post("/healthz")

    assert response.status_code == 405
    assert response.is_json


def test_actors_cover_the_matrix():
    # Keep this module's idea of visitors in step with the access matrix.
    assert ACTORS == ("anonymous", "supplier_own", "supplier_foreign", "reviewer", "admin")


def test_csrf_token_lives_as_long_as_the_session(app, client, login_as):
    from datetime import timedelta

    from freezegun import freeze_time

    from portal.models import utcnow

    app.config["STAFF_IDLE_TIMEOUT_MINUTES"] = 24 * 60
    login_as("reviewer")
    token = csrf_token(client, "/profile")

    with freeze_time(utcnow() + timedelta(hours=5)):
        response = client.post("/profile/language", data={"csrf_token": token, "locale": "en"})

    assert response.status_code == 302


def test_an_office_file_with_a_damaged_deflate_stream_is_refused_not_a_server_error():
    """zlib.error from a corrupted member is one of the ways a ZIP is unreadable (UNREADABLE_ZIP)."""
    import io
    import zipfile

    from portal.uploads import _zip_kind

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text" * 20)
    data = bytearray(buffer.getvalue())
    start = 30 + len("mimetype")  # the member's compressed bytes follow its local header
    data[start:start + 16] = b"\xff" * 16

    assert _zip_kind(bytes(data)) is None
