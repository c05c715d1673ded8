"""Bulk inserts: many already-cleaned rows in one executemany, outbox entries in SQL.

Used by CSV import and demo data; :mod:`fieldapp.store.bulk_outbox` writes the outbox
entries the flush hook would have written, one ``INSERT ... SELECT`` for all rows.
"""

from __future__ import annotations

import gc
import math
import operator
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Dialect, Float, String, Table, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from fieldapp.store import last_visits, ownership, search
from fieldapp.store.bulk_outbox import JSON_ESCAPED, outbox_for_inserted, plain_text_columns
from fieldapp.store.db import defer_checkpoint
from fieldapp.store.records import model_for
from fieldapp.store.types import IdBlock, utcnow


def bulk_create(
    session: Session, entity: str, rows: list[dict[str, Any]], *, outbox: bool = True
) -> list[str]:
    """Insert many already-cleaned rows with their outbox entries, in this transaction.

    ``outbox=False`` is for a demo sandbox only (:mod:`fieldapp.store.sandbox`): its
    made-up records must never be sent, so they get no outbox entry.

    Rows must have been through :func:`fields.clean`; this writes exactly what it is
    given. Imports of 100k rows must take seconds, so this skips the ORM unit of work
    (~10x the cost per row) and Core's per-row parameter handling (see
    :func:`_batch`), and writes the outbox entries with one INSERT ... SELECT
    that builds each entry's JSON inside SQLite (see :func:`outbox_for_inserted`).
    """
    model = model_for(entity)
    table: Table = model.__table__  # type: ignore[attr-defined]
    if not rows:
        return []
    ownership.stamp_rows(session, entity, rows)
    now = utcnow()
    if len(rows) >= search.BULK_INDEX_THRESHOLD:
        defer_checkpoint(session)
    before = session.execute(text(f"SELECT coalesce(max(rowid), 0) FROM {table.name}")).scalar_one()
    with (
        gc_paused(),
        search.deferred_index(session, table.name, len(rows)),
        last_visits.deferred(session, table.name, len(rows)),
    ):
        batch = _batch(session.connection().dialect, table, rows, now)
        _insert_many(session, table, batch)
    if outbox:
        outbox_for_inserted(session, table, entity, before, now, batch)
    return batch.ids


