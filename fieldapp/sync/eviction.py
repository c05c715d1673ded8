"""Evicting records that left the scope, keeping what the server has not accepted.

A reassignment takes accounts (and what hangs off them) out of a rep's scope; the pull
says so and the engine deletes them here, without outbox entries (it is not a user
delete). A record with a pending or refused change is never deleted: the server does not
hold it (or not as the user left it), so deleting it would lose work. It stays, with the
account it hangs off, and the sync report names it.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field

from sqlalchemy import Column, Connection, MetaData, Table, Text, delete, func, or_, select

from fieldapp.store import last_visits, tables
from fieldapp.store.db import indexes_set_aside
from fieldapp.store.models import ENTITIES
from fieldapp.sync.protocol import ACCOUNT_ANCHOR

OUTBOX = tables.outbox
# A table losing at least this many rows, and at least half of them, is evicted from
# without its secondary indexes (store.db.indexes_set_aside).
INDEXES_ASIDE_FROM = 5000
# The accounts being evicted, on the evicting connection (a temporary table).
_LEAVING = Table("evicting_accounts", MetaData(), Column("id", Text, primary_key=True))
# Outbox states of changes the server has not accepted (yet).
UNSENT = ("pending", "refused")


@dataclass
class Eviction:
    removed: int = 0
    # (entity, id) of records that left the scope but were kept: the server has not
    # accepted them (pending or refused changes), and deleting them would lose them.
    kept: list[tuple[str, str]] = field(default_factory=list)


def _unsent(conn: Connection) -> dict[str, set[str]]:
    """Records with changes the server has not accepted, and the accounts they hang off."""
    out: dict[str, set[str]] = {}
    rows = conn.execute(select(OUTBOX.c.entity, OUTBOX.c.row_id).where(OUTBOX.c.state.in_(UNSENT)))
    for entity, row_id in rows:
        out.setdefault(entity, set()).add(row_id)
    for entity, column in ACCOUNT_ANCHOR.items():
        ids = out.get(entity)
        if not ids or column in (None, "id") or entity not in ENTITIES:
            continue
        table = ENTITIES[entity].__table__  # type: ignore[attr-defined]
        parents = conn.scalars(
            select(table.c[column]).where(table.c.id.in_(sorted(ids)), table.c[column].is_not(None))
        )
        out.setdefault("accounts", set()).update(parents)
    return out


def evict(
    conn: Connection,
    accounts: set[str],
    owners: set[str],
    territories: list[str] | None = None,
) -> Eviction:
    """Remove records that left the scope (no outbox: this is not a user delete).

    A record with a change the server has not accepted stays (and the account it hangs
    off with it): it is reported as kept, never deleted unseen.
    """
    result = Eviction()
    unsent = _unsent(conn)
    account_list = sorted(accounts)
    # The accounts as a temporary table, named by one sub-select per statement: as
    # lists of 500 bound ids, 10k accounts made 240 statements whose 120k parameters
    # SQLAlchemy handled one by one (~0.5 s).
    conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {_LEAVING.name} (id TEXT PRIMARY KEY)")
    conn.execute(_LEAVING.delete())
    if account_list:
        conn.execute(_LEAVING.insert(), [{"id": a} for a in account_list])
    leaving = select(_LEAVING.c.id)
    for entity, column in ACCOUNT_ANCHOR.items():
        if entity == "rules":
            # A rep's rules are their manager's, never their own: owners say nothing
            # about them (a handful of rows; a rule the server stops sending is harmless).
            continue
        table = ENTITIES[entity].__table__  # type: ignore[attr-defined]
        keep = sorted(unsent.get(entity, ()))
        conditions = []
        if column is not None and account_list:
            conditions.append(table.c[column].in_(leaving))
        if owners and "owner_id" in table.c:
            condition = table.c.owner_id.not_in(sorted(owners))
            if column is not None:
                if entity == "accounts":
                    condition = condition & table.c.territory_id.is_(None)
                else:
                    condition = condition & table.c[column].is_(None)
            if entity == "leads" and territories is not None:
                condition = condition & or_(
                    table.c.territory_id.is_(None), table.c.territory_id.not_in(territories)
                )
            conditions.append(condition)
        with ExitStack() as aside:
            if entity == "visits":
                # The last-visit trigger, per deleted visit, was most of an eviction.
                aside.enter_context(last_visits.deletes_deferred(conn, account_list))
            if column is not None and account_list and _most_of(conn, table, column):
                aside.enter_context(indexes_set_aside(conn, table))
            for condition in conditions:
                if keep:
                    kept = conn.scalars(select(table.c.id).where(condition, table.c.id.in_(keep)))
                    result.kept += [(entity, row_id) for row_id in kept]
                    condition = condition & table.c.id.not_in(keep)
                result.removed += conn.execute(delete(table).where(condition)).rowcount
    conn.execute(_LEAVING.delete())
    result.kept = sorted(set(result.kept))
    return result


def _most_of(conn: Connection, table: Table, column: str) -> bool:
    """Whether the leaving accounts take most of ``table``'s rows, and many: then its
    indexes are built again after the delete rather than updated row by row."""
    leaving = conn.scalar(
        select(func.count()).select_from(table).where(table.c[column].in_(select(_LEAVING.c.id)))
    )
    if (leaving or 0) < INDEXES_ASIDE_FROM:
        return False
    return 2 * (leaving or 0) >= (conn.scalar(select(func.count()).select_from(table)) or 0)
