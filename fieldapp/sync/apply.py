"""Writing server records into the replica: a pull chunk or a fetched part, with conflicts.

Server changes are written as plain SQL on a connection with foreign keys off (see
:func:`writer`): a chunk may hold a contact whose account arrives in a later chunk, and
the server is the authority on integrity. Nothing written here produces outbox entries.
Fields with a change the server has not accepted yet (pending or refused) are kept.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from fieldapp.store import last_visits, search, tables
from fieldapp.store.db import Replica
from fieldapp.store.types import utcnow
from fieldapp.sync import incoming, quarantine, state
from fieldapp.sync.eviction import UNSENT
from fieldapp.sync.report import SyncReport

OUTBOX = tables.outbox

# What writing a pulled record raises when the record is one this replica cannot
# store: a constraint, a value SQLite cannot bind, a timestamp that is not one.
_UNWRITABLE = (SQLAlchemyError, ValueError, TypeError, ArithmeticError)


def stored_now() -> str:
    """Now, as the store keeps timestamps: for records that carry no stamps."""
    return incoming.stored_datetime(utcnow().isoformat())


def writer(replica: Replica) -> ForeignKeysOff:
    """A connection to write server records on (``with writer(r) as conn``)."""
    return ForeignKeysOff(replica.engine.connect())


def apply(conn: Connection, chunk: incoming.Chunk, report: SyncReport | None = None) -> None:
    """Write server records, keeping fields the user changed and has not pushed yet.

    A record that cannot be written is quarantined (fieldapp.sync.quarantine) and
    named in ``report``; the others are written all the same.
    """
    rows_of = chunk.rows
    bad = list(chunk.quarantined)
    if rows_of:
        _apply_rows(conn, rows_of, bad, chunk.empty)
    now = stored_now()
    if bad:
        quarantine.keep(conn, bad, now)
        if report is not None:
            report.quarantined += bad
    if rows_of and quarantine.any_kept(conn):
        done = {row[incoming.plan(e).id_index] for e, rows in rows_of.items() for row in rows}
        quarantine.release(conn, sorted(done - {q.row_id for q in bad}))


def store_conflicts(conn: Connection, conflicts: list[dict[str, Any]]) -> int:
    """Keep the server's conflicts; how many are new and open."""
    if not conflicts:
        return 0
    table = state.conflicts
    stmt = sqlite_insert(table)
    upsert = stmt.on_conflict_do_update(
        index_elements=["id"],
        set_={
            "seq": stmt.excluded.seq,
            "resolved_at": stmt.excluded.resolved_at,
            # A decision made here and not sent yet outlives a copy without one.
            "resolution": func.coalesce(stmt.excluded.resolution, table.c.resolution),
        },
    )
    rows = [{k: c.get(k) for k in state.CONFLICT_COLUMNS} for c in conflicts]
    known = set(conn.scalars(select(table.c.id).where(table.c.id.in_([r["id"] for r in rows]))))
    conn.execute(upsert, rows)
    return sum(1 for r in rows if r["id"] not in known and r["resolved_at"] is None)


def _pending_fields(conn: Connection, rows_of: incoming.Rows) -> dict[str, set[str]]:
    """Record id → fields with a change the server has not accepted, for these rows."""
    # Refused changes are kept too: a pull must not overwrite what waits to be resent.
    unsent = conn.execute(
        select(OUTBOX.c.row_id, OUTBOX.c.changes).where(OUTBOX.c.state.in_(UNSENT))
    ).all()
    if not unsent:
        return {}  # the common case: nothing to keep, no need to list the chunk's ids
    wanted: set[str] = set()
    for entity, rows in rows_of.items():
        at = incoming.plan(entity).id_index
        wanted.update(row[at] for row in rows)
    out: dict[str, set[str]] = {}
    for row_id, changes in unsent:
        if row_id in wanted:
            out.setdefault(row_id, set()).update(changes)
    return out


