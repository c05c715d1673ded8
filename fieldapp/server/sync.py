"""Push, pull, fetch and conflict resolution on the server.

A push runs in one transaction per batch: each mutation is checked against the caller's
scope, merged field by field against the server's current values and recorded with its
answer in ``applied_mutations``. Version numbers are taken last (see
:func:`fieldapp.server.db.next_seqs`), so pulls see changes in commit order.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from fieldapp.domain.parse import is_canonical_id
from fieldapp.server import erasure, history, placing
from fieldapp.server.auth import ForbiddenError, Principal, utcnow
from fieldapp.server.db import Database, ServerError, counters, next_seqs
from fieldapp.server.models import AppliedMutation, Conflict, Record, ScopeExit
from fieldapp.server.moves import moves_since
from fieldapp.server.scope import (
    Scope,
    anchors,
    owner_of,
    scope_of,
    users_of_territory,
)
from fieldapp.server.validation import Refused, check_changes, check_references, check_target
from fieldapp.sync.protocol import (
    ENTITIES,
    GLOBAL_ENTITIES,
    ConflictInfo,
    Mutation,
    MutationResult,
    Status,
)

SCOPE_FIELDS = frozenset({"territory_id", "owner_id", "account_id"})


class NotFound(ServerError):
    """HTTP 404."""


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass
class _Batch:
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
        """Set the scope columns; records hanging off an account carry its territory.

        Copying the territory onto every child keeps the pull's scope filter a plain
        column test (no sub-query over the accounts in scope).
        """
        account_id, territory_id = anchors(rec.entity, rec.id, data)
        owner = owner_of(rec.entity, rec.id, data)
        if rec.entity != "accounts" and account_id is not None:
            parent = self.load(session, account_id)
            territory_id = parent.territory_id if parent is not None else None
        if rec.entity == "accounts" and rec.territory_id != territory_id and rec.version:
            for user in users_of_territory(session, rec.territory_id):
                self.exits.append((rec.id, user))
            session.execute(
                update(Record)
                .where(Record.account_id == rec.id, Record.id != rec.id)
                .values(territory_id=territory_id)
            )
            for child in self.new.values():
                if child.account_id == rec.id and child.id != rec.id:
                    child.territory_id = territory_id
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
        count = len(self.touched) + len(self.conflicts)
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
        for j, c in enumerate(self.conflicts):
            c.seq = first + len(self.touched) + j
            session.add(c)
        for account_id, user_id in set(self.exits):
            session.add(ScopeExit(account_id=account_id, user_id=user_id, seq=first))
        history.append(
            session,
            self.who,
            self.client_id,
            [history.Change(r.entity, r.id, r.version, b, self.data_of(r)) for r, b in trail],
        )
        return versions


# --- push ------------------------------------------------------------------------


# A refusal of one mutation, with its reason (validation raises the same).
_Reject = Refused


def _in_scope(
    session: Session,
    batch: _Batch,
    entity: str,
    row_id: str,
    data: dict[str, Any],
) -> bool:
    """May the pusher write this record? From the server's state only.

    ``data`` is the server's current copy for an existing record (the client's claims
    about its territory, base version or scope sequence count for nothing), and the
    new record for an insert; the pusher's assignments are read afresh for every push.
    A rep whose territory moved to someone else may write nothing in it any more, not
    even work done offline before the move: that is refused and kept, visible, on the
    client (see fieldapp.store.refused).
    """
    scope = batch.scope
    if scope.everything:
        return True
    if entity in GLOBAL_ENTITIES:
        return False
    account_id, territory_id = anchors(entity, row_id, data)
    if entity == "accounts":
        if territory_id is not None:
            return territory_id in scope.territories
        assert scope.users is not None
        return owner_of(entity, row_id, data) in scope.users
    if account_id is None:
        assert scope.users is not None
        return owner_of(entity, row_id, data) in scope.users or (
            territory_id is not None and territory_id in scope.territories
        )
    account = batch.load(session, account_id)
    if account is None:
        raise _Reject(f"account {account_id} is not on the server")
    return scope.account_visible(account)


def _what(entity: str, row_id: str) -> str:
    singular = entity[:-1] if entity.endswith("s") else entity
    return f"{singular.replace('_', ' ')} {row_id}"


def _apply_one(session: Session, batch: _Batch, m: Mutation) -> MutationResult:
    who = batch.who
    if m.entity not in ENTITIES:
        raise _Reject(f"unknown kind of record {m.entity!r}")
    if m.entity in GLOBAL_ENTITIES and who.role != "admin":
        raise _Reject(f"only an admin may change {m.entity.replace('_', ' ')}")
    check_target(m)
    rec = batch.load(session, m.row_id)
    if rec is not None and rec.entity != m.entity:
        raise _Reject(f"id {m.row_id} belongs to another kind of record")
    if rec is None and m.op != "insert":
        raise _Reject(f"{_what(m.entity, m.row_id)} is not on the server")
    checked = check_changes(m, creating=rec is None)
    new_values = checked.values
    check_references(m.entity, new_values, lambda row_id: batch.entity_of(session, row_id))
    if rec is None:
        data = {"id": m.row_id, **new_values}
        placed = placing.place_new(session, batch.scope, who, m.entity, data)
        if not _in_scope(session, batch, m.entity, m.row_id, data):
            raise _Reject(f"{_what(m.entity, m.row_id)} is outside your scope")
        rec = Record(id=m.row_id, entity=m.entity, version=0, deleted=False)
        batch.new[rec.id] = rec
        batch.data[rec.id] = data
        batch.set_anchors(session, rec, data)
        conflicts: list[str] = []
        account_id, _ = anchors(m.entity, m.row_id, data)
        parent = batch.load(session, account_id) if account_id and account_id != rec.id else None
        if parent is not None and parent.deleted:
            c = batch.conflict(
                m,
                m.entity,
                m.row_id,
                "deleted",
                None,
                None,
                new_values,
                {"deleted": "accounts", "id": parent.id},
            )
            conflicts.append(c.id)
        # A record the server placed (owner, territory) or stored in canonical form
        # differs from the client's copy: "merged" sends it back on the pull.
        changed = placed or checked.normalised
        batch.touch(rec, clean=not conflicts and not changed)
        return MutationResult(
            mutation_id=m.mutation_id,
            status="conflict" if conflicts else "merged" if changed else "applied",
            conflicts=conflicts,
        )
    data = batch.data_of(rec)
    if not _in_scope(session, batch, m.entity, rec.id, data):
        raise _Reject(f"{_what(m.entity, rec.id)} is outside your scope")
    if rec.deleted and m.op in ("update", "insert"):
        base = {k: v[0] for k, v in m.changes.items()}
        c = batch.conflict(
            m,
            m.entity,
            rec.id,
            "deleted",
            None,
            base,
            new_values,
            {"deleted": m.entity, "id": rec.id},
        )
        batch.touch(rec)  # a new version: the client gets the tombstone back
        return MutationResult(mutation_id=m.mutation_id, status="conflict", conflicts=[c.id])
    merged = dict(data)
    conflicts = []
    applied = False
    for fld, pair in m.changes.items():
        if fld not in new_values:
            continue  # the id
        old, new = pair[0], new_values[fld]
        current = data.get(fld)
        if current == new:
            continue
        if current == old or (m.op == "delete" and fld == "deleted_at" and current is None):
            merged[fld] = new
            applied = True
        elif fld == "deleted_at" and m.op == "delete":
            continue  # already deleted
        else:
            c = batch.conflict(m, m.entity, rec.id, "field", fld, old, new, current)
            conflicts.append(c.id)
    if conflicts and not applied:
        # Nothing changed, but the client holds "mine" where the server keeps "theirs"
        # until a person decides: a new version sends the server's values back to it.
        batch.touch(rec)
    if applied:
        if SCOPE_FIELDS & {k for k in m.changes}:
            if not _in_scope(session, batch, m.entity, rec.id, merged):
                raise _Reject(f"this change would move {_what(m.entity, rec.id)} out of your scope")
            if "territory_id" in m.changes and who.role == "rep":
                raise _Reject("only a manager or an admin reassigns territories")
        batch.data[rec.id] = merged
        batch.set_anchors(session, rec, merged)
    # "applied" means the client's copy now equals the server's; anything else (other
    # fields merged in, an edit with no base) sends the record back to it on the pull.
    status: Status
    if conflicts:
        status = "conflict"
    elif applied and checked.normalised:
        status = "merged"
    elif applied and (
        rec.id in batch.new or (m.base_version is not None and m.base_version == rec.version)
    ):
        status = "applied"
    elif applied:
        status = "merged"
    elif rec.id in batch.new or m.base_version == rec.version:
        status = "applied"  # nothing to change: the server already had these values
    else:
        status = "merged"
    if applied:
        batch.touch(rec, clean=status == "applied")
    return MutationResult(mutation_id=m.mutation_id, status=status, conflicts=conflicts)


def push(
    db: Database,
    who: Principal,
    mutations: list[Mutation],
    known_scope: int = 0,
    client_id: str | None = None,
) -> list[MutationResult]:
    def work(session: Session) -> list[MutationResult]:
        ids = [m.mutation_id for m in mutations]
        done = {
            row.mutation_id: row
            for row in session.scalars(
                select(AppliedMutation).where(
                    AppliedMutation.user_id == who.id, AppliedMutation.mutation_id.in_(ids)
                )
            )
        }
        batch = _Batch(who, scope_of(session, who), known_scope, client_id)
        batch.announced = {m.row_id: m.entity for m in mutations if m.op == "insert"}
        # Only ids that can name a record: anything else is refused by check_target,
        # and a NUL character would make PostgreSQL fail the whole query.
        erased = erasure.erased_among(
            session, (m.row_id for m in mutations if is_canonical_id(m.row_id))
        )
        results: list[MutationResult | None] = []
        pending: list[tuple[int, Mutation, MutationResult]] = []
        for m in mutations:
            prior = done.get(m.mutation_id)
            if prior is not None:
                results.append(MutationResult.model_validate_json(prior.result))
                continue
            mark = len(batch.conflicts)
            try:
                if m.row_id in erased:
                    raise _Reject(f"{_what(m.entity, m.row_id)} was erased on request")
                result = _apply_one(session, batch, m)
            except _Reject as exc:
                del batch.conflicts[mark:]
                result = MutationResult(
                    mutation_id=m.mutation_id, status="rejected", reason=str(exc)
                )
            results.append(None)
            pending.append((len(results) - 1, m, result))
        versions = batch.finish(session)
        now = utcnow()
        for index, m, result in pending:
            if result.status != "rejected":
                rec_version = versions.get(m.row_id)
                if rec_version is None:
                    rec = batch.load(session, m.row_id)
                    rec_version = rec.version if rec is not None else None
                result.version = rec_version
            results[index] = result
            session.add(
                AppliedMutation(
                    mutation_id=m.mutation_id,
                    user_id=who.id,
                    result=result.model_dump_json(),
                    applied_at=now,
                )
            )
        return [r for r in results if r is not None]

    return db.transaction(work)


# --- pull ------------------------------------------------------------------------


def _change_json(entity: str, row_id: str, version: int, data: str) -> str:
    return f'{{"entity":"{entity}","id":"{row_id}","version":{version},"data":{data}}}'


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


def _visible_conflicts(session: Session, scope: Scope, low: int, high: int) -> list[Conflict]:
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
        scope = scope_of(session, who)
        high, current_scope = counters(session, "seq", "scope")
        wanted = scope.condition()
        if client_id:
            wanted = wanted & or_(Record.origin.is_(None), Record.origin != client_id)
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
        new_cursor = rows[-1].version if more else high
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
        conflicts = _visible_conflicts(session, scope, cursor, new_cursor)
        purged = erasure.purges_json(session, cursor, new_cursor)
        scope_part = ""
        if current_scope > scope_seq:
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
    changes = ",".join(_change_json(r.entity, r.id, r.version, r.data) for r in rows)
    conflict_json = ",".join(conflict_info(c).model_dump_json() for c in conflicts)
    return (
        f'{{"changes":[{changes}],"conflicts":[{conflict_json}],"purged":{purged},'
        f'"cursor":{new_cursor},'
        f'"more":{"true" if more else "false"},"remaining":{remaining},'
        f'"scope_seq":{current_scope}{scope_part}}}'
    )


def fetch(db: Database, who: Principal, account_ids: list[str], owner_ids: list[str]) -> str:
    """Full records of accounts (with what hangs off them) that entered the scope."""
    with db.session() as session:
        scope = scope_of(session, who)
        query = select(Record.entity, Record.id, Record.version, Record.data).where(
            scope.condition()
        )
        wanted: ColumnElement[bool] = Record.account_id.in_(account_ids)
        if owner_ids:
            wanted = wanted | (Record.account_id.is_(None) & Record.owner_id.in_(owner_ids))
        rows = session.execute(query.where(wanted).order_by(Record.version)).all()
    changes = ",".join(_change_json(r.entity, r.id, r.version, r.data) for r in rows)
    return f'{{"changes":[{changes}]}}'


# --- conflicts -------------------------------------------------------------------


def list_conflicts(db: Database, who: Principal, include_resolved: bool) -> list[ConflictInfo]:
    with db.session() as session:
        scope = scope_of(session, who)
        rows = _visible_conflicts(session, scope, 0, 2**62)
    return [conflict_info(c) for c in rows if include_resolved or c.resolved_at is None]


def resolve(db: Database, who: Principal, conflict_id: str, keep: str) -> ConflictInfo:
    def work(session: Session) -> ConflictInfo:
        scope = scope_of(session, who)
        c = session.get(Conflict, conflict_id)
        if c is None:
            raise NotFound(f"no conflict with id {conflict_id}")
        batch = _Batch(who, scope)
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


def _undelete(session: Session, batch: _Batch, rec: Record) -> None:
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
