"""Passwords, tokens and who is calling.

Passwords are argon2 hashes. A token is 32 random bytes shown to the client once and
stored only as its SHA-256 (a fast hash is enough for a secret of that entropy). Failed
logins are slowed down per user name: after a few, the next attempt must wait, with the
wait doubling up to a minute.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
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
_DUMMY_HASH = _hasher.hash("not a password")


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
    if failures < FREE_FAILURES:
        return 0.0
    return min(MAX_WAIT_S, 0.5 * 2 ** (failures - FREE_FAILURES))


def login(db: Database, username: str, password: str) -> LoginReply:
    with db.session() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is not None and user.last_failed_at is not None:
            wait = (
                wait_needed(user.failed_logins)
                - (utcnow() - _aware(user.last_failed_at)).total_seconds()
            )
            if wait > 0:
                raise ThrottledError(
                    f"too many failed logins for {username}; try again in {wait:.0f} s"
                    if wait >= 1
                    else f"too many failed logins for {username}; try again in a moment",
                    wait,
                )
        try:
            _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
            ok = user is not None
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok:
            if user is not None:
                user.failed_logins += 1
                user.last_failed_at = utcnow()
            failed = True
        else:
            failed = False
            assert user is not None
            user.failed_logins = 0
            user.last_failed_at = None
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
            reply = LoginReply(
                token=token,
                expires_at=(now + TOKEN_LIFETIME).isoformat(),
                user=principal(user).info(),
            )
    if failed:
        time.sleep(FAILED_LOGIN_DELAY_S)
        raise AuthError("wrong user name or password")
    return reply


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
