"""The client sync engine (headless): handshake, push, pull, apply, scope, conflicts.

One :meth:`SyncEngine.sync` does, in order:

1. **handshake** — protocol and schema versions; on a mismatch it stops before touching
   the replica;
2. **push** — the outbox in batches, oldest first. Each answer is stored in the same
   transaction that removes (or marks ``rejected``) the outbox entries, so a crash
   between sending and storing just sends them again and the server replays its answers;
3. **pull** — chunks after the cursor; each chunk is applied and the cursor (the
   checkpoint) saved in one transaction, so an interrupted initial sync resumes at the
   last chunk. When the pull reports a scope change, pending edits are pushed first,
   records that left the scope are evicted and records that entered it are fetched.

Server changes are written as plain SQL on a connection with foreign keys off:
a chunk may hold a contact whose account arrives in a later chunk, and the server is the
authority on integrity. Nothing written here produces outbox entries.
"""

from __future__ import annotations

import gc
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, func, or_, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from fieldapp.errors import FieldappError
from fieldapp.store import last_visits, search
from fieldapp.store.db import Replica, indexes_dropped
from fieldapp.store.models import ENTITIES, Outbox
from fieldapp.store.refused import record_label
from fieldapp.store.types import to_wire, utcnow
from fieldapp.sync import incoming, purge, quarantine, state, team
from fieldapp.sync.eviction import UNSENT, evict
from fieldapp.sync.protocol import MAX_PULL_LIMIT, Mutation, MutationResult
from fieldapp.sync.report import Rejection, SyncReport, describe_moves, record_run
from fieldapp.sync.transport import Transport

OUTBOX = cast(Table, Outbox.__table__)
# A long catch-up (an initial sync) is pulled in about this many chunks, each at least
# ``chunk_size`` and at most MAX_PULL_LIMIT records: every checkpoint commit rewrites the
# index pages its chunk touched, and random UUID keys touch most of them, so a few big
# chunks write far less than many small ones, while progress still moves in small steps.
CATCH_UP_CHUNKS = 16
# A first sync of at least this many records builds the tables' secondary indexes after
# the last chunk instead of row by row (~15% of its time at 350k records).
INDEX_LATER_FROM = 20_000
# Accounts that entered the scope, fetched per request (the server takes up to 2000).
FETCH_ACCOUNTS = 2000
# An entry of this many accounts (with what hangs off them, ~10 records each) is loaded
# like a first sync: secondary indexes built after the last part.
INDEX_LATER_FROM_ACCOUNTS = 2000
# Set once the replica holds the territories' reps (fieldapp.sync.team); see pull().
REPS_KNOWN = "territory_reps_known"


@dataclass(frozen=True)
class Progress:
    phase: str  # "push" | "pull" | "fetch"
    done: int
    total: int | None


ProgressCallback = Callable[[Progress], None]


def _pulled_tables() -> list[Table]:
    return [cast(Table, model.__table__) for model in ENTITIES.values()]  # type: ignore[attr-defined]


