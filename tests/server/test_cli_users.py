"""``fieldapp-server user …`` and ``territory list``, with ``--dry-run`` on every change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fieldapp.server import auth
from fieldapp.server.db import Database
from tests.server.test_cli import Run, one_line_error
from tests.syncutil import PASSWORD

EXE = Path(sys.executable).parent / "fieldapp-server"
NEW_PASSWORD = "battery staple"


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'server.sqlite3'}"


@pytest.fixture
def server_cli(url: str, tmp_path: Path) -> Run:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "xdg")}

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(EXE), "--database-url", url, *args],
            input=stdin,
            stdin=subprocess.DEVNULL if stdin is None else None,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    return run


def _ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout


def _users(server_cli: Run) -> dict[str, dict[str, object]]:
    return {u["username"]: u for u in json.loads(_ok(server_cli("user", "list", "--json")))}


def test_users_are_cut_off_reset_and_deleted_from_the_shell(server_cli: Run, url: str) -> None:
    for name, role in (("boss", "admin"), ("mgr", "manager"), ("alice", "rep"), ("ben", "rep")):
        _ok(server_cli("user", "add", name, "--role", role, "--password-stdin", stdin=PASSWORD))
    db = Database.open(url)
    try:
        token = auth.login(db, "alice", PASSWORD).token
        out = _ok(server_cli("user", "deactivate", "alice", "--dry-run"))
        assert out.startswith("dry run, nothing changed: would have deactivated alice")
        assert _users(server_cli)["alice"]["active"] is True
        out = _ok(server_cli("user", "deactivate", "alice"))
        assert out == "deactivated alice; revoked 1 sessions\n"
        with db.session() as s, pytest.raises(auth.AuthError, match="deactivated"):
            auth.authenticate(s, token)
        _ok(server_cli("user", "activate", "alice"))
        assert _users(server_cli)["alice"]["active"] is True

        _ok(server_cli("user", "password", "alice", "--password-stdin", stdin=NEW_PASSWORD))
        assert auth.login(db, "alice", NEW_PASSWORD).token
        one_line_error(
            server_cli("user", "password", "alice", "--password-stdin", stdin="short"),
            "a password has at least 8 characters",
        )
        _ok(server_cli("user", "role", "alice", "--manager", "mgr"))
        assert _users(server_cli)["alice"]["manager"] == "mgr"
        one_line_error(server_cli("user", "role", "alice"), "say what changes")

        _ok(server_cli("territory", "add", "North", "--postcodes", "N", "--dry-run"))
        assert "no territories" in _ok(server_cli("territory", "list"))
        _ok(server_cli("territory", "add", "North", "--postcodes", "N1", "N2"))
        _ok(server_cli("territory", "assign", "North", "--rep", "alice"))
        [north] = json.loads(_ok(server_cli("territory", "list", "--json")))
        assert (north["name"], north["reps"], north["postcodes"]) == (
            "North",
            ["alice"],
            ["N1", "N2"],
        )
        assert "North" in _ok(server_cli("territory", "list"))

        one_line_error(server_cli("user", "delete", "alice"), "pass --yes")
        one_line_error(server_cli("user", "delete", "alice", "--yes"), "holds 1 territories")
        out = _ok(server_cli("user", "delete", "alice", "--reassign-to", "ben", "--dry-run"))
        assert out.startswith("dry run") and "1 territories" in out
        assert "alice" in _users(server_cli)
        _ok(server_cli("user", "delete", "alice", "--reassign-to", "ben", "--yes"))
        users = _users(server_cli)
        assert "alice" not in users and users["ben"]["territories"] == ["North"]
        one_line_error(server_cli("user", "deactivate", "boss"), "the only active admin")
    finally:
        db.close()
