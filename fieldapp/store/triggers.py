"""Per-row triggers set aside for a bulk insert or delete, their work done once after.

A trigger costs a program run (and for FTS5 a flush at each statement savepoint) per
row: for big batches the store drops it, indexes or aggregates the new rows (rowids
above the maximum before the block; rows are never hard-deleted during one) in one
statement, and puts the trigger back, all inside the caller's transaction, so a
failure anywhere rolls the trigger back too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session


@contextmanager
def set_aside(session: Session | Connection, trigger: str) -> Iterator[bool]:
    """Run the block without ``trigger`` and put it back after; yields whether it was
    there (an older schema may not have it). The caller does the trigger's work."""
    sql = session.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :n"),
        {"n": trigger},
    ).scalar()
    if sql is None:
        yield False
        return
    session.execute(text(f"DROP TRIGGER {trigger}"))
    yield True
    session.execute(text(sql))


@contextmanager
def insert_trigger_deferred(
    session: Session | Connection, table: str, trigger: str, catch_up: str
) -> Iterator[None]:
    """Run the block without ``trigger``, then ``catch_up`` (SQL bound with ``:before``,
    the rowid the block's rows follow) and put the trigger back. A trigger that is not
    there (an older schema) leaves the block alone."""
    before = session.execute(text(f"SELECT coalesce(max(rowid), 0) FROM {table}")).scalar()
    with set_aside(session, trigger) as there:
        yield
        if there:
            session.execute(text(catch_up), {"before": before})