def stored_now() -> str:
    """Now, as the store keeps timestamps: for records that carry no stamps."""
    return incoming.stored_datetime(utcnow().isoformat())


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

    # --- push -----------------------------------------------------------------------

    def push(self, report: SyncReport) -> None:
        with self.replica.read_session() as s:
            total = s.scalar(select(Outbox.seq).where(Outbox.state == "pending").limit(1))
        if total is None:
            return
        with self.replica.engine.connect() as conn:
            scope_seq = int(state.get(conn, "scope_seq") or 0)
        done = 0
        while True:
            with self.replica.read_session() as s:
                entries = list(
                    s.scalars(
                        select(Outbox)
                        .where(Outbox.state == "pending")
                        .order_by(Outbox.seq)
                        .limit(self.push_batch)
                    )
                )
            if not entries:
                return
            stamps = self._creation_stamps(entries)
            mutations = [
                Mutation(
                    mutation_id=e.mutation_id,
                    entity=e.entity,
                    row_id=e.row_id,
                    op=e.op,  # type: ignore[arg-type]
                    changes={**stamps.get(e.row_id, {}), **e.changes},
                    base_version=e.base_version,
                )
                for e in entries
            ]
            results = self.transport.push(mutations, self.client_id, scope_seq)
            self._store_results(entries, results, report)
            done += len(entries)
            self.progress(Progress("push", done, None))

    def _creation_stamps(self, entries: list[Outbox]) -> dict[str, dict[str, list[Any]]]:
        """``created_at`` / ``updated_at`` of inserted rows, which the outbox leaves out.

        Only for inserts: the server has no copy yet, so they cannot clash; later edits
        do not carry them (every edit would otherwise clash on ``updated_at``).
        """
        by_entity: dict[str, list[str]] = {}
        for e in entries:
            if e.op == "insert" and e.entity in ENTITIES:
                by_entity.setdefault(e.entity, []).append(e.row_id)
        stamps: dict[str, dict[str, list[Any]]] = {}
        with self.replica.read_session() as s:
            for entity, ids in by_entity.items():
                model = ENTITIES[entity]
                rows = s.execute(
                    select(model.id, model.created_at, model.updated_at).where(model.id.in_(ids))
                )
                for row_id, created, updated in rows:
                    stamps[row_id] = {
                        "created_at": [None, to_wire(created)],
                        "updated_at": [None, to_wire(updated)],
                    }
        return stamps

    def _store_results(
        self, entries: list[Outbox], results: list[MutationResult], report: SyncReport
    ) -> None:
        by_id = {r.mutation_id: r for r in results}
        refused_at = utcnow()
        with self.replica.engine.begin() as conn:
            table = OUTBOX
            for e in entries:
                result = by_id.get(e.mutation_id)
                if result is None:
                    continue  # not answered: stays pending, sent again next time
                if result.status == "rejected":
                    # Kept, visible, until a person resends or discards it
                    # (fieldapp.store.refused); never dropped, never evicted.
                    conn.execute(
                        table.update()
                        .where(table.c.seq == e.seq)
                        .values(state="refused", error=result.reason, refused_at=refused_at)
                    )
                    report.rejections.append(
                        Rejection(e.entity, e.row_id, e.op, result.reason or "rejected")
                    )
                else:
                    conn.execute(delete(table).where(table.c.seq == e.seq))
                    report.pushed += 1
                    report.merged += result.status == "merged"
                    if result.status == "applied" and result.version is not None:
                        # The server's copy now equals ours; its pulls will not echo it
                        # back to this client, so take the version here.
                        rows = incoming.plan(e.entity).table
                        conn.execute(
                            rows.update()
                            .where(
                                rows.c.id == e.row_id,
                                or_(
                                    rows.c.server_version.is_(None),
                                    rows.c.server_version < result.version,
                                ),
                            )
                            .values(server_version=result.version)
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
                        later.enter_context(indexes_dropped(self.replica.engine, _pulled_tables()))
                if chunk.scope_changed:
                    self._scope_change(chunk, cursor, report)
                if chunk.more:
                    # Only this thread uses the transport until then: it is free.
                    ahead = pool.submit(
                        self._pull_chunk,
                        chunk.cursor,
                        chunk.scope_seq,
                        False,
                        self.chunk_limit(total or 0),
                    )
                with self._writer() as conn:
                    self._apply(conn, chunk, report)
                    purge.purge(conn, chunk.purged)
                    report.conflicts += self._store_conflicts(conn, chunk.conflicts)
                    state.put(conn, "cursor", str(chunk.cursor))
                    state.put(conn, "scope_seq", str(chunk.scope_seq))
                    conn.commit()
                cursor = chunk.cursor
                scope_seq = chunk.scope_seq
                report.pulled += count
                report.cursor = cursor
                done += count
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

    def _writer(self) -> _ForeignKeysOff:
        return _ForeignKeysOff(self.replica.engine.connect())

    def _pending_fields(self, conn: Connection, ids: Iterable[str]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        table = OUTBOX
        # Refused changes are kept too: a pull must not overwrite what waits to be resent.
        rows = conn.execute(
            select(table.c.row_id, table.c.changes).where(table.c.state.in_(UNSENT))
        )
        wanted = set(ids)
        for row_id, changes in rows:
            if row_id in wanted:
                out.setdefault(row_id, set()).update(changes)
        return out

    def _apply(
        self, conn: Connection, chunk: incoming.Chunk, report: SyncReport | None = None
    ) -> None:
        """Write server records, keeping fields the user changed and has not pushed yet.

        A record that cannot be written is quarantined (fieldapp.sync.quarantine) and
        named in ``report``; the others are written all the same.
        """
        rows_of = chunk.rows
        bad = list(chunk.quarantined)
        if rows_of:
            self._apply_rows(conn, rows_of, bad)
        now = stored_now()
        if bad:
            quarantine.keep(conn, bad, now)
            if report is not None:
                report.quarantined += bad
        if rows_of and quarantine.any_kept(conn):
            done = {row[incoming.plan(e).id_index] for e, rows in rows_of.items() for row in rows}
            quarantine.release(conn, sorted(done - {q.row_id for q in bad}))

    def _apply_rows(
        self, conn: Connection, rows_of: incoming.Rows, bad: list[quarantine.Quarantined]
    ) -> None:
        ids = (row[incoming.plan(e).id_index] for e, rows in rows_of.items() for row in rows)
        pending = self._pending_fields(conn, ids)
        now = stored_now()
        for entity, rows in rows_of.items():
            plan = incoming.plan(entity)
            at = plan.id_index
            plain = [row for row in rows if row[at] not in pending] if pending else rows
            if plain:
                conn.exec_driver_sql(plan.stage_create)
                try:
                    # A savepoint: a failed statement takes the trigger changes of
                    # deferred_index back with it.
                    with (
                        conn.begin_nested(),
                        search.deferred_index(conn, plan.table.name, len(plain)),
                        last_visits.deferred(conn, plan.table.name, len(plain)),
                    ):
                        conn.exec_driver_sql(plan.stage_insert, plain)
                        conn.exec_driver_sql(plan.upsert_staged, {"now": now})
                        conn.exec_driver_sql(plan.stage_clear)
                except _UNWRITABLE:
                    # Rare: write them one by one to find the records that cannot be.
                    conn.exec_driver_sql(plan.stage_clear)
                    for row in plain:
                        self._apply_one_row(conn, plan, row, None, now, bad)
            for row in rows:
                if row[at] in pending:
                    self._apply_one_row(conn, plan, row, pending[row[at]], now, bad)

    def _apply_one_row(
        self,
        conn: Connection,
        plan: incoming.TablePlan,
        row: tuple[Any, ...],
        keep: set[str] | None,
        now: str,
        bad: list[quarantine.Quarantined],
    ) -> None:
        try:
            with conn.begin_nested():
                stored = plan.stored(row, now)
                if keep is None:
                    conn.exec_driver_sql(plan.upsert_one, stored)
                else:
                    self._apply_keeping(conn, plan, stored, keep)
        except _UNWRITABLE as exc:
            version = row[-1]  # the staging row ends with the server version
            data = dict(zip(plan.keys[:-1], row[:-1], strict=True))
            reason = str(getattr(exc, "orig", None) or exc)
            bad.append(
                quarantine.Quarantined(
                    plan.entity, str(row[plan.id_index]), version, _as_json(data), reason
                )
            )

    def _apply_keeping(
        self, conn: Connection, plan: incoming.TablePlan, row: tuple[Any, ...], keep: set[str]
    ) -> None:
        name = plan.table.name
        row_id = row[plan.id_index]
        if conn.exec_driver_sql(f'SELECT 1 FROM "{name}" WHERE id = ?', (row_id,)).first() is None:
            conn.exec_driver_sql(plan.upsert_one, row)
            return
        taken = [(k, v) for k, v in zip(plan.keys, row, strict=True) if k not in keep and k != "id"]
        columns = ", ".join(f'"{k}" = ?' for k, _ in taken)
        conn.exec_driver_sql(
            f'UPDATE "{name}" SET {columns} WHERE id = ?', (*(v for _, v in taken), row_id)
        )

    def _store_conflicts(self, conn: Connection, conflicts: list[dict[str, Any]]) -> int:
        if not conflicts:
            return 0
        table = state.conflicts
        stmt = sqlite_insert(table)
        upsert = stmt.on_conflict_do_update(
            index_elements=["id"],
            set_={
                "seq": stmt.excluded.seq,
                "resolved_at": stmt.excluded.resolved_at,
                # A decision made here and not sent yet outlives a copy without one.
                "resolution": func.coalesce(stmt.excluded.resolution, table.c.resolution),
            },
        )
        rows = [{k: c.get(k) for k in state.CONFLICT_COLUMNS} for c in conflicts]
        known = set(conn.scalars(select(table.c.id).where(table.c.id.in_([r["id"] for r in rows]))))
        conn.execute(upsert, rows)
        return sum(1 for r in rows if r["id"] not in known and r["resolved_at"] is None)

    # --- scope ----------------------------------------------------------------------

    def _scope_change(self, chunk: incoming.Chunk, cursor: int, report: SyncReport) -> None:
        if chunk.territory_reps is not None:
            with self.replica.engine.begin() as conn:
                team.store_reps(conn, chunk.territory_reps)
                state.put(conn, REPS_KNOWN, "1")
        accounts = chunk.scope_accounts
        owners = chunk.scope_owners
        if accounts is None:
            return  # everything is in scope
        in_scope = set(accounts)
        with self.replica.engine.connect() as conn:
            local = set(conn.scalars(select(ENTITIES["accounts"].__table__.c.id)))  # type: ignore[attr-defined]
        left = local - in_scope
        entered = in_scope - local
        moves = {m["account_id"]: m for m in chunk.scope_moves or () if "account_id" in m}
        if left or owners is not None:
            # Upload edits to what is leaving before it goes.
            self.push(report)
            with self.replica.engine.connect() as conn:
                report.left += describe_moves(conn, left, moves, left=True)
            with self._writer() as conn:
                eviction = evict(conn, left, set(owners or ()), chunk.scope_territories)
                conn.commit()
            report.evicted += eviction.removed
            report.kept += eviction.kept
        if entered and cursor > 0:
            self._fetch_entered(sorted(entered), report)
            with self.replica.engine.connect() as conn:
                report.entered += describe_moves(conn, entered, moves, left=False)

    def _fetch_entered(self, ids: list[str], report: SyncReport) -> None:
        """The records of accounts that entered the scope, written as a pull writes them.

        ``FETCH_ACCOUNTS`` accounts per request; the next part downloads and decodes on
        a second thread while one is written (a chunk, one transaction). An entry of
        many accounts (a reassignment: 10k accounts, 100k visits and deals) is loaded
        without the secondary indexes, built once at the end, as a first sync is.
        """
        parts = [ids[i : i + FETCH_ACCOUNTS] for i in range(0, len(ids), FETCH_ACCOUNTS)]
        done = 0
        with (
            ExitStack() as later,
            ThreadPoolExecutor(1, thread_name_prefix="fieldapp-fetch") as pool,
        ):
            if len(ids) >= INDEX_LATER_FROM_ACCOUNTS:
                later.enter_context(indexes_dropped(self.replica.engine, _pulled_tables()))
            ahead = pool.submit(self._fetch_part, parts[0])
            for i in range(len(parts)):
                fetched = ahead.result()
                if i + 1 < len(parts):
                    ahead = pool.submit(self._fetch_part, parts[i + 1])
                with self._writer() as conn:
                    self._apply(conn, fetched, report)
                    conn.commit()
                report.fetched += fetched.count
                done += len(parts[i])
                self.progress(Progress("fetch", done, len(ids)))

    def _fetch_part(self, account_ids: list[str]) -> incoming.Chunk:
        return incoming.decode(self.transport.fetch_body(account_ids))

    def _name_kept(self, report: SyncReport) -> None:
        """Kept records are named in the report, and those that are still here only once."""
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


# What writing a pulled record raises when the record is one this replica cannot
# store: a constraint, a value SQLite cannot bind, a timestamp that is not one.
_UNWRITABLE = (SQLAlchemyError, ValueError, TypeError, ArithmeticError)


def _as_json(values: dict[str, Any]) -> str:
    """A quarantined record's values as JSON; what JSON cannot hold is written as text."""
    return json.dumps(values, default=str, ensure_ascii=False)


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


class _ForeignKeysOff:
    """A connection with foreign keys off for the length of one transaction.

    The pragma is a no-op inside a transaction, and the replica's engine begins one
    on the first statement (store/db.py); so it is set on the driver connection
    before that. Server chunks may bring a child before its parent; the pull is
    consistent as a whole, not chunk by chunk.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def __enter__(self) -> Connection:
        driver = self._driver()
        driver.execute("PRAGMA foreign_keys=OFF")
        incoming.prepare_connection(driver)
        return self.conn

    def __exit__(self, *exc: object) -> None:
        try:
            self.conn.rollback()
            self._driver().execute("PRAGMA foreign_keys=ON")
        finally:
            self.conn.close()

    def _driver(self) -> Any:
        return self.conn.connection.driver_connection


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
