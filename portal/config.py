"""Configuration: defaults, then the environment, then a test mapping.

Environment variables: ``SECRET_KEY``, ``DATABASE_URL``, ``PORTAL_ENV``
(``development`` or ``production``) and any ``PORTAL_<KEY>`` for the other
keys below (values are parsed as JSON where possible, see Flask's
``from_prefixed_env``).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "development-only-key-never-use-in-production"  # noqa: S105


class ConfigError(RuntimeError):
    """The configuration cannot run safely."""


def defaults(instance_path: Path) -> dict[str, Any]:
    return {
        "ENV_NAME": "development",
        "SECRET_KEY": DEV_SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance_path / 'aktsom.db'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Who runs this installation (footer, accessibility statement). Each buyer's own name
        # is on its records; an installation upgraded from one municipality takes this name
        # for its first buyer, with BUYER_ORG_NUMBER when set.
        "OPERATOR_NAME": "Lillestrøm kommune",
        "BUYER_ORG_NUMBER": "",
        "SERVICE_NAME": "Aktsom",
        "BABEL_DEFAULT_LOCALE": "nb",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Oslo",
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
        # Sessions: the cookie is signed; the user's session token inside it can be revoked.
        "SESSION_COOKIE_NAME": "aktsom_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "IDLE_TIMEOUT_MINUTES": 120,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        # A CSRF token lives as long as the session: a long questionnaire never fails on it.
        "WTF_CSRF_TIME_LIMIT": None,
        "INVITATION_MAX_AGE_DAYS": 7,
        "PASSWORD_RESET_MAX_AGE_HOURS": 2,
        "PASSWORD_MIN_LENGTH": 12,
        "REQUIRE_STAFF_2FA": False,
        "LOGIN_LOCK_AFTER_FAILURES": 10,
        "LOGIN_LOCK_MINUTES": 15,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": False,
        "LOGIN_LIMIT_PER_ADDRESS": "20 per minute;200 per hour",
        "LOGIN_LIMIT_PER_ACCOUNT": "10 per minute;50 per hour",
        # Argon2id at OWASP's recommended minimum profile (m=19 MiB, t=2, p=1).
        "ARGON2_TIME_COST": 2,
        "ARGON2_MEMORY_COST": 19 * 1024,
        "ARGON2_PARALLELISM": 1,
        "UPLOAD_MAX_MB": 20,
        "UPLOAD_DIR": str(instance_path / "uploads"),
        "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
        "MAIL_OUTBOX": str(instance_path / "outbox"),
        "MAIL_FROM": "Aktsom <aktsom@kommune.example>",
        "SMTP_HOST": "",
        "SMTP_PORT": 587,
        "SMTP_USERNAME": "",
        "SMTP_PASSWORD": "",
        "SMTP_STARTTLS": True,
        "PUBLIC_BASE_URL": "",
        "ACCESSIBILITY_STATEMENT_URL": "",
        "TRUSTED_PROXIES": 0,
        "PAGE_SIZE": 25,
    }


def from_environment(config: dict[str, Any]) -> None:
    """Read the few unprefixed variables a deployment conventionally sets."""
    if url := os.environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = url
    if key := os.environ.get("SECRET_KEY"):
        config["SECRET_KEY"] = key
    if env := os.environ.get("PORTAL_ENV"):
        config["ENV_NAME"] = env


def apply_production_rules(config: dict[str, Any]) -> None:
    """Refuse to run production without a real secret; harden cookies."""
    if config["ENV_NAME"] != "production":
        return
    key = config.get("SECRET_KEY") or ""
    if key == DEV_SECRET_KEY or len(key) < 32:
        raise ConfigError(
            "Production needs SECRET_KEY set to a random value of at least 32 characters, "
            'e.g. python -c "import secrets; print(secrets.token_urlsafe(48))"'
        )
    if config.get("DEBUG"):
        raise ConfigError("DEBUG must be off in production")
    config["SESSION_COOKIE_SECURE"] = True
    if config["SESSION_COOKIE_NAME"] == "aktsom_session":
        config["SESSION_COOKIE_NAME"] = "__Host-aktsom_session"
