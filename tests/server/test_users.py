"""Users can be cut off: deactivate, passwords, delete with reassignment, sliding tokens."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from fieldapp.server import admin, audit, auth, sync, users
from fieldapp.server.db import Database, ServerError
from fieldapp.server.models import Assignment, Record, Token, User
from fieldapp.sync.protocol import Mutation
from tests.syncutil import PASSWORD

NEW_PASSWORD = "battery staple"
BOSS = auth.Principal("boss-id", "boss", "admin", None)


def _authenticate(db: Database, token: str) -> auth.Principal:
    with db.session() as s:
        return auth.authenticate(s, token)


def test_deactivating_revokes_every_token_at_once_and_refuses_sign_in(db: Database) -> None:
    admin.add_user(db, "boss", PASSWORD, "admin")
    admin.add_user(db, "alice", PASSWORD, "rep")
    tokens = [auth.login(db, "alice", PASSWORD).token for _ in range(3)]
    assert _authenticate(db, tokens[0]).username == "alice"

    assert users.set_active(db, BOSS, "alice", False) == 3
    for token in tokens:
        with pytest.raises(auth.AuthError, match=r"deactivated|signed out"):
            _authenticate(db, token)
    with pytest.raises(auth.AuthError, match="alice was deactivated; ask an admin"):
        auth.login(db, "alice", PASSWORD)
    with pytest.raises(auth.AuthError, match="wrong user name or password"):
        auth.login(db, "alice", "not her password")  # nothing said without the password
    assert [u.active for u in users.list_users(db) if u.username == "alice"] == [False]

    users.set_active(db, BOSS, "alice", True)
    fresh = auth.login(db, "alice", PASSWORD).token
    assert _authenticate(db, fresh).username == "alice"
    with pytest.raises(auth.AuthError, match="signed out"):
        _authenticate(db, tokens[1])  # revoked tokens stay revoked


def test_the_last_admin_and_oneself_cannot_be_cut_off(db: Database) -> None:
    boss_id = admin.add_user(db, "boss", PASSWORD, "admin")
    me = auth.Principal(boss_id, "boss", "admin", None)
    with pytest.raises(ServerError, match="cannot deactivate yourself"):
        users.set_active(db, me, "boss", False)
    with pytest.raises(ServerError, match="only active admin"):
        users.change_user(db, BOSS, "boss", role="manager")
    with pytest.raises(ServerError, match="no user named ghost"):
        users.set_active(db, BOSS, "ghost", False)


def test_reset_password_signs_the_user_out_everywhere(db: Database) -> None:
    admin.add_user(db, "alice", PASSWORD, "rep")
    token = auth.login(db, "alice", PASSWORD).token
    assert users.reset_password(db, BOSS, "alice", NEW_PASSWORD) == 1
    with pytest.raises(auth.AuthError, match="signed out"):
        _authenticate(db, token)
    with pytest.raises(auth.AuthError):
        auth.login(db, "alice", PASSWORD)
    assert auth.login(db, "alice", NEW_PASSWORD).token
    with pytest.raises(ServerError, match="at least 8"):
        users.reset_password(db, BOSS, "alice", "short")


def test_changing_ones_own_password_keeps_this_sign_in_only(db: Database) -> None:
    admin.add_user(db, "alice", PASSWORD, "rep")
    here = auth.login(db, "alice", PASSWORD).token
    elsewhere = auth.login(db, "alice", PASSWORD).token
    with pytest.raises(auth.AuthError, match="current password is wrong"):
        users.change_own_password(db, here, "guess", NEW_PASSWORD)
    users.change_own_password(db, here, PASSWORD, NEW_PASSWORD)
    assert _authenticate(db, here).username == "alice"
    with pytest.raises(auth.AuthError, match="signed out"):
        _authenticate(db, elsewhere)
    assert auth.login(db, "alice", NEW_PASSWORD).token


def test_tokens_last_fourteen_days_from_their_last_use(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin.add_user(db, "alice", PASSWORD, "rep")
    reply = auth.login(db, "alice", PASSWORD)
    left = datetime.fromisoformat(reply.expires_at) - auth.utcnow()
    assert timedelta(days=13, hours=23) < left <= timedelta(days=14)
    with db.session() as s:
        tok = s.get(Token, auth.hash_token(reply.token))
        assert tok is not None
        tok.expires_at = auth.utcnow() + timedelta(hours=2)  # used last 13 days ago
    _authenticate(db, reply.token)
    with db.session() as s:
        tok = s.get(Token, auth.hash_token(reply.token))
        assert tok is not None
        expires = tok.expires_at
        renewed = (expires if expires.tzinfo else expires.replace(tzinfo=UTC)) - auth.utcnow()
    assert renewed > timedelta(days=13, hours=23)  # renewed on use

    monkeypatch.setenv(auth.ENV_TOKEN_DAYS, "1")
    short = auth.login(db, "alice", PASSWORD)
    left = datetime.fromisoformat(short.expires_at) - auth.utcnow()
    assert timedelta(hours=23) < left <= timedelta(days=1)


def _territory_of(db: Database, name: str) -> str:
    with db.session() as s:
        for rec in s.query(Record).filter(Record.entity == "territories"):
            if json.loads(rec.data)["name"] == name:
                return rec.id
    raise AssertionError(name)


def test_delete_gives_records_territories_and_team_to_someone_else(db: Database) -> None:
    admin.add_user(db, "boss", PASSWORD, "admin")
    admin.add_user(db, "mgr", PASSWORD, "manager")
    admin.add_user(db, "mgr2", PASSWORD, "manager")
    alice = admin.add_user(db, "alice", PASSWORD, "rep", "mgr")
    cleo = admin.add_user(db, "cleo", PASSWORD, "rep", "mgr")
    north = admin.add_territory(db, "North", None, ["N"])
    admin.assign_territory(db, "North", "alice")
    with db.session() as s:
        who = auth.principal(s.get(User, alice))  # type: ignore[arg-type]
    lead = str(uuid.uuid4())
    result = sync.push(
        db,
        who,
        [
            Mutation(
                mutation_id=str(uuid.uuid4()),
                entity="leads",
                row_id=lead,
                op="insert",
                changes={"last_name": [None, "Lee"], "owner_id": [None, alice]},
            )
        ],
    )
    assert result[0].status in ("applied", "merged")

    with pytest.raises(ServerError, match="alice owns 1 records and holds 1 territories"):
        users.delete_user(db, BOSS, "alice")
    dry = users.delete_user(db, BOSS, "alice", "cleo", dry_run=True)
    assert (dry.records_reassigned, dry.territories_moved) == (1, ["North"])
    assert "alice" in [u.username for u in users.list_users(db)]  # a dry run keeps it all

    done = users.delete_user(db, BOSS, "alice", "cleo")
    assert (done.records_reassigned, done.territories_moved) == (1, ["North"])
    with db.session() as s:
        assert s.get(User, alice) is None
        rec = s.get(Record, lead)
        assert rec is not None and rec.owner_id == cleo
        assert json.loads(rec.data)["owner_id"] == cleo
        assert {(a.territory_id, a.user_id) for a in s.query(Assignment)} == {(north, cleo)}
        mirror = s.get(Record, alice)
        assert mirror is not None and mirror.deleted  # the clients learn it is gone
    # A manager's team goes to the heir if they manage, else has no manager.
    done = users.delete_user(db, BOSS, "mgr", "mgr2")
    assert done.team_moved == ["cleo"]
    assert {u.username: u.manager for u in users.list_users(db)}["cleo"] == "mgr2"


def test_every_change_is_audited_and_a_dry_run_changes_nothing(db: Database) -> None:
    admin.add_user(db, "boss", PASSWORD, "admin")
    users.add_user(db, BOSS, "dan", PASSWORD, "rep", dry_run=True)
    assert "dan" not in [u.username for u in users.list_users(db)]
    users.add_user(db, BOSS, "dan", PASSWORD, "rep")
    users.change_user(db, BOSS, "dan", role="manager")
    users.set_active(db, BOSS, "dan", False, dry_run=True)
    assert [u.active for u in users.list_users(db) if u.username == "dan"] == [True]
    trail = [(e.actor, e.action, e.target, e.outcome) for e in audit.entries(db, 4)]
    assert trail == [
        ("boss", "user.deactivate", "dan", "dry-run"),
        ("boss", "user.change", "dan", "ok"),
        ("boss", "user.add", "dan", "ok"),
        ("boss", "user.add", "dan", "dry-run"),
    ]
    with pytest.raises(ServerError, match="alice is a rep; a manager must be"):
        admin.add_user(db, "alice", PASSWORD, "rep")
        users.change_user(db, BOSS, "dan", manager="alice")
