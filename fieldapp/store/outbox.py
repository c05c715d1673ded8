"""The transactional outbox.

Every flush that inserts or changes a synced row also adds (or extends) that row's
outbox entry, in the same transaction, from SQLAlchemy's attribute history. Doing it
in a flush hook rather than in each service function means no write path can forget
it. Within one transaction a record gets exactly one entry, however many flushes
touched it.

Two things are refused outright: hard deletes of synced rows (deletes are tombstones,
``deleted_at``), and writes with no outbox while not applying server changes.
Applying changes *from* the server is the one write that must not produce an outbox
entry; it opens its session with :func:`remote_apply`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from fieldapp.store import ownership
from fieldapp.store.models import Outbox, Synced, entity_name
from fieldapp.store.types import new_id, to_wire, utcnow

_PENDING_KEY = "fieldapp.outbox.pending"
_REMOTE_KEY = "fieldapp.remote_apply"
_REFUSED_KEY = "fieldapp.outbox.refused"


def remote_apply(session: Session) -> Session:
    """Mark ``session`` as applying server changes: no outbox entries are written."""
    session.info[_REMOTE_KEY] = True
    return session


@contextmanager
def unrecorded(session: Session) -> Iterator[Session]:
    """Flushes inside the block write no outbox entries (putting back the server's values)."""
    before = session.info.get(_REMOTE_KEY, False)
    session.info[_REMOTE_KEY] = True
    try:
        yield session
    finally:
        session.info[_REMOTE_KEY] = before


def insert_changes(obj: Synced) -> dict[str, list[Any]]:
    """``{field: [None, value]}`` for every field a new record holds (its insert entry)."""
    return _insert_changes(obj)


def _column_keys(obj: Synced) -> list[str]:
    return [c.key for c in obj.__table__.columns]  # type: ignore[attr-defined]


def _insert_changes(obj: Synced) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for column in obj.__table__.columns:  # type: ignore[attr-defined]
        key = column.key
        if key in Synced.BOOKKEEPING:
            continue
        value = getattr(obj, key)
        if value is None and isinstance(column.default, ScalarElementColumnDefault):
            # Fill scalar defaults now rather than at INSERT, so that the entry says
            # what the row holds (the server must not guess our defaults).
            value = column.default.arg
            setattr(obj, key, value)
        if value is not None:
            changes[key] = [None, to_wire(value)]
    return changes


def _update_changes(obj: Synced) -> dict[str, list[Any]]:
    state = inspect(obj)
    changes: dict[str, list[Any]] = {}
    for key in _column_keys(obj):
        if key in Synced.BOOKKEEPING:
            continue
        hist = state.attrs[key].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if to_wire(old) == to_wire(new):
            continue
        changes[key] = [to_wire(old), to_wire(new)]
    return changes


def _operation(changes: dict[str, list[Any]]) -> str:
    if "deleted_at" in changes:
        old, new = changes["deleted_at"]
        if old is None and new is not None:
            return "delete"
        if old is not None and new is None:
            return "restore"
    return "update"


def _record(session: Session, obj: Synced, op: str, changes: dict[str, list[Any]]) -> None:
    pending: dict[tuple[str, str], Outbox] = session.info.setdefault(_PENDING_KEY, {})
    key = (entity_name(type(obj)), obj.id)
    entry = pending.get(key)
    if entry is None and op != "insert":
        entry = _refused_entry(session, key)
        if entry is not None:
            pending[key] = entry  # later flushes of this transaction fold in too
    if entry is None:
        entry = Outbox(
            mutation_id=new_id(),
            entity=key[0],
            row_id=obj.id,
            op=op,
            changes=changes,
            base_version=obj.server_version,
            created_at=utcnow(),
            state="pending",
        )
        session.add(entry)
        pending[key] = entry
        return
    # A second flush of the same record in this transaction: fold it into the entry,
    # keeping the oldest "old" value and the newest "new" one.
    merged = dict(entry.changes)
    for field, (old, new) in changes.items():
        merged[field] = [merged[field][0] if field in merged else old, new]
    entry.changes = merged
    if entry.op != "insert":
        entry.op = op if op != "update" else entry.op


def _refused_entry(session: Session, key: tuple[str, str]) -> Outbox | None:
    """The record's refused entry, which a later edit joins (see fieldapp.store.refused).

    A refused insert never reached the server: an update queued behind it would be
    refused as "not on the server". The edit is folded into the refused entry instead,
    and goes with it when a person resends it. The refused keys are read once per
    transaction (usually none; ``outbox.state`` is indexed).
    """
    refused: dict[tuple[str, str], int] | None = session.info.get(_REFUSED_KEY)
    if refused is None:
        with session.no_autoflush:
            rows = session.execute(
                select(Outbox.entity, Outbox.row_id, Outbox.seq).where(Outbox.state == "refused")
            )
            refused = {(entity, row_id): seq for entity, row_id, seq in rows}
        session.info[_REFUSED_KEY] = refused
    seq = refused.get(key)
    if seq is None:
        return None
    with session.no_autoflush:
        entry = session.get(Outbox, seq)
    return entry if entry is not None and entry.state == "refused" else None


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    remote = session.info.get(_REMOTE_KEY, False)
    now = utcnow()
    for obj in list(session.deleted):
        if isinstance(obj, Synced):
            raise RuntimeError(
                f"hard delete of {type(obj).__name__} {obj.id}; use services.delete (tombstone)"
            )
    for obj in list(session.new):
        if not isinstance(obj, Synced):
            continue
        # Defaults are normally filled at INSERT time, after this hook; fill them now
        # so the outbox entry has the id and timestamps.
        if obj.id is None:
            obj.id = new_id()
        if obj.created_at is None:
            obj.created_at = now
        obj.updated_at = obj.created_at
        if not remote:
            ownership.stamp(session, obj)
            _record(session, obj, "insert", _insert_changes(obj))
    for obj in list(session.dirty):
        if not isinstance(obj, Synced) or not session.is_modified(obj):
            continue
        if remote:
            continue
        changes = _update_changes(obj)
        if not changes:
            continue
        obj.updated_at = now
        _record(session, obj, _operation(changes), changes)


def _forget_pending(session: Session, *args: Any) -> None:
    session.info.pop(_PENDING_KEY, None)
    session.info.pop(_REFUSED_KEY, None)


event.listen(Session, "after_commit", _forget_pending)
event.listen(Session, "after_rollback", _forget_pending)
