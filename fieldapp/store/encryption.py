"""The replica encrypted at rest with SQLCipher; its key in the OS keyring.

**The key** is 32 random bytes made when a replica is created (or encrypted), used as
a raw SQLCipher key: no passphrase, so no key derivation on each connection. It is
stored through :data:`fieldapp.store.secrets.SECRETS` under the service
``fieldapp:replica-key`` and the name of the file's *salt*: SQLCipher writes a random
16-byte salt as the first bytes of the file, and we choose it ourselves (the raw key
form ``x'<key><salt>'``), so the file itself says which key opens it. A moved or
copied data dir still finds its key; a file from another account or machine does
not, and is refused with a sentence (:class:`~fieldapp.errors.DataDirError`).

**Without a secure keyring** (none installed, or only a plaintext one) a new replica
is created unencrypted: a key kept in memory only would lock the user out of their
own replica at the next start. It is still private (data dir 0700, files 0600, see
``store/private.py``), every start says so once, ``fieldapp doctor`` shows it, and
the first start with a secure keyring encrypts it in place.

**Encrypting in place** (:func:`encrypt_in_place`): with an exclusive lock on the
plain file, SQLCipher's ``sqlcipher_export`` copies schema and rows into a new
encrypted file beside it, which is synced and then renamed over the plain one (an
atomic swap). A crash before the rename leaves the plain file as it was (its WAL
folded in); the half-written copy is removed by the next attempt. A replica another
process has open is left for a later start: the lock cannot be had.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import URL
from sqlcipher3 import dbapi2 as sqlcipher

from fieldapp.store import private
from fieldapp.store.secrets import SECRETS, KeyringStatus, KeyringUnavailable, keyring_status

KEY_SERVICE = "fieldapp:replica-key"
# Fixed for every encrypted replica: SQLCipher must be told them at each open, after
# the key and before the first read (a file opened with others reads as damaged).
# 16 KB pages, as for new plain replicas (see store/db.py); a replica encrypted from an
# older 4 KB one is rewritten by the export anyway, so it gets 16 KB pages too.
CIPHER_PAGE_SIZE = 16384
# Each page is authenticated with HMAC-SHA256 instead of SQLCipher 4's default
# SHA-512: still a 256-bit tag, and about three times faster where the CPU has SHA
# instructions (most x86 since 2017, Apple silicon); SHA-512 was half the cost of
# encryption in a bulk insert. AES-256-CBC stays the cipher.
CIPHER_HMAC = "HMAC_SHA256"
CIPHER_SETTINGS = (
    ("cipher_page_size", str(CIPHER_PAGE_SIZE)),
    ("cipher_hmac_algorithm", CIPHER_HMAC),
)
PLAIN_HEADER = b"SQLite format 3\x00"
SALT_BYTES = 16
KEY_BYTES = 32
ENCRYPTING_SUFFIX = ".encrypting"

# The errors the SQLCipher driver raises (the store opens every replica with it).
Error = sqlcipher.Error
OperationalError = sqlcipher.OperationalError

FileState = Literal["new", "plain", "encrypted"]


def file_state(db_path: Path) -> FileState:
    """What the file is by its first bytes: absent or empty, plain SQLite, or not.

    "encrypted" also covers a damaged file: only the key can tell the two apart.
    """
    try:
        with open(db_path, "rb") as f:
            head = f.read(len(PLAIN_HEADER))
    except FileNotFoundError:
        return "new"
    if not head:
        return "new"
    return "plain" if head == PLAIN_HEADER else "encrypted"


@dataclass(frozen=True)
class ReplicaKey:
    """A raw SQLCipher key and the salt that names it (both hex)."""

    key: str
    salt: str

    @classmethod
    def new(cls) -> ReplicaKey:
        return cls(secrets.token_hex(KEY_BYTES), secrets.token_hex(SALT_BYTES))

    @property
    def pragma(self) -> str:
        """The value for ``PRAGMA key`` / ``ATTACH ... KEY``: raw key plus salt."""
        return f"x'{self.key}{self.salt}'"

    def __repr__(self) -> str:  # never print the key itself
        return f"ReplicaKey(salt={self.salt})"


def file_salt(db_path: Path) -> str | None:
    """The salt at the start of an encrypted file, as hex (None if too short)."""
    with open(db_path, "rb") as f:
        head = f.read(SALT_BYTES)
    return head.hex() if len(head) == SALT_BYTES else None


def stored_key(db_path: Path) -> ReplicaKey | None:
    """The key the keyring holds for the encrypted file ``db_path``, if any."""
    salt = file_salt(db_path)
    if salt is None:
        return None
    key = SECRETS.get(KEY_SERVICE, salt, strict=True)
    return ReplicaKey(key, salt) if key else None


def save_key(key: ReplicaKey) -> bool:
    """Put ``key`` in the secure keyring (never only in memory); True when it is there."""
    return (
        SECRETS.put(KEY_SERVICE, key.salt, key.key, memory_fallback=False)
        and SECRETS.get(KEY_SERVICE, key.salt) == key.key
    )


def forget_key(key: ReplicaKey) -> None:
    SECRETS.delete(KEY_SERVICE, key.salt)


def remove_replica(db_path: Path) -> None:
    """Delete the replica file with its WAL and wal-index, and forget its key."""
    if file_state(db_path) == "encrypted":
        salt = file_salt(db_path)
        if salt is not None:
            SECRETS.delete(KEY_SERVICE, salt)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)


def _quiet() -> None:
    # SQLCipher logs a failed HMAC check (a wrong key, a damaged page) to stderr at
    # WARN; the user gets our sentence instead. The level is process-wide.
    con = sqlcipher.connect(":memory:")
    try:
        con.execute("PRAGMA cipher_log_level = NONE")
    finally:
        con.close()


_quiet()


def connect(db_path: Path, key: ReplicaKey | None, *, timeout: float = 5.0) -> Any:
    """A DB-API connection of its own to the replica file (autocommit, keyed if ``key``).

    For what runs beside the engine: the checkpoint thread, the in-place encryption,
    ``fieldapp doctor`` and tests that read the file directly.
    """
    con = sqlcipher.connect(str(db_path), timeout=timeout, isolation_level=None)
    if key is not None:
        con.execute(f'PRAGMA key = "{key.pragma}"')
        configure(con)
    return con


def configure(con: Any, _record: object = None, *, schema: str = "main") -> None:
    """Apply :data:`CIPHER_SETTINGS` to a keyed connection (also an engine listener)."""
    for name, value in CIPHER_SETTINGS:
        con.execute(f"PRAGMA {schema}.{name} = {value}")


def connect_file(db_path: Path, *, timeout: float = 5.0) -> Any:
    """:func:`connect` with the key the keyring holds for the file (if it is encrypted)."""
    key = stored_key(db_path) if file_state(db_path) == "encrypted" else None
    return connect(db_path, key, timeout=timeout)


def engine_url(db_path: Path, key: ReplicaKey | None) -> URL:
    """SQLAlchemy's URL for the replica: ``sqlite+pysqlcipher`` with the key, if any.

    The pysqlcipher dialect sets the key on every new connection, before the
    engine's ``connect`` listeners run: :func:`configure` first, then store/db.py's
    pragmas.
    """
    if key is None:
        return URL.create("sqlite+pysqlite", database=str(db_path))
    return URL.create("sqlite+pysqlcipher", password=key.pragma, database=str(db_path))


class ReplicaInUse(Exception):
    """Another connection has the plain replica open; it cannot be swapped now."""


class KeyNotSaved(Exception):
    """The keyring did not keep the new key; the replica stays as it was."""


class KeyMissing(Exception):
    """An encrypted (or damaged) replica whose key the keyring does not give."""

    def __init__(self, keyring: KeyringStatus, unavailable: str | None = None) -> None:
        super().__init__(unavailable or keyring.problem or "key not in the keyring")
        self.keyring = keyring
        self.unavailable = unavailable  # why the keyring could not be asked, if so


# Errors writing the encrypted copy that leave the plain replica usable.
_COPY_PROBLEMS = {"SQLITE_FULL": "the disk is full", "SQLITE_IOERR": "a disk error"}


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":  # directories cannot be opened for fsync on Windows
        return
    _fsync(path)


def encrypt_in_place(db_path: Path, key: ReplicaKey) -> None:
    """Replace the plain replica ``db_path`` by an encrypted copy under ``key``.

    Raises :class:`ReplicaInUse` when another connection has the file open and
    :class:`KeyNotSaved` when the keyring refuses the key; in both cases, and on any
    error, the plain file is left in place. The key is in the keyring before the swap.
    """
    copy = db_path.with_name(db_path.name + ENCRYPTING_SUFFIX)
    con = connect(db_path, None, timeout=0)
    try:
        # Exclusive locking mode keeps every lock taken until the connection closes;
        # leaving WAL mode needs the file to itself (it fails at once, timeout 0, if
        # another connection has it open) and folds the WAL into the file.
        con.execute("PRAGMA locking_mode = EXCLUSIVE")
        try:
            mode = con.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        except OperationalError as exc:
            if getattr(exc, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED"):
                raise ReplicaInUse() from exc
            raise
        if str(mode).lower() != "delete":
            raise ReplicaInUse()
        con.execute("BEGIN EXCLUSIVE")  # held (exclusive locking mode) until close
        con.execute("COMMIT")
        copy.unlink(missing_ok=True)  # left by an attempt that was killed
        private.private_file(copy)
        con.execute("ATTACH DATABASE ? AS encrypted KEY ?", (str(copy), key.pragma))
        configure(con, schema="encrypted")
        # The copy is synced once below; until the rename it is only a scratch file.
        con.execute("PRAGMA encrypted.journal_mode = OFF")
        con.execute("PRAGMA encrypted.synchronous = OFF")
        con.execute("SELECT sqlcipher_export('encrypted')")
        con.execute("DETACH DATABASE encrypted")
        _fsync(copy)
        if not save_key(key):
            raise KeyNotSaved()
        if os.name == "nt":
            # Windows renames no file that is open; another process that opens the
            # plain file in this gap makes the rename fail, and it stays plain.
            con.close()
        try:
            os.replace(copy, db_path)
        except PermissionError as exc:
            forget_key(key)
            raise ReplicaInUse() from exc
        _fsync_dir(db_path.parent)
        # No WAL is left (journal mode DELETE); a stale wal-index would only be
        # rebuilt, but nothing else can have it open now, so it goes too.
        Path(f"{db_path}-shm").unlink(missing_ok=True)
    except BaseException:
        with contextlib.suppress(OSError):
            copy.unlink(missing_ok=True)
        raise
    finally:
        con.close()


@dataclass(frozen=True)
class Protection:
    """How a replica is protected at rest, as found when it was opened."""

    encrypted: bool
    keyring: KeyringStatus
    why_not: str | None = None  # a phrase saying why it is not encrypted

    @property
    def warning(self) -> str | None:
        """The one sentence to show at start when the replica is not encrypted."""
        if self.encrypted:
            return None
        return (
            f"the replica is not encrypted: {self.why_not}. It is private to your user "
            "account (folder 0700, files 0600); secrets such as a sign-in are kept in memory "
            "for this run only. See `fieldapp doctor`"
        )


def prepare(db_path: Path, *, encrypt: bool = True) -> tuple[ReplicaKey | None, Protection]:
    """Decide how to open ``db_path``: the key to use (None: plain) and its protection.

    Encrypts a plain replica in place when a secure keyring is there and nobody else
    has the file open; makes and stores the key of a new one. ``encrypt=False``
    leaves plain and new replicas plain (benchmarks compare the two); an encrypted
    one needs its key either way. Raises :class:`KeyMissing` for an encrypted (or
    damaged) file whose key the keyring does not give.
    """
    state = file_state(db_path)
    status = keyring_status()
    if state == "encrypted":
        try:
            key = stored_key(db_path)
        except KeyringUnavailable as exc:
            raise KeyMissing(status, str(exc)) from exc
        if key is None:
            raise KeyMissing(status)
        return key, Protection(True, status)
    if not encrypt:
        return None, Protection(False, status, "encryption was turned off for this run")
    if not status.secure:
        return None, Protection(False, status, str(status.problem))
    key = ReplicaKey.new()
    if state == "new":
        if not save_key(key):
            return None, Protection(False, status, "the keyring did not keep the replica's key")
        return key, Protection(True, status)
    try:
        encrypt_in_place(db_path, key)
    except ReplicaInUse:
        return None, Protection(
            False,
            status,
            "another program has it open; it will be encrypted at a start when it is free",
        )
    except KeyNotSaved:
        return None, Protection(False, status, "the keyring did not keep the replica's key")
    except OperationalError as exc:
        # The copy could not be written (a full disk, an I/O error): the plain
        # replica is intact and usable; encryption is tried again next time.
        name = str(getattr(exc, "sqlite_errorname", ""))
        problem = next((v for k, v in _COPY_PROBLEMS.items() if name.startswith(k)), None)
        if problem is None:
            raise
        forget_key(key)
        why = f"encrypting it failed ({problem}); nothing was lost"
        return None, Protection(False, status, why)
    return key, Protection(True, status)
