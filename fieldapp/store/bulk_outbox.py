"""The outbox entries of a bulk insert, built inside SQLite.

They must be exactly what the flush hook (:mod:`fieldapp.store.outbox`) writes for
one row (tests compare them for every column type), but for 100k rows at once: one
``INSERT ... SELECT`` fills a ``printf`` JSON template per row.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, Column, Float, String, Table, text
from sqlalchemy.orm import Session

from fieldapp.store.models import Outbox, Synced
from fieldapp.store.types import IdBlock, Money, UTCDateTime

if TYPE_CHECKING:
    from fieldapp.store.bulk import BulkRows

# What a JSON string must escape (RFC 8259), and all that SQLite's json_quote does.
JSON_ESCAPED = re.compile(r'["\\\x00-\x1f]')


def plain_text_columns(table: Table, columns: dict[str, list[Any]]) -> set[str]:
    """Text columns whose values in this batch can go into JSON as they are, between quotes.

    That is every column of text none of whose values has a quote, a backslash or
    a control character: the usual case (names, streets, towns). json_quote was
    half the cost of building the outbox JSON.
    """
    plain = set()
    for column in table.columns:
        values = columns.get(column.name)
        if (
            values is None
            or column.key in Synced.BOOKKEEPING
            or not isinstance(column.type, String)
        ):
            continue
        try:
            joined = "".join(filter(None, values))  # raises on anything but text
        except TypeError:
            continue
        if not JSON_ESCAPED.search(joined):
            plain.add(column.name)
    return plain


def _json_sql(column: Column[Any]) -> str:
    """SQL giving the JSON text of what :func:`to_wire` gives for ``column``'s stored value."""
    name = column.name
    kind = column.type
    if isinstance(kind, Float):
        # json_quote writes 15 significant digits; a double needs 17 to come back
        # exactly (a coordinate would move in its last digits on the way to the server).
        return f"printf('%!.17g', {name})"
    if isinstance(kind, UTCDateTime):
        # Stored "YYYY-MM-DD HH:MM:SS.ffffff" (UTC); isoformat() drops zero micros.
        wire = (
            f"substr({name}, 1, 10) || 'T' || CASE WHEN substr({name}, 21) = '000000' "
            f"THEN substr({name}, 12, 8) ELSE substr({name}, 12) END || '+00:00'"
        )
    elif isinstance(kind, Money):
        wire = f"printf('%d.%02d', {name} / 100, {name} % 100)"  # amounts are >= 0
    elif isinstance(kind, Boolean):
        wire = f"json(CASE WHEN {name} THEN 'true' ELSE 'false' END)"
    elif isinstance(kind, JSON):
        wire = f"json({name})"
    else:
        wire = name
    return f"json_quote({wire})"


def _changes_sql(
    table: Table, present: list[str], sometimes_null: set[str], plain: set[str]
) -> str:
    """SQL building an insert entry's changes, ``{"field": [null, value], ...}``.

    Fields that are None are left out, as the flush hook does. One printf fills a
    ``,"field":[null,%s]`` slot per column: a chain of ``||`` copied the growing
    string once per field and cost 20% more. Columns in ``plain`` (text needing no
    escapes, see :func:`plain_text_columns`) are copied into a ``"%s"`` slot; the
    others are written by :func:`_json_sql`. Columns NULL in every row of the batch are not
    mentioned at all; only those NULL in some rows need a CASE.
    """
    template, args = "", []
    first_optional = None
    for column in table.columns:
        name = column.name
        if column.key in Synced.BOOKKEEPING or name not in present:
            continue
        # Plain text is copied between quotes; anything else is already JSON text.
        quote, value = ('"', name) if name in plain else ("", _json_sql(column))
        slot = f"{quote}%s{quote}"
        piece = f"',\"{name}\":[null,{quote}' || {value} || '{quote}]'"
        if first_optional is None:
            first_optional = name in sometimes_null
        if name in sometimes_null:
            template += "%s"
            args.append(f"CASE WHEN {name} IS NULL THEN '' ELSE {piece} END")
        else:
            template += f',"{name}":[null,{slot}]'
            args.append(value)
    if not args:
        return "'{}'"
    if not first_optional:
        # The first field is always there: the template can start the object itself.
        return f"printf('{{{template[1:]}}}', {', '.join(args)})"
    return f"'{{' || substr(printf('{template}', {', '.join(args)}), 2) || '}}'"


def outbox_for_inserted(
    session: Session,
    table: Table,
    entity: str,
    after_rowid: int,
    now: datetime,
    batch: BulkRows,
) -> None:
    """One insert entry per row of ``table`` above ``after_rowid``, like the flush hook's.

    The entries name ``batch.present`` (the other columns are NULL in every new
    row). Mutation ids come from one :class:`IdBlock`, in row order, so their
    unique index is appended to.
    """
    dialect = session.connection().dialect
    created = Outbox.__table__.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)
    block = IdBlock.make(0)
    changes = _changes_sql(table, batch.present, batch.sometimes_null, batch.plain)
    session.execute(
        text(
            "INSERT INTO outbox (mutation_id, entity, row_id, op, changes, base_version, "
            "created_at, state) "
            "SELECT :head || printf('%012x', :start + rowid - :after), :entity, id, 'insert', "
            f"{changes}, NULL, :created, 'pending' "
            f"FROM {table.name} WHERE rowid > :after ORDER BY rowid"
        ),
        {
            "head": block.head,
            "start": block.start,
            "entity": entity,
            "created": created(now) if created else now,
            "after": after_rowid,
        },
    )
