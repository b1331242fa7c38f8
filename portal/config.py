"""Configuration: defaults, then the environment, then a test mapping.

Environment variables: ``SECRET_KEY``, ``DATABASE_URL``, ``PORTAL_ENV``
(exactly ``development`` or ``production``) and any ``PORTAL_<KEY>`` for the other
keys below (values are parsed as JSON where possible, see Flask's
``from_prefixed_env``).
"""

from __future__ import annotations

import math
import os
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "development-only-key-never-use-in-production"  # noqa: S105
ENVIRONMENTS = ("development", "production")
#: Where links in e-mails point when PUBLIC_BASE_URL is not set (development and tests only):
#: the address ``make run`` serves on, never the Host a request claims.
LOCAL_BASE_URL = "http://127.0.0.1:5000"
# A random 32-character key (token_urlsafe(24)) scores 118 bits or more on the estimate
# below; 32 × "a" scores 0, "password" × 4 88, and both have too few distinct characters.
SECRET_KEY_MIN_LENGTH = 32
SECRET_KEY_MIN_DISTINCT = 12
SECRET_KEY_MIN_BITS = 100
KEY_ADVICE = 'e.g. python -c "import secrets; print(secrets.token_urlsafe(48))"'


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
        # Idle timeouts: staff 30 minutes; suppliers, who fill in long questionnaires, longer
        # (what they were typing when it ran out is kept for after sign-in). Every session
        # ends SESSION_MAX_AGE_HOURS after sign-in, however active.
        "IDLE_TIMEOUT_MINUTES": 120,
        "STAFF_IDLE_TIMEOUT_MINUTES": 30,
        "SESSION_MAX_AGE_HOURS": 12,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        # A CSRF token lives as long as the session: a long questionnaire never fails on it.
        "WTF_CSRF_TIME_LIMIT": None,
        "INVITATION_MAX_AGE_DAYS": 7,
        # The report warns of a submission that has waited longer than this for review.
        "REPORT_UNREVIEWED_DAYS": 60,
        "PASSWORD_RESET_MAX_AGE_HOURS": 2,
        "PASSWORD_MIN_LENGTH": 12,
        # Always on in production (see apply_production_rules); staff who sign in with their
        # buyer's identity provider are not asked for it.
        "REQUIRE_STAFF_2FA": False,
        # Encrypts buyers' OpenID Connect client secrets (a Fernet key); empty: derived from
        # SECRET_KEY (see portal/oidc/secrets.py).
        "OIDC_ENCRYPTION_KEY": "",
        # memory:// counts per worker process: production needs a shared store (Redis).
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": False,
        "LOGIN_LIMIT_PER_ADDRESS": "20 per minute;200 per hour",
        # Failed sign-ins are counted per (account, address) and per address; an account is
        # paused for everyone only when failures come from many addresses (ASVS 2.2.1). The
        # e-mailed password reset is never throttled per account and lifts every pause.
        "LOGIN_FAILURE_WINDOW_MINUTES": 15,
        "LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS": 5,
        "LOGIN_MAX_FAILURES_PER_ADDRESS": 50,
        "LOGIN_PAUSE_AFTER_ADDRESSES": 10,
        # Wrong two-factor codes: per pending sign-in, and per account over a day.
        "TWO_FACTOR_MAX_FAILURES_PER_SIGN_IN": 5,
        "TWO_FACTOR_MAX_FAILURES_PER_ACCOUNT_PER_DAY": 20,
        "SUPPLIER_INVITATIONS_PER_HOUR": 10,
        # Argon2id at OWASP's recommended minimum profile (m=19 MiB, t=2, p=1).
        "ARGON2_TIME_COST": 2,
        "ARGON2_MEMORY_COST": 19 * 1024,
        "ARGON2_PARALLELISM": 1,
        "UPLOAD_MAX_MB": 20,
        # Where files live: file:///path or s3://bucket/prefix (see portal/storage.py). The
        # default keeps the files in the instance folder, where they always were.
        "STORAGE_URL": instance_path.as_uri(),
        "S3_ENDPOINT_URL": "",
        "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
        "MAIL_OUTBOX": str(instance_path / "outbox"),
        "MAIL_FROM": "Aktsom <aktsom@kommune.example>",
        "SMTP_HOST": "",
        "SMTP_PORT": 587,
        "SMTP_USERNAME": "",
        "SMTP_PASSWORD": "",
        "SMTP_STARTTLS": True,
        # Longer than a slow server's answer to a message: a timeout after the server has
        # taken the message is the one way a mail goes out twice (see README, Jobs).
        "SMTP_TIMEOUT": 60,
        # Background jobs (portal/jobs.py): "worker" (PostgreSQL; `flask --app wsgi worker`)
        # or "inline" (after the commit, in the process); empty = by the database.
        "JOBS_RUN": "",
        "JOBS_MAX_ATTEMPTS": 12,
        "JOBS_BACKOFF_SECONDS": 2,
        "JOBS_HEARTBEAT_SECONDS": 10,
        "JOBS_STALLED_SECONDS": 30,
        "JOBS_STALLED_CRON": "* * * * *",
        # Inline jobs (SQLite): tries in all, and the first wait, doubled after each try.
        "JOBS_INLINE_ATTEMPTS": 3,
        "JOBS_INLINE_BACKOFF_SECONDS": 1.0,
        "JOBS_REMINDER_CRON": "0 * * * *",
        # Retention (portal/privacy/retention.py): years after an agreement ended that its
        # evidence files, receipts and answers are kept; empty (None) keeps them for ever.
        # The job runs nightly; `flask --app wsgi retention --dry-run` lists what would go.
        "RETENTION_EVIDENCE_YEARS": 10,
        "RETENTION_RECEIPTS_YEARS": 10,
        "RETENTION_ANSWERS_YEARS": 10,
        "JOBS_RETENTION_CRON": "30 2 * * *",
        "PUBLIC_BASE_URL": "",
        "ACCESSIBILITY_STATEMENT_URL": "",
        "TRUSTED_PROXIES": 0,
        "PAGE_SIZE": 25,
        # The answers workbook (portal/review/answer_export.py) is built within the request:
        # about 17 ms per response on two busy cores, so a filter with more responses than
        # this is asked to be narrowed (e.g. to one round) rather than left to time out.
        "ANSWERS_EXPORT_MAX_RESPONSES": 1000,
    }


