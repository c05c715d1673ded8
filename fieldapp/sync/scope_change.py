"""A change of who-sees-what, as a pull reports it: evict what left, fetch what entered.

When a pull says the scope changed, the engine calls :func:`apply_scope_change` before
it writes that chunk: the territories' reps are stored (fieldapp.sync.team), pending edits
to what is leaving are pushed, the accounts that left are evicted with what hangs off
them (fieldapp.sync.eviction) and the accounts that entered are fetched in full
(:func:`fetch_entered`). A fetch brings the records of version up to the pull's cursor;
the newer ones (a reassignment's moved accounts themselves) come with the pull, so
nothing arrives twice. Every fetched part is written in its own transaction with a note
of its accounts (``FETCHED``), so a sync cut off mid-fetch fetches only the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import cast

from sqlalchemy import Connection, Table, select

from fieldapp.store.db import Replica, indexes_dropped
from fieldapp.store.models import ENTITIES
from fieldapp.sync import apply, incoming, state, team
from fieldapp.sync.eviction import evict
from fieldapp.sync.report import SyncReport, describe_moves
from fieldapp.sync.transport import Transport

# Accounts that entered the scope, fetched per request (the server takes up to 2000).
FETCH_ACCOUNTS = 2000
# An entry of this many accounts (with what hangs off them, ~10 records each) is loaded
# like a first sync: secondary indexes built after the last part.
INDEX_LATER_FROM_ACCOUNTS = 2000
# Set once the replica holds the territories' reps (fieldapp.sync.team); see
# SyncEngine.pull.
REPS_KNOWN = "territory_reps_known"
# The accounts fetched so far for one scope change ("cursor:scope_seq accounts…"), in
# sync_state: the accounts the replica holds do not say it, as a fetch leaves out
# records newer than the cursor (the accounts themselves, when they moved).
FETCHED = "scope_fetched"


def pulled_tables() -> list[Table]:
    """The tables a pull writes."""
    return [cast(Table, model.__table__) for model in ENTITIES.values()]  # type: ignore[attr-defined]


def apply_scope_change(
    replica: Replica,
    transport: Transport,
    chunk: incoming.Chunk,
    cursor: int,
    report: SyncReport,
    *,
    push: Callable[[SyncReport], None],
    progress: Callable[[int, int], None],
) -> None:
    """Bring the replica to the scope ``chunk`` reports (pulled from ``cursor``).

    ``push`` sends pending edits (before anything leaves); ``progress`` is told how
    many of the entered accounts have been fetched, and of how many.
    """
    if chunk.territory_reps is not None:
        with replica.engine.begin() as conn:
            team.store_reps(conn, chunk.territory_reps)
            state.put(conn, REPS_KNOWN, "1")
    accounts = chunk.scope_accounts
    owners = chunk.scope_owners
    if accounts is None:
        return  # everything is in scope
    in_scope = set(accounts)
    with replica.engine.connect() as conn:
        local = set(conn.scalars(select(ENTITIES["accounts"].__table__.c.id)))  # type: ignore[attr-defined]
    left = local - in_scope
    entered = in_scope - local
    moves = {m["account_id"]: m for m in chunk.scope_moves or () if "account_id" in m}
    if left or owners is not None:
        # Upload edits to what is leaving before it goes.
        push(report)
        with replica.engine.connect() as conn:
            report.left += describe_moves(conn, left, moves, left=True)
        with apply.writer(replica) as conn:
            eviction = evict(conn, left, set(owners or ()), chunk.scope_territories)
            conn.commit()
        report.evicted += eviction.removed
        report.kept += eviction.kept
    if entered and cursor > 0:
        # Up to the chunk's cursor: what is newer comes with the pull (a chunk that
        # reports a scope change carries no records, fieldapp.server.pull).
        through = chunk.cursor
        attempt = f"{through}:{chunk.scope_seq}"
        with replica.engine.connect() as conn:
            before = fetched_before(conn, attempt)
        ids = sorted(entered - before)
        if ids:
            fetch_entered(replica, transport, ids, report, progress, through, attempt, before)
        with replica.engine.connect() as conn:
            # Accounts newer than the cursor are named when the pull has brought them
            # (SyncEngine.sync).
            report.entered += describe_moves(conn, entered, moves, left=False)


def fetched_before(conn: Connection, attempt: str) -> set[str]:
    """The accounts an earlier try of this scope change (``attempt``) fetched already."""
    note = state.get(conn, FETCHED)
    if not note:
        return set()
    at, _, ids = note.partition(" ")
    return set(ids.split()) if at == attempt else set()


def fetch_entered(
    replica: Replica,
    transport: Transport,
    ids: list[str],
    report: SyncReport,
    progress: Callable[[int, int], None],
    through: int | None = None,
    attempt: str = "",
    before: set[str] | None = None,
) -> None:
    """The records of accounts that entered the scope (of version ``through`` or
    older), written as a pull writes them.

    ``FETCH_ACCOUNTS`` accounts per request; the next part downloads and decodes on
    a second thread while one is written (a chunk, one transaction, with the note of
    the accounts fetched for ``attempt``, ``before`` included). An entry of many
    accounts (a reassignment: 10k accounts, 100k visits and deals) is loaded without
    the secondary indexes, built once at the end, as a first sync is.
    """

    def fetch_part(account_ids: list[str]) -> incoming.Chunk:
        return incoming.decode(transport.fetch_body(account_ids, through))

    parts = [ids[i : i + FETCH_ACCOUNTS] for i in range(0, len(ids), FETCH_ACCOUNTS)]
    done = 0
    fetched = sorted(before or ())
    with (
        ExitStack() as later,
        ThreadPoolExecutor(1, thread_name_prefix="fieldapp-fetch") as pool,
    ):
        if len(ids) >= INDEX_LATER_FROM_ACCOUNTS:
            later.enter_context(indexes_dropped(replica.engine, pulled_tables()))
        ahead = pool.submit(fetch_part, parts[0])
        for i in range(len(parts)):
            part = ahead.result()
            if i + 1 < len(parts):
                ahead = pool.submit(fetch_part, parts[i + 1])
            fetched += parts[i]
            with apply.writer(replica) as conn:
                apply.apply(conn, part, report)
                if attempt:
                    state.put(conn, FETCHED, " ".join([attempt, *fetched]))
                conn.commit()
            report.fetched += part.count
            done += len(parts[i])
            progress(done, len(ids))
