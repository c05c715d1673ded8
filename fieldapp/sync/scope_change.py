"""A change of who-sees-what, as a pull reports it: evict what left, fetch what entered.

When a pull says the scope changed, the engine calls :func:`apply_scope_change` before
it writes that chunk: the territories' reps are stored (fieldapp.sync.team), pending edits
to what is leaving are pushed, the accounts that left are evicted with what hangs off
them (fieldapp.sync.eviction) and the accounts that entered are fetched in full
(:func:`fetch_entered`). Every fetched part is written in its own transaction with its
accounts, so a sync cut off mid-fetch fetches only the accounts it does not hold yet.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import cast

from sqlalchemy import Table, select

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
        fetch_entered(replica, transport, sorted(entered), report, progress)
        with replica.engine.connect() as conn:
            report.entered += describe_moves(conn, entered, moves, left=False)


def fetch_entered(
    replica: Replica,
    transport: Transport,
    ids: list[str],
    report: SyncReport,
    progress: Callable[[int, int], None],
) -> None:
    """The records of accounts that entered the scope, written as a pull writes them.

    ``FETCH_ACCOUNTS`` accounts per request; the next part downloads and decodes on
    a second thread while one is written (a chunk, one transaction). An entry of
    many accounts (a reassignment: 10k accounts, 100k visits and deals) is loaded
    without the secondary indexes, built once at the end, as a first sync is.
    """

    def fetch_part(account_ids: list[str]) -> incoming.Chunk:
        return incoming.decode(transport.fetch_body(account_ids))

    parts = [ids[i : i + FETCH_ACCOUNTS] for i in range(0, len(ids), FETCH_ACCOUNTS)]
    done = 0
    with (
        ExitStack() as later,
        ThreadPoolExecutor(1, thread_name_prefix="fieldapp-fetch") as pool,
    ):
        if len(ids) >= INDEX_LATER_FROM_ACCOUNTS:
            later.enter_context(indexes_dropped(replica.engine, pulled_tables()))
        ahead = pool.submit(fetch_part, parts[0])
        for i in range(len(parts)):
            fetched = ahead.result()
            if i + 1 < len(parts):
                ahead = pool.submit(fetch_part, parts[i + 1])
            with apply.writer(replica) as conn:
                apply.apply(conn, fetched, report)
                conn.commit()
            report.fetched += fetched.count
            done += len(parts[i])
            progress(done, len(ids))
