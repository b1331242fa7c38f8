"""A buyer's OpenID Connect provider: its settings, its Authlib client, and who may sign in.

Authlib's Flask client does the protocol: the authorization code flow with PKCE (S256),
state and nonce kept in the signed session cookie (so any app server can finish a sign-in
another one started), and the ID token's signature (the provider's JWKS), issuer,
audience, expiry and nonce checked. This module decides who the person is in Aktsom.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import requests
from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from sqlalchemy import func, select

from portal import audit
from portal.extensions import db
from portal.models import Buyer, IdentityProvider, Role, User, utcnow
from portal.oidc import secrets
from portal.tenancy import ALL_BUYERS

log = logging.getLogger(__name__)

SCOPES = "openid email profile"
#: Seconds of clock difference allowed between Aktsom and the provider.
LEEWAY_SECONDS = 60
#: Discovery and signing keys are read again after this long (keys also on an unknown kid).
METADATA_MAX_AGE_SECONDS = 3600
HTTP_TIMEOUT_SECONDS = 10
PROVIDER_FIELDS = ("issuer", "client_id", "email_domains", "required_acr", "creates_reviewers",
                   "is_enabled")


class SignInRefused(Exception):
    """The provider's answer does not let this person in; ``reason`` names why (shown translated)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def provider_of(buyer_id: int) -> IdentityProvider | None:
    return db.session.scalar(
        select(IdentityProvider).where(IdentityProvider.buyer_id == buyer_id)
        .execution_options(**{ALL_BUYERS: True})
    )


def domain_of(email: str) -> str:
    return email.strip().lower().rpartition("@")[2]


def _usable(provider: IdentityProvider | None) -> IdentityProvider | None:
    if provider is None or not provider.is_enabled or provider.buyer.archived_at is not None:
        return None
    return provider


def usable_provider(buyer_id: int) -> IdentityProvider | None:
    """The buyer's provider when its staff may sign in with it now."""
    return _usable(provider_of(buyer_id))


def provider_for_email(email: str) -> IdentityProvider | None:
    """The enabled provider whose buyer lists this address's domain."""
    domain = domain_of(email)
    if not domain:
        return None
    providers = db.session.scalars(
        select(IdentityProvider).where(IdentityProvider.is_enabled.is_(True))
        .where(IdentityProvider.email_domains.contains(domain))
        .order_by(IdentityProvider.id).execution_options(**{ALL_BUYERS: True})
    ).all()
    for provider in providers:
        if domain in provider.domains and _usable(provider):
            return provider
    return None


def normalised_domains(text: str) -> str:
    """One lower-case domain per line, without "@", duplicates or blanks."""
    seen: list[str] = []
    for part in text.replace(",", " ").split():
        domain = part.strip().lstrip("@").lower()
        if domain and domain not in seen:
            seen.append(domain)
    return "\n".join(seen)


class DomainTaken(Exception):
    """Another buyer's provider already lists one of these domains."""

    def __init__(self, domain: str) -> None:
        super().__init__(domain)
        self.domain = domain


def save_provider(buyer: Buyer, values: dict[str, Any], client_secret: str, *,
                  actor: User) -> IdentityProvider:
    """Create or change the buyer's provider. An empty ``client_secret`` keeps the saved one.

    The secret is stored encrypted and never written to the audit trail or the log.
    """
    values = {key: values[key] for key in PROVIDER_FIELDS}
    values["issuer"] = str(values["issuer"]).strip().rstrip("/")
    values["client_id"] = str(values["client_id"]).strip()
    values["required_acr"] = str(values["required_acr"] or "").strip()
    values["email_domains"] = normalised_domains(str(values["email_domains"] or ""))
    others = db.session.scalars(
        select(IdentityProvider).where(IdentityProvider.buyer_id != buyer.id)
        .execution_options(**{ALL_BUYERS: True})
    ).all()
    for other in others:
        for domain in values["email_domains"].split():
            if domain in other.domains:
                raise DomainTaken(domain)
    provider = provider_of(buyer.id)
    created = provider is None
    if provider is None:
        provider = IdentityProvider(buyer_id=buyer.id)
    before = None if created else {key: getattr(provider, key) for key in PROVIDER_FIELDS}
    for key, value in values.items():
        setattr(provider, key, value)
    secret_changed = bool(client_secret)
    if secret_changed:
        provider.client_secret_encrypted = secrets.encrypt(client_secret)
    db.session.add(provider)
    db.session.flush()
    audit.record("identity_provider.created" if created else "identity_provider.updated", provider,
                 actor=actor, buyer_id=buyer.id, before=before,
                 after={**values, "client_secret_changed": secret_changed})
    return provider