@contextmanager
def gc_paused() -> Iterator[None]:
    """Keep the cyclic GC out while building 100k+ rows, dicts or tuples.

    Each batch of new containers triggers a collection, and the later ones walk the
    whole heap (the rows being built included): 15-20% of building a bulk insert's
    parameters, and 5-6% of a 100k-row CSV import end to end (CPU time over
    repeated runs; a single wall-clock run on a shared machine does not show it).
    What is built there holds no reference cycles; reference counting frees it.
    Usable as a decorator.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_FLOAT_OR_NONE = frozenset({float, type(None)})
# Bookkeeping columns bulk_create fills in for every row.
_ALWAYS_SET = frozenset({"created_at", "updated_at"})


@dataclass
class BulkRows:
    """The rows of one bulk insert as the driver takes them, and what the outbox needs."""

    ids: list[str]  # in row order
    names: list[str]  # columns bound per row, in the order of each params tuple
    params: list[tuple[Any, ...]]
    constants: dict[str, str]  # column -> SQL literal, the same for every row
    present: list[str]  # columns holding a value in some row
    sometimes_null: set[str]  # ... of those, NULL in some rows
    plain: set[str]  # text columns needing no JSON escapes (see plain_text_columns)


def _batch(dialect: Dialect, table: Table, rows: list[dict[str, Any]], now: datetime) -> BulkRows:
    """The parameters that store ``rows`` exactly as a Core insert stores them.

    Each row dict is read once, by one C-level itemgetter (walking 100k dicts once
    per column, as before, missed the CPU cache: 0.4 s for a CSV import's 20
    columns); one ``zip(*)`` turns the tuples into columns for what needs a whole
    column: missing ids, defaults, the dialect's bind processors (UTC datetimes,
    money in cents, JSON), NULLs, JSON escapes. The tuples are rebuilt only when
    one of those changed a value. Values the same in every row (created_at,
    updated_at, defaults of columns no row gives) go into the SQL as literals
    instead of being bound 100k times.
    """
    count = len(rows)
    given = set().union(*rows)
    keys: list[str] = []
    names: list[str] = []
    processes: list[Any] = []
    constants: dict[str, Any] = {}
    for column in table.columns:
        key = column.key
        # The dialect's own processors: for SQLite datetimes they give the text Core
        # stores, where the generic ones hand datetimes to sqlite3's adapter (a Python
        # call per value, and a different text when microseconds are zero).
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        default = column.default
        if key in _ALWAYS_SET:
            constants[column.name] = process(now) if process else now
        elif key in given:
            keys.append(key)
            names.append(column.name)
            processes.append(process)
        elif isinstance(default, ScalarElementColumnDefault) and default.arg is not None:
            constants[column.name] = process(default.arg) if process else default.arg
    params = _row_tuples(rows, keys)
    columns: list[Any] = list(zip(*params, strict=False)) if keys else []
    changed = False
    ids: list[str] = []
    present: list[str] = []
    sometimes_null: set[str] = set()
    for i, key in enumerate(keys):
        column, values = table.c[names[i]], columns[i]
        if key == "id":
            if not all(values):
                # One block of time-ordered ids: the key index is appended to.
                fresh = iter(IdBlock.make(count).ids())
                values = [v or next(fresh) for v in values]
                changed = True
            ids = list(values)
        if None in values and isinstance(column.default, ScalarElementColumnDefault):
            values = [column.default.arg if v is None else v for v in values]
            changed = True
        nulls = values.count(None)
        if nulls == count:
            continue  # bound as NULL; nothing for the outbox
        process = processes[i]
        if process is not None and not (
            # SQLite's Float processor only makes floats: skip it (and rebuilding the
            # tuples) when every value is one already, as parsed coordinates are.
            isinstance(column.type, Float) and set(map(type, values)) <= _FLOAT_OR_NONE
        ):
            values = _processed(process, values)
            changed = True
        columns[i] = values
        present.append(names[i])
        if nulls:
            sometimes_null.add(names[i])
    if not ids:
        ids = IdBlock.make(count).ids()
        names.append("id")
        if changed:
            columns.append(ids)
        else:
            params = list(map(operator.add, params, zip(ids)))
    if changed:
        params = list(zip(*columns, strict=False))
    plain = plain_text_columns(
        table, {name: columns[names.index(name)] for name in present if name not in constants}
    )
    literals: dict[str, str] = {}
    for name, value in constants.items():
        literal = _sql_literal(value)
        if literal is None:  # not something SQL can spell: bind it in every row
            names.append(name)
            params = [(*p, value) for p in params]
        else:
            literals[name] = literal
        if isinstance(table.c[name].type, String) and not JSON_ESCAPED.search(str(value)):
            plain.add(name)
        present.append(name)
    return BulkRows(ids, names, params, literals, present, sometimes_null, plain)


def _processed(process: Any, values: list[Any]) -> list[Any]:
    """``process`` applied to each value (None stays None), once per distinct value.

    A column's values repeat: a demo's visit times fall on a few thousand quarter
    hours, its amounts on 1,600 figures; a datetime's processors cost ~2 µs a value
    (to UTC, then to text), 130k visits have four. Equal values give equal stored
    values (equal aware datetimes are the same instant). Values that cannot be
    hashed (JSON documents) are processed one by one.
    """
    done: dict[Any, Any] = {None: None}
    try:
        return [done[v] if v in done else done.setdefault(v, process(v)) for v in values]
    except TypeError:  # unhashable
        return [None if v is None else process(v) for v in values]


def _row_tuples(rows: list[dict[str, Any]], keys: list[str]) -> list[tuple[Any, ...]]:
    """``rows`` as tuples of their values for ``keys`` (None where a row lacks one)."""
    if len(keys) > 1:
        try:
            return list(map(operator.itemgetter(*keys), rows))
        except KeyError:  # rows naming different columns
            pass
    return [tuple(map(row.get, keys)) for row in rows]


def _sql_literal(value: Any) -> str | None:
    """``value`` written as an SQL literal, or None if it is not text or a number."""
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return repr(value)
    return None


def _insert_many(session: Session, table: Table, batch: BulkRows) -> None:
    """One executemany of plain tuples (the driver's fastest path)."""
    names = ", ".join([*batch.names, *batch.constants])
    marks = ", ".join(["?"] * len(batch.names) + list(batch.constants.values()))
    session.connection().exec_driver_sql(
        f"INSERT INTO {table.name} ({names}) VALUES ({marks})", batch.params
    )
