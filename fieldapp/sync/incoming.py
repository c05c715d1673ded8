"""Pulled records into replica rows: decoding a pull reply and the SQL that writes it.

An initial sync brings hundreds of thousands of records, so this path avoids per-record
Python where it can:

- **Decoding.** msgspec decodes the reply straight into one struct per record, typed per
  entity, with each field's default for what the record leaves out. Parsing into dicts
  (orjson) and then picking each column out of each dict took 2.5 times as long.
- **Writing.** The rows go into a column-less staging table (a cheap insert per row),
  and one ``INSERT ... SELECT`` moves them into the real table. That statement does
  the expensive part (b-tree and index inserts, and the conversion of timestamps to
  the text SQLite stores) in C without holding the GIL, so the download thread can
  decode the next chunk meanwhile; an insert per row into the real table gave the GIL
  back and waited for it once per row.
"""

from __future__ import annotations

import json
import operator
import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import JSON, Boolean, Date, Table

from fieldapp.store import encryption
from fieldapp.store.models import ENTITIES
from fieldapp.store.types import Money, UTCDateTime
from fieldapp.sync.errors import SyncError
from fieldapp.sync.quarantine import Quarantined

# Columns filled with the time of the pull when a record does not carry them.
STAMPS = ("created_at", "updated_at")
# The SQL function the staging insert calls for timestamps it cannot reshape itself.
DATETIME_FUNCTION = "fieldapp_stored_datetime"


def stored_datetime(value: str) -> str:
    """A wire timestamp as the text SQLAlchemy's SQLite DateTime stores (UTC, no zone)."""
    if len(value) in (25, 32) and value[10] == "T" and value.endswith("+00:00"):
        # Already UTC (what the store writes): reshape the text, no parsing.
        return value[:10] + " " + (value[11:19] + ".000000" if len(value) == 25 else value[11:26])
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(" ", "microseconds")


def _stored_datetime_sql(name: str) -> str:
    """SQL doing :func:`stored_datetime` to column ``name`` of the staging table.

    The two shapes the store writes are reshaped in SQL; anything else (another time
    zone, fewer digits) goes to the Python function, registered by :func:`prepare_connection`.
    """
    c = f'"{name}"'
    return (
        f"CASE WHEN {c} IS NULL THEN NULL "
        f"WHEN length({c}) = 25 AND substr({c}, 11, 1) = 'T' AND substr({c}, 20) = '+00:00' "
        f"THEN substr({c}, 1, 10) || ' ' || substr({c}, 12, 8) || '.000000' "
        f"WHEN length({c}) = 32 AND substr({c}, 11, 1) = 'T' AND substr({c}, 27) = '+00:00' "
        f"THEN substr({c}, 1, 10) || ' ' || substr({c}, 12, 15) "
        f"ELSE {DATETIME_FUNCTION}({c}) END"
    )


def _stored_money(value: Any) -> int:
    return int((Decimal(str(value)) * 100).to_integral_value())


def _converter(column: Any) -> Callable[[Any], Any] | None:
    """Wire value -> stored value, for the column types converted in Python.

    Timestamps are converted in SQL (see :func:`_stored_datetime_sql`).
    """
    kind = column.type
    if isinstance(kind, Date):
        return lambda v: date.fromisoformat(v).isoformat()
    if isinstance(kind, Money):
        return _stored_money
    if isinstance(kind, Boolean):
        return lambda v: 1 if v else 0
    if isinstance(kind, JSON):
        return json.dumps
    return None


def _null(value: None) -> None:
    return None


# The sqlite3 module "adapts" every bound value whose type is not exactly int, float, str
# or bytearray, None included: two failed attribute look-ups per NULL, each raising and
# formatting an AttributeError. Pulled rows are about half NULLs, and that cost a tenth
# of an initial sync's client CPU time; with an adapter registered for None it is one dict hit
# and a call. None still binds as NULL, for every user of sqlite3 in the process. The
# replica's driver is SQLCipher's (a fork of the sqlite3 module, with its own table).
for _driver in (sqlite3, encryption.sqlcipher):
    _driver.register_adapter(type(None), _null)


def prepare_connection(driver: Any) -> None:
    """Register what the staging insert calls on the writer's sqlite3 connection."""
    driver.create_function(DATETIME_FUNCTION, 1, stored_datetime, deterministic=True)


