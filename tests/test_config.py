"""Configuration: production refuses unsafe settings, hardens cookies; DATABASE_URL selects the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal import create_app
from portal.config import DEV_SECRET_KEY, ConfigError
from portal.extensions import db as _db
from portal.models import User

GOOD_KEY = "k" * 20 + "-a-production-secret-key-of-48-chars"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PORTAL_ENV", "SECRET_KEY", "DATABASE_URL", "PORTAL_SECRET_KEY", "PORTAL_ENV_NAME",
                 "PORTAL_DEBUG", "PORTAL_SESSION_COOKIE_NAME"):
        monkeypatch.delenv(name, raising=False)


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


@pytest.mark.parametrize("key", [None, "", "short-key", DEV_SECRET_KEY, "x" * 31])
def test_production_refuses_a_missing_short_or_development_secret_key(built, monkeypatch, key):
    monkeypatch.setenv("PORTAL_ENV", "production")
    config = {} if key is None else {"SECRET_KEY": key}

    with pytest.raises(ConfigError, match="SECRET_KEY"):
        built(**config)


def test_production_refuses_debug(built, monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")

    with pytest.raises(ConfigError, match="DEBUG"):
        built(SECRET_KEY=GOOD_KEY, DEBUG=True)


def test_production_secret_key_can_come_from_the_environment(built, monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)

    app = built()

    assert app.config["SECRET_KEY"] == GOOD_KEY


def test_production_hardens_the_session_cookie(built):
    app = built(ENV_NAME="production", SECRET_KEY=GOOD_KEY)

    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-aktsom_session"
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_production_cookie_is_set_secure_with_the_host_prefix(built):
    app = built(ENV_NAME="production", SECRET_KEY=GOOD_KEY, TESTING=True)

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
    app = create_app({"INSTANCE_PATH": str(tmp_path), "ENV_NAME": "production", "SECRET_KEY": GOOD_KEY,
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
