"""Changes the server refused: kept, visible, until a person resends or discards them.

The sync engine marks an outbox entry ``refused`` with the server's reason instead of
dropping it. Nothing here talks to the server: :func:`resend` only puts the entry back
in the queue, carrying the record's *current* values (so a record fixed since is sent
as fixed) under a new mutation id (the server answers a replayed id with its first
answer, the refusal). A later edit of a refused record joins the refused entry (see
:mod:`fieldapp.store.outbox`) rather than queueing an update the server would refuse
as "not on the server".

Functions take a session for one operation and return plain values (the GUI's Sync
screen and ``fieldapp refused`` use them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fieldapp.errors import FieldappError, NotFoundError
from fieldapp.store import fields
from fieldapp.store.models import ENTITIES, Outbox, Synced
from fieldapp.store.outbox import insert_changes, unrecorded
from fieldapp.store.types import new_id, to_wire

REFUSED = "refused"


@dataclass(frozen=True)
class RefusedChange:
    """One refused change as a person sees it."""

    outbox_id: int
    entity: str
    record_id: str
    label: str  # "Acme Ltd", "Ana Lopez", "Call back about the quote"
    operation: str  # insert | update | delete | restore
    reason: str  # the server's words
    refused_at: str  # ISO 8601, UTC
    fields: dict[str, object]  # the change: field -> the value sent


def _label(entity: str, record: Synced | None, changes: dict[str, Any]) -> str:
    def value(name: str) -> Any:
        if record is not None and hasattr(record, name):
            return getattr(record, name)
        pair = changes.get(name)
        return pair[1] if isinstance(pair, list) and len(pair) == 2 else None

    if entity in ("contacts", "leads", "users"):
        name = " ".join(str(v) for v in (value("first_name"), value("last_name")) if v)
        name = name or str(value("username") or "")
        company = value("company") if entity == "leads" else None
        text = f"{name} ({company})" if name and company else name or str(company or "")
    elif entity == "tasks":
        text = str(value("title") or "")
    elif entity == "notes":
        body = str(value("body") or "")
        text = body if len(body) <= 60 else body[:59] + "…"
    elif entity == "visits":
        when = value("checkin_at") or value("planned_start")
        text = f"visit on {str(to_wire(when))[:10]}" if when else "visit"
    elif entity == "route_plans":
        text = str(value("name") or f"route of {str(to_wire(value('plan_date')))[:10]}")
    else:
        text = str(value("name") or "")
    singular = entity[:-1] if entity.endswith("s") else entity
    return text or f"{singular.replace('_', ' ')} {record.id if record else ''}".strip()


def record_label(session: Session, entity: str, row_id: str) -> str:
    """How a person recognises the record: its name, title or date."""
    model = ENTITIES.get(entity)
    return _label(entity, session.get(model, row_id) if model else None, {}) or row_id


def _record(session: Session, entry: Outbox) -> Synced | None:
    model = ENTITIES.get(entry.entity)
    return None if model is None else session.get(model, entry.row_id)


def _as_change(session: Session, entry: Outbox) -> RefusedChange:
    record = _record(session, entry)
    changes = entry.changes or {}
    when = entry.refused_at or entry.created_at
    return RefusedChange(
        outbox_id=entry.seq,
        entity=entry.entity,
        record_id=entry.row_id,
        label=_label(entry.entity, record, changes),
        operation=entry.op,
        reason=entry.error or "refused by the server",
        refused_at=to_wire(when) if when is not None else "",
        fields={k: v[1] for k, v in changes.items() if isinstance(v, list) and len(v) == 2},
    )


def refused_changes(session: Session) -> list[RefusedChange]:
    """Every refused change, oldest first."""
    entries = session.scalars(select(Outbox).where(Outbox.state == REFUSED).order_by(Outbox.seq))
    return [_as_change(session, e) for e in entries]


def refused_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).where(Outbox.state == REFUSED)) or 0)


def _refused(session: Session, outbox_id: int) -> Outbox:
    entry = session.get(Outbox, outbox_id)
    if entry is None or entry.state != REFUSED:
        raise NotFoundError(f"no refused change with id {outbox_id} (fieldapp refused list)")
    return entry


def resend(session: Session, outbox_id: int) -> None:
    """Queue a refused change again, with the record's current values."""
    entry = _refused(session, outbox_id)
    record = _record(session, entry)
    if record is not None:
        if entry.op == "insert" and record.server_version is None:
            entry.changes = insert_changes(record)
        else:
            current = {}
            for fld, pair in (entry.changes or {}).items():
                old = pair[0] if isinstance(pair, list) and len(pair) == 2 else None
                if hasattr(record, fld):
                    current[fld] = [old, to_wire(getattr(record, fld))]
            entry.changes = current
            entry.base_version = record.server_version
    entry.mutation_id = new_id()  # the old id would be answered with the old refusal
    entry.state = "pending"
    entry.error = None
    entry.refused_at = None
    session.flush()


def resend_all(session: Session) -> int:
    """Queue every refused change again; return how many."""
    ids = list(session.scalars(select(Outbox.seq).where(Outbox.state == REFUSED)))
    for seq in ids:
        resend(session, seq)
    return len(ids)


def discard(session: Session, outbox_id: int) -> None:
    """Drop a refused change for good.

    A record the server never accepted is deleted from the replica; a refused edit (or
    delete) is undone: the record gets back the values the server holds, as the change
    itself recorded them.
    """
    entry = _refused(session, outbox_id)
    record = _record(session, entry)
    model = ENTITIES.get(entry.entity)
    if record is not None and model is not None:
        if entry.op == "insert" and record.server_version is None:
            _delete_unsent(session, model, record)
        else:
            _revert(session, record, entry.changes or {})
    session.execute(delete(Outbox).where(Outbox.seq == entry.seq))
    session.expire_all()


def _delete_unsent(session: Session, model: type[Synced], record: Synced) -> None:
    table = model.__table__  # type: ignore[attr-defined]
    row_id = record.id
    session.expunge(record)
    try:
        with session.begin_nested():
            # Plain SQL: the outbox hook refuses hard deletes of synced rows made through
            # the ORM, and rightly; this row never reached the server, so nothing to tell.
            session.execute(delete(table).where(table.c.id == row_id))
    except IntegrityError:
        raise FieldappError(
            "other records on this laptop point at this one; discard or move them first"
        ) from None
    session.execute(delete(Outbox).where(Outbox.row_id == row_id))


def _revert(session: Session, record: Synced, changes: dict[str, Any]) -> None:
    old = {
        k: v[0]
        for k, v in changes.items()
        if isinstance(v, list) and len(v) == 2 and k in inspect(type(record)).columns
    }
    entity = record.__table__.name  # type: ignore[attr-defined]
    spec = fields.entity_fields(entity)
    parsed: dict[str, Any] = {}
    for key, value in old.items():
        rule = spec.get(key)
        try:
            parsed[key] = value if value is None or rule is None else rule.parse(value)
        except ValueError:
            parsed[key] = value  # the server's own value: put back as it was
    with unrecorded(session):
        for key, value in parsed.items():
            setattr(record, key, value)
        session.flush()
