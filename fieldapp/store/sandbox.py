"""A demo replica is a local sandbox: its made-up records are never sent to a server.

``fieldapp demo`` marks the replica it fills (unless asked for ``--syncable``) and
writes its records without outbox entries, so a fresh demo has nothing waiting to
sync. Signing in from a sandbox is refused (``cli/sync_cmds.py``, and
``sync.account`` for every sync), so edits made while trying the app out cannot
reach a real server either.

The mark is a row of the sync bookkeeping table (store migration 0003), read and
written with plain SQL as :func:`fieldapp.store.agenda.device_user_id` does: the store
does not import the sync layer.
"""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

KEY = "sandbox"
DEMO = "demo"

REFUSAL = (
    "this data dir is a demo sandbox: its records are made up and are never sent to a "
    "server. Sign in with another --data-dir, or make a demo that may be synced with "
    "`fieldapp demo --syncable`"
)


def mark(session: Session | Connection) -> None:
    """Mark the replica behind ``session`` a demo sandbox (in the caller's transaction)."""
    session.execute(
        text("INSERT OR REPLACE INTO sync_state (key, value) VALUES (:key, :value)"),
        {"key": KEY, "value": DEMO},
    )


def is_sandbox(session: Session | Connection) -> bool:
    value = session.execute(text("SELECT value FROM sync_state WHERE key = :key"), {"key": KEY})
    return value.scalar() is not None
