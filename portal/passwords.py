"""Password hashing (Argon2id) and the password policy."""

from __future__ import annotations

import gzip
import re
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

COMMON_PASSWORDS = Path(__file__).parent / "data" / "common-passwords.txt.gz"
# Words an attacker would try first against this portal (ASVS V6.2.11).
CONTEXT_WORDS = frozenset(
    {"aktsom", "kommune", "kommunen", "lillestrom", "lillestrøm", "leverandor",
     "leverandør", "passord", "password", "etiskhandel", "sommer", "vinter", "qwerty"}
)
MAX_PASSWORD_LENGTH = 1024


@cache
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def hasher() -> PasswordHasher:
    c = current_app.config
    return _hasher(int(c["ARGON2_TIME_COST"]), int(c["ARGON2_MEMORY_COST"]), int(c["ARGON2_PARALLELISM"]))


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash or len(password) > MAX_PASSWORD_LENGTH:
        # Spend the same time as a real check so unknown accounts cannot be told apart.
        hasher().hash(password[:MAX_PASSWORD_LENGTH])
        return False
    try:
        return hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher().check_needs_rehash(password_hash)


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as f:
        return frozenset(line.strip().lower() for line in f if line.strip())


def is_common(password: str) -> bool:
    lowered = password.strip().lower()
    if lowered in common_passwords():
        return True
    letters = re.sub(r"[^a-zæøå]", "", lowered)
    if not letters:
        return True
    for word in CONTEXT_WORDS:
        if letters == word or (len(letters) % len(word) == 0 and letters == word * (len(letters) // len(word))):
            return True
    return len(set(lowered)) <= 2
