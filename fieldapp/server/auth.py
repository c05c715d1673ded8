"""Passwords, tokens and who is calling.

Passwords are argon2 hashes. A token is 32 random bytes shown to the client once and
stored only as its SHA-256 (a fast hash is enough for a secret of that entropy). Failed
logins are slowed down per user name and per address: after a few, the next attempt
must wait, with the wait doubling up to a minute (:mod:`fieldapp.server.login`).

A token lives ``$FIELDAPP_TOKEN_DAYS`` days (default 14) from its last use: each use
renews it (at most once an hour, so a busy client does not write on every request). A
deactivated user's tokens were revoked and they cannot sign in (server/users.py).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from fieldapp.server.db import Database, ServerError
from fieldapp.server.models import Token, User
from fieldapp.sync.protocol import LoginReply, UserInfo

ENV_TOKEN_DAYS = "FIELDAPP_TOKEN_DAYS"
DEFAULT_TOKEN_DAYS = 14.0
RENEW_EVERY = timedelta(hours=1)
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


def token_lifetime() -> timedelta:
    """How long a token lives after its last use (``$FIELDAPP_TOKEN_DAYS``, default 14)."""
    raw = os.environ.get(ENV_TOKEN_DAYS, "")
    try:
        days = float(raw) if raw else DEFAULT_TOKEN_DAYS
    except ValueError:
        days = DEFAULT_TOKEN_DAYS
    return timedelta(days=days if 0 < days <= 3650 else DEFAULT_TOKEN_DAYS)


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
    if not user.active:
        # Said only to whoever knows the password: names are not revealed.
        raise AuthError(f"the account {user.username} was deactivated; ask an admin")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    expires = now + token_lifetime()
    session.add(
        Token(token_hash=hash_token(token), user_id=user.id, created_at=now, expires_at=expires)
    )
    return LoginReply(token=token, expires_at=expires.isoformat(), user=principal(user).info())


def password_matches(user: User, password: str) -> bool:
    try:
        verify_password(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    return True


def revoke_tokens(session: Session, user_id: str, keep: str | None = None) -> int:
    """Revoke every live token of a user (but ``keep``, a token hash); return how many."""
    query = update(Token).where(Token.user_id == user_id, Token.revoked_at.is_(None))
    if keep is not None:
        query = query.where(Token.token_hash != keep)
    result = session.execute(query.values(revoked_at=utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)


def login(db: Database, username: str, password: str, address: str = "") -> LoginReply:
    """Sign in (throttled); the work is in :mod:`fieldapp.server.login`."""
    from fieldapp.server import login as signin  # it builds on this module

    return signin.login(db, username, password, address)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header (None without one)."""
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


# Built once: a statement object keeps its compiled form's cache key, so each request
# only binds the hash (this check runs on every request, three times a sync). Plain
# columns, not Token and User objects: nothing here needs the ORM's identity map.
_TOKEN_AND_USER = (
    select(
        Token.expires_at,
        Token.revoked_at,
        User.id,
        User.username,
        User.role,
        User.manager_id,
        User.active,
    )
    .join(User, User.id == Token.user_id)
    .where(Token.token_hash == bindparam("token_hash"))
)
# Bind names differ from the columns': an UPDATE reserves a column's own name.
_RENEW = (
    update(Token)
    .where(Token.token_hash == bindparam("renewed_hash"))
    .values(expires_at=bindparam("renewed_until"))
)


def authenticate(session: Session, token: str | None) -> Principal:
    """Who holds ``token``, read afresh from the database on every call.

    Nothing is cached: a user deactivated or signed out a moment ago is refused on
    their next request, whichever worker process serves it.
    """
    if not token:
        raise AuthError("sign in first (no token given)")
    token_hash = hash_token(token)
    connection = session.connection()
    row = connection.execute(_TOKEN_AND_USER, {"token_hash": token_hash}).first()
    if row is None:
        raise AuthError("the token is not valid; sign in again")
    if not row.active:
        raise AuthError("your account was deactivated; ask an admin")
    if row.revoked_at is not None:
        raise AuthError("you were signed out; sign in again")
    now = utcnow()
    expires_at = _aware(row.expires_at)
    if expires_at <= now:
        raise AuthError("the token has expired; sign in again")
    lifetime = token_lifetime()
    if expires_at < now + lifetime - RENEW_EVERY:
        # Sliding: in use, it stays valid (one UPDATE, at most once an hour).
        connection.execute(_RENEW, {"renewed_hash": token_hash, "renewed_until": now + lifetime})
    return Principal(row.id, row.username, row.role, row.manager_id)


def logout(session: Session, token: str) -> None:
    tok = session.get(Token, hash_token(token))
    if tok is not None and tok.revoked_at is None:
        tok.revoked_at = utcnow()
