"""A record's history, from the server's audit trail (the replica keeps none).

Used by ``fieldapp history ID`` and the app's History tabs. The record's kind is looked
up in the replica, so a person only needs its id.
"""

from __future__ import annotations

from sqlalchemy import select

from fieldapp.errors import FieldappError
from fieldapp.store.db import Replica
from fieldapp.store.models import ENTITIES
from fieldapp.sync.account import signed_in_transport, signed_out
from fieldapp.sync.errors import AuthRequired
from fieldapp.sync.protocol import HistoryItem


def entity_of(replica: Replica, record_id: str) -> str:
    """Which kind of record ``record_id`` is, from the replica."""
    with replica.read_session() as session:
        for entity, model in ENTITIES.items():
            if session.scalar(select(model.id).where(model.id == record_id)) is not None:
                return entity
    raise FieldappError(f"no record with id {record_id} in this replica")


def record_history(
    replica: Replica, record_id: str, entity: str | None = None
) -> tuple[str, list[HistoryItem]]:
    """(entity, entries oldest first); a SyncError when the server cannot be reached."""
    entity = entity or entity_of(replica, record_id)
    transport = signed_in_transport(replica)
    try:
        return entity, transport.history(entity, record_id)
    except AuthRequired:
        raise signed_out(replica) from None
    finally:
        transport.close()


def describe_change(field: str, old: object, new: object) -> str:
    """One changed field in words, e.g. ``phone: +44… → +44…``."""

    def shown(value: object) -> str:
        return "(empty)" if value in (None, "") else str(value)

    return f"{field}: {shown(old)} → {shown(new)}"


def lines(item: HistoryItem) -> list[str]:
    """The changed fields of one entry, one line each."""
    if item.redacted:
        return ["(erased on request)"]
    return [
        describe_change(f, pair[0], pair[1]) for f, pair in sorted((item.changes or {}).items())
    ]
