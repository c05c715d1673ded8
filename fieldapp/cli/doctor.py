"""``fieldapp doctor``: what protects the data in this data dir, and what does not.

Looks without changing anything (``store/protection.py``): whether the replica is
encrypted and why not, the keyring backend and whether it is secure, the data dir's
and its files' permissions, and where the sync token is kept.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fieldapp.store import protection
from fieldapp.store.db import default_data_dir
from fieldapp.store.protection import DataDirReport
from fieldapp.sync.credentials import CREDENTIALS

from .output import print_json

COMMANDS = ("doctor",)
# Caches beside the replica that are not encrypted (their permissions protect them).
CACHES = ("geocode-cache.sqlite3", "tiles.mbtiles")
# What SQLCipher encrypts: the database and its WAL (the wal-index holds no data).
ENCRYPTED_FILES = (protection.DB_FILENAME, f"{protection.DB_FILENAME}-wal")


def add_parsers(sub: Any) -> None:
    doctor = sub.add_parser("doctor", help="show what protects the data at rest")
    doctor.add_argument("--json", action="store_true")


def _token(report: DataDirReport) -> dict[str, Any]:
    if report.account is None:
        return {"signed_in": False, "server": None, "user": None, "kept": None}
    server, user = report.account
    kept = CREDENTIALS.where(server, user)
    return {"signed_in": True, "server": server, "user": user, "kept": kept}


def _replica_text(report: DataDirReport) -> str:
    replica = report.replica
    if replica.state == "new":
        return "none yet (created encrypted when a secure keyring is there)"
    if replica.state == "plain":
        return "NOT encrypted (see below)"
    if replica.key_problem:
        return f"encrypted; its key cannot be read now ({replica.key_problem})"
    if not replica.key_in_keyring:
        return "encrypted, or damaged; its key is NOT in the keyring"
    if not replica.opens:
        return "encrypted, but the keyring's key does not open it (or it is damaged)"
    return f"encrypted ({replica.cipher}); key in the keyring"


def _token_text(token: dict[str, Any], report: DataDirReport) -> str:
    if not token["signed_in"]:
        return "not signed in"
    who = f"{token['user']} at {token['server']}"
    if token["kept"] == "keyring":
        return f"in the keyring ({who})"
    if not report.keyring.secure:
        return f"not kept: each command signs in anew ({who}; no secure keyring)"
    return f"not in the keyring: sign in again with fieldapp login ({who})"


def as_dict(report: DataDirReport) -> dict[str, Any]:
    return {
        "data_dir": str(report.data_dir),
        "protected": not report.problems,
        "replica": {
            "state": report.replica.state,
            "encrypted": report.replica.encrypted,
            "key_in_keyring": report.replica.key_in_keyring,
            "opens": report.replica.opens,
            "cipher": report.replica.cipher,
        },
        "keyring": {
            "backend": report.keyring.backend,
            "secure": report.keyring.secure,
            "problem": report.keyring.problem,
        },
        "token": _token(report),
        "permissions": [
            {
                "path": str(mode.path),
                "mode": f"{mode.mode:04o}",
                "private": mode.private,
                "encrypted": mode.path.name in ENCRYPTED_FILES and report.replica.encrypted,
            }
            for mode in report.modes
        ],
        "problems": report.problems,
    }


def _print(data: dict[str, Any], report: DataDirReport) -> None:
    keyring = data["keyring"]
    rows = [
        ("data dir", data["data_dir"]),
        ("replica", _replica_text(report)),
        (
            "keyring",
            f"{keyring['backend']}: "
            + ("secure" if keyring["secure"] else "not used for secrets (see below)"),
        ),
        ("sync token", _token_text(data["token"], report)),
    ]
    for entry in data["permissions"]:
        name = "(folder)" if entry["path"] == data["data_dir"] else Path(entry["path"]).name
        note = "private" if entry["private"] else "OPEN TO OTHER USERS"
        if Path(entry["path"]).name in CACHES:
            note += ", a cache outside the encryption"
        rows.append(("permissions", f"{entry['mode']} {name} ({note})"))
    rows.append(("verdict", "protected" if data["protected"] else "NOT fully protected"))
    rows += [("problem", problem) for problem in data["problems"]]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


def run(args: argparse.Namespace) -> int:
    report = protection.inspect(Path(args.data_dir or default_data_dir()).absolute())
    data = as_dict(report)
    if args.json:
        print_json(data)
    else:
        _print(data, report)
    return 0
