"""Applying the server's purge list: records erased on request leave this replica too.

Called inside a pull chunk's transaction (the checkpoint), on the writer's connection,
which bypasses the outbox hook: a purge is not a user's delete and is not sent back.
The record's row goes (its search index entries with it, through the delete trigger,
and the index is then optimised so no old segment keeps its words), and so do its
outbox entries, pending or refused, and the conflicts about it: nothing of it is kept
to be pushed again or shown.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, delete

from fieldapp.store.models import ENTITIES, Outbox
from fieldapp.store.search import FTS_COLUMNS
from fieldapp.sync import state


def purge(conn: Connection, purged: Iterable[dict[str, str]]) -> int:
    """Delete the purged records and all that refers to them; return how many were here."""
    removed = 0
    indexed: set[str] = set()
    for item in purged:
        entity, row_id = item.get("entity", ""), item.get("id", "")
        model = ENTITIES.get(entity)
        if model is None or not row_id:
            continue  # a kind of record this client does not keep
        gone = conn.execute(delete(model).where(model.id == row_id)).rowcount
        conn.execute(delete(Outbox).where(Outbox.row_id == row_id))
        conn.execute(delete(state.conflicts).where(state.conflicts.c.row_id == row_id))
        if gone and entity in FTS_COLUMNS:
            indexed.add(entity)
        removed += gone
    for entity in sorted(indexed):
        # FTS5 marks a deleted row's words as deleted; 'optimize' merges the segments,
        # so the words themselves are gone from the file (erasures are rare: worth it).
        conn.exec_driver_sql(f"INSERT INTO {entity}_fts({entity}_fts) VALUES ('optimize')")
    return removed
