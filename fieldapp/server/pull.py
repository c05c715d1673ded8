"""Pull and fetch: the records and conflicts in the caller's scope, as JSON.

Records are stored as JSON documents, so a reply is assembled from them by hand rather
than parsed and serialised again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Text, cast, false, func, literal, or_, select
from sqlalchemy.orm import Session

from fieldapp.server import erasure, idsets
from fieldapp.server.auth import Principal
from fieldapp.server.db import Database, counters
from fieldapp.server.models import Conflict, Record
from fieldapp.server.moves import moves_since, territory_reps
from fieldapp.server.records import dumps
from fieldapp.server.scope import Scope, scope_of
from fieldapp.sync.protocol import ConflictInfo


def change_json(entity: str, row_id: str, version: int, data: str) -> str:
    return f'{{"entity":"{entity}","id":"{row_id}","version":{version},"data":{data}}}'


def _change_json_sql() -> ColumnElement[str]:
    """:func:`change_json` as SQL, for a reply the database assembles."""
    return (
        literal('{"entity":"')
        + Record.entity
        + '","id":"'
        + Record.id
        + '","version":'
        + cast(Record.version, Text)
        + ',"data":'
        + Record.data
        + "}"
    )


def conflict_info(c: Conflict) -> ConflictInfo:
    return ConflictInfo(
        id=c.id,
        seq=c.seq,
        entity=c.entity,
        row_id=c.row_id,
        kind=c.kind,  # type: ignore[arg-type]
        field=c.field,
        base=json.loads(c.base),
        mine=json.loads(c.mine),
        theirs=json.loads(c.theirs),
        user_id=c.user_id,
        created_at=c.created_at.isoformat(),
        resolved_at=c.resolved_at.isoformat() if c.resolved_at else None,
        resolution=c.resolution,  # type: ignore[arg-type]
    )


def visible_conflicts(session: Session, scope: Scope, low: int, high: int) -> list[Conflict]:
    found = list(
        session.scalars(
            select(Conflict).where(Conflict.seq > low, Conflict.seq <= high).order_by(Conflict.seq)
        )
    )
    if scope.everything or not found:
        return found
    # Few conflicts, many records: check the scope of just these rows.
    ids = sorted({c.row_id for c in found})
    visible: set[str] = set()
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        visible.update(
            session.scalars(select(Record.id).where(Record.id.in_(part), scope.condition()))
        )
    return [c for c in found if c.row_id in visible]


def pull(
    db: Database,
    who: Principal,
    cursor: int,
    limit: int,
    scope_seq: int,
    with_total: bool,
    client_id: str | None = None,
) -> str:
    """One chunk as a JSON document (built by hand: records are stored as JSON)."""
    with db.reading() as session:
        return pull_in(session, who, cursor, limit, scope_seq, with_total, client_id)


def pull_in(
    session: Session,
    who: Principal,
    cursor: int,
    limit: int,
    scope_seq: int,
    with_total: bool,
    client_id: str | None = None,
) -> str:
    """:func:`pull` in a reading session of the caller's (the one that checked the token)."""
    # The counters before the scope: an assignment committed in between then shows in
    # the scope and not in ``scope_seq``, and the next pull reports it again. The
    # other order would tell the client a scope sequence whose change it never saw.
    high, current_scope = counters(session, "seq", "scope")
    scope = scope_of(session, who)
    wanted = scope.condition()
    if client_id:
        wanted = wanted & or_(Record.origin.is_(None), Record.origin != client_id)
    if current_scope > scope_seq and cursor > 0 and not scope.everything:
        # A scope change for a replica that holds records: this chunk carries none,
        # only the new scope. The client fetches what entered up to ``cursor``
        # (/sync/fetch with ``through``) and pulls the rest after it, so nothing comes
        # twice: a reassignment's moved accounts are newer than the cursor and come
        # with the pull alone (they were the fetch's and the pull's).
        rows: Sequence[Any] = []
        more = True
    else:
        # On the connection, not the session: plain rows without the ORM's per-row
        # loading, which cost a sixth of the server's instructions for a 20k-record pull.
        rows = (
            session.connection()
            .execute(
                select(Record.entity, Record.id, Record.version, Record.data)
                .where(Record.version > cursor, Record.version <= high, wanted)
                .order_by(Record.version)
                .limit(limit)
            )
            .all()
        )
        more = len(rows) == limit
    new_cursor = (rows[-1].version if rows else cursor) if more else high
    remaining = 0
    if with_total and more:
        remaining = (
            session.scalar(
                select(func.count())
                .select_from(Record)
                .where(Record.version > new_cursor, Record.version <= high, wanted)
            )
            or 0
        )
    conflicts = visible_conflicts(session, scope, cursor, new_cursor)
    purged = erasure.purges_json(session, cursor, new_cursor)
    scope_part = ""
    if current_scope > scope_seq:
        reps = f',"territory_reps":{dumps(territory_reps(session))}'
        if scope.everything:
            scope_part = ',"scope_changed":true,"scope_accounts":null,"scope_owners":null'
        else:
            accounts = list(session.scalars(scope.accounts_query()))
            moved = moves_since(session, scope, scope_seq, set(accounts))
            scope_part = (
                f',"scope_changed":true,"scope_accounts":{dumps(accounts)},'
                f'"scope_owners":{dumps(list(scope.users or ()))},'
                f'"scope_territories":{dumps(list(scope.territories))},'
                f'"scope_moves":{dumps(moved)}'
            )
        scope_part += reps
    changes = ",".join(change_json(r.entity, r.id, r.version, r.data) for r in rows)
    conflict_json = ",".join(conflict_info(c).model_dump_json() for c in conflicts)
    return (
        f'{{"changes":[{changes}],"conflicts":[{conflict_json}],"purged":{purged},'
        f'"cursor":{new_cursor},'
        f'"more":{"true" if more else "false"},"remaining":{remaining},'
        f'"scope_seq":{current_scope}{scope_part}}}'
    )


def fetch(
    db: Database,
    who: Principal,
    account_ids: list[str],
    owner_ids: list[str],
    through: int | None = None,
) -> str:
    """Records of accounts (with what hangs off them) that entered the scope.

    ``through``: only records of that version or older, the rest being the pull's
    (the client's cursor); None for all of them.
    """
    with db.session() as session:
        scope = scope_of(session, who)
        wanted: ColumnElement[bool] = or_(
            false(), *idsets.among(session, Record.account_id, account_ids)
        )
        if owner_ids:
            wanted = wanted | (Record.account_id.is_(None) & Record.owner_id.in_(owner_ids))
        if through is not None:
            wanted = wanted & (Record.version <= through)
        # The database joins the documents into the reply's list: a fetch is ~25k
        # records, and handing each row to Python to paste it into the same text cost
        # most of the server's time. In no particular order: the client writes a fetch
        # as one set (foreign keys off), and sorting 20k+ documents by version spilled
        # to disk on PostgreSQL.
        changes = session.scalar(
            select(func.aggregate_strings(_change_json_sql(), ",")).where(scope.condition(), wanted)
        )
    return f'{{"changes":[{changes or ""}]}}'
