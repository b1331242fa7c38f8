"""Configuration: production refuses unsafe settings, hardens cookies; DATABASE_URL selects the database."""

from __future__ import annotations

import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal import create_app
from portal.config import DEV_SECRET_KEY, ConfigError
from portal.extensions import db as _db
from portal.extensions import limiter
from portal.models import User
from tests.auth.helpers import text, tr

GOOD_KEY = "k" * 20 + "-a-production-secret-key-of-48-chars"
#: Redis database 5 is this suite's; nothing is written to it by these tests.
REDIS_URL = "redis://127.0.0.1:6379/5"
#: What production needs besides PORTAL_ENV: a real key, the public address, a shared limiter store.
PRODUCTION = {"SECRET_KEY": GOOD_KEY, "PUBLIC_BASE_URL": "https://aktsom.kommune.example",
              "RATELIMIT_STORAGE_URI": REDIS_URL}


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PORTAL_ENV", "SECRET_KEY", "DATABASE_URL", "PORTAL_SECRET_KEY", "PORTAL_ENV_NAME",
                 "PORTAL_DEBUG", "PORTAL_SESSION_COOKIE_NAME", "PORTAL_PUBLIC_BASE_URL",
                 "PORTAL_RATELIMIT_STORAGE_URI", "PORTAL_SERVER_NAME"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _keep_the_test_apps_limiter() -> Iterator[None]:
    """The limiter is one object: building an app points it at that app's store. Give it
    back to the suite's app (memory://) afterwards."""
    saved = dict(vars(limiter))
    yield
    vars(limiter).clear()
    vars(limiter).update(saved)


@pytest.fixture
def built(tmp_path: Path) -> Iterator[Any]:
    """Build apps for a test and release their database engines afterwards."""
    apps: list[Flask] = []

    def _build(**config: Any) -> Flask:
        mapping = {"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'c.db'}"}
        mapping.update(config)
        app = create_app(mapping)
        apps.append(app)
        return app

    yield _build
    for app in apps:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()


@pytest.mark.parametrize("key", [
    None, "", "short-key", DEV_SECRET_KEY, "x" * 31,
    # Long enough but guessable: repeated, patterned or from a handful of characters.
    "a" * 32, "a" * 64, "ab" * 32, "password" * 4, "0123456789" * 4, "Sommer2026!" * 3,
])
def test_production_refuses_a_missing_short_low_entropy_or_development_secret_key(built, monkeypatch, key):
    monkeypatch.setenv("PORTAL_ENV", "production")
    config = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    if key is not None:
        config["SECRET_KEY"] = key

    with pytest.raises(ConfigError, match="SECRET_KEY"):
        built(**config)


@pytest.mark.parametrize("key", [secrets.token_urlsafe(24), secrets.token_urlsafe(48),
                                 secrets.token_hex(32), GOOD_KEY])
def test_production_accepts_random_secret_keys(built, key):
    app = built(**{**PRODUCTION, "ENV_NAME": "production", "SECRET_KEY": key})

    assert app.config["SECRET_KEY"] == key


@pytest.mark.parametrize("name", ["Production", "prod", "PRODUCTION", "production ", "staging", "dev"])
def test_unknown_environment_names_are_refused(built, monkeypatch, name):
    monkeypatch.setenv("PORTAL_ENV", name)

    with pytest.raises(ConfigError, match="PORTAL_ENV must be exactly one of development, production"):
        built(**PRODUCTION)


def test_an_unknown_environment_name_is_refused_from_any_source(built):
    with pytest.raises(ConfigError, match="PORTAL_ENV"):
        built(ENV_NAME="prod", **PRODUCTION)


@pytest.mark.parametrize("zone", ["Europe/Olso", "", "../etc/passwd", "CET "])
def test_an_unknown_time_zone_is_refused_at_the_start(built, zone):
    with pytest.raises(ConfigError, match="must be a time zone such as Europe/Oslo"):
        built(BABEL_DEFAULT_TIMEZONE=zone)


def test_the_time_zone_can_come_from_the_environment(built, monkeypatch):
    monkeypatch.setenv("PORTAL_BABEL_DEFAULT_TIMEZONE", "Europe/Stockholm")

    assert built().config["BABEL_DEFAULT_TIMEZONE"] == "Europe/Stockholm"