# Authlib clients per provider and settings, kept for a while in each process so that
# discovery and the signing keys are not fetched on every sign-in.
_clients: dict[tuple[int, str, str, str], tuple[float, FlaskOAuth2App]] = {}


def client_for(provider: IdentityProvider) -> FlaskOAuth2App:
    secret = secrets.decrypt(provider.client_secret_encrypted)
    if secret is None:
        log.error("oidc_secret_unreadable buyer=%s", provider.buyer_id)
        raise SignInRefused("misconfigured")
    key = (provider.id, provider.issuer, provider.client_id, provider.client_secret_encrypted)
    now = time.monotonic()
    cached = _clients.get(key)
    if cached is not None and now - cached[0] < METADATA_MAX_AGE_SECONDS:
        return cached[1]
    name = f"buyer{provider.buyer_id}"
    client = FlaskOAuth2App(
        FlaskIntegration(name), name,
        client_id=provider.client_id, client_secret=secret or None,
        server_metadata_url=provider.discovery_url,
        client_kwargs={"scope": SCOPES, "code_challenge_method": "S256",
                       "default_timeout": HTTP_TIMEOUT_SECONDS},
    )
    _clients[key] = (now, client)
    return client


def authorization_endpoint(provider: IdentityProvider) -> str:
    """Where the browser is sent to sign in (the issuer when discovery cannot be read now)."""
    try:
        return str(client_for(provider).load_server_metadata().get("authorization_endpoint") or provider.issuer)
    except (SignInRefused, requests.RequestException, ValueError):
        return provider.issuer


def claims_options(provider: IdentityProvider, metadata: dict[str, Any]) -> dict[str, Any]:
    """What the ID token must say besides its signature, expiry and nonce (Authlib checks
    those): issued by the provider's issuer, for this client. Authlib on its own only checks
    the audience through ``azp``, so the audience is named here."""
    return {
        "iss": {"essential": True, "value": metadata["issuer"]},
        "aud": {"essential": True, "value": provider.client_id},
    }


def verified_email(claims: dict[str, Any]) -> str | None:
    """The address the provider vouches for: ``email`` with ``email_verified`` true (OpenID
    Connect), or Entra ID's ``xms_edov`` (the domain's owner verified it)."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        return None
    if claims.get("email_verified") is True or claims.get("xms_edov") in (True, "true", "1", 1):
        return email.strip().lower()
    return None


def user_for(provider: IdentityProvider, claims: dict[str, Any]) -> User:
    """The staff user the provider's (already validated) ID token names; links an invited or
    existing staff user by a verified e-mail at the first sign-in, or creates a reviewer
    when the buyer allows it. Raises SignInRefused."""
    issuer, subject = provider.issuer, str(claims.get("sub") or "")
    if not subject:
        raise SignInRefused("unknown_user")
    if provider.required_acr and claims.get("acr") != provider.required_acr:
        raise SignInRefused("acr")
    user = db.session.scalar(
        select(User).where(User.buyer_id == provider.buyer_id, User.oidc_issuer == issuer,
                           User.oidc_subject == subject).execution_options(**{ALL_BUYERS: True})
    )
    if user is None:
        email = verified_email(claims)
        if email is None:
            raise SignInRefused("unverified_email")
        if domain_of(email) not in provider.domains:
            raise SignInRefused("other_domain")
        user = db.session.scalar(
            select(User).where(func.lower(User.email) == email).execution_options(**{ALL_BUYERS: True})
        )
        if user is None:
            if not provider.creates_reviewers:
                raise SignInRefused("unknown_user")
            user = User(email=email, name=str(claims.get("name") or "")[:200], role=Role.REVIEWER.value,
                        buyer_id=provider.buyer_id, locale=provider.buyer.default_locale)
            db.session.add(user)
            db.session.flush()
            audit.record("user.created_by_identity_provider", user, actor=None, buyer_id=provider.buyer_id,
                         after={"email": email, "role": user.role})
        elif not user.is_staff or user.buyer_id != provider.buyer_id:
            raise SignInRefused("unknown_user")
        elif user.oidc_subject is not None:
            # Already linked to another subject: the provider names someone else now.
            raise SignInRefused("unknown_user")
        if not user.is_active:
            raise SignInRefused("deactivated")
        user.oidc_issuer, user.oidc_subject = issuer, subject
        if not user.name and claims.get("name"):
            user.name = str(claims["name"])[:200]
        audit.record("user.identity_provider_linked", user, actor=user, buyer_id=provider.buyer_id)
    if not user.is_active:
        raise SignInRefused("deactivated")
    if not user.is_staff or user.buyer_id != provider.buyer_id:
        raise SignInRefused("unknown_user")
    user.last_login_at = utcnow()
    return user
