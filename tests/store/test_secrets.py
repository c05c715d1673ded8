"""Secrets go to a secure keyring only; a plaintext backend is refused, never written."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backends import chainer, fail
from keyrings.alt.file import PlaintextKeyring

from fieldapp.store.db import open_replica
from fieldapp.store.secrets import Secrets, keyring_status
from fieldapp.sync.credentials import Credentials
from tests.testkeyring import MemoryKeyring


@pytest.fixture
def plaintext(tmp_path: Path) -> PlaintextKeyring:
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring_pass.cfg")  # type: ignore[misc]
    return backend


def test_a_plaintext_backend_is_refused_for_secrets(
    plaintext: PlaintextKeyring, data_dir: Path
) -> None:
    keyring.set_keyring(plaintext)
    status = keyring_status()
    assert status.backend == "keyrings.alt.file.PlaintextKeyring" and not status.secure
    assert "writes secrets to a file unencrypted" in str(status.problem)
    assert plaintext.file_path in str(status.problem)
    secrets = Secrets()
    credentials = Credentials(secrets)
    # The token is kept in memory for this run, and the caller is told.
    assert credentials.save("https://crm.example", "alice", "tok") is False
    assert credentials.load("https://crm.example", "alice") == "tok"
    assert credentials.where("https://crm.example", "alice") == "memory"
    # The replica stays plain rather than have its key in a file or only in memory.
    replica = open_replica(data_dir)
    assert not replica.protection.encrypted
    assert "writes secrets to a file unencrypted" in str(replica.protection.warning)
    replica.close()
    assert not Path(plaintext.file_path).exists()  # nothing was ever written there
    credentials.delete("https://crm.example", "alice")
    assert credentials.load("https://crm.example", "alice") is None


def test_no_backend_keeps_secrets_in_memory() -> None:
    keyring.set_keyring(fail.Keyring())
    assert keyring_status().problem == "no keyring backend is available"
    secrets = Secrets()
    assert secrets.put("svc", "name", "v") is False and secrets.get("svc", "name") == "v"
    # Some secrets must never live in memory only (a replica key would lock the user out).
    assert secrets.put("svc", "key", "v", memory_fallback=False) is False
    assert secrets.get("svc", "key") is None


def test_a_secure_backend_keeps_them(memory_keyring: MemoryKeyring) -> None:
    status = keyring_status()
    assert status.secure and status.backend == "tests.testkeyring.MemoryKeyring"
    credentials = Credentials(Secrets())
    assert credentials.save("https://crm.example/", "bob", "tok") is True
    assert memory_keyring.get_password("fieldapp:https://crm.example", "bob") == "tok"
    assert Credentials(Secrets()).where("https://crm.example", "bob") == "keyring"


def test_in_a_chain_the_secure_backend_is_used_and_the_plaintext_one_never(
    plaintext: PlaintextKeyring,
) -> None:
    secure = MemoryKeyring()

    class Chain(chainer.ChainerBackend):
        # The plaintext backend first: keyring's chainer would write to it.
        backends = (plaintext, secure)

    keyring.set_keyring(Chain())
    status = keyring_status()
    assert status.secure and status.backend == "tests.testkeyring.MemoryKeyring"
    assert Secrets().put("svc", "name", "v") is True
    assert secure.get_password("svc", "name") == "v"
    assert not Path(plaintext.file_path).exists()


def test_a_chain_of_plaintext_backends_only_is_refused(plaintext: PlaintextKeyring) -> None:
    class Chain(chainer.ChainerBackend):
        backends = (plaintext,)

    keyring.set_keyring(Chain())
    status = keyring_status()
    assert not status.secure and status.backend == "keyrings.alt.file.PlaintextKeyring"
    assert Secrets().put("svc", "name", "v") is False
    assert not Path(plaintext.file_path).exists()
