"""`fieldapp doctor` says what protects the data; commands warn once when it is not encrypted."""

from __future__ import annotations

import json
import os
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from fieldapp.cli.main import main
from fieldapp.store.db import DB_FILENAME, open_replica
from fieldapp.store.encryption import KEY_SERVICE
from fieldapp.sync import state
from fieldapp.sync.credentials import CREDENTIALS
from tests.testkeyring import MemoryKeyring


def run(data_dir: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_doctor_on_an_encrypted_signed_in_replica(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replica = open_replica(data_dir)
    with replica.engine.begin() as conn:
        state.put(conn, "server", "https://crm.example")
        state.put(conn, "username", "alice")
    replica.close()
    assert CREDENTIALS.save("https://crm.example", "alice", "tok")
    code, out, err = run(data_dir, capsys, "doctor", "--json")
    assert code == 0 and err == ""
    report = json.loads(out)
    assert report["protected"] is True and report["problems"] == []
    assert report["replica"]["state"] == "encrypted" and report["replica"]["encrypted"]
    assert report["replica"]["cipher"].startswith("SQLCipher 4")
    assert report["keyring"] == {
        "backend": "tests.testkeyring.MemoryKeyring", "secure": True, "problem": None,
    }  # fmt: skip
    assert report["token"] == {
        "signed_in": True, "server": "https://crm.example", "user": "alice", "kept": "keyring",
    }  # fmt: skip
    files = {Path(p["path"]).name: p for p in report["permissions"]}
    assert files[DB_FILENAME]["mode"] == "0600" and files[DB_FILENAME]["encrypted"]
    assert files[data_dir.name]["mode"] == "0700"
    code, out, _ = run(data_dir, capsys, "doctor")
    lines = dict(line.split(None, 1) for line in out.splitlines() if not line.startswith(" "))
    assert "encrypted (SQLCipher" in out and "key in the keyring" in out
    assert "in the keyring (alice at https://crm.example)" in out
    assert lines["verdict"].strip() == "protected"


def test_doctor_without_a_keyring_names_every_problem(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyring, "get_keyring", fail.Keyring)
    code, _, err = run(data_dir, capsys, "accounts", "add", "--name", "Acme")
    # Every command says once that the replica is not encrypted.
    assert code == 0 and err.count("fieldapp: warning: the replica is not encrypted") == 1
    assert len(err.strip().splitlines()) == 1
    os.chmod(data_dir / DB_FILENAME, 0o644)
    code, out, err = run(data_dir, capsys, "doctor", "--json")
    report = json.loads(out)
    assert code == 0 and err == ""  # doctor reports; it does not warn or change anything
    assert report["protected"] is False and report["replica"]["state"] == "plain"
    assert report["keyring"]["secure"] is False
    problems = " | ".join(report["problems"])
    assert "not encrypted: there is no secure keyring" in problems
    assert "no keyring backend is available: fieldapp keeps secrets in memory" in problems
    assert f"{DB_FILENAME} is 0644, open to other users" in problems
    code, out, _ = run(data_dir, capsys, "doctor")
    assert "NOT encrypted" in out and "NOT fully protected" in out and "0644" in out


def test_doctor_on_a_replica_whose_key_is_gone(
    data_dir: Path, capsys: pytest.CaptureFixture[str], memory_keyring: MemoryKeyring
) -> None:
    open_replica(data_dir).close()
    salt = (data_dir / DB_FILENAME).read_bytes()[:16].hex()
    memory_keyring.delete_password(KEY_SERVICE, salt)
    code, out, _ = run(data_dir, capsys, "doctor", "--json")
    report = json.loads(out)
    assert code == 0 and report["replica"]["key_in_keyring"] is False
    assert "its key is not in the keyring" in " ".join(report["problems"])
    # Every other command refuses the replica with a sentence, and leaves it alone.
    code, _, err = run(data_dir, capsys, "accounts", "list")
    assert code == 1 and "does not hold" in err and len(err.strip().splitlines()) == 1


def test_doctor_on_a_data_dir_not_made_yet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(tmp_path / "fresh", capsys, "doctor", "--json")
    report = json.loads(out)
    assert code == 0 and report["replica"]["state"] == "new" and report["protected"]
    assert not (tmp_path / "fresh" / DB_FILENAME).exists()  # doctor creates no replica