def from_environment(config: dict[str, Any]) -> None:
    """Read the few unprefixed variables a deployment conventionally sets."""
    if url := os.environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = url
    if key := os.environ.get("SECRET_KEY"):
        config["SECRET_KEY"] = key
    if env := os.environ.get("PORTAL_ENV"):
        config["ENV_NAME"] = env


def public_base_url(config: dict[str, Any]) -> str:
    """The address every link in an e-mail starts with: PUBLIC_BASE_URL, else (outside
    production, which refuses to start without it) SERVER_NAME or the local development
    address. Never the Host of a request, which the sender of the request chooses."""
    base = str(config.get("PUBLIC_BASE_URL") or "").strip()
    if not base and config.get("SERVER_NAME"):
        base = f"{config.get('PREFERRED_URL_SCHEME') or 'http'}://{config['SERVER_NAME']}"
    return (base or LOCAL_BASE_URL).rstrip("/")


def estimated_bits(key: str) -> float:
    """A pessimistic estimate of a key's entropy: its length times the Shannon entropy of
    its characters. Random keys score close to their real strength; repeated or patterned
    keys (32 × "a", "abab…") score far below it."""
    if not key:
        return 0.0
    counts = Counter(key)
    per_char = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())
    return per_char * len(key)


def check_environment(config: dict[str, Any]) -> None:
    """Only the known environment names: a misspelt one must not silently run as development."""
    if config.get("ENV_NAME") not in ENVIRONMENTS:
        raise ConfigError(
            f"PORTAL_ENV must be exactly one of {', '.join(ENVIRONMENTS)}, "
            f"not {config.get('ENV_NAME')!r}"
        )