class TablePlan:
    """How one entity's pulled records become rows of its table."""

    def __init__(self, entity: str, table: Table) -> None:
        self.entity = entity
        self.table = table
        columns = [c for c in table.columns if c.key != "server_version"]
        # Staging rows: the table's columns in order, then the record's server version.
        self.keys = [c.key for c in columns] + ["server_version"]
        self.id_index = self.keys.index("id")
        self.datetimes = {c.key for c in columns if isinstance(c.type, UTCDateTime)}
        self.converters = [
            (i, conv) for i, c in enumerate(columns) if (conv := _converter(c)) is not None
        ]
        # A record leaves out fields it has no value for; they get the column's default
        # (as the wire would carry it: the converters run on defaults too).
        fields: list[tuple[str, Any, Any]] = []
        for c in columns:
            default = c.default
            scalar = default is not None and getattr(default, "is_scalar", False)
            fields.append((c.key, Any, default.arg if scalar else None))  # type: ignore[union-attr]
        record_type: Any = msgspec.defstruct(f"Wire_{entity}", fields)
        self.decoder = msgspec.json.Decoder(list[record_type])

        name = table.name
        quoted = [f'"{k}"' for k in self.keys]
        column_list = ", ".join(quoted)
        stage = f'temp."pull_{name}"'
        self.stage_create = f'CREATE TEMP TABLE IF NOT EXISTS "pull_{name}" ({column_list})'
        self.stage_insert = f"INSERT INTO {stage} VALUES ({', '.join('?' * len(self.keys))})"
        self._stage = stage
        self._stage_inserts: dict[frozenset[int], tuple[str, Callable[[Any], Any]]] = {}
        self.stage_clear = f"DELETE FROM {stage}"
        values = []
        for k in self.keys:
            value = _stored_datetime_sql(k) if k in self.datetimes else f'"{k}"'
            if k in STAMPS:
                value = f"coalesce({value}, :now)"
            values.append(value)
        updates = ", ".join(f'"{k}" = excluded."{k}"' for k in self.keys if k != "id")
        # A record already here is replaced only by a newer server version.
        newer_wins = (
            f"ON CONFLICT (id) DO UPDATE SET {updates} "
            f'WHERE "{name}".server_version IS NULL '
            f'OR "{name}".server_version < excluded.server_version'
        )
        # WHERE true: without it SQLite would read ON CONFLICT as a join's ON.
        self.upsert_staged = (
            f'INSERT INTO "{name}" ({column_list}) SELECT {", ".join(values)} FROM {stage} '
            f"WHERE true ORDER BY rowid {newer_wins}"
        )
        self.upsert_one = (
            f'INSERT INTO "{name}" ({column_list}) '
            f"VALUES ({', '.join('?' * len(self.keys))}) {newer_wins}"
        )

    def rows(
        self,
        data: list[bytes],
        ids: list[str],
        versions: list[int],
        empty: set[int] | None = None,
    ) -> list[tuple[Any, ...]]:
        """Staging rows for records with these ``data`` documents, ids and versions;
        the positions of columns NULL in every row are added to ``empty``."""
        records = self.decoder.decode(b"[" + b",".join(data) + b"]")
        columns: list[Any] = list(zip(*map(msgspec.structs.astuple, records), strict=True))
        for i, convert in self.converters:
            values = columns[i]
            if any(v is not None for v in values):
                columns[i] = [None if v is None else convert(v) for v in values]
        columns[self.id_index] = ids  # the change's id is the record's, whatever data says
        columns.append(versions)
        if empty is not None:
            count = len(ids)
            empty.update(i for i, values in enumerate(columns) if values.count(None) == count)
        return list(zip(*columns, strict=True))

    def staging(self, rows: list[tuple[Any, ...]], empty: frozenset[int]) -> tuple[str, list[Any]]:
        """The staging insert for ``rows`` and its parameters, leaving out the columns
        at positions ``empty`` (NULL in every row: the staging table's default).

        Half of a pulled visit's columns are NULL, and each bound NULL costs the
        sqlite3 module an adapter call: binding only the others halved the staging
        insert (100k visits: 0.27 s against 0.13 s, the tuples rebuilt included).
        """
        if not empty:
            return self.stage_insert, rows
        found = self._stage_inserts.get(empty)
        if found is None:
            kept = [i for i in range(len(self.keys)) if i not in empty]
            names = ", ".join(f'"{self.keys[i]}"' for i in kept)
            sql = f"INSERT INTO {self._stage} ({names}) VALUES ({', '.join('?' * len(kept))})"
            # Two columns at least (id and version are never NULL): tuples, not values.
            found = self._stage_inserts[empty] = (sql, operator.itemgetter(*kept))
        sql, pick = found
        return sql, list(map(pick, rows))

    def stored(self, row: tuple[Any, ...], now: str) -> tuple[Any, ...]:
        """A staging row as the table stores it (the staged insert does this in SQL)."""
        values = list(row)
        for i, k in enumerate(self.keys):
            if k in self.datetimes and values[i] is not None:
                values[i] = stored_datetime(values[i])
            elif k in STAMPS and values[i] is None:
                values[i] = now
        return tuple(values)


