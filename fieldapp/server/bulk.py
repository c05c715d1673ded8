"""Many rows in one statement (a reassignment writes 10k accounts, exits and entries).

PostgreSQL gets each column as one array and ``unnest`` turns them back into rows:
one statement to parse, plan and execute, however many rows (an executemany sends a
statement per row). SQLite, on the same machine as the server, gets an executemany.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Float, Integer, Table, bindparam, text
from sqlalchemy import insert as sql_insert
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

# The PostgreSQL type of an array of each column type (the server's models use these).
_ARRAY_TYPES: tuple[tuple[type, str], ...] = (
    (BigInteger, "bigint"),
    (Integer, "integer"),
    (Boolean, "boolean"),
    (DateTime, "timestamptz"),
    (Float, "double precision"),
)


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _arrays(table: Table, columns: list[str]) -> str:
    def kind(name: str) -> str:
        column_type = table.c[name].type
        for python_type, sql_type in _ARRAY_TYPES:
            if isinstance(column_type, python_type):
                return sql_type
        return "text"

    return ", ".join(f"CAST(:{c} AS {kind(c)}[])" for c in columns)


def _columns(rows: list[dict[str, Any]]) -> tuple[list[str], dict[str, list[Any]]]:
    columns = list(rows[0])
    return columns, {c: [r[c] for r in rows] for c in columns}


def insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table``."""
    if not rows:
        return
    if not _postgres(session):
        session.execute(sql_insert(table), rows)
        return
    columns, values = _columns(rows)
    session.execute(
        text(
            f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"SELECT * FROM unnest({_arrays(table, columns)})"
        ),
        values,
    )


def update(session: Session, table: Table, key: str, rows: list[dict[str, Any]]) -> None:
    """Set the other columns of each row whose ``key`` column is the row's ``key``."""
    if not rows:
        return
    columns, values = _columns(rows)
    others = [c for c in columns if c != key]
    if not _postgres(session):
        statement = (
            sql_update(table)
            .where(table.c[key] == bindparam(f"_{key}"))
            .values({c: bindparam(f"_{c}") for c in others})
        )
        session.execute(statement, [{f"_{c}": v for c, v in r.items()} for r in rows])
        return
    session.execute(
        text(
            f"UPDATE {table.name} AS t SET {', '.join(f'{c} = v.{c}' for c in others)} "
            f"FROM unnest({_arrays(table, columns)}) AS v({', '.join(columns)}) "
            f"WHERE t.{key} = v.{key}"
        ),
        values,
    )
