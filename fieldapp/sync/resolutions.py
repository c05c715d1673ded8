"""Resolving conflicts: decided on the laptop (offline too), sent to the server at sync.

A person decides with :func:`decide`: keep mine, keep theirs, or a value they typed. The
decision is written to the replica's copy of the conflict (``resolution`` set,
``resolved_at`` still empty: decided here, not yet sent); :func:`send_decisions` sends the
pending ones at the start of the next sync, and the pull that follows brings the kept
value and the resolved conflict to this and every other device concerned.

A typed (merged) value is "keep theirs" plus an ordinary edit of the field through the
store's services, so it is validated like any edit and travels in the outbox: the server
holds theirs, the edit's base is theirs, and the server takes it without a new conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fieldapp.errors import FieldappError, NotFoundError
from fieldapp.store import services
from fieldapp.store.db import Replica
from fieldapp.store.models import ENTITIES
from fieldapp.sync import state

if TYPE_CHECKING:  # the app's Conflicts panel imports this module: no sync client yet
    from fieldapp.sync.transport import Transport

Keep = Literal["mine", "theirs"]
_UNSET: Any = object()


def decide(replica: Replica, conflict_id: str, keep: Keep, merged: Any = _UNSET) -> None:
    """Record a person's decision on one conflict; ``merged`` is a value they typed."""
    table = state.conflicts
    with replica.session() as session:
        row = session.execute(select(table).where(table.c.id == conflict_id)).first()
        if row is None:
            raise NotFoundError(f"there is no conflict {conflict_id} on this laptop")
        if row.resolved_at is not None:
            raise FieldappError(f"that conflict was already resolved (kept {row.resolution})")
        if merged is not _UNSET:
            if row.kind != "field" or not row.field:
                raise FieldappError(
                    "a deleted record cannot take a typed value; keep yours or the deletion"
                )
            services.update(session, row.entity, row.row_id, {row.field: merged})
            keep = "theirs"
        session.execute(update(table).where(table.c.id == conflict_id).values(resolution=keep))


def undecided(replica: Replica, conflict_id: str) -> None:
    """Take back a decision not sent yet (a typed value stays as an ordinary edit)."""
    table = state.conflicts
    with replica.engine.begin() as conn:
        conn.execute(
            update(table)
            .where(table.c.id == conflict_id, table.c.resolved_at.is_(None))
            .values(resolution=None)
        )


def pending_decisions(replica: Replica) -> list[tuple[str, Keep]]:
    table = state.conflicts
    with replica.engine.connect() as conn:
        rows = conn.execute(
            select(table.c.id, table.c.resolution)
            .where(table.c.resolved_at.is_(None), table.c.resolution.is_not(None))
            .order_by(table.c.seq)
        )
        return [(row.id, row.resolution) for row in rows]


def send_decisions(replica: Replica, transport: Transport) -> int:
    """Send the decisions made since the last sync; how many the server took."""
    from fieldapp.sync.engine import record_resolution

    sent = 0
    for conflict_id, keep in pending_decisions(replica):
        info = transport.resolve(conflict_id, keep)
        record_resolution(replica, info.model_dump())
        sent += 1
    return sent


@dataclass(frozen=True)
class ConflictItem:
    """One open conflict as the inbox shows it (plain values, safe across threads)."""

    id: str
    entity: str
    row_id: str
    kind: str  # "field" | "deleted"
    field: str | None
    base: Any
    mine: Any
    theirs: Any
    decided: Keep | None  # decided here, not sent yet
    label: str  # the record in words: "Acme Ltd", "Call back Mr Ode"


# The fields that name a record, in the order tried.
_NAMING = ("name", "title", "company", "subject", "body", "username")


def record_label(session: Session, entity: str, row_id: str) -> str:
    """A record in a few words, for lists that mention records of any kind."""
    model = ENTITIES.get(entity)
    obj = session.get(model, row_id) if model is not None else None
    if obj is None:
        return "(not on this laptop)"
    person = " ".join(
        str(v) for v in (getattr(obj, "first_name", None), getattr(obj, "last_name", None)) if v
    )
    if person:
        return person
    for name in _NAMING:
        value = getattr(obj, name, None)
        if value:
            text = str(value).splitlines()[0]
            return text if len(text) <= 60 else text[:57] + "…"
    return row_id[:8]


def open_conflicts(session: Session) -> list[ConflictItem]:
    """Conflicts not resolved on the server yet, oldest first, with their records' names."""
    table = state.conflicts
    rows = session.execute(
        select(table).where(table.c.resolved_at.is_(None)).order_by(table.c.seq)
    ).all()
    labels: dict[tuple[str, str], str] = {}
    items = []
    for row in rows:
        key = (row.entity, row.row_id)
        if key not in labels:
            labels[key] = record_label(session, row.entity, row.row_id)
        items.append(
            ConflictItem(
                row.id,
                row.entity,
                row.row_id,
                row.kind,
                row.field,
                row.base,
                row.mine,
                row.theirs,
                row.resolution,
                labels[key],
            )
        )
    return items
