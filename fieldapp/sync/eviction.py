"""Evicting records that left the scope, keeping what the server has not accepted.

A reassignment takes accounts (and what hangs off them) out of a rep's scope; the pull
says so and the engine deletes them here, without outbox entries (it is not a user
delete). A record with a pending or refused change is never deleted: the server does not
hold it (or not as the user left it), so deleting it would lose work. It stays, with the
account it hangs off, and the sync report names it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, delete, or_, select

from fieldapp.store import tables
from fieldapp.store.models import ENTITIES
from fieldapp.sync.protocol import ACCOUNT_ANCHOR

OUTBOX = tables.outbox
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
    for entity, column in ACCOUNT_ANCHOR.items():
        if entity == "rules":
            # A rep's rules are their manager's, never their own: owners say nothing
            # about them (a handful of rows; a rule the server stops sending is harmless).
            continue
        table = ENTITIES[entity].__table__  # type: ignore[attr-defined]
        keep = sorted(unsent.get(entity, ()))
        conditions = []
        if column is not None and account_list:
            col = table.c[column]
            for start in range(0, len(account_list), 500):
                conditions.append(col.in_(account_list[start : start + 500]))
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
        for condition in conditions:
            if keep:
                kept = conn.scalars(select(table.c.id).where(condition, table.c.id.in_(keep)))
                result.kept += [(entity, row_id) for row_id in kept]
                condition = condition & table.c.id.not_in(keep)
            result.removed += conn.execute(delete(table).where(condition)).rowcount
    result.kept = sorted(set(result.kept))
    return result
