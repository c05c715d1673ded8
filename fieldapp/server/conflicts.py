"""Conflicts: listed for whoever can see their record, resolved by keep mine or theirs."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.server.auth import ForbiddenError, Principal, utcnow
from fieldapp.server.db import Database
from fieldapp.server.models import Conflict, Record
from fieldapp.server.pull import conflict_info, visible_conflicts
from fieldapp.server.records import Batch, NotFound
from fieldapp.server.scope import scope_of
from fieldapp.sync.protocol import ConflictInfo


def list_conflicts(db: Database, who: Principal, include_resolved: bool) -> list[ConflictInfo]:
    with db.session() as session:
        scope = scope_of(session, who)
        rows = visible_conflicts(session, scope, 0, 2**62)
    return [conflict_info(c) for c in rows if include_resolved or c.resolved_at is None]


def resolve(db: Database, who: Principal, conflict_id: str, keep: str) -> ConflictInfo:
    def work(session: Session) -> ConflictInfo:
        scope = scope_of(session, who)
        c = session.get(Conflict, conflict_id)
        if c is None:
            raise NotFound(f"no conflict with id {conflict_id}")
        batch = Batch(who, scope)
        rec = batch.load(session, c.row_id)
        if rec is None:
            raise NotFound(f"the record of conflict {conflict_id} is gone")
        if not scope.everything and rec.id not in set(
            session.scalars(select(Record.id).where(Record.id == rec.id, scope.condition()))
        ):
            raise ForbiddenError("this conflict is about a record outside your scope")
        if c.resolved_at is not None:
            return conflict_info(c)
        mine = json.loads(c.mine)
        theirs = json.loads(c.theirs)
        if c.kind == "field" and keep == "mine":
            batch.data_of(rec)[c.field or ""] = mine
            batch.touch(rec)
        elif c.kind == "deleted":
            target = batch.load(session, theirs["id"]) if isinstance(theirs, dict) else None
            if keep == "mine" and target is not None:
                _undelete(session, batch, target)
                data = batch.data_of(rec)
                for k, v in (mine or {}).items():
                    data[k] = v
                data["deleted_at"] = None
                batch.touch(rec)
            elif keep == "theirs" and target is not None and target.id != rec.id:
                # A new record under a deleted parent goes with its parent.
                batch.data_of(rec)["deleted_at"] = batch.data_of(target).get("deleted_at")
                batch.touch(rec)
        c.resolved_at = utcnow()
        c.resolution = keep
        batch.conflicts.append(c)  # renumbered so clients pull the resolution
        batch.finish(session)
        return conflict_info(c)

    return db.transaction(work)


def _undelete(session: Session, batch: Batch, rec: Record) -> None:
    data = batch.data_of(rec)
    when = data.get("deleted_at")
    if when is None:
        return
    data["deleted_at"] = None
    batch.touch(rec)
    if rec.entity == "accounts":
        children = session.scalars(
            select(Record).where(Record.account_id == rec.id, Record.id != rec.id)
        )
        for child in children:
            child_data = batch.data_of(child)
            if child_data.get("deleted_at") == when:
                child_data["deleted_at"] = None
                batch.touch(child)
