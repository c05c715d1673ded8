"""Signing in: password checks that cannot be raced, enumerated or used to flood the server.

Throttling. Failed attempts are counted per user name and per client address in
``login_throttle`` (keyed by a hash of the name or address, so unknown names cost a
fixed-size row and the table holds no attacker-chosen text). An attempt is *claimed*
before its password is checked: one ``UPDATE ... WHERE next_allowed_at <= now``
raises the count and pushes ``next_allowed_at`` out, atomically, so parallel guesses
cannot all read "3 failures" and all go ahead (PostgreSQL re-checks the WHERE of a
blocked UPDATE against the row the winner committed). A correct password then gives
the claim back. Unknown names are counted, throttled and answered exactly like known
ones, and their "password" is checked against a dummy argon2 hash, so neither the
answer nor its timing tells whether a name exists.

Resources. argon2 runs outside any database transaction (SQLite's write lock is never
held while it hashes) and at most ``FIELDAPP_LOGIN_CONCURRENCY`` at a time (argon2
takes 64 MiB per hash); ``FIELDAPP_LOGIN_QUEUE`` more may wait, and any further login
gets HTTP 503 with Retry-After at once. Waiting logins and the pause after a failure
are coroutines, not threads, so a login flood cannot starve the thread pool that
serves syncs.
"""

from __future__ import annotations

import functools
import hashlib
import os
import time
from typing import Any

import anyio
import anyio.to_thread
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fieldapp.server import auth
from fieldapp.server.db import Database, ServerError
from fieldapp.server.models import LoginThrottle, User
from fieldapp.sync.protocol import LoginReply

FREE_FAILURES = auth.FREE_FAILURES  # per user name
# Per address: generous, as many people may share one office's address.
FREE_ADDRESS_FAILURES = 30
MAX_WAIT_S = auth.MAX_WAIT_S
FAILED_LOGIN_DELAY_S = auth.FAILED_LOGIN_DELAY_S
ENV_CONCURRENCY = "FIELDAPP_LOGIN_CONCURRENCY"
ENV_QUEUE = "FIELDAPP_LOGIN_QUEUE"
BUSY_RETRY_S = 2


class Busy(ServerError):
    """Too many sign-ins at once (HTTP 503 with Retry-After)."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def wait_needed(failures: int, free: int = FREE_FAILURES) -> float:
    """The pause after ``failures`` failures: none for the first few, then doubling."""
    if failures < free:
        return 0.0
    return min(MAX_WAIT_S, 0.5 * 2 ** (failures - free))


def _wait_sql(free: int, ahead: int) -> Any:
    """SQL for ``wait_needed(failures + ahead)`` from the row's current ``failures``."""
    steps = []
    n = free
    while wait_needed(n, free) < MAX_WAIT_S:
        steps.append((LoginThrottle.failures == n - ahead, wait_needed(n, free)))
        n += 1
    return case((LoginThrottle.failures < free - ahead, 0.0), *steps, else_=MAX_WAIT_S)


def _key(kind: str, value: str) -> str:
    return kind + ":" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _ensure_row(session: Session, key: str, postgres: bool) -> None:
    dialect_insert = postgresql.insert if postgres else sqlite.insert
    session.execute(
        dialect_insert(LoginThrottle)
        .values(key=key, failures=0, next_allowed_at=0.0)
        .on_conflict_do_nothing()
    )


def _claim(session: Session, key: str, free: int, now: float, postgres: bool) -> float:
    """Count one attempt if the key may try now; else return how long it must wait."""
    _ensure_row(session, key, postgres)
    claimed = session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key, LoginThrottle.next_allowed_at <= now)
        .values(
            failures=LoginThrottle.failures + 1,
            next_allowed_at=now + _wait_sql(free, 1),
        )
        .returning(LoginThrottle.failures)
    ).first()
    if claimed is not None:
        return 0.0
    next_allowed = session.scalar(
        select(LoginThrottle.next_allowed_at).where(LoginThrottle.key == key)
    )
    return max(0.001, float(next_allowed or 0.0) - now)


class _Refused(Exception):
    def __init__(self, wait: float) -> None:
        self.wait = wait