_PLANS: dict[str, TablePlan] = {}


def plan(entity: str) -> TablePlan:
    found = _PLANS.get(entity)
    if found is None:
        table: Table = ENTITIES[entity].__table__  # type: ignore[attr-defined]
        found = _PLANS[entity] = TablePlan(entity, table)
    return found


class _Change(msgspec.Struct):
    entity: str
    id: str
    version: int
    data: msgspec.Raw


class _Envelope(msgspec.Struct, kw_only=True):
    """What a pull reply says besides its records (a fetch reply says none of it)."""

    conflicts: list[dict[str, Any]] = []
    purged: list[dict[str, str]] = []  # records erased on request: {entity, id}
    cursor: int = 0
    more: bool = False
    remaining: int = 0
    scope_seq: int = 0
    scope_changed: bool = False
    scope_accounts: list[str] | None = None
    scope_owners: list[str] | None = None
    scope_territories: list[str] | None = None
    scope_moves: list[dict[str, Any]] | None = None
    territory_reps: dict[str, list[str]] | None = None


class _Reply(_Envelope, kw_only=True):
    """A pull or fetch reply as sent; fields this client does not know are ignored."""

    changes: list[_Change]


_REPLY = msgspec.json.Decoder(_Reply)

# Entity -> staging rows of its records, in the order they came.
Rows = dict[str, list[tuple[Any, ...]]]


class Chunk(_Envelope, kw_only=True):
    """One decoded reply: its records as staging rows, and the rest as it came."""

    rows: Rows
    count: int  # records in the reply, those of entities this client does not know included
    # Entity -> positions of the staging columns that are NULL in every row of it.
    empty: dict[str, frozenset[int]] = {}
    # Records that cannot become rows (a date that is not one, an amount of "lots").
    quarantined: list[Quarantined] = []


# What turning one record into a row raises when the record holds a bad value.
BAD_VALUE = (msgspec.ValidationError, ValueError, TypeError, ArithmeticError)


def _entity_rows(
    entity: str, changes: list[_Change], bad: list[Quarantined], empty: dict[str, frozenset[int]]
) -> list[Any]:
    """Rows for ``changes``; one by one (bad ones into ``bad``) when the batch fails."""
    table_plan = plan(entity)
    columns: set[int] = set()
    try:
        together = table_plan.rows(
            [bytes(c.data) for c in changes],
            [c.id for c in changes],
            [c.version for c in changes],
            columns,
        )
        empty[entity] = frozenset(columns)
        return together
    except BAD_VALUE:
        pass  # rare: find the culprits without slowing the common case
    rows: list[Any] = []
    for c in changes:
        try:
            rows += table_plan.rows([bytes(c.data)], [c.id], [c.version])
        except BAD_VALUE as exc:
            bad.append(Quarantined(entity, c.id, c.version, bytes(c.data).decode(), str(exc)))
    return rows


def decode(body: bytes) -> Chunk:
    """Decode a pull or fetch reply; a malformed one raises :class:`SyncError`."""
    try:
        reply = _REPLY.decode(body)
        by_entity: dict[str, list[_Change]] = {}
        for change in reply.changes:
            by_entity.setdefault(change.entity, []).append(change)
    except (msgspec.DecodeError, ValueError, TypeError) as exc:
        raise SyncError(f"the server sent a pull reply this client cannot read ({exc})") from exc
    bad: list[Quarantined] = []
    empty: dict[str, frozenset[int]] = {}
    rows = {
        entity: _entity_rows(entity, changes, bad, empty)
        for entity, changes in by_entity.items()
        if entity in ENTITIES  # a newer server's entity this client does not know
    }
    envelope = {name: getattr(reply, name) for name in _Envelope.__struct_fields__}
    return Chunk(rows=rows, count=len(reply.changes), quarantined=bad, empty=empty, **envelope)
