"""Password hashing (argon2id) and API token secrets."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_PREFIX = "flt"
TOKEN_SECRET_BYTES = 32  # 256 random bits


def password_hasher() -> PasswordHasher:
    """argon2id with the library's current recommended parameters (RFC 9106 low-memory)."""
    return PasswordHasher()


def hash_password(password: str, hasher: PasswordHasher | None = None) -> str:
    return (hasher or password_hasher()).hash(password)


def check_password(
    stored: str | None, password: str, hasher: PasswordHasher | None = None
) -> tuple[bool, str | None]:
    """Return (matches, new hash if the stored one should be upgraded)."""
    hasher = hasher or password_hasher()
    if not stored:
        # Spend the same time as a real check so unknown users are not revealed.
        hasher.hash(password)
        return False, None
    try:
        hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False, None
    return True, hasher.hash(password) if hasher.check_needs_rehash(stored) else None


def random_password() -> str:
    """A password for a new admin: 20 URL-safe characters (120 bits)."""
    return secrets.token_urlsafe(15)


def new_token() -> tuple[str, str, str]:
    """Return (full token shown once, lookup prefix, SHA-256 of the secret)."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(TOKEN_SECRET_BYTES)
    return f"{TOKEN_PREFIX}_{prefix}_{secret}", prefix, token_hash(secret)


def split_token(token: str) -> tuple[str, str] | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def token_hash(secret: str) -> str:
    # The secret has 256 random bits, so a fast hash is enough: no dictionary to attack.
    return hashlib.sha256(secret.encode()).hexdigest()


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)
