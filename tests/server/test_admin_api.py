"""The admin HTTP API against the real server process: every endpoint × every role."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from fieldapp.server import admin, audit, proposals, sync
from fieldapp.server.db import Database
from fieldapp.sync.protocol import (
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    SCHEMA_HEADER,
    SCHEMA_VERSION,
    Mutation,
)
from tests.syncutil import PASSWORD, ServerProcess, database_url

NEW_PASSWORD = "battery staple"
D = {"dry_run": "true"}

# (method, path, body, query): an admin's call succeeds (as a dry run when it changes
# something, so the module's server keeps its state for the next case).
ENDPOINTS: list[tuple[str, str, Any, dict[str, str]]] = [
    ("GET", "/admin/users", None, {}),
    ("POST", "/admin/users", {"username": "newbie", "password": PASSWORD, "role": "rep"}, D),
    ("PATCH", "/admin/users/alice", {"manager": "mgr"}, D),
    ("POST", "/admin/users/alice/password", {"password": NEW_PASSWORD}, D),
    ("POST", "/admin/users/alice/deactivate", None, D),
    ("POST", "/admin/users/gone/activate", None, D),
    ("DELETE", "/admin/users/bob", None, {**D, "reassign_to": "alice"}),
    ("GET", "/admin/territories", None, {}),
    ("POST", "/admin/territories", {"name": "West", "postcodes": ["W"]}, D),
    ("PATCH", "/admin/territories/North", {"name": "Nord", "regions": ["NRW"]}, D),
    ("DELETE", "/admin/territories/Empty", None, D),
    ("PUT", "/admin/territories/North/reps", {"reps": ["alice", "bob"]}, D),
    ("GET", "/admin/proposals", None, {}),
    ("POST", "/admin/proposals", {"territory": "North", "reps": ["bob"]}, D),
    ("GET", "/admin/proposals/2/diff", None, {}),
    ("POST", "/admin/proposals/2/apply", None, D),
    ("POST", "/admin/rollback", {"version": 0}, D),
    ("GET", "/admin/audit", None, {}),
]
ROLES = {"admin": 200, "manager": 403, "rep": 403, "deactivated": 401, "no token": 401}


@dataclass
class Served:
    base: str
    db: Database
    tokens: dict[str, str | None]
    account: str

    def call(
        self, method: str, path: str, who: str, body: Any = None, params: Any = None
    ) -> requests.Response:
        headers = {PROTOCOL_HEADER: str(PROTOCOL_VERSION), SCHEMA_HEADER: str(SCHEMA_VERSION)}
        token = self.tokens[who]
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(
            method, self.base + path, json=body, params=params, headers=headers, timeout=30
        )


def _login(base: str, name: str) -> str:
    reply = requests.post(
        base + "/auth/login", json={"username": name, "password": PASSWORD}, timeout=30
    )
    assert reply.status_code == 200, reply.text
    return str(reply.json()["token"])


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("admin-api")
    with database_url(request.param, tmp) as url:
        db = Database.open(url)
        server = ServerProcess(url)
        try:
            for name, role, boss in (
                ("boss", "admin", None),
                ("mgr", "manager", None),
                ("alice", "rep", "mgr"),
                ("bob", "rep", None),
                ("gone", "rep", None),
            ):
                admin.add_user(db, name, PASSWORD, role, boss)
            north = admin.add_territory(db, "North", None, ["N"])
            admin.add_territory(db, "Empty", None, ["E"])
            admin.assign_territory(db, "North", "alice")
            account = str(uuid.uuid4())
            mutation = Mutation(
                mutation_id=str(uuid.uuid4()),
                entity="accounts",
                row_id=account,
                op="insert",
                changes={"name": [None, "N Ltd"], "territory_id": [None, north]},
            )
            assert sync.push(db, audit.OPERATOR, [mutation])[0].status in ("applied", "merged")
            v1 = proposals.set_reps(db, audit.OPERATOR, "North", ["alice"])  # nothing moves
            v2 = proposals.create(db, audit.OPERATOR, proposals.Request("North", reps=["bob"]))
            assert (v1["version"], v2["version"]) == (1, 2)
            tokens: dict[str, str | None] = {
                "admin": _login(server.base, "boss"),
                "manager": _login(server.base, "mgr"),
                "rep": _login(server.base, "alice"),
                "deactivated": _login(server.base, "gone"),
                "no token": None,
            }
            admin_token = tokens["admin"]
            off = requests.post(
                server.base + "/admin/users/gone/deactivate",
                headers={"Authorization": f"Bearer {admin_token}"},
                timeout=30,
            )
            assert off.status_code == 200, off.text
            yield Served(server.base, db, tokens, account)
        finally:
            server.stop()
            db.close()


@pytest.mark.parametrize(("method", "path", "body", "params"), ENDPOINTS)
def test_every_admin_endpoint_for_every_role(
    served: Served, method: str, path: str, body: Any, params: dict[str, str]
) -> None:
    for role, expected in ROLES.items():
        reply = served.call(method, path, role, body, params)
        got = 200 if reply.ok else reply.status_code
        assert got == expected, (role, reply.status_code, reply.text)
        if role in ("rep", "manager"):
            assert reply.json()["detail"].startswith("only an admin can")


def test_admin_dry_runs_kept_nothing_and_every_call_was_audited(served: Served) -> None:
    names = [u["username"] for u in served.call("GET", "/admin/users", "admin").json()]
    assert "newbie" not in names and "bob" in names
    terr = {t["name"]: t for t in served.call("GET", "/admin/territories", "admin").json()}
    assert set(terr) == {"North", "Empty"} and terr["North"]["reps"] == ["alice"]
    assert served.call("GET", "/admin/proposals/2/diff", "admin").json()["state"] == "proposed"
    trail = audit.entries(served.db, 10_000)
    assert {e.action for e in trail if e.outcome == "dry-run"} >= {
        "user.add", "user.delete", "territory.create", "proposal.apply", "proposal.rollback",
    }  # fmt: skip
    refused = [e for e in trail if e.outcome == "refused"]
    assert {e.actor for e in refused} >= {"alice", "mgr"}


def test_bad_admin_input_is_a_4xx_in_words(served: Served) -> None:
    cases = [
        ("POST", "/admin/users", {"username": "x", "password": "short", "role": "rep"}, 400,
         "at least 8"),
        ("POST", "/admin/users", {"username": "x", "password": PASSWORD, "role": "king"}, 422,
         ""),
        # A name in the path that names nobody: no such resource (404) ...
        ("PATCH", "/admin/users/ghost", {"role": "rep"}, 404, "no user named ghost"),
        ("POST", "/admin/users/ghost/password", {"password": PASSWORD}, 404, "no user named"),
        ("POST", "/admin/users/ghost/deactivate", None, 404, "no user named ghost"),
        ("DELETE", "/admin/users/ghost", None, 404, "no user named ghost"),
        ("DELETE", "/admin/territories/0", None, 404, "no territory named 0"),
        ("PATCH", "/admin/territories/Nowhere", {"name": "Else"}, 404, "no territory named"),
        ("PUT", "/admin/territories/Nowhere/reps", {"reps": ["alice"]}, 404, "no territory"),
        # ... one the body or the query refers to: a bad request (400).
        ("POST", "/admin/proposals", {"territory": "Nowhere", "reps": ["alice"]}, 400,
         "no territory named Nowhere"),
        ("POST", "/admin/users", {"username": "y", "password": PASSWORD, "role": "rep",
                                  "manager": "ghost"}, 400, "no user named ghost"),
        ("DELETE", "/admin/users/alice?reassign_to=ghost&dry_run=true", None, 400,
         "no user named ghost"),
        ("POST", "/admin/territories", {"name": "Bad", "polygon": {"type": "Point"}}, 400,
         "polygon"),
        ("DELETE", "/admin/territories/North", None, 400, "still holds 1 accounts"),
        ("GET", "/admin/proposals/99/diff", None, 404, "no proposal 99"),
        ("GET", f"/admin/proposals/{2**70}/diff", None, 404, ""),
        ("POST", "/admin/rollback", {"version": 2}, 400, "never applied"),
        ("POST", "/admin/proposals", {"territory": "North", "accounts": ["nope"]}, 400,
         "not on the server"),
    ]  # fmt: skip
    for method, path, body, status, words in cases:
        reply = served.call(method, path, "admin", body)
        assert reply.status_code == status, (path, reply.text)
        if words:
            assert words in reply.json()["detail"], reply.text
    trail = audit.entries(served.db, 20)
    assert any(e.outcome == "failed" and e.target == "ghost" for e in trail)


def test_a_deactivated_user_is_refused_on_the_next_request(served: Served) -> None:
    token = _login(served.base, "bob")
    served.tokens["bob"] = token
    pull = {"cursor": 0, "limit": 10, "scope_seq": 0}
    assert served.call("GET", "/sync/pull", "bob", params=pull).status_code == 200
    off = served.call("POST", "/admin/users/bob/deactivate", "admin")
    assert off.status_code == 200 and off.json()["revoked"] == 1
    refused = served.call("GET", "/sync/pull", "bob", params=pull)
    assert refused.status_code == 401
    assert "deactivated" in refused.json()["detail"]
    assert served.call("POST", "/admin/users/bob/activate", "admin").status_code == 200
    assert served.call("GET", "/sync/pull", "bob", params=pull).status_code == 401  # revoked
    served.tokens["bob"] = _login(served.base, "bob")
    assert served.call("GET", "/sync/pull", "bob", params=pull).status_code == 200
