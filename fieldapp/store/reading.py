"""Reading records through SQLAlchemy Core: no ORM, no mapped models.

For commands that only read (``fieldapp accounts list``, ``show``): importing the ORM
and mapping the models is about a third of a command's start-up (issue 15), which a
read of a few rows has no use for. The rows are the same dicts as
:func:`fieldapp.store.records.get` and ``list_records`` give (the same columns, in the
same order, through the same column types), so ``--json`` prints the same; a test
compares the two.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, Select, Table, select

from fieldapp.errors import NotFoundError
from fieldapp.store import tables


def table_for(entity: str) -> Table:
    try:
        return tables.SYNCED[entity]
    except KeyError:
        raise NotFoundError(f"no such kind of record: {entity}") from None


def not_found(entity: str, row_id: str) -> NotFoundError:
    """The error for a record that is not there (or deleted), as every read says it."""
    singular = entity[:-1] if entity.endswith("s") else entity
    return NotFoundError(f"no {singular.replace('_', ' ')} with id {row_id}")


def row_dict(row: Row[Any]) -> dict[str, Any]:
    # id first, as Synced.to_dict: it is what people copy from `show` output.
    record: dict[str, Any] = {"id": row.id}
    record.update(row._mapping)  # Row._mapping is SQLAlchemy's public name for it
    return record


def get(conn: Connection, entity: str, row_id: str) -> dict[str, Any]:
    table = table_for(entity)
    row = conn.execute(
        select(table).where(table.c.id == row_id, table.c.deleted_at.is_(None))
    ).first()
    if row is None:
        raise not_found(entity, row_id)
    return row_dict(row)


def list_query(entity: str, *, limit: int | None = 100, offset: int = 0) -> Select[Any]:
    """Records not deleted, by name (or last name, or creation) then id.

    Accounts come in the order of ``ix_accounts_name``: the first page is read off the
    index, not sorted out of every account (store migration 0018).
    """
    table = table_for(entity)
    columns = table.c
    order = next((columns[n] for n in ("name", "last_name") if n in columns), columns.created_at)
    return (
        select(table)
        .where(columns.deleted_at.is_(None))
        .order_by(order, columns.id)
        .offset(offset)
        .limit(limit)
    )


def list_rows(
    conn: Connection, entity: str, *, limit: int | None = 100, offset: int = 0
) -> list[dict[str, Any]]:
    """The records of :func:`list_query`, as dicts."""
    return [row_dict(row) for row in conn.execute(list_query(entity, limit=limit, offset=offset))]
