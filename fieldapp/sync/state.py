"""The client's sync bookkeeping tables (created by store migration 0003)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlalchemy import JSON, BigInteger, Column, Connection, MetaData, String, Table, Text, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from fieldapp.store import ownership
from fieldapp.store.db import Replica
from fieldapp.sync.errors import SyncError

if TYPE_CHECKING:  # the wire types (pydantic): not for reading the role at start-up
    from fieldapp.sync.protocol import UserInfo

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


def remember_user(replica: Replica, user: UserInfo, territories: list[str] | None) -> int:
    """Record who this replica syncs as (id, role, their territories).

    The first sign-in binds the replica to the user and adopts the records made on it
    before (returns how many); a different user is refused: their replicas are kept
    apart. Territories (None: not known yet) are refreshed on every handshake: new
    accounts are placed by them.
    """
    wanted = {"user_id": user.id, "role": user.role}
    if territories is not None:
        wanted["territories"] = json.dumps(sorted(territories))
    with replica.engine.connect() as conn:
        known = {k: get(conn, k) for k in (*wanted, "username")}
    owner = known["user_id"]
    if owner is not None and owner != user.id:
        raise SyncError(
            f"this replica belongs to another user ({known['username']}); "
            "use another data dir for this user"
        )
    if all(known[k] == v for k, v in wanted.items()):
        return 0  # every sync's handshake: nothing new, no write
    with replica.session() as session:
        conn = session.connection()
        for key, value in wanted.items():
            put(conn, key, value)
        if known["username"] is None:
            put(conn, "username", user.username)
        return ownership.adopt_unowned(session, user.id) if owner is None else 0
