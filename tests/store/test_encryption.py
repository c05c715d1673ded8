"""The replica is encrypted at rest; a wrong or missing key or a damaged file is refused."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import keyring
import keyring.errors
import pytest
from keyring.backends import fail

from fieldapp.errors import DataDirError
from fieldapp.store import encryption, search, services
from fieldapp.store.db import DB_FILENAME, Replica, open_replica
from fieldapp.store.encryption import KEY_SERVICE, ReplicaKey
from tests.testkeyring import MemoryKeyring


def plain_sqlite_can_read(db: Path) -> bool:
    try:
        with closing(sqlite3.connect(db)) as con:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError:
        return False
    return True


def outbox(db: Path) -> list[tuple[Any, ...]]:
    with closing(encryption.connect_file(db)) as con:
        return con.execute("SELECT * FROM outbox ORDER BY seq").fetchall()


def fill(replica: Replica, n: int = 300) -> list[str]:
    with replica.session() as s:
        ids = services.bulk_create(
            s, "accounts", [{"name": f"Firma {i}", "city": "Köln"} for i in range(n)]
        )
        ids.append(services.create(s, "accounts", {"name": "Café Müller", "city": "Bonn"}))
        services.update(s, "accounts", ids[0], {"city": "Aachen"})
    return ids


def test_a_new_replica_is_encrypted_and_reopens_with_its_key(
    data_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    replica = open_replica(data_dir)
    assert replica.protection.encrypted and replica.protection.warning is None
    ids = fill(replica)
    replica.close()
    db = data_dir / DB_FILENAME
    head = db.read_bytes()[:16]
    assert head != b"SQLite format 3\x00"
    assert not plain_sqlite_can_read(db)
    # The key is in the keyring under the salt the file starts with.
    assert memory_keyring.get_password(KEY_SERVICE, head.hex()) is not None
    again = open_replica(data_dir)
    with again.read_session() as s:
        assert services.count(s, "accounts") == len(ids)
        assert search.search_ids(s, "accounts", "cafe") == [ids[-1]]
        assert services.get(s, "accounts", ids[0])["city"] == "Aachen"
    with again.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA cipher_version").scalar()
        assert conn.exec_driver_sql("PRAGMA cipher_hmac_algorithm").scalar() == "HMAC_SHA256"
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    again.close()
    # The settings are the file's: with SQLCipher's defaults the right key fails too.
    key = encryption.stored_key(db)
    assert key is not None
    with closing(encryption.sqlcipher.connect(str(db))) as con:
        con.execute(f'PRAGMA key = "{key.pragma}"')
        with pytest.raises(encryption.Error, match="not a database"):
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()


def test_the_wal_is_encrypted_too(data_dir: Path) -> None:
    replica = open_replica(data_dir)
    with replica.session() as s:
        services.create(s, "accounts", {"name": "Geheimnis Handels GmbH"})
    wal = data_dir / f"{DB_FILENAME}-wal"
    assert wal.stat().st_size > 0
    assert b"Geheimnis" not in wal.read_bytes()
    assert b"Geheimnis" not in (data_dir / DB_FILENAME).read_bytes()
    replica.close()


def test_a_wrong_key_is_refused_and_the_file_left_alone(
    data_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    replica = open_replica(data_dir)
    fill(replica)
    replica.close()  # a clean close: everything in the main file, the WAL gone
    db = data_dir / DB_FILENAME
    salt = db.read_bytes()[:16].hex()
    memory_keyring.set_password(KEY_SERVICE, salt, ReplicaKey.new().key)
    before = db.read_bytes()
    with pytest.raises(DataDirError, match="key the keyring holds for it is wrong") as err:
        open_replica(data_dir)
    assert str(db) in str(err.value) and "nothing was changed" in str(err.value)
    assert db.read_bytes() == before


def test_a_key_missing_from_the_keyring_is_refused(
    data_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    open_replica(data_dir).close()
    db = data_dir / DB_FILENAME
    memory_keyring.delete_password(KEY_SERVICE, db.read_bytes()[:16].hex())
    before = db.read_bytes()
    with pytest.raises(DataDirError, match="does not hold") as err:
        open_replica(data_dir)
    assert "another user account or computer" in str(err.value)
    assert db.read_bytes() == before


def test_an_encrypted_replica_without_a_usable_keyring_says_so(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_replica(data_dir).close()
    before = (data_dir / DB_FILENAME).read_bytes()
    monkeypatch.setattr(keyring, "get_keyring", fail.Keyring)
    with pytest.raises(DataDirError, match="keyring, which fieldapp cannot use now"):
        open_replica(data_dir)
    assert (data_dir / DB_FILENAME).read_bytes() == before


def test_a_damaged_encrypted_file_is_refused_and_kept(data_dir: Path) -> None:
    replica = open_replica(data_dir)
    fill(replica)
    replica.close()  # a clean close: everything in the main file, the WAL gone
    db = data_dir / DB_FILENAME
    damaged = bytearray(db.read_bytes())
    damaged[100:200] = bytes(100)  # page 1, past the salt: its HMAC no longer matches
    db.write_bytes(bytes(damaged))
    with pytest.raises(DataDirError, match="damaged"):
        open_replica(data_dir)
    assert db.read_bytes() == bytes(damaged)


def test_without_a_secure_keyring_a_new_replica_stays_plain_then_is_encrypted_in_place(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as m:
        m.setattr(keyring, "get_keyring", fail.Keyring)
        replica = open_replica(data_dir)
        warning = replica.protection.warning
        assert warning is not None and "not encrypted" in warning
        assert "no keyring backend" in warning and "fieldapp doctor" in warning
        ids = fill(replica)
        replica.close()
    db = data_dir / DB_FILENAME
    assert encryption.file_state(db) == "plain" and plain_sqlite_can_read(db)
    entries = outbox(db)
    # The next start with a keyring encrypts it in place; nothing is lost.
    replica = open_replica(data_dir)
    assert replica.protection.encrypted
    assert encryption.file_state(db) == "encrypted" and not plain_sqlite_can_read(db)
    assert outbox(db) == entries
    with replica.read_session() as s:
        assert {r["id"] for r in services.list_records(s, "accounts", limit=None)} == set(ids)
        assert search.search_ids(s, "accounts", "müller") == [ids[-1]]
    replica.close()
    assert not (data_dir / f"{DB_FILENAME}{encryption.ENCRYPTING_SUFFIX}").exists()


def test_encrypting_in_place_keeps_every_row_and_the_outbox(data_dir: Path) -> None:
    replica = open_replica(data_dir, encrypt=False)
    assert not replica.protection.encrypted
    ids = fill(replica, 2000)
    with replica.session() as s:
        services.delete(s, "accounts", ids[1])
        services.create(s, "contacts", {"account_id": ids[2], "last_name": "Novak"})
    replica.close()
    db = data_dir / DB_FILENAME
    with closing(sqlite3.connect(db)) as con:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    assert len(rows["outbox"]) == 2000 + 4
    replica = open_replica(data_dir)
    assert replica.protection.encrypted
    replica.close()
    with closing(encryption.connect_file(db)) as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        for table in tables:
            assert (
                sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr) == rows[table]
            ), table
        con.execute("INSERT INTO accounts_fts(accounts_fts) VALUES ('integrity-check')")


def test_a_plain_replica_open_elsewhere_is_encrypted_later(data_dir: Path) -> None:
    first = open_replica(data_dir, encrypt=False)
    with first.read_session() as s:  # a pooled connection keeps the file open
        services.count(s, "accounts")
    second = open_replica(data_dir)
    assert not second.protection.encrypted
    assert "another program has it open" in str(second.protection.warning)
    second.close()
    first.close()
    third = open_replica(data_dir)
    assert third.protection.encrypted
    third.close()


KILLED_ENCRYPTION = """
import sys
from fieldapp.store.db import open_replica
open_replica(sys.argv[1])
print("finished", flush=True)
"""


@pytest.mark.slow
def test_killed_while_encrypting_the_plain_replica_is_intact(data_dir: Path) -> None:
    replica = open_replica(data_dir, encrypt=False)
    ids = fill(replica, 60_000)
    replica.close()
    db = data_dir / DB_FILENAME
    copy = data_dir / f"{DB_FILENAME}{encryption.ENCRYPTING_SUFFIX}"
    entries = outbox(db)
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_ENCRYPTION, str(data_dir)],
        stdout=subprocess.PIPE, text=True, env={**os.environ},
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not copy.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)
    assert copy.exists(), "the encrypted copy was never started"
    time.sleep(0.05)  # into the export
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    assert proc.stdout is not None and proc.stdout.read() == ""
    proc.stdout.close()
    # The swap did not happen: the plain file is there with every row and entry.
    assert encryption.file_state(db) == "plain"
    with closing(sqlite3.connect(db)) as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("SELECT count(*) FROM accounts").fetchone() == (len(ids),)
    assert outbox(db) == entries
    # The next start encrypts it, over whatever the killed run left.
    replica = open_replica(data_dir)
    assert replica.protection.encrypted and not copy.exists()
    with replica.read_session() as s:
        assert services.count(s, "accounts") == len(ids)
    replica.close()
    assert outbox(db) == entries


def test_remove_replica_forgets_its_key(data_dir: Path, memory_keyring: MemoryKeyring) -> None:
    open_replica(data_dir).close()
    db = data_dir / DB_FILENAME
    salt = db.read_bytes()[:16].hex()
    encryption.remove_replica(db)
    assert not db.exists() and memory_keyring.get_password(KEY_SERVICE, salt) is None


class LockedKeyring(MemoryKeyring):
    """A keyring that is there but locked (as Secret Service before the user unlocks it)."""

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("the collection is locked")


def test_a_locked_keyring_is_told_apart_from_a_missing_key(data_dir: Path) -> None:
    open_replica(data_dir).close()
    before = (data_dir / DB_FILENAME).read_bytes()
    keyring.set_keyring(LockedKeyring())
    with pytest.raises(DataDirError, match="its key could not be read") as err:
        open_replica(data_dir)
    assert "KeyringLocked" in str(err.value) and "Unlock the keyring" in str(err.value)
    assert (data_dir / DB_FILENAME).read_bytes() == before
