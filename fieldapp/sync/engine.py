"""The client sync engine (headless): handshake, push, pull.

One :meth:`SyncEngine.sync` does, in order:

1. **handshake** — protocol and schema versions; on a mismatch it stops before touching
   the replica;
2. **push** — the outbox in batches, oldest first (fieldapp.sync.outgoing);
3. **pull** — chunks after the cursor; each chunk is written (fieldapp.sync.apply) and
   the cursor (the checkpoint) saved in one transaction, so an interrupted initial sync
   resumes at the last chunk. When the pull reports a scope change, pending edits are
   pushed first, records that left the scope are evicted and records that entered it
   are fetched (fieldapp.sync.scope_change).
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from fieldapp.errors import FieldappError
from fieldapp.store import tables
from fieldapp.store.db import Replica, indexes_dropped
from fieldapp.store.refused import record_label
from fieldapp.store.types import utcnow
from fieldapp.sync import apply, incoming, outgoing, purge, state
from fieldapp.sync.protocol import MAX_PULL_LIMIT
from fieldapp.sync.report import SyncReport, named, record_run
from fieldapp.sync.scope_change import FETCHED, REPS_KNOWN, apply_scope_change, pulled_tables
from fieldapp.sync.transport import Transport

__all__ = [
    "REPS_KNOWN",
    "Progress",
    "SyncEngine",
    "SyncReport",
    "conflict_rows",
    "record_resolution",
    "rejection_rows",
]

OUTBOX = tables.outbox
# A long catch-up (an initial sync) is pulled in about this many chunks, each at least
# ``chunk_size`` and at most MAX_PULL_LIMIT records: every checkpoint commit rewrites the
# index pages its chunk touched, and random UUID keys touch most of them, so a few big
# chunks write far less than many small ones, while progress still moves in small steps.
CATCH_UP_CHUNKS = 16
# A first sync of at least this many records builds the tables' secondary indexes after
# the last chunk instead of row by row (~15% of its time at 350k records).
INDEX_LATER_FROM = 20_000


@dataclass(frozen=True)
class Progress:
    phase: str  # "push" | "pull" | "fetch"
    done: int
    total: int | None


ProgressCallback = Callable[[Progress], None]


class SyncEngine:
    """Syncs one replica with one server. Not thread-safe: one sync at a time."""

    def __init__(
        self,
        replica: Replica,
        transport: Transport,
        *,
        progress: ProgressCallback | None = None,
        chunk_size: int = 2000,
        push_batch: int = 500,
        index_later_from: int = INDEX_LATER_FROM,
    ) -> None:
        self.replica = replica
        self.transport = transport
        self.progress = progress or (lambda p: None)
        self.chunk_size = chunk_size
        self.push_batch = push_batch
        self.index_later_from = index_later_from
        self.client_id: str | None = None

    # --- the whole thing ----------------------------------------------------------

    def sync(self) -> SyncReport:
        """One sync run, kept in the replica's sync history whether it worked or not."""
        started = utcnow().isoformat()
        report = SyncReport()
        try:
            self._sync(report)
        except Exception as exc:
            # The history must never hide the sync's own error (a broken replica).
            with suppress(SQLAlchemyError):
                record_run(self.replica, started, report, _words(exc))
            raise
        self._name_kept(report)
        record_run(self.replica, started, report)
        return report

    def _sync(self, report: SyncReport) -> None:
        with self.replica.engine.connect() as conn:
            client_id = state.get(conn, "client_id")
            if client_id is None:
                client_id = str(uuid.uuid4())
                state.put(conn, "client_id", client_id)
                conn.commit()
        self.client_id = client_id
        hello = self.transport.hello(client_id)  # raises before the replica is touched
        state.remember_user(self.replica, hello.user, _territories(hello.sole_territory))
        self.push(report)
        self.pull(report)

    def push(self, report: SyncReport) -> None:
        """Send the pending outbox (fieldapp.sync.outgoing)."""
        outgoing.push(
            self.replica,
            self.transport,
            self.client_id,
            report,
            batch=self.push_batch,
            progress=lambda done: self.progress(Progress("push", done, None)),
        )

    # --- pull -----------------------------------------------------------------------

    def pull(self, report: SyncReport) -> None:
        """Pull chunks until caught up; the next chunk downloads while one is applied."""
        with self.replica.engine.connect() as conn:
            cursor = int(state.get(conn, "cursor") or 0)
            scope_seq = int(state.get(conn, "scope_seq") or 0)
            if scope_seq and state.get(conn, REPS_KNOWN) is None:
                # A replica from before store migration 0015 was never told the
                # territories' reps; they come with a change of who-sees-what: ask for
                # one, once (what it says is the scope this replica already has).
                scope_seq = 0
        total: int | None = None
        done = 0
        with (
            _gc_frozen(),
            ExitStack() as later,
            ThreadPoolExecutor(1, thread_name_prefix="fieldapp-pull") as pool,
        ):
            ahead: Future[incoming.Chunk] | None = None
            first = True
            while True:
                if ahead is not None:
                    chunk = ahead.result()
                else:
                    chunk = self._pull_chunk(cursor, scope_seq, first)
                ahead = None
                count = chunk.count
                if first:
                    total = count + chunk.remaining
                    first = False
                    if cursor == 0 and total >= self.index_later_from:
                        # A first sync fills empty tables: their indexes are built at the
                        # end (see indexes_dropped), when the pool has stopped downloading.
                        later.enter_context(indexes_dropped(self.replica.engine, pulled_tables()))
                if chunk.scope_changed:
                    apply_scope_change(
                        self.replica,
                        self.transport,
                        chunk,
                        cursor,
                        report,
                        push=self.push,
                        progress=lambda n, of: self.progress(Progress("fetch", n, of)),
                    )
                if chunk.more:
                    # Only this thread uses the transport until then: it is free.
                    ahead = pool.submit(
                        self._pull_chunk,
                        chunk.cursor,
                        chunk.scope_seq,
                        False,
                        self.chunk_limit(total or 0),
                    )
                with apply.writer(self.replica) as conn:
                    apply.apply(conn, chunk, report)
                    purge.purge(conn, chunk.purged)
                    report.conflicts += apply.store_conflicts(conn, chunk.conflicts)
                    state.put(conn, "cursor", str(chunk.cursor))
                    state.put(conn, "scope_seq", str(chunk.scope_seq))
                    if chunk.scope_changed:
                        state.drop(conn, FETCHED)  # that scope change is done
                    conn.commit()
                cursor = chunk.cursor
                scope_seq = chunk.scope_seq
                report.pulled += count
                report.cursor = cursor
                done += count
                if count or not chunk.more:  # not the record-less chunk of a scope change
                    self.progress(Progress("pull", done, max(total or 0, done)))
                if not chunk.more:
                    return

    def chunk_limit(self, total: int) -> int:
        """How many records to ask for after the first chunk of a pull of ``total``."""
        return max(self.chunk_size, min(MAX_PULL_LIMIT, total // CATCH_UP_CHUNKS))

    def _pull_chunk(
        self, cursor: int, scope_seq: int, first: bool, limit: int | None = None
    ) -> incoming.Chunk:
        """Download and decode one chunk (on the download thread, off the writer's back)."""
        body = self.transport.pull_body(
            cursor, limit or self.chunk_size, scope_seq, total=first, client_id=self.client_id
        )
        return incoming.decode(body)

    def _name_kept(self, report: SyncReport) -> None:
        """Kept records are named in the report, and those that are still here only once;
        accounts that entered the scope before the pull brought them get their names."""
        if report.entered:
            with self.replica.engine.connect() as conn:
                report.entered = named(conn, report.entered)
        if not report.kept:
            return
        kept_ids = {i for _, i in report.kept}
        report.left = [m for m in report.left if m.account_id not in kept_ids]
        with self.replica.read_session() as s:
            report.kept_labels = [record_label(s, e, i) for e, i in report.kept]


def _territories(sole: str | None) -> list[str]:
    return [sole] if sole else []


def _words(exc: BaseException) -> str:
    """A failed run's error for the history: our errors' sentence, else its kind."""
    if isinstance(exc, FieldappError):
        return str(exc)
    return f"the sync stopped ({type(exc).__name__}); see the log"


@contextmanager
def _gc_frozen() -> Iterator[None]:
    """Keep the garbage collector off the objects that exist before the block.

    Parsing pull chunks allocates enough to set off a full collection every few chunks,
    and each walks every object of the process (modules, SQLAlchemy metadata, in the
    app all of Qt's wrappers): about a second of a 350k-record initial sync. Frozen
    objects are still freed by reference counting; only a cycle among them that turns
    to garbage meanwhile waits for the next collection after the block. If someone else
    froze objects already, their freeze is left alone.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def conflict_rows(replica: Replica, include_resolved: bool = False) -> list[dict[str, Any]]:
    with replica.engine.connect() as conn:
        query = select(state.conflicts).order_by(state.conflicts.c.seq)
        if not include_resolved:
            query = query.where(state.conflicts.c.resolved_at.is_(None))
        return [dict(r._mapping) for r in conn.execute(query)]


def rejection_rows(replica: Replica) -> list[dict[str, Any]]:
    table = OUTBOX
    with replica.engine.connect() as conn:
        rows = conn.execute(
            select(
                table.c.mutation_id,
                table.c.entity,
                table.c.row_id,
                table.c.op,
                table.c.error,
                table.c.created_at,
            )
            .where(table.c.state == "refused")
            .order_by(table.c.seq)
        )
        return [dict(r._mapping) for r in rows]


def record_resolution(replica: Replica, info: dict[str, Any]) -> None:
    with replica.engine.begin() as conn:
        conn.execute(
            sqlite_insert(state.conflicts)
            .values(**{k: info.get(k) for k in state.CONFLICT_COLUMNS})
            .on_conflict_do_update(
                index_elements=["id"],
                set_={"resolved_at": info.get("resolved_at"), "resolution": info.get("resolution")},
            )
        )
