"""The only way anything writes to the replica.

Functions take a session for one operation (see :meth:`Replica.session`) and return
plain values: ids and dicts, never live ORM objects. The outbox entry for every
change is written by the flush hook in :mod:`fieldapp.store.outbox`, in the same
transaction.
"""

from __future__ import annotations

import gc
import math
import operator
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Dialect, Float, String, Table, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from fieldapp.errors import FieldError, NotFoundError, ValidationError
from fieldapp.store import fields, ownership, rules, search
from fieldapp.store.db import defer_checkpoint
from fieldapp.store.models import (
    ENTITIES,
    Account,
    Contact,
    Lead,
    Opportunity,
    Outbox,
    PipelineStage,
    Synced,
    Task,
    Visit,
)
from fieldapp.store.types import IdBlock, Money, UTCDateTime, new_id, to_wire, utcnow

# Deleting a record tombstones what hangs off it too; restoring brings those back.
CASCADE: dict[str, tuple[tuple[str, str], ...]] = {
    "accounts": (
        ("contacts", "account_id"),
        ("opportunities", "account_id"),
        ("visits", "account_id"),
        ("tasks", "account_id"),
        ("notes", "account_id"),
        ("attachments", "account_id"),
        ("flags", "account_id"),
    ),
    "route_plans": (("route_stops", "route_plan_id"),),
}


def model_for(entity: str) -> type[Synced]:
    try:
        return ENTITIES[entity]
    except KeyError:
        raise NotFoundError(f"no such kind of record: {entity}") from None


def _load(session: Session, entity: str, row_id: str, *, deleted: bool = False) -> Synced:
    obj = session.get(model_for(entity), row_id)
    if obj is None or (obj.deleted_at is not None and not deleted):
        singular = entity[:-1] if entity.endswith("s") else entity
        raise NotFoundError(f"no {singular.replace('_', ' ')} with id {row_id}")
    return obj


def _check_references(session: Session, entity: str, values: dict[str, Any]) -> None:
    errors = []
    for field, value in values.items():
        target = fields.referenced_entity(entity, field)
        if value is None or target in (None, "users", "territories"):
            # Users and territories may be out of the replica's scope (see models).
            continue
        row = session.get(model_for(target), value)
        if row is None or row.deleted_at is not None:
            errors.append(FieldError(field, f"no {target[:-1].replace('_', ' ')} with id {value}"))
    stage = values.get("stage") if entity == "opportunities" else None
    if stage is not None and stage_by_name(session, stage) is None:
        names = ", ".join(s.name for s in pipeline(session))
        errors.append(FieldError("stage", f"unknown stage {stage!r} ({names})"))
    if errors:
        raise ValidationError(errors)


def record_dict(obj: Synced) -> dict[str, Any]:
    return obj.to_dict()


def create(session: Session, entity: str, values: dict[str, Any]) -> str:
    """Validate and insert one record; return its new id."""
    cleaned = fields.clean(entity, values, creating=True)
    _check_references(session, entity, cleaned)
    if entity == "opportunities":
        _apply_stage_defaults(session, cleaned)
    obj = model_for(entity)(id=new_id(), **cleaned)  # type: ignore[call-arg]
    session.add(obj)
    session.flush()
    if isinstance(obj, Visit):
        rules.after_visit(session, obj, checked_in_now=obj.checkin_at is not None)
    return obj.id


