"""``fieldapp-server`` as an admin runs it: one clear line for every mistake, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from fieldapp.server.cli_errors import EXIT_BUG, guarded

DATA = Path(__file__).parent.parent / "data" / "csv"
EXE = Path(sys.executable).parent / "fieldapp-server"
SQUARE = [[6.9, 50.9], [7.0, 50.9], [7.0, 51.0], [6.9, 51.0], [6.9, 50.9]]

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def server_cli(tmp_path: Path) -> Run:
    url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
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


def one_line_error(done: subprocess.CompletedProcess[str], message: str) -> None:
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("fieldapp-server: ")
    assert message in done.stderr, done.stderr


def test_operator_mistakes_are_one_line_each(server_cli: Run, tmp_path: Path) -> None:
    one_line_error(
        server_cli("user", "add", "boss", "--role", "admin", "--password-stdin", stdin=""),
        "no password on standard input",
    )
    one_line_error(
        server_cli("user", "add", "boss", "--role", "admin"),
        "no terminal to ask for the password; pipe it in with --password-stdin",
    )
    assert server_cli("user", "add", "ann", "--role", "rep", "--password-stdin",
                      stdin="long enough\n").returncode == 0  # fmt: skip
    bad_json = tmp_path / "bad.geojson"
    bad_json.write_text('{"type": "Polygon", "coordinates": [[[6.9, 50.9],', encoding="utf-8")
    one_line_error(
        server_cli("territory", "add", "North", "--polygon", str(bad_json)),
        f"{bad_json}: not valid JSON (line 1, column 50)",
    )
    point = tmp_path / "point.geojson"
    point.write_text(json.dumps({"type": "Point", "coordinates": [7, 50]}), encoding="utf-8")
    one_line_error(
        server_cli("territory", "add", "North", "--polygon", str(point)),
        "a Point, not a Polygon or MultiPolygon",
    )
    latin = tmp_path / "latin.geojson"
    latin.write_bytes('{"type": "Polygon", "name": "Köln"}'.encode("latin-1"))
    one_line_error(
        server_cli("territory", "add", "North", "--polygon", str(latin)), "is not UTF-8 text"
    )
    one_line_error(
        server_cli("territory", "add", "North", "--polygon", str(tmp_path / "none.geojson")),
        "no such file:",
    )
    good = tmp_path / "north.geojson"
    good.write_text(json.dumps({"type": "Polygon", "coordinates": [SQUARE]}), encoding="utf-8")
    assert server_cli("territory", "add", "North", "--polygon", str(good)).returncode == 0
    one_line_error(
        server_cli("territory", "add", "North", "--postcodes", "N1"),
        "there is already a territory named North",
    )
    one_line_error(
        server_cli("territory", "assign", "South", "--rep", "ann"), "no territory named South"
    )
    one_line_error(
        server_cli("territory", "assign", "North", "--rep", "ghost"), "no user named ghost"
    )
    one_line_error(server_cli("accounts", "import", str(tmp_path / "missing.csv")), "no such file:")
    one_line_error(
        server_cli("accounts", "import", str(DATA / "hubspot_companies_cp1252.csv"),
                   "--encoding", "utf-8"),
        "the file is not valid utf-8 (byte 99); leave out --encoding to detect it",
    )  # fmt: skip
    one_line_error(server_cli("accounts", "import", str(good)), "no column holds the account name")


def test_importing_a_file_twice_says_what_matched(server_cli: Run) -> None:
    first = server_cli("accounts", "import", str(DATA / "salesforce_accounts.csv"))
    assert first.returncode == 0, first.stderr
    assert "imported 6 new accounts" in first.stdout
    again = server_cli("accounts", "import", str(DATA / "salesforce_accounts.csv"))
    assert again.returncode == 0 and again.stderr == ""
    assert (
        "imported 0 new accounts; 6 matched existing accounts (6 by source id): "
        "0 updated, 6 already up to date"
    ) in again.stdout
    report = json.loads(
        server_cli("accounts", "import", str(DATA / "salesforce_accounts.csv"), "--json").stdout
    )
    assert report["matched"]["source id"] == 6


def test_unknown_values_suggest_the_flag_and_the_flag_works(
    server_cli: Run, tmp_path: Path
) -> None:
    path = tmp_path / "other.csv"
    path.write_text("Account Name,Type\nAcme,Other\n", encoding="utf-8")
    refused = server_cli("accounts", "import", str(path))
    assert refused.returncode == 1 and refused.stderr == ""
    assert "add --map-value Type:Other=prospect (or customer, partner)" in refused.stdout
    done = server_cli("accounts", "import", str(path), "--map-value", "Type:Other=partner")
    assert done.returncode == 0 and "imported 1 new account" in done.stdout


def test_a_database_that_cannot_be_opened_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "xdg")}
    for url, message in (
        ("nonsense://", "not a database URL"),
        (f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.sqlite3'}", "cannot be reached or opened"),
    ):
        done = subprocess.run(
            [str(EXE), "--database-url", url, "user", "list"],
            capture_output=True, text=True, env=env, timeout=120,
        )  # fmt: skip
        one_line_error(done, message)


def test_a_bug_goes_to_the_log_with_exit_70(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "fieldapp-server.log"

    def broken() -> int:
        return {}["missing"]  # type: ignore[no-any-return]

    assert guarded(broken, log) == EXIT_BUG
    err = capsys.readouterr().err
    assert err == f"fieldapp-server: internal error (a bug); details were written to {log}\n"
    assert "KeyError: 'missing'" in log.read_text(encoding="utf-8")


def test_rules_run_flags_and_says_how_many(server_cli: Run) -> None:
    done = server_cli("rules", "run", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "dry run, nothing changed: would have flagged 0 accounts\n"
    done = server_cli("rules", "run")
    assert done.returncode == 0 and done.stdout == "flagged 0 accounts\n"