@pytest.mark.parametrize("base", [None, "", "aktsom.kommune.example", "http://aktsom.kommune.example",
                                  "https://", "https://aktsom.kommune.example/?next=x"])
def test_production_refuses_a_missing_or_malformed_public_base_url(built, monkeypatch, base):
    monkeypatch.setenv("PORTAL_ENV", "production")
    config = {k: v for k, v in PRODUCTION.items() if k != "PUBLIC_BASE_URL"}
    if base is not None:
        config["PUBLIC_BASE_URL"] = base

    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        built(**config)


def test_production_public_base_url_can_come_from_the_environment(built, monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("PORTAL_PUBLIC_BASE_URL", "https://aktsom.kommune.example")

    app = built(SECRET_KEY=GOOD_KEY, RATELIMIT_STORAGE_URI=REDIS_URL)

    assert app.config["PUBLIC_BASE_URL"] == "https://aktsom.kommune.example"


@pytest.mark.parametrize("storage", [None, "memory://"])
def test_production_refuses_per_process_rate_limit_storage(built, monkeypatch, storage):
    monkeypatch.setenv("PORTAL_ENV", "production")
    config = {k: v for k, v in PRODUCTION.items() if k != "RATELIMIT_STORAGE_URI"}
    if storage is not None:
        config["RATELIMIT_STORAGE_URI"] = storage

    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI"):
        built(**config)


def _closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _limited_endpoints(app: Flask) -> list[str]:
    from flask_limiter.util import get_qualified_name

    marked = limiter._marked_for_limiting
    return sorted(endpoint for endpoint, view in app.view_functions.items()
                  if get_qualified_name(view) in marked)


def test_with_the_limiter_store_down_every_guarded_form_answers_a_translated_503(built, db):
    """Fail closed: without its counters a guarded form would allow unlimited guessing."""
    app = built(TESTING=True, SQLALCHEMY_DATABASE_URI=_db.engine.url.render_as_string(hide_password=False),
                RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{_closed_port()}/5")
    client = app.test_client()
    page = client.get("/login")
    assert page.status_code == 200  # pages the limiter does not guard still work
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    endpoints = _limited_endpoints(app)
    assert {"auth.login", "auth.two_factor", "auth.forgot_password"} <= set(endpoints)

    for endpoint in endpoints:
        rule = next(app.url_map.iter_rules(endpoint))
        with app.test_request_context():
            from flask import url_for
            from werkzeug.routing import IntegerConverter

            path = url_for(endpoint, **{name: 1 if isinstance(rule._converters[name], IntegerConverter) else "x"
                                        for name in rule.arguments})
        reply = client.post(path, data={"csrf_token": token, "email": "a@kommune.example",
                                        "password": "feil passord"})

        assert reply.status_code == 503, endpoint
        assert reply.headers["Retry-After"] == "30"
        assert tr("Temporarily unavailable") in text(reply), endpoint
        assert "Traceback" not in reply.get_data(as_text=True)


def test_with_the_limiter_store_up_sign_in_works_and_is_counted_there(built, db, make):
    import redis

    store = redis.Redis.from_url(REDIS_URL)
    before = set(store.scan_iter("LIMITS*"))
    user = make.user(role="reviewer")
    db.session.commit()
    app = built(TESTING=True, SQLALCHEMY_DATABASE_URI=_db.engine.url.render_as_string(hide_password=False),
                RATELIMIT_STORAGE_URI=REDIS_URL, ARGON2_TIME_COST=1, ARGON2_MEMORY_COST=1024)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]

    reply = client.post("/login", data={"csrf_token": token, "email": user.email,
                                        "password": "correct horse battery staple"})

    assert reply.status_code == 302
    counters = set(store.scan_iter("LIMITS*")) - before
    try:
        # Counted per address (failures per account are kept in the database, not here).
        assert any(b"/auth.login/" in key for key in counters)
    finally:
        if counters:
            store.delete(*counters)


def test_production_refuses_debug(built, monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")

    with pytest.raises(ConfigError, match="DEBUG"):
        built(**PRODUCTION, DEBUG=True)


def test_production_secret_key_can_come_from_the_environment(built, monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)

    app = built(PUBLIC_BASE_URL=PRODUCTION["PUBLIC_BASE_URL"], RATELIMIT_STORAGE_URI=REDIS_URL)

    assert app.config["SECRET_KEY"] == GOOD_KEY


def test_production_hardens_the_session_cookie(built):
    app = built(ENV_NAME="production", **PRODUCTION)

    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-aktsom_session"
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_production_cookie_is_set_secure_with_the_host_prefix(built):
    app = built(ENV_NAME="production", **PRODUCTION, TESTING=True)

    response = app.test_client().get("/login", base_url="https://aktsom.example")

    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("__Host-"))
    attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")}
    assert {"secure", "httponly", "path"} <= attributes
    assert "domain" not in attributes
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_development_defaults_work_over_plain_http(built):
    app = built()

    assert app.config["ENV_NAME"] == "development"
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["SESSION_COOKIE_NAME"] == "aktsom_session"


def test_database_url_selects_the_database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'from-env.db'}"
    monkeypatch.setenv("DATABASE_URL", url)

    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    try:
        assert app.config["SQLALCHEMY_DATABASE_URI"] == url
        with app.app_context():
            assert str(_db.engine.url) == url
    finally:
        with app.app_context():
            _db.engine.dispose()


