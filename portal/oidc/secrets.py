"""Client secrets at rest: encrypted with Fernet (the ``cryptography`` package, AES-128-CBC
with HMAC-SHA256), so that a database dump does not hold them in plain text.

The key is ``OIDC_ENCRYPTION_KEY`` when set (a Fernet key), otherwise derived from
``SECRET_KEY`` with HKDF: changing SECRET_KEY without setting OIDC_ENCRYPTION_KEY to the
old derivation means every buyer's client secret must be entered again.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

_INFO = b"aktsom oidc client secret v1"


def _fernet() -> Fernet:
    configured = str(current_app.config.get("OIDC_ENCRYPTION_KEY") or "")
    if configured:
        return Fernet(configured.encode())
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        str(current_app.config["SECRET_KEY"]).encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode() if secret else ""


def decrypt(stored: str) -> str | None:
    """The secret, "" when none was saved, or None when it cannot be read with this key."""
    if not stored:
        return ""
    try:
        return _fernet().decrypt(stored.encode()).decode()
    except InvalidToken:
        return None
