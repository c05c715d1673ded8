"""The two command lines end to end: ``fieldapp-server`` admin commands and the client's
``login`` / ``sync`` / ``conflicts`` / ``logout`` against a real server process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from fieldapp.cli.main import main as fieldapp_main
from fieldapp.store import services
from fieldapp.store.db import open_replica
from tests.syncutil import PASSWORD, MemoryKeyring, ServerProcess


def server_cli(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fieldapp.server.cli", "--database-url", url, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def client(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    data_dir: Path,
    *args: str,
    stdin: str = "",
) -> tuple[int, str, str]:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = fieldapp_main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, ServerProcess]]:
    tmp_path = tmp_path_factory.mktemp("served")
    url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    assert server_cli(url, "init").returncode == 0
    for name, role, extra in (
        ("boss", "admin", []),
        ("mgr", "manager", []),
        ("alice", "rep", ["--manager", "mgr"]),
        ("bob", "rep", []),
    ):
        done = server_cli(
            url, "user", "add", name, "--role", role, *extra, "--password-stdin", stdin=PASSWORD
        )
        assert done.returncode == 0, done.stderr
    polygon = tmp_path / "north.geojson"
    polygon.write_text(
        json.dumps({"type": "Polygon", "coordinates": [[[0, 50], [10, 50], [10, 60], [0, 60]]]})
    )
    assert server_cli(url, "territory", "add", "North", "--polygon", str(polygon)).returncode == 0
    assert server_cli(url, "territory", "add", "South", "--postcodes", "S1", "S2").returncode == 0
    assert server_cli(url, "territory", "assign", "North", "--rep", "alice").returncode == 0
    assert server_cli(url, "territory", "assign", "South", "--rep", "bob").returncode == 0
    csv_file = tmp_path / "accounts.csv"
    csv_file.write_text(
        "name,city,postcode,latitude,longitude\n"
        "Nordwerk,Bremen,28195,53.08,8.80\n"
        "Suedhaus,Sheffield,S1 2AB,,\n"
        "Nowhere Ltd,Oslo,0150,,\n"
    )
    done = server_cli(url, "accounts", "import", str(csv_file))
    assert done.returncode == 0, done.stderr
    assert "imported 3 new accounts" in done.stdout
    assert "1 of the new accounts is in no territory" in done.stdout
    proc = ServerProcess(url)
    yield url, proc
    proc.stop()


def test_server_admin_commands(served: tuple[str, ServerProcess]) -> None:
    url, proc = served
    users = json.loads(server_cli(url, "user", "list", "--json").stdout)
    by_name = {u["username"]: u for u in users}
    assert by_name["alice"]["territories"] == ["North"]
    assert by_name["alice"]["manager"] == "mgr"
    assert by_name["boss"]["role"] == "admin"
    # Errors are one line on stderr, never a traceback.
    done = server_cli(url, "territory", "assign", "Nowhere", "--rep", "alice")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    done = server_cli(url, "user", "add", "alice", "--role", "rep", "--password-stdin", stdin="x")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    # OpenAPI describes the sync endpoints; everything but login needs a token.
    spec = requests.get(proc.base + "/openapi.json", timeout=10).json()
    assert {"/auth/login", "/sync/push", "/sync/pull", "/conflicts"} <= set(spec["paths"])
    assert requests.get(proc.base + "/sync/pull", timeout=10).status_code in (401, 426)
    assert requests.get(proc.base + "/conflicts", timeout=10).status_code == 401


def test_client_login_sync_conflicts_logout(
    served: tuple[str, ServerProcess],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
) -> None:
    _, proc = served
    alice_dir, boss_dir = tmp_path / "alice", tmp_path / "boss"

    code, out, err = client(
        capsys, monkeypatch, alice_dir, "login", "--server", proc.base, "--user", "alice",
        "--password-stdin", stdin="wrong\n",
    )  # fmt: skip
    assert code != 0 and "wrong user name or password" in err and "Traceback" not in err
    code, out, err = client(
        capsys, monkeypatch, alice_dir, "login", "--server", proc.base, "--user", "alice",
        "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert code == 0, err
    assert "signed in" in out
    token = memory_keyring.get_password("fieldapp:" + proc.base, "alice")
    assert token
    assert token.encode() not in (alice_dir / "replica.sqlite3").read_bytes()

    code, out, err = client(capsys, monkeypatch, alice_dir, "sync", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["pulled"] > 0 and report["rejections"] == []
    replica = open_replica(alice_dir)
    with replica.read_session() as s:
        names = {r["name"] for r in services.list_records(s, "accounts", limit=None)}
        [acc] = [r["id"] for r in services.list_records(s, "accounts", limit=None)]
    assert names == {"Nordwerk"}  # fell into North by its polygon

    code, _, err = client(
        capsys, monkeypatch, boss_dir, "login", "--server", proc.base, "--user", "boss",
        "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert code == 0, err
    assert client(capsys, monkeypatch, boss_dir, "sync")[0] == 0
    # The same field edited on both sides: a conflict both can see and either can resolve.
    assert client(capsys, monkeypatch, alice_dir, "accounts", "update", acc, "--set",
                  "city=Hamburg")[0] == 0  # fmt: skip
    assert client(capsys, monkeypatch, boss_dir, "accounts", "update", acc, "--set",
                  "city=Kiel")[0] == 0  # fmt: skip
    assert client(capsys, monkeypatch, boss_dir, "sync")[0] == 0
    code, out, _ = client(capsys, monkeypatch, alice_dir, "sync")
    assert code == 0 and "1 conflict to resolve (fieldapp conflicts list)" in out
    code, out, _ = client(capsys, monkeypatch, alice_dir, "conflicts", "list", "--json")
    [conflict] = json.loads(out)["conflicts"]
    assert (conflict["field"], conflict["mine"], conflict["theirs"]) == ("city", "Hamburg", "Kiel")
    code, out, _ = client(capsys, monkeypatch, alice_dir, "conflicts", "list")
    assert conflict["id"] in out and "Hamburg" in out
    code, out, err = client(
        capsys, monkeypatch, boss_dir, "conflicts", "resolve", conflict["id"], "--keep", "mine"
    )
    assert code == 0, err
    assert client(capsys, monkeypatch, alice_dir, "sync")[0] == 0
    with replica.read_session() as s:
        assert services.get(s, "accounts", acc)["city"] == "Hamburg"
    code, out, _ = client(capsys, monkeypatch, alice_dir, "conflicts", "list", "--json")
    assert json.loads(out)["conflicts"] == []
    replica.close()

    code, out, _ = client(capsys, monkeypatch, alice_dir, "logout")
    assert code == 0 and memory_keyring.get_password("fieldapp:" + proc.base, "alice") is None
    # The token was revoked on the server too.
    resp = requests.get(
        proc.base + "/conflicts", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert resp.status_code == 401
    code, out, err = client(capsys, monkeypatch, alice_dir, "sync")
    assert code != 0 and "sign in" in err and "Traceback" not in err


def without_keyring(data_dir: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``fieldapp --data-dir data_dir …`` in a new process on a machine with no keyring."""
    env = dict(os.environ, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "fieldapp", "--data-dir", str(data_dir), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    return run


def test_login_without_keyring_keeps_the_token_for_this_command_only(
    served: tuple[str, ServerProcess], tmp_path: Path
) -> None:
    _, proc = served
    run = without_keyring(tmp_path / "nokeyring")

    done = run("login", "--server", proc.base, "--user", "bob", "--password-stdin", stdin=PASSWORD)
    assert done.returncode == 0, done.stderr
    assert "no usable keyring backend" in done.stderr
    done = run("sync")
    assert done.returncode != 0 and "sign in first" in done.stderr
    assert "Traceback" not in done.stderr


def territory_id(url: str, name: str) -> str:
    from fieldapp.server.db import Database
    from fieldapp.server.models import Record

    db = Database.open(url)
    try:
        with db.session() as s:
            for rec in s.query(Record).filter(Record.entity == "territories"):
                if json.loads(rec.data)["name"] == name:
                    return rec.id
    finally:
        db.close()
    raise AssertionError(f"no territory {name}")


def test_sync_password_stdin_without_keyring_history_and_refused_commands(
    served: tuple[str, ServerProcess], tmp_path: Path
) -> None:
    url, proc = served
    run = without_keyring(tmp_path / "script")

    done = run("sync", "--password-stdin", stdin="")
    assert done.returncode == 1 and "--server URL --user NAME" in done.stderr
    sync = ("sync", "--password-stdin", "--server", proc.base, "--user", "bob")
    done = run(*sync, stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("token is kept in memory") == 1 and "Traceback" not in done.stderr
    assert "Sent 0 changes, received" in done.stdout
    # Made offline: a customer whose point lies inside North's polygon is North's, and
    # goes there (issue 11 item 3, in words); one bob names North for by hand is refused.
    done = run("accounts", "add", "--name", "Nordkap", "--lat", "55", "--lon", "5")
    assert done.returncode == 0, done.stderr
    north = territory_id(url, "North")
    done = run("accounts", "add", "--name", "Far Away", "--territory-id", north)
    assert done.returncode == 0, done.stderr
    done = run(*sync[:2], stdin=PASSWORD + "\n")  # the server and user are remembered
    assert done.returncode == 0, done.stderr
    assert "1 change refused by the server and kept on this laptop" in done.stdout
    assert (
        "1 account moved to alice's territory (North) and was removed from this laptop: "
        "Nordkap" in done.stdout
    ), done.stdout
    done = run("refused", "list", "--json")
    [refused] = json.loads(done.stdout)
    assert refused["label"] == "Far Away" and "outside your scope" in refused["reason"]
    assert "Far Away" in run("refused", "list").stdout
    done = run("refused", "discard", str(refused["outbox_id"]))
    assert done.returncode == 1 and "--yes" in done.stderr
    done = run("refused", "resend")
    assert done.returncode == 1 and "--all" in done.stderr
    done = run("refused", "discard", str(refused["outbox_id"]), "--yes")
    assert done.returncode == 0 and "deleted from this laptop" in done.stdout
    assert [a["name"] for a in json.loads(run("accounts", "list", "--json").stdout)] == [
        "Suedhaus"  # bob's South account, from the server; the discarded one is gone
    ]
    history = json.loads(run("sync", "--history", "--json").stdout)
    assert [h["ok"] for h in history] == [True, True]
    assert history[0]["counts"]["refused"] == 1 and history[1]["counts"]["refused"] == 0
    assert "refused" in run("sync", "--history").stdout


def test_many_refusals_print_the_first_few_and_how_many_more(
    served: tuple[str, ServerProcess], tmp_path: Path
) -> None:
    # A first sync can be refused thousands of times for one cause; the terminal gets
    # the first ten and a count, `fieldapp refused list` has every one.
    url, proc = served
    run = without_keyring(tmp_path / "many")
    sync = ("sync", "--password-stdin", "--server", proc.base, "--user", "bob")
    assert run(*sync, stdin=PASSWORD + "\n").returncode == 0
    north = territory_id(url, "North")
    for i in range(13):
        done = run("accounts", "add", "--name", f"Far Away {i}", "--territory-id", north)
        assert done.returncode == 0, done.stderr
    done = run(*sync[:2], stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert "13 changes refused by the server and kept on this laptop" in done.stdout
    lines = done.stdout.splitlines()
    assert sum(1 for line in lines if line.startswith("  refused insert of accounts")) == 10
    assert lines[-1] == "  … and 3 more (fieldapp refused list)"
    assert len(json.loads(run("refused", "list", "--json").stdout)) == 13


def test_admin_and_history_commands_sign_in_from_stdin_without_keyring(
    served: tuple[str, ServerProcess], tmp_path: Path
) -> None:
    _, proc = served
    run = without_keyring(tmp_path / "admin-script")

    done = run("sync", "--password-stdin", "--server", proc.base, "--user", "boss", stdin=PASSWORD)
    assert done.returncode == 0, done.stderr
    done = run("admin", "territories", "list")
    assert done.returncode == 1 and "sign in first" in done.stderr  # nothing was kept
    done = run("admin", "--password-stdin", "territories", "list", "--json", stdin=PASSWORD)
    assert done.returncode == 0, done.stderr
    assert {"North", "South"} <= {t["name"] for t in json.loads(done.stdout)}
    # The admin's password first, then the new user's: one line each.
    done = run(
        "admin", "--password-stdin", "users", "add", "carla", "--role", "rep", "--password-stdin",
        stdin=f"{PASSWORD}\nnew user password\n",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    done = run("admin", "--password-stdin", "users", "list", "--json", stdin="wrong password")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    [account] = json.loads(run("accounts", "list", "--json", "--limit", "1").stdout)
    done = run("history", account["id"], "--password-stdin", "--json", stdin=PASSWORD)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["entries"], "the server's trail of a synced account"


def test_server_unreachable_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.syncutil import free_port

    code, _, err = client(
        capsys, monkeypatch, tmp_path / "x", "login", "--server",
        f"http://127.0.0.1:{free_port()}", "--user", "alice", "--password-stdin", stdin="pw\n",
    )  # fmt: skip
    assert code != 0 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and "fieldapp:" in err


def test_a_demo_sandbox_never_signs_in(
    served: tuple[str, ServerProcess],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`fieldapp demo` makes a local sandbox: nothing waits to sync, sign-in is refused."""
    _, proc = served
    sandbox_dir, syncable_dir = tmp_path / "sandbox", tmp_path / "syncable"
    code, out, err = client(capsys, monkeypatch, sandbox_dir, "demo", "--accounts", "20")
    assert code == 0, err
    assert "demo sandbox" in out and "nothing here is sent to a server" in out
    replica = open_replica(sandbox_dir)
    with replica.read_session() as s:
        assert services.count(s, "accounts") == 20
        assert services.pending_outbox(s) == 0
    replica.close()
    for args in (
        ["login", "--server", proc.base, "--user", "alice", "--password-stdin"],
        ["sync"],
    ):
        code, out, err = client(capsys, monkeypatch, sandbox_dir, *args, stdin=PASSWORD + "\n")
        assert code == 1 and "demo sandbox" in err and "fieldapp demo --syncable" in err
        assert "Traceback" not in err and "signed in" not in out
    # Asked for, a demo's records wait in the outbox for the server the user signs in to.
    code, out, err = client(
        capsys, monkeypatch, syncable_dir, "demo", "--accounts", "20", "--syncable"
    )
    assert code == 0 and "demo sandbox" not in out
    replica = open_replica(syncable_dir)
    with replica.read_session() as s:
        assert services.pending_outbox(s) > 20
    replica.close()
    code, out, err = client(
        capsys, monkeypatch, syncable_dir, "login", "--server", proc.base, "--user", "alice",
        "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert code == 0 and "signed in" in out, err
