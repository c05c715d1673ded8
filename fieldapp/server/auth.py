"""Passwords, tokens and who is calling.

Passwords are argon2 hashes. A token is 32 random bytes shown to the client once and
stored only as its SHA-256 (a fast hash is enough for a secret of that entropy). Failed
logins are slowed down per user name: after a few, the next attempt must wait, with the
wait doubling up to a minute.

A token lives ``$FIELDAPP_TOKEN_DAYS`` days (default 14) from its last use: each use
renews it (at most once an hour, so a busy client does not write on every request). A
deactivated user's tokens were revoked and they cannot sign in (server/users.py).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
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
            if not user.active:
                # Said only to whoever knows the password: names are not revealed.
                raise AuthError(f"the account {username} was deactivated; ask an admin")
            token, expires = new_token(session, user.id)
            reply = LoginReply(
                token=token, expires_at=expires.isoformat(), user=principal(user).info()
            )
    if failed:
        time.sleep(FAILED_LOGIN_DELAY_S)
        raise AuthError("wrong user name or password")
    return reply


def new_token(session: Session, user_id: str) -> tuple[str, datetime]:
    """A fresh token for the user (its text, shown once) and when it expires."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    expires = now + token_lifetime()
    session.add(
        Token(token_hash=hash_token(token), user_id=user_id, created_at=now, expires_at=expires)
    )
    return token, expires


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
    if not user.active:
        raise AuthError("your account was deactivated; ask an admin")
    if tok.revoked_at is not None:
        raise AuthError("you were signed out; sign in again")
    now = utcnow()
    if _aware(tok.expires_at) <= now:
        raise AuthError("the token has expired; sign in again")
    lifetime = token_lifetime()
    if _aware(tok.expires_at) < now + lifetime - RENEW_EVERY:
        tok.expires_at = now + lifetime  # sliding: in use, it stays valid
    return principal(user)


def verify_password(user: User, password: str) -> bool:
    try:
        return bool(_hasher.verify(user.password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def revoke_tokens(session: Session, user_id: str, keep: str | None = None) -> int:
    """Revoke every live token of a user (but ``keep``, a token hash); return how many."""
    query = update(Token).where(Token.user_id == user_id, Token.revoked_at.is_(None))
    if keep is not None:
        query = query.where(Token.token_hash != keep)
    result = session.execute(query.values(revoked_at=utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)


def logout(session: Session, token: str) -> None:
    tok = session.get(Token, hash_token(token))
    if tok is not None and tok.revoked_at is None:
        tok.revoked_at = utcnow()
