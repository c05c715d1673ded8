"""The server's one writer of synced records: versions, scope columns, conflicts, history.

Every writing transaction (push, conflict resolution, admin changes, imports) collects
its work in a :class:`Batch` and ends with :meth:`Batch.finish`, which numbers records
and conflicts in commit order (see :func:`fieldapp.server.db.next_seqs`, taken last so
pulls see changes in commit order), appends the audit trail and keeps the report
tables in step (server/reporting/rows.py).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from fieldapp.server import bulk, history
from fieldapp.server.auth import Principal, utcnow
from fieldapp.server.db import ServerError, next_seqs
from fieldapp.server.models import Conflict, Record, ScopeExit
from fieldapp.server.reporting import rows as report_rows
from fieldapp.server.scope import Scope, anchors, owner_of, users_of_territory
from fieldapp.sync.protocol import Mutation

T = TypeVar("T")


class NotFound(ServerError):
    """HTTP 404."""


def named_in_body(find: Callable[[], T]) -> T:
    """A user or territory a request's body (or query) names, not its path.

    ``find`` raises :class:`NotFound` (404) for the name in a path ("no such
    resource"); a missing name the request merely refers to is the request's fault: 400.
    """
    try:
        return find()
    except NotFound as exc:
        raise ServerError(str(exc)) from None


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Rewrite:
    """A record's new document, written with the others in one statement by ``finish``."""

    entity: str
    id: str
    before: dict[str, Any]
    after: dict[str, Any]
    territory_id: str | None


@dataclass
class Batch:
    """Work of one transaction: records to version, conflicts to number, answers."""

    who: Principal
    scope: Scope
    known_scope: int = 0  # the client's scope sequence when it made the changes
    client_id: str | None = None
    # Record id -> whether every change to it in this batch left the pushing client's
    # copy equal to the server's (then the record's origin is that client).
    clean: dict[str, bool] = field(default_factory=dict)
    new: dict[str, Record] = field(default_factory=dict)
    touched: dict[str, Record] = field(default_factory=dict)
    data: dict[str, dict[str, Any]] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    scope_changed: bool = False
    exits: list[tuple[str, str]] = field(default_factory=list)  # (account, user)
    # Records a push inserts, by id, whatever their place in it: a client's outbox may
    # send a record that names one inserted later in the same push (a route stop, then
    # the visit planned for it), and that reference is sound.
    announced: dict[str, str] = field(default_factory=dict)
    # New accounts of the pusher's that their address placed outside the pusher's scope.
    placed_away: set[str] = field(default_factory=set)
    # Records rewritten in bulk, without ORM objects (a reassignment's accounts).
    rewrites: list[Rewrite] = field(default_factory=list)

    def load(self, session: Session, row_id: str) -> Record | None:
        if row_id in self.new:
            return self.new[row_id]
        query = select(Record).where(Record.id == row_id)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        return session.scalar(query)

    def entity_of(self, session: Session, row_id: str) -> str | None:
        """The entity of a record on the server or new in this batch (no row lock)."""
        if row_id in self.new:
            return self.new[row_id].entity
        found = session.scalar(select(Record.entity).where(Record.id == row_id))
        return found if found is not None else self.announced.get(row_id)

    def data_of(self, rec: Record) -> dict[str, Any]:
        if rec.id not in self.data:
            self.data[rec.id] = json.loads(rec.data)
        return self.data[rec.id]

    def touch(self, rec: Record, clean: bool = False) -> None:
        self.touched[rec.id] = rec
        self.clean[rec.id] = clean and self.clean.get(rec.id, True)

    def conflict(
        self,
        m: Mutation | None,
        entity: str,
        row_id: str,
        kind: str,
        fld: str | None,
        base: Any,
        mine: Any,
        theirs: Any,
    ) -> Conflict:
        c = Conflict(
            id=str(uuid.uuid4()),
            seq=0,
            entity=entity,
            row_id=row_id,
            kind=kind,
            field=fld,
            base=dumps(base),
            mine=dumps(mine),
            theirs=dumps(theirs),
            user_id=self.who.id,
            mutation_id=m.mutation_id if m else None,
            created_at=utcnow(),
        )
        self.conflicts.append(c)
        return c

    def set_anchors(self, session: Session, rec: Record, data: dict[str, Any]) -> None:
        """Set the scope columns: account, territory (accounts and leads), owner.

        A record hanging off an account keeps no territory of its own: it is in scope
        through its account (see Scope.condition), so an account that changes
        territory is one row to rewrite, whatever hangs off it.
        """
        account_id, territory_id = anchors(rec.entity, rec.id, data)
        owner = owner_of(rec.entity, rec.id, data)
        if rec.entity == "accounts" and rec.territory_id != territory_id and rec.version:
            for user in users_of_territory(session, rec.territory_id):
                self.exits.append((rec.id, user))
        # A new record reaches everyone who may see it through the normal pull; only an
        # existing record changing hands changes who sees what.
        anchored = (rec.account_id, rec.territory_id, rec.owner_id)
        if rec.version and anchored != (account_id, territory_id, owner):
            self.scope_changed = True
        rec.account_id, rec.territory_id, rec.owner_id = account_id, territory_id, owner

    def finish(self, session: Session) -> dict[str, int]:
        """Number everything in commit order; return record id → new version."""
        trail = []
        for rec in self.touched.values():
            before = json.loads(rec.data) if rec.data else None
            rec.data = dumps(self.data_of(rec))
            rec.deleted = self.data_of(rec).get("deleted_at") is not None
            trail.append((rec, before))
        count = len(self.touched) + len(self.rewrites) + len(self.conflicts)
        if count == 0:
            return {}
        # Not flushed first: each record's new document and its version go in one
        # UPDATE (after the counter's lock, which the version needs anyway).
        with session.no_autoflush:
            first = next_seqs(session, count, scope=self.scope_changed)
        versions = {}
        for i, rec in enumerate(self.touched.values()):
            rec.version = first + i
            rec.origin = self.client_id if self.clean.get(rec.id) else None
            versions[rec.id] = rec.version
            if rec.id in self.new:
                session.add(rec)
        changes = [history.Change(r.entity, r.id, r.version, b, self.data_of(r)) for r, b in trail]
        start = first + len(self.touched)
        rows = []
        for j, w in enumerate(self.rewrites):
            versions[w.id] = start + j
            changes.append(history.Change(w.entity, w.id, start + j, w.before, w.after))
            rows.append(
                {
                    "id": w.id,
                    "data": dumps(w.after),
                    "deleted": w.after.get("deleted_at") is not None,
                    "territory_id": w.territory_id,
                    "version": start + j,
                    "origin": None,
                }
            )
        bulk.update(session, cast(Table, Record.__table__), "id", rows)
        for j, c in enumerate(self.conflicts):
            c.seq = start + len(self.rewrites) + j
            session.add(c)
        exits = [{"account_id": a, "user_id": u, "seq": first} for a, u in set(self.exits)]
        bulk.insert(session, cast(Table, ScopeExit.__table__), exits)
        history.append(session, self.who, self.client_id, changes)
        # The report tables, in this same transaction (server/reporting/rows.py).
        report_rows.keep(session, [(c.entity, c.record_id, c.before, c.after) for c in changes])
        return versions
