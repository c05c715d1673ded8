"""Pulled records this replica cannot store, kept aside with the reason (issue 14).

The server checks every record it stores (fieldapp.server.validation), but a record
stored before that, or by a newer or buggy server, may still be one this client
cannot write: a date that is not a date, an object for a name, a required field
missing. Such a record must not stop every sync of this replica, so it is kept here
(the document as it came, and why) and named in the sync report; the rest of the
pull goes on. A later version of the record that applies cleanly replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    select,
)

metadata = MetaData()

# Created by store migration 0013.
quarantine = Table(
    "sync_quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entity", String(40), nullable=False),
    Column("row_id", Text, nullable=False),  # as sent: it may be what is wrong
    Column("version", BigInteger),
    Column("data", Text, nullable=False),  # the document as it came (JSON)
    Column("reason", Text, nullable=False),
    Column("received_at", String(40), nullable=False),
)


@dataclass(frozen=True)
class Quarantined:
    """One pulled record that could not be applied."""

    entity: str
    row_id: str
    version: int | None
    data: str
    reason: str


def keep(conn: Connection, items: list[Quarantined], received_at: str) -> None:
    """Keep ``items`` (a newer copy of the same record replaces an older one)."""
    if not items:
        return
    conn.execute(delete(quarantine).where(quarantine.c.row_id.in_([q.row_id for q in items])))
    conn.execute(
        quarantine.insert(),
        [{**q.__dict__, "received_at": received_at} for q in items],
    )


def release(conn: Connection, row_ids: list[str]) -> None:
    """Forget the quarantined copies of records that have now been applied."""
    for start in range(0, len(row_ids), 500):
        part = row_ids[start : start + 500]
        conn.execute(delete(quarantine).where(quarantine.c.row_id.in_(part)))


def any_kept(conn: Connection) -> bool:
    return conn.execute(select(quarantine.c.id).limit(1)).first() is not None


def quarantined(conn: Connection) -> list[dict[str, Any]]:
    """Every record kept aside, oldest first (for ``fieldapp sync --json`` and the app)."""
    rows = conn.execute(select(quarantine).order_by(quarantine.c.id))
    return [dict(r._mapping) for r in rows]