def _apply_rows(
    conn: Connection,
    rows_of: incoming.Rows,
    bad: list[quarantine.Quarantined],
    empty: dict[str, frozenset[int]],
) -> None:
    pending = _pending_fields(conn, rows_of)
    now = stored_now()
    for entity, rows in rows_of.items():
        plan = incoming.plan(entity)
        at = plan.id_index
        plain = [row for row in rows if row[at] not in pending] if pending else rows
        if plain:
            conn.exec_driver_sql(plan.stage_create)
            try:
                # A savepoint: a failed statement takes the trigger changes of
                # deferred_index back with it.
                with (
                    conn.begin_nested(),
                    search.deferred_index(conn, plan.table.name, len(plain)),
                    last_visits.deferred(conn, plan.table.name, len(plain)),
                ):
                    conn.exec_driver_sql(*plan.staging(plain, empty.get(entity, frozenset())))
                    conn.exec_driver_sql(plan.upsert_staged, {"now": now})
                    conn.exec_driver_sql(plan.stage_clear)
            except _UNWRITABLE:
                # Rare: write them one by one to find the records that cannot be.
                conn.exec_driver_sql(plan.stage_clear)
                for row in plain:
                    _apply_one_row(conn, plan, row, None, now, bad)
        if pending:
            for row in rows:
                if row[at] in pending:
                    _apply_one_row(conn, plan, row, pending[row[at]], now, bad)


def _apply_one_row(
    conn: Connection,
    plan: incoming.TablePlan,
    row: tuple[Any, ...],
    keep: set[str] | None,
    now: str,
    bad: list[quarantine.Quarantined],
) -> None:
    try:
        with conn.begin_nested():
            stored = plan.stored(row, now)
            if keep is None:
                conn.exec_driver_sql(plan.upsert_one, stored)
            else:
                _apply_keeping(conn, plan, stored, keep)
    except _UNWRITABLE as exc:
        version = row[-1]  # the staging row ends with the server version
        data = dict(zip(plan.keys[:-1], row[:-1], strict=True))
        reason = str(getattr(exc, "orig", None) or exc)
        bad.append(
            quarantine.Quarantined(
                plan.entity, str(row[plan.id_index]), version, _as_json(data), reason
            )
        )


def _apply_keeping(
    conn: Connection, plan: incoming.TablePlan, row: tuple[Any, ...], keep: set[str]
) -> None:
    name = plan.table.name
    row_id = row[plan.id_index]
    if conn.exec_driver_sql(f'SELECT 1 FROM "{name}" WHERE id = ?', (row_id,)).first() is None:
        conn.exec_driver_sql(plan.upsert_one, row)
        return
    taken = [(k, v) for k, v in zip(plan.keys, row, strict=True) if k not in keep and k != "id"]
    columns = ", ".join(f'"{k}" = ?' for k, _ in taken)
    conn.exec_driver_sql(
        f'UPDATE "{name}" SET {columns} WHERE id = ?', (*(v for _, v in taken), row_id)
    )


def _as_json(values: dict[str, Any]) -> str:
    """A quarantined record's values as JSON; what JSON cannot hold is written as text."""
    return json.dumps(values, default=str, ensure_ascii=False)


class ForeignKeysOff:
    """A connection with foreign keys off for the length of one transaction.

    The pragma is a no-op inside a transaction, and the replica's engine begins one
    on the first statement (store/db.py); so it is set on the driver connection
    before that. Server chunks may bring a child before its parent; the pull is
    consistent as a whole, not chunk by chunk.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def __enter__(self) -> Connection:
        driver = self._driver()
        driver.execute("PRAGMA foreign_keys=OFF")
        incoming.prepare_connection(driver)
        return self.conn

    def __exit__(self, *exc: object) -> None:
        try:
            self.conn.rollback()
            self._driver().execute("PRAGMA foreign_keys=ON")
        finally:
            self.conn.close()

    def _driver(self) -> Any:
        return self.conn.connection.driver_connection
