"""Passwords, tokens, logout, throttling."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from fieldapp.server import admin, auth
from fieldapp.server.db import Database, ServerError
from fieldapp.server.models import Token, User
from tests.syncutil import PASSWORD


def test_login_gives_a_token_stored_only_hashed(db: Database) -> None:
    admin.add_user(db, "alice", PASSWORD, "rep")
    reply = auth.login(db, "alice", PASSWORD)
    with db.session() as s:
        [stored] = s.query(Token).all()
        assert stored.token_hash == auth.hash_token(reply.token) != reply.token
        user = s.query(User).one()
        assert user.password_hash.startswith("$argon2")
        who = auth.authenticate(s, reply.token)
    assert (who.username, who.role) == ("alice", "rep")


def test_wrong_password_and_unknown_user_look_the_same(db: Database) -> None:
    admin.add_user(db, "alice", PASSWORD, "rep")
    with pytest.raises(auth.AuthError, match="wrong user name or password"):
        auth.login(db, "alice", "nope")
    with pytest.raises(auth.AuthError, match="wrong user name or password"):
        auth.login(db, "mallory", "nope")


def test_failed_logins_are_slowed_down(db: Database) -> None:
    admin.add_user(db, "alice", PASSWORD, "rep")
    start = time.monotonic()
    for _ in range(auth.FREE_FAILURES):
        with pytest.raises(auth.AuthError):
            auth.login(db, "alice", "wrong")
    assert time.monotonic() - start >= auth.FREE_FAILURES * auth.FAILED_LOGIN_DELAY_S
    with pytest.raises(auth.ThrottledError, match="too many failed logins"):
        auth.login(db, "alice", PASSWORD)  # even the right password must wait
    time.sleep(auth.wait_needed(auth.FREE_FAILURES) + 0.05)
    assert auth.login(db, "alice", PASSWORD).token


def test_logout_revokes_and_expired_tokens_are_refused(db: Database) -> None:
    admin.add_user(db, "alice", PASSWORD, "rep")
    first = auth.login(db, "alice", PASSWORD).token
    second = auth.login(db, "alice", PASSWORD).token
    with db.session() as s:
        auth.logout(s, first)
    with db.session() as s, pytest.raises(auth.AuthError, match="signed out"):
        auth.authenticate(s, first)
    with db.session() as s:
        tok = s.get(Token, auth.hash_token(second))
        assert tok is not None
        tok.expires_at = auth.utcnow() - timedelta(seconds=1)
    with db.session() as s, pytest.raises(auth.AuthError, match="expired"):
        auth.authenticate(s, second)
    with db.session() as s, pytest.raises(auth.AuthError, match="sign in"):
        auth.authenticate(s, None)


def test_user_admin_errors_are_sentences(db: Database) -> None:
    admin.add_user(db, "mgr", PASSWORD, "manager")
    admin.add_user(db, "alice", PASSWORD, "rep", "mgr")
    with pytest.raises(ServerError, match="already a user named alice"):
        admin.add_user(db, "alice", PASSWORD, "rep")
    with pytest.raises(ServerError, match="no user named ghost"):
        admin.add_user(db, "bob", PASSWORD, "rep", "ghost")
    with pytest.raises(ServerError, match="at least 8"):
        admin.add_user(db, "carol", "short", "rep")
    assert [u["manager"] for u in admin.list_users(db)] == ["mgr", None]
