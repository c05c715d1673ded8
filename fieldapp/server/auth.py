"""Passwords, tokens and who is calling.

Passwords are argon2 hashes. A token is 32 random bytes shown to the client once and
stored only as its SHA-256 (a fast hash is enough for a secret of that entropy). Failed
logins are slowed down per user name and per address: after a few, the next attempt
must wait, with the wait doubling up to a minute (:mod:`fieldapp.server.login`).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.server.db import Database, ServerError
from fieldapp.server.models import Token, User
from fieldapp.sync.protocol import LoginReply, UserInfo

TOKEN_LIFETIME = timedelta(days=30)
FREE_FAILURES = 3
MAX_WAIT_S = 60.0
FAILED_LOGIN_DELAY_S = 0.2

_hasher = PasswordHasher()
# Verified against when the user does not exist, so timing does not reveal user names.
DUMMY_HASH = _hasher.hash("not a password")


class AuthError(ServerError):
    """Wrong or missing credentials (HTTP 401)."""


class ThrottledError(ServerError):
    """Too many failed logins (HTTP 429)."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ForbiddenError(ServerError):
    """The caller may not do this (HTTP 403)."""


@dataclass(frozen=True)
class Principal:
    id: str
    username: str
    role: str
    manager_id: str | None

    def info(self) -> UserInfo:
        return UserInfo(id=self.id, username=self.username, role=self.role)  # type: ignore[arg-type]


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    # SQLite gives back naive datetimes even for timezone=True columns.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def principal(user: User) -> Principal:
    return Principal(user.id, user.username, user.role, user.manager_id)


def wait_needed(failures: int) -> float:
    """The pause a user name must wait after ``failures`` failed logins."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(MAX_WAIT_S, 0.5 * 2 ** (failures - FREE_FAILURES))


def verify_password(password_hash: str, password: str) -> None:
    """argon2's check; raises VerificationError or InvalidHashError when it fails."""
    _hasher.verify(password_hash, password)


def grant(session: Session, user: User) -> LoginReply:
    """A new token for ``user``, whose password was just checked."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        Token(
            token_hash=hash_token(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + TOKEN_LIFETIME,
        )
    )
    return LoginReply(
        token=token,
        expires_at=(now + TOKEN_LIFETIME).isoformat(),
        user=principal(user).info(),
    )


def login(db: Database, username: str, password: str, address: str = "") -> LoginReply:
    """Sign in (throttled); the work is in :mod:`fieldapp.server.login`."""
    from fieldapp.server import login as signin  # it builds on this module

    return signin.login(db, username, password, address)


def authenticate(session: Session, token: str | None) -> Principal:
    if not token:
        raise AuthError("sign in first (no token given)")
    row = session.execute(
        select(Token, User)
        .join(User, User.id == Token.user_id)
        .where(Token.token_hash == hash_token(token))
    ).first()
    if row is None:
        raise AuthError("the token is not valid; sign in again")
    tok, user = row
    if tok.revoked_at is not None:
        raise AuthError("you were signed out; sign in again")
    if _aware(tok.expires_at) <= utcnow():
        raise AuthError("the token has expired; sign in again")
    return principal(user)


def logout(session: Session, token: str) -> None:
    tok = session.get(Token, hash_token(token))
    if tok is not None and tok.revoked_at is None:
        tok.revoked_at = utcnow()