def check_time_zone(config: dict[str, Any]) -> None:
    """The buyers' calendar must be a zone the machine knows: a misspelt one would fail
    every page that needs today's date, long after the start."""
    name = str(config.get("BABEL_DEFAULT_TIMEZONE") or "")
    try:
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        raise ConfigError(
            f"BABEL_DEFAULT_TIMEZONE (PORTAL_BABEL_DEFAULT_TIMEZONE) must be a time zone "
            f"such as Europe/Oslo, not {name!r}"
        ) from None


def check_public_base_url(config: dict[str, Any], *, production: bool) -> None:
    base = str(config.get("PUBLIC_BASE_URL") or "").strip()
    if not base:
        if production:
            raise ConfigError(
                "Production needs PUBLIC_BASE_URL (PORTAL_PUBLIC_BASE_URL), the address users "
                "open the portal at, e.g. https://aktsom.kommune.no: every link in an e-mail is "
                "built from it"
            )
        return
    parts = urlsplit(base)
    schemes = ("https",) if production else ("http", "https")
    if parts.scheme not in schemes or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(
            f"PUBLIC_BASE_URL must be an address like https://aktsom.kommune.no "
            f"({' or '.join(schemes)}, a host name, no query), not {base!r}"
        )


def check_secret_key(key: str) -> None:
    if (
        key == DEV_SECRET_KEY
        or len(key) < SECRET_KEY_MIN_LENGTH
        or len(set(key)) < SECRET_KEY_MIN_DISTINCT
        or estimated_bits(key) < SECRET_KEY_MIN_BITS
    ):
        raise ConfigError(
            f"Production needs SECRET_KEY set to a random value of at least "
            f"{SECRET_KEY_MIN_LENGTH} characters (a repeated or patterned value is refused), "
            + KEY_ADVICE
        )


def configure_rate_limit_storage(config: dict[str, Any], *, production: bool) -> None:
    uri = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if production and uri.startswith("memory://"):
        raise ConfigError(
            "Production needs RATELIMIT_STORAGE_URI (PORTAL_RATELIMIT_STORAGE_URI) set to a "
            "store all workers share, e.g. redis://127.0.0.1:6379/0: with memory:// each "
            "worker counts sign-in attempts on its own"
        )
    if uri.startswith(("redis://", "rediss://", "redis+unix://")):
        # A Redis that does not answer must fail the request quickly (a 503), not hold the
        # worker until the proxy gives up.
        options = dict(config.get("RATELIMIT_STORAGE_OPTIONS") or {})
        options.setdefault("socket_connect_timeout", 2)
        options.setdefault("socket_timeout", 2)
        config["RATELIMIT_STORAGE_OPTIONS"] = options


def apply_production_rules(config: dict[str, Any]) -> None:
    """Refuse to run production with unsafe settings; harden cookies."""
    check_environment(config)
    production = config["ENV_NAME"] == "production"
    if production:
        check_secret_key(str(config.get("SECRET_KEY") or ""))
        if config.get("DEBUG"):
            raise ConfigError("DEBUG must be off in production")
    check_public_base_url(config, production=production)
    configure_rate_limit_storage(config, production=production)
    if production:
        # No password-only staff accounts: staff sign in with their buyer's identity
        # provider, or set up the authenticator app before anything else.
        config["REQUIRE_STAFF_2FA"] = True
        config["SESSION_COOKIE_SECURE"] = True
        if config["SESSION_COOKIE_NAME"] == "aktsom_session":
            config["SESSION_COOKIE_NAME"] = "__Host-aktsom_session"
