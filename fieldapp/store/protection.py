"""What protects a data dir at rest, found without changing anything (``fieldapp doctor``).

Opening a data dir (``store/db.py``) encrypts, creates and tightens; this only
looks: the replica file's first bytes, whether the keyring holds its key and the
key opens it, the keyring backend, the permissions of the folder and its files.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fieldapp.store import encryption, private
from fieldapp.store.db import DB_FILENAME
from fieldapp.store.encryption import FileState
from fieldapp.store.secrets import KeyringStatus, KeyringUnavailable, keyring_status


@dataclass(frozen=True)
class ReplicaReport:
    state: FileState  # "new" (no replica yet), "plain" or "encrypted"
    key_in_keyring: bool | None = None  # for an encrypted file
    opens: bool | None = None  # the file can be read (with its key, if encrypted)
    cipher: str | None = None  # e.g. "SQLCipher 4.19.0 community, AES-256-CBC, HMAC_SHA256"
    key_problem: str | None = None  # the keyring could not be asked for the key

    @property
    def encrypted(self) -> bool:
        return self.state == "encrypted" and bool(self.opens)


@dataclass(frozen=True)
class DataDirReport:
    data_dir: Path
    keyring: KeyringStatus
    replica: ReplicaReport
    modes: list[private.Mode] = field(default_factory=list)  # empty: no data dir yet
    # (server, user name) the replica syncs as, when it can be read and is signed in.
    account: tuple[str, str] | None = None

    @property
    def problems(self) -> list[str]:
        """What leaves the data less protected than it should be, one phrase each."""
        found = []
        replica = self.replica
        if replica.state == "plain":
            found.append(
                "the replica is not encrypted: there is no secure keyring to keep its key"
                if not self.keyring.secure
                else "the replica is not encrypted yet: fieldapp encrypts it the next time "
                "it opens the data dir while no other program has it open"
            )
        elif replica.key_problem:
            found.append(f"the replica cannot be opened now: {replica.key_problem}")
        elif replica.state == "encrypted" and not replica.key_in_keyring:
            found.append(
                "the replica cannot be opened: it is damaged, or its key is not in the keyring"
            )
        elif replica.state == "encrypted" and not replica.opens:
            found.append(
                "the replica cannot be opened: it is damaged, or its key in the keyring is wrong"
            )
        if not self.keyring.secure:
            found.append(
                f"{self.keyring.problem}: fieldapp keeps secrets in memory for one run only "
                "(a sign-in lasts for one command or app session)"
            )
        for mode in self.modes:
            if not mode.private:
                what = "data dir" if mode.path == self.data_dir else mode.path.name
                found.append(
                    f"{what} is {mode.mode:04o}, open to other users "
                    "(fieldapp tightens it when it next opens the data dir)"
                )
        return found


def _cipher(con: Any) -> str:
    values = [
        con.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("cipher_version", "cipher", "cipher_hmac_algorithm")
    ]
    return f"SQLCipher {values[0]}, {values[1]}, {values[2]}"


def _read(
    db_path: Path, key: encryption.ReplicaKey | None
) -> tuple[bool, str | None, tuple[str, str] | None]:
    """Whether the file opens, its cipher, and the account in its sync state."""
    try:
        con = encryption.connect(db_path, key, timeout=1)
    except encryption.Error:
        return False, None, None
    with contextlib.closing(con):
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except encryption.Error:
            return False, None, None
        cipher = _cipher(con) if key is not None else None
        try:
            state = dict(
                con.execute(
                    "SELECT key, value FROM sync_state WHERE key IN ('server', 'username')"
                ).fetchall()
            )
        except encryption.Error:  # a replica from before sync (no sync_state), or locked
            state = {}
    account = (state["server"], state["username"]) if len(state) == 2 else None
    return True, cipher, account


def inspect(data_dir: Path) -> DataDirReport:
    """Look at ``data_dir`` and report what protects it; changes nothing."""
    status = keyring_status()
    db_path = data_dir / DB_FILENAME
    if not data_dir.is_dir():
        return DataDirReport(data_dir, status, ReplicaReport("new"))
    modes = private.modes(data_dir)
    state = encryption.file_state(db_path)
    if state == "new":
        return DataDirReport(data_dir, status, ReplicaReport("new"), modes)
    try:
        key = encryption.stored_key(db_path) if state == "encrypted" else None
    except KeyringUnavailable as exc:
        report = ReplicaReport(state, None, False, key_problem=str(exc))
        return DataDirReport(data_dir, status, report, modes)
    if state == "encrypted" and key is None:
        return DataDirReport(data_dir, status, ReplicaReport(state, False, False), modes)
    opens, cipher, account = _read(db_path, key)
    replica = ReplicaReport(state, key is not None if state == "encrypted" else None, opens, cipher)
    return DataDirReport(data_dir, status, replica, modes, account)
