"""Why a replica cannot be opened, in a sentence for the user (a ``DataDirError``'s text).

Errors are told apart by SQLite's error name (``SQLITE_BUSY``, ``SQLITE_NOTADB``, ...),
with the message text only as a fallback for drivers that give no name.
"""

from __future__ import annotations

from pathlib import Path

from fieldapp.store.encryption import KeyMissing, ReplicaKey


def error_name(exc: Exception) -> str:
    """SQLite's error name (SQLITE_BUSY, SQLITE_NOTADB, ...) of a driver error."""
    return str(getattr(getattr(exc, "orig", exc), "sqlite_errorname", ""))


def missing_key(db_path: Path, missing: KeyMissing) -> str:
    status = missing.keyring
    if missing.unavailable:
        return (
            f"the replica {db_path} is encrypted, and its key could not be read: "
            f"{missing.unavailable} Unlock the keyring and try again; nothing was changed"
        )
    if not status.secure:
        return (
            f"the replica {db_path} is encrypted (or damaged), and its key is kept in the OS "
            f"keyring, which fieldapp cannot use now: {status.problem}. Start fieldapp where "
            "your keyring is available (e.g. in your desktop session, with it unlocked); "
            "nothing was changed"
        )
    return (
        f"the replica {db_path} is damaged, or encrypted with a key that this keyring "
        f"({status.backend}) does not hold, e.g. a replica copied from another user account "
        "or computer. Nothing was changed: move it aside to start afresh (changes not yet "
        "synced would be lost), or restore it and its keyring from a backup"
    )


def describe(db_path: Path, exc: Exception, key: ReplicaKey | None) -> str:
    name = error_name(exc)
    text = str(getattr(exc, "orig", exc))
    if name in ("SQLITE_BUSY", "SQLITE_LOCKED") or "locked" in text:
        return f"the replica {db_path} is locked by another program; close it and try again"
    damaged = "not a database" in text or "malformed" in text
    if name in ("SQLITE_NOTADB", "SQLITE_CORRUPT") or damaged:
        if key is not None:
            return (
                f"the replica {db_path} is damaged, or the key the keyring holds for it is "
                "wrong; nothing was changed. Move it aside to start afresh (changes not yet "
                "synced would be lost), or restore it from a backup"
            )
        return (
            f"the replica {db_path} is damaged ({text}); move it aside to start "
            "afresh, or restore it from a backup"
        )
    if name.startswith("SQLITE_READONLY") or "unable to open" in text:
        return f"cannot write the replica {db_path}: {text}"
    return f"cannot open the replica {db_path}: {text}"
