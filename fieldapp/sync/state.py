"""The client's sync bookkeeping tables (created by store migration 0003)."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Connection, MetaData, String, Table, Text, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

metadata = MetaData()

sync_state = Table(
    "sync_state",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Text, nullable=False),
)

conflicts = Table(
    "sync_conflicts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("entity", String(40), nullable=False),
    Column("row_id", String(36), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("field", String(80)),
    Column("base", JSON),
    Column("mine", JSON),
    Column("theirs", JSON),
    Column("created_at", String(40), nullable=False),
    Column("resolved_at", String(40)),
    Column("resolution", String(8)),
)

CONFLICT_COLUMNS = tuple(c.key for c in conflicts.columns)


def get(conn: Connection, key: str) -> str | None:
    return conn.scalar(select(sync_state.c.value).where(sync_state.c.key == key))


def put(conn: Connection, key: str, value: str) -> None:
    stmt = sqlite_insert(sync_state).values(key=key, value=value)
    conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value}))


def drop(conn: Connection, key: str) -> None:
    conn.execute(sync_state.delete().where(sync_state.c.key == key))
