"""Pushing the outbox: local changes to the server, and the server's answers stored.

Each answer is stored in the same transaction that removes (or marks ``refused``) its
outbox entry, so a crash between sending and storing just sends the entries again and
the server replays its answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, or_, select

from fieldapp.store import tables
from fieldapp.store.db import Replica
from fieldapp.store.models import ENTITIES, Outbox
from fieldapp.store.types import to_wire, utcnow
from fieldapp.sync import incoming, state
from fieldapp.sync.protocol import Mutation, MutationResult
from fieldapp.sync.report import Rejection, SyncReport
from fieldapp.sync.transport import Transport

OUTBOX = tables.outbox


def push(
    replica: Replica,
    transport: Transport,
    client_id: str | None,
    report: SyncReport,
    *,
    batch: int,
    progress: Callable[[int], None],
) -> None:
    """Send the pending outbox, oldest first, ``batch`` entries per request.

    ``progress`` is told how many entries have been answered so far.
    """
    with replica.read_session() as s:
        pending = s.scalar(select(Outbox.seq).where(Outbox.state == "pending").limit(1))
    if pending is None:
        return
    with replica.engine.connect() as conn:
        scope_seq = int(state.get(conn, "scope_seq") or 0)
    done = 0
    while True:
        with replica.read_session() as s:
            entries = list(
                s.scalars(
                    select(Outbox)
                    .where(Outbox.state == "pending")
                    .order_by(Outbox.seq)
                    .limit(batch)
                )
            )
        if not entries:
            return
        stamps = _creation_stamps(replica, entries)
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
        results = transport.push(mutations, client_id, scope_seq)
        _store_results(replica, entries, results, report)
        done += len(entries)
        progress(done)


def _creation_stamps(replica: Replica, entries: list[Outbox]) -> dict[str, dict[str, list[Any]]]:
    """``created_at`` / ``updated_at`` of inserted rows, which the outbox leaves out.

    Only for inserts: the server has no copy yet, so they cannot clash; later edits
    do not carry them (every edit would otherwise clash on ``updated_at``).
    """
    by_entity: dict[str, list[str]] = {}
    for e in entries:
        if e.op == "insert" and e.entity in ENTITIES:
            by_entity.setdefault(e.entity, []).append(e.row_id)
    stamps: dict[str, dict[str, list[Any]]] = {}
    with replica.read_session() as s:
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
    replica: Replica, entries: list[Outbox], results: list[MutationResult], report: SyncReport
) -> None:
    by_id = {r.mutation_id: r for r in results}
    refused_at = utcnow()
    with replica.engine.begin() as conn:
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
