"""``fieldapp admin …`` and ``fieldapp password`` against a real server; replicas converge."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from fieldapp.cli.main import main as fieldapp_main
from fieldapp.sync.transport import Transport
from tests.sync.conftest import World
from tests.sync.test_sync_flow import create, ids_of, setup_two_territories
from tests.syncutil import PASSWORD

NEW_PASSWORD = "battery staple"


class Cli:
    def __init__(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp: Path
    ) -> None:
        self.capsys, self.monkeypatch, self.tmp = capsys, monkeypatch, tmp

    def __call__(self, who: str, *args: str, stdin: str = "") -> tuple[int, str, str]:
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = fieldapp_main(["--data-dir", str(self.tmp / f"cli-{who}"), *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, who: str, *args: str, stdin: str = "") -> Any:
        code, out, err = self(who, *args, "--json", stdin=stdin)
        assert code == 0, err
        return json.loads(out)

    def login(self, world: World, who: str, password: str = PASSWORD) -> None:
        code, _, err = self(
            who, "login", "--server", world.server.base, "--user", who, "--password-stdin",
            stdin=password + "\n",
        )  # fmt: skip
        assert code == 0, err


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Cli:
    return Cli(capsys, monkeypatch, tmp_path)


def test_admin_commands_reassign_and_roll_back_and_replicas_converge(
    world: World, cli: Cli
) -> None:
    t = setup_two_territories(world)
    boss, boss_sync = world.client("boss")
    north = [create(boss, "accounts", name=f"N{i}", territory_id=t["north"]) for i in range(4)]
    south = [create(boss, "accounts", name=f"S{i}", territory_id=t["south"]) for i in range(2)]
    contact = create(boss, "contacts", account_id=north[0], last_name="Berg")
    boss_sync.sync()
    alice, alice_sync = world.client("alice")
    bob, bob_sync = world.client("bob")
    alice_sync.sync()
    bob_sync.sync()
    assert ids_of(alice, "accounts") == set(north) and ids_of(bob, "accounts") == set(south)
    cli.login(world, "boss")

    preview = cli.json("boss", "admin", "assign", "--territory", "South",
                       "--accounts", *north[:2], "--preview")  # fmt: skip
    assert {a["id"] for a in preview["accounts_moving"]} == set(north[:2])
    assert {r["rep"]: (r["gained"], r["lost"]) for r in preview["per_rep"]} == {
        "alice": (0, 2),
        "bob": (2, 0),
    }
    code, out, _ = cli("boss", "admin", "apply", str(preview["version"]))
    assert code == 0 and "2 accounts change hands" in out
    alice_sync.sync()
    bob_sync.sync()
    assert ids_of(alice, "accounts") == set(north[2:])
    assert ids_of(bob, "accounts") == set(south) | set(north[:2])
    assert contact in ids_of(bob, "contacts") and contact not in ids_of(alice, "contacts")

    # The whole of North to Bob as well, applied at once; then back to version 1.
    applied = cli.json("boss", "admin", "assign", "--territory", "North", "--rep", "bob", "--apply")
    assert applied["state"] == "applied" and applied["moving_count"] == 2
    alice_sync.sync()
    bob_sync.sync()
    assert ids_of(alice, "accounts") == set()
    assert ids_of(bob, "accounts") == set(north) | set(south)
    listed = cli.json("boss", "admin", "proposals")
    assert [(p["version"], p["state"]) for p in listed] == [(2, "applied"), (1, "applied")]

    cli.json("boss", "admin", "rollback", str(preview["version"]))
    alice_sync.sync()
    bob_sync.sync()
    assert ids_of(alice, "accounts") == set(north[2:])
    assert ids_of(bob, "accounts") == set(south) | set(north[:2])
    code, out, _ = cli("boss", "admin", "rollback", "0")
    assert code == 0 and "rollback to version 0" in out
    alice_sync.sync()
    bob_sync.sync()
    assert ids_of(alice, "accounts") == set(north) and contact in ids_of(alice, "contacts")
    assert ids_of(bob, "accounts") == set(south)


def test_admin_manages_users_and_territories_and_others_are_told_no(world: World, cli: Cli) -> None:
    setup_two_territories(world)
    cli.login(world, "boss")
    reply = cli.json("boss", "admin", "users", "add", "dan", "--role", "rep",
                     "--manager", "mgr", "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    assert reply["username"] == "dan"
    cli.json("boss", "admin", "users", "role", "dan", "--role", "manager", "--no-manager")
    code, out, _ = cli("boss", "admin", "users", "deactivate", "alice", "--dry-run")
    assert code == 0 and out.startswith("dry run, nothing changed")
    cli.json("boss", "admin", "users", "deactivate", "bob")
    users = {u["username"]: u for u in cli.json("boss", "admin", "users", "list")}
    assert (users["dan"]["role"], users["dan"]["manager"]) == ("manager", None)
    assert (users["alice"]["active"], users["bob"]["active"]) == (True, False)
    cli.json("boss", "admin", "users", "reset-password", "alice", "--password-stdin",
             stdin=NEW_PASSWORD + "\n")  # fmt: skip

    cli.json("boss", "admin", "territories", "create", "West", "--postcodes", "W1", "W2")
    cli.json("boss", "admin", "territories", "rename", "West", "Westside")
    done = cli.json("boss", "admin", "territories", "set-reps", "Westside", "alice", "dan")
    assert done["reps_changes"][0]["after"] == ["alice", "dan"]
    code, out, _ = cli("boss", "admin", "territories", "list")
    assert code == 0 and "Westside" in out and "alice, dan" in out
    code, _, err = cli("boss", "admin", "territories", "delete", "Westside")
    assert code == 1 and "pass --yes" in err  # no terminal to confirm on
    cli.json("boss", "admin", "territories", "delete", "Westside", "--yes")
    names = [t["name"] for t in cli.json("boss", "admin", "territories", "list")]
    assert names == ["North", "South"]
    code, _, err = cli("boss", "admin", "territories", "rename", "Nowhere", "X")
    assert code == 1 and "no territory named Nowhere" in err and "Traceback" not in err
    audit = cli.json("boss", "admin", "audit", "--limit", "200")
    assert {"user.add", "user.deactivate", "territory.delete"} <= {e["action"] for e in audit}

    cli.login(world, "mgr")
    code, _, err = cli("mgr", "admin", "users", "list")
    assert code == 1
    assert err == (
        "fieldapp: only an admin can manage users; you are signed in as mgr, who is not an admin\n"
    )
    code, _, err = cli("mgr", "admin", "assign", "--territory", "North", "--rep", "mgr", "--apply")
    assert code == 1 and "only an admin can reassign territories" in err


def test_changing_ones_own_password(world: World, cli: Cli) -> None:
    world.user("alice")
    cli.login(world, "alice")
    code, _, err = cli(
        "alice", "password", "--password-stdin", stdin=f"wrong guess\n{NEW_PASSWORD}\n"
    )
    assert code == 1 and "current password is wrong" in err
    code, _, err = cli("alice", "password", "--password-stdin", stdin="x\nshort\n")
    assert code == 1 and "at least 8 characters" in err
    code, out, err = cli(
        "alice", "password", "--password-stdin", stdin=f"{PASSWORD}\n{NEW_PASSWORD}\n"
    )
    assert code == 0, err
    assert "your other sign-ins have ended" in out
    transport = Transport(world.server.base)
    try:
        assert transport.login("alice", NEW_PASSWORD).user.username == "alice"
    finally:
        transport.close()
    code, out, err = cli("alice", "sync")
    assert code == 0, err  # this sign-in goes on