def test_without_database_url_sqlite_in_the_instance_folder_is_used(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    try:
        assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path.resolve() / 'aktsom.db'}"
    finally:
        with app.app_context():
            _db.engine.dispose()


def test_portal_prefixed_variables_override_defaults(built, monkeypatch):
    monkeypatch.setenv("PORTAL_IDLE_TIMEOUT_MINUTES", "30")
    monkeypatch.setenv("PORTAL_OPERATOR_NAME", "Testby kommune")

    app = built()

    assert app.config["IDLE_TIMEOUT_MINUTES"] == 30
    assert app.config["OPERATOR_NAME"] == "Testby kommune"


def test_demo_data_is_refused_in_production(tmp_path, db):
    url = _db.engine.url.render_as_string(hide_password=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path), "ENV_NAME": "production", **PRODUCTION,
                      "SQLALCHEMY_DATABASE_URI": url})
    try:
        # The test's own app context is open; the command must run in the production app's.
        with app.app_context():
            result = app.test_cli_runner().invoke(args=["demo-data"])
    finally:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()

    assert result.exit_code != 0
    assert "refused in production" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_demo_data_runs_outside_production(app, db):
    result = app.test_cli_runner().invoke(args=["demo-data"])

    assert result.exit_code == 0, result.output
    assert "admin@kommune.example" in result.output
    assert "aktsom-demo-2025" in result.output


def test_create_admin_creates_the_platform_administrator_with_a_working_link(app, db):
    result = app.test_cli_runner().invoke(args=["create-admin", "First.Admin@Kommune.example"])

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    user = db.session.scalar(select(User))
    assert (user.email, user.role, user.password_hash) == ("first.admin@kommune.example", "platform_admin", None)
    link = next(word for word in result.output.split() if "/invitation/" in word)
    path = "/invitation/" + link.split("/invitation/")[1]
    assert app.test_client().get(path).status_code == 200

    again = app.test_cli_runner().invoke(args=["create-admin", "first.admin@kommune.example"])
    assert again.exit_code != 0
    assert "already exists" in again.output


def test_sqlite_enforces_foreign_keys(db):
    from sqlalchemy import text

    if _db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL always enforces foreign keys")
    with _db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_development_without_public_base_url_links_to_the_server_name_or_the_local_address(built):
    from portal.notifications import external_url

    named = built(PUBLIC_BASE_URL="", SERVER_NAME="aktsom.local:8080")
    local = built(PUBLIC_BASE_URL="")

    with named.app_context():
        assert external_url("auth.login") == "http://aktsom.local:8080/login"
    with local.app_context():
        assert external_url("auth.login") == "http://127.0.0.1:5000/login"


def test_a_public_base_url_with_a_path_keeps_it(built):
    from portal.notifications import external_url

    app = built(PUBLIC_BASE_URL="https://kommune.example/aktsom/")

    with app.app_context():
        assert external_url("auth.login") == "https://kommune.example/aktsom/login"


def test_development_refuses_a_malformed_public_base_url(built):
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        built(PUBLIC_BASE_URL="aktsom.kommune.example")