def update(session: Session, entity: str, row_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """Change fields of one record; return ``{field: new value}`` for what changed."""
    obj = _load(session, entity, row_id)
    cleaned = fields.clean(entity, values, creating=False)
    _check_references(session, entity, cleaned)
    if entity == "opportunities" and "stage" in cleaned and "probability" not in cleaned:
        _apply_stage_defaults(session, cleaned)
    if entity in ("accounts", "contacts", "leads") and (
        ("latitude" in cleaned) != ("longitude" in cleaned)
    ):
        lat = cleaned.get("latitude", getattr(obj, "latitude", None))
        lon = cleaned.get("longitude", getattr(obj, "longitude", None))
        if (lat is None) != (lon is None):
            raise ValidationError([FieldError("latitude", "latitude and longitude go together")])
    changed = {}
    was_done = getattr(obj, "checkin_at", None) is not None
    for field, value in cleaned.items():
        if to_wire(getattr(obj, field)) != to_wire(value):
            setattr(obj, field, value)
            changed[field] = value
    session.flush()
    if isinstance(obj, Visit) and changed:
        rules.after_visit(session, obj, checked_in_now=not was_done and obj.checkin_at is not None)
    return changed


def delete(session: Session, entity: str, row_id: str) -> list[tuple[str, str]]:
    """Tombstone a record and what hangs off it; return ``(entity, id)`` of every row."""
    obj = _load(session, entity, row_id)
    when = utcnow()
    obj.deleted_at = when
    gone = [(entity, row_id)]
    for child_entity, fk in CASCADE.get(entity, ()):
        child = model_for(child_entity)
        rows = session.scalars(
            select(child).where(getattr(child, fk) == row_id, child.deleted_at.is_(None))
        )
        for row in rows:
            row.deleted_at = when
            gone.append((child_entity, row.id))
    session.flush()
    return gone


def restore(session: Session, entity: str, row_id: str) -> list[tuple[str, str]]:
    """Undo :func:`delete`: bring back the record and the children deleted with it."""
    obj = _load(session, entity, row_id, deleted=True)
    if obj.deleted_at is None:
        return []
    when = obj.deleted_at
    obj.deleted_at = None
    back = [(entity, row_id)]
    for child_entity, fk in CASCADE.get(entity, ()):
        child = model_for(child_entity)
        rows = session.scalars(
            select(child).where(getattr(child, fk) == row_id, child.deleted_at == when)
        )
        for row in rows:
            row.deleted_at = None
            back.append((child_entity, row.id))
    session.flush()
    return back


def get(session: Session, entity: str, row_id: str) -> dict[str, Any]:
    return record_dict(_load(session, entity, row_id))


def list_records(
    session: Session,
    entity: str,
    *,
    limit: int | None = 100,
    offset: int = 0,
    where: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    model = model_for(entity)
    query = select(model).where(model.deleted_at.is_(None))
    for field, value in (where or {}).items():
        query = query.where(getattr(model, field) == value)
    order = getattr(model, "name", None) or getattr(model, "last_name", None) or model.created_at
    query = query.order_by(order, model.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [record_dict(obj) for obj in session.scalars(query)]


def count(session: Session, entity: str) -> int:
    model = model_for(entity)
    return (
        session.scalar(select(func.count()).select_from(model).where(model.deleted_at.is_(None)))
        or 0
    )


def pending_outbox(session: Session) -> int:
    return session.scalar(select(func.count()).where(Outbox.state == "pending")) or 0


# --- pipeline -----------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    id: str
    name: str
    position: int
    probability: int
    is_won: bool
    is_lost: bool


def pipeline(session: Session) -> list[Stage]:
    rows = session.scalars(
        select(PipelineStage)
        .where(PipelineStage.deleted_at.is_(None))
        .order_by(PipelineStage.position)
    )
    return [Stage(r.id, r.name, r.position, r.probability, r.is_won, r.is_lost) for r in rows]


def stage_by_name(session: Session, name: str) -> Stage | None:
    for stage in pipeline(session):
        if stage.name.lower() == name.strip().lower():
            return stage
    return None


def _apply_stage_defaults(session: Session, cleaned: dict[str, Any]) -> None:
    stage = stage_by_name(session, cleaned["stage"])
    if stage is None:
        return
    cleaned["stage"] = stage.name
    if cleaned.get("probability") is None:
        cleaned["probability"] = stage.probability


# --- leads and visits -----------------------------------------------------------


@dataclass(frozen=True)
class Conversion:
    account_id: str
    contact_id: str
    opportunity_id: str | None


def convert_lead(
    session: Session,
    lead_id: str,
    *,
    account_id: str | None = None,
    opportunity_name: str | None = None,
    amount: Decimal | str | None = None,
    close_date: date | str | None = None,
    create_opportunity: bool = True,
) -> Conversion:
    """Turn a lead into account + contact (+ opportunity), all in this transaction.

    With ``account_id`` the contact joins an existing account instead of a new one.
    """
    lead = _load(session, "leads", lead_id)
    assert isinstance(lead, Lead)
    if lead.status == "converted":
        raise ValidationError([FieldError("status", "this lead has already been converted")])
    if account_id is None:
        account_id = create(
            session,
            "accounts",
            {
                "name": lead.company or f"{lead.first_name or ''} {lead.last_name}".strip(),
                "type": "prospect",
                "phone": lead.phone,
                "email": lead.email,
                "street": lead.street,
                "city": lead.city,
                "postcode": lead.postcode,
                "country": lead.country,
                "owner_id": lead.owner_id,
                "description": lead.description,
            },
        )
    else:
        _load(session, "accounts", account_id)
    contact_id = create(
        session,
        "contacts",
        {
            "account_id": account_id,
            "first_name": lead.first_name,
            "last_name": lead.last_name,
            "title": lead.title,
            "email": lead.email,
            "phone": lead.phone,
            "owner_id": lead.owner_id,
        },
    )
    opportunity_id = None
    if create_opportunity:
        first = pipeline(session)[0]
        opportunity_id = create(
            session,
            "opportunities",
            {
                "account_id": account_id,
                "contact_id": contact_id,
                "name": opportunity_name or f"{lead.company or lead.last_name} — new business",
                "stage": first.name,
                "amount": amount,
                "close_date": close_date,
                "owner_id": lead.owner_id,
            },
        )
    lead.status = "converted"
    lead.converted_at = utcnow()
    lead.converted_account_id = account_id
    lead.converted_contact_id = contact_id
    lead.converted_opportunity_id = opportunity_id
    session.flush()
    return Conversion(account_id, contact_id, opportunity_id)


def log_visit(
    session: Session,
    account_id: str,
    *,
    outcome: str | None,
    notes: str | None = None,
    next_step: str | None = None,
    checkin_at: datetime | str | None = None,
    checkout_at: datetime | str | None = None,
    follow_up_due: datetime | str | None = None,
    **extra: Any,
) -> str:
    """Record a visit (done now unless times are given); optionally a follow-up task."""
    now = utcnow()
    values = {
        "account_id": account_id,
        "outcome": outcome,
        "notes": notes,
        "next_step": next_step,
        "checkin_at": checkin_at or now,
        "checkout_at": checkout_at or checkin_at or now,
        **extra,
    }
    visit_id = create(session, "visits", values)
    visit = session.get(Visit, visit_id)
    assert visit is not None
    if visit.checkout_at and visit.checkin_at and visit.checkout_at < visit.checkin_at:
        raise ValidationError([FieldError("checkout_at", "check-out is before check-in")])
    if follow_up_due is not None:
        create(
            session,
            "tasks",
            {
                "title": next_step or "Follow up on visit",
                "account_id": account_id,
                "visit_id": visit_id,
                "due_at": follow_up_due,
            },
        )
    return visit_id


def complete_task(session: Session, task_id: str, done: bool = True) -> None:
    update(session, "tasks", task_id, {"done": done, "done_at": utcnow() if done else None})


def last_visit_at(session: Session, account_id: str) -> datetime | None:
    return session.scalar(
        select(func.max(Visit.checkin_at)).where(
            Visit.account_id == account_id, Visit.deleted_at.is_(None)
        )
    )


# --- bulk ---------------------------------------------------------------------


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
    that builds each entry's JSON inside SQLite (see :func:`_outbox_for_inserted`).
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
    with gc_paused(), search.deferred_index(session, table.name, len(rows)):
        batch = _batch(session.connection().dialect, table, rows, now)
        _insert_many(session, table, batch)
    if outbox:
        _outbox_for_inserted(session, table, entity, before, now, batch)
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
class _Batch:
    """The rows of one bulk insert as the driver takes them, and what the outbox needs."""

    ids: list[str]  # in row order
    names: list[str]  # columns bound per row, in the order of each params tuple
    params: list[tuple[Any, ...]]
    constants: dict[str, str]  # column -> SQL literal, the same for every row
    present: list[str]  # columns holding a value in some row
    sometimes_null: set[str]  # ... of those, NULL in some rows
    plain: set[str]  # text columns needing no JSON escapes (see _plain_text_columns)


def _batch(dialect: Dialect, table: Table, rows: list[dict[str, Any]], now: datetime) -> _Batch:
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
            values = [None if v is None else process(v) for v in values]
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
    plain = _plain_text_columns(
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
        if isinstance(table.c[name].type, String) and not _JSON_ESCAPED.search(str(value)):
            plain.add(name)
        present.append(name)
    return _Batch(ids, names, params, literals, present, sometimes_null, plain)


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


def _insert_many(session: Session, table: Table, batch: _Batch) -> None:
    """One executemany of plain tuples (the driver's fastest path)."""
    names = ", ".join([*batch.names, *batch.constants])
    marks = ", ".join(["?"] * len(batch.names) + list(batch.constants.values()))
    session.connection().exec_driver_sql(
        f"INSERT INTO {table.name} ({names}) VALUES ({marks})", batch.params
    )


# What a JSON string must escape (RFC 8259), and all that SQLite's json_quote does.
_JSON_ESCAPED = re.compile(r'["\\\x00-\x1f]')


def _plain_text_columns(table: Table, columns: dict[str, list[Any]]) -> set[str]:
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
        if not _JSON_ESCAPED.search(joined):
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
    escapes, see :func:`_plain_text_columns`) are copied into a ``"%s"`` slot; the
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


def _outbox_for_inserted(
    session: Session,
    table: Table,
    entity: str,
    after_rowid: int,
    now: datetime,
    batch: _Batch,
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


__all__ = [
    "Account",
    "Contact",
    "Conversion",
    "Opportunity",
    "Stage",
    "Task",
    "bulk_create",
    "complete_task",
    "convert_lead",
    "count",
    "create",
    "delete",
    "gc_paused",
    "get",
    "list_records",
    "log_visit",
    "pipeline",
    "restore",
    "update",
]