def _claim_attempt(db: Database, username: str, address: str) -> None:
    """Claim the attempt for the address and the name, both or neither (one transaction)."""
    now = time.time()
    try:
        with db.session() as session:
            # Always address first, then name: one lock order, no deadlocks.
            for key, free in (
                (_key("a", address), FREE_ADDRESS_FAILURES),
                (_key("u", username), FREE_FAILURES),
            ):
                wait = _claim(session, key, free, now, db.is_postgres)
                if wait:
                    raise _Refused(wait)  # rolls back the address's claim too
    except _Refused as refused:
        wait = refused.wait
        raise auth.ThrottledError(
            f"too many failed logins for {username}; try again in {wait:.0f} s"
            if wait >= 1
            else f"too many failed logins for {username}; try again in a moment",
            wait,
        ) from None


def _failed(db: Database, username: str, address: str) -> None:
    """Start the waits from the failure's end (the claim started them before argon2 ran)."""
    now = time.time()
    with db.session() as session:
        for key, free in (
            (_key("a", address), FREE_ADDRESS_FAILURES),
            (_key("u", username), FREE_FAILURES),
        ):
            later = now + _wait_sql(free, 0)
            session.execute(
                update(LoginThrottle)
                .where(LoginThrottle.key == key, LoginThrottle.next_allowed_at < later)
                .values(next_allowed_at=later)
            )


def _password_ok(db: Database, username: str, password: str) -> str | None:
    """The user's id if the password is theirs; argon2 runs with no transaction open."""
    with db.session() as session:
        row = session.execute(
            select(User.id, User.password_hash).where(User.username == username)
        ).first()
    try:
        auth.verify_password(row.password_hash if row else auth.DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return row.id if row else None


def _succeeded(db: Database, user_id: str, username: str, address: str) -> LoginReply:
    with db.session() as session:
        session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == _key("u", username))
            .values(failures=0, next_allowed_at=0.0)
        )
        # Give the address back the attempt claimed for this login.
        session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == _key("a", address), LoginThrottle.failures > 0)
            .values(failures=LoginThrottle.failures - 1)
        )
        user = session.get(User, user_id)
        assert user is not None
        return auth.grant(session, user)


def check(db: Database, username: str, password: str, address: str = "") -> LoginReply:
    """Claim, check, grant; a wrong name or password raises :class:`auth.AuthError` at once."""
    _claim_attempt(db, username, address)
    user_id = _password_ok(db, username, password)
    if user_id is None:
        _failed(db, username, address)
        raise auth.AuthError("wrong user name or password")
    return _succeeded(db, user_id, username, address)


def login(db: Database, username: str, password: str, address: str = "") -> LoginReply:
    """:func:`check` with the pause after a failure (for callers without an event loop)."""
    try:
        return check(db, username, password, address)
    except auth.AuthError:
        time.sleep(FAILED_LOGIN_DELAY_S)
        raise


def _setting(name: str, default: int) -> int:
    try:
        value = int(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


class LoginGate:
    """Bounds the sign-ins in progress in this server process (see the module's notes)."""

    def __init__(self, hashing: int | None = None, waiting: int | None = None) -> None:
        self.hashing = hashing or _setting(ENV_CONCURRENCY, 4)
        self.waiting = waiting if waiting is not None else _setting(ENV_QUEUE, 8 * self.hashing)
        self._limiter: anyio.CapacityLimiter | None = None
        self._admitted = 0  # touched only on the event loop's thread

    async def login(self, db: Database, username: str, password: str, address: str) -> LoginReply:
        if self._admitted >= self.hashing + self.waiting:
            raise Busy(
                f"the server is busy signing people in; try again in {BUSY_RETRY_S} s",
                BUSY_RETRY_S,
            )
        if self._limiter is None:  # made on the event loop it belongs to
            self._limiter = anyio.CapacityLimiter(self.hashing)
        self._admitted += 1
        try:
            work = functools.partial(check, db, username, password, address)
            return await anyio.to_thread.run_sync(work, limiter=self._limiter)
        except auth.AuthError:
            await anyio.sleep(FAILED_LOGIN_DELAY_S)
            raise
        finally:
            self._admitted -= 1
