"""Push: each mutation checked, merged field by field, answered and remembered.

A push runs in one transaction per batch: each mutation is validated
(:mod:`fieldapp.server.validation`), checked against the caller's scope from the
server's own state, merged field by field against the server's current values and
recorded with its answer in ``applied_mutations`` (a replay gets that answer back).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.domain.parse import is_canonical_id
from fieldapp.server import erasure, placing, rules
from fieldapp.server.auth import Principal, utcnow
from fieldapp.server.db import Database
from fieldapp.server.models import AppliedMutation, Record
from fieldapp.server.records import Batch
from fieldapp.server.scope import anchors, owner_of, scope_of
from fieldapp.server.validation import (
    Checked,
    Refused,
    check_changes,
    check_references,
    check_target,
)
from fieldapp.sync.protocol import ENTITIES, GLOBAL_ENTITIES, Mutation, MutationResult, Status

SCOPE_FIELDS = frozenset({"territory_id", "owner_id", "account_id"})


def _in_scope(
    session: Session,
    batch: Batch,
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
        raise Refused(f"account {account_id} is not on the server")
    # What the pusher made under their own new account, placed in another territory in
    # this same push, goes with it.
    return scope.account_visible(account) or account.id in batch.placed_away


def _what(entity: str, row_id: str) -> str:
    singular = entity[:-1] if entity.endswith("s") else entity
    return f"{singular.replace('_', ' ')} {row_id}"


def _apply_one(session: Session, batch: Batch, m: Mutation) -> MutationResult:
    if m.entity not in ENTITIES:
        raise Refused(f"unknown kind of record {m.entity!r}")
    if m.entity in GLOBAL_ENTITIES and batch.who.role != "admin":
        raise Refused(f"only an admin may change {m.entity.replace('_', ' ')}")
    if m.entity == "rules" and batch.who.role == "rep":
        raise Refused("only a manager or an admin sets rules")
    check_target(m)
    rec = batch.load(session, m.row_id)
    if rec is not None and rec.entity != m.entity:
        raise Refused(f"id {m.row_id} belongs to another kind of record")
    if rec is None and m.op != "insert":
        raise Refused(f"{_what(m.entity, m.row_id)} is not on the server")
    checked = check_changes(m, creating=rec is None)
    check_references(m.entity, checked.values, lambda row_id: batch.entity_of(session, row_id))
    if rec is None:
        return _insert(session, batch, m, checked)
    return _update(session, batch, m, checked, rec)


def _insert(session: Session, batch: Batch, m: Mutation, checked: Checked) -> MutationResult:
    new_values = checked.values
    data = {"id": m.row_id, **new_values}
    placed = placing.place_new(session, batch.scope, batch.who, m.entity, data)
    # A new account of the pusher's own whose address lies in another territory goes
    # there (the rule every side applies), not back as a refusal: the server keeps it,
    # and the pusher's next pull says it moved to that territory's reps and left.
    away = False
    if not _in_scope(session, batch, m.entity, m.row_id, data):
        away = placing.placed_elsewhere(session, batch.scope, m.entity, data)
        if not away:
            raise Refused(f"{_what(m.entity, m.row_id)} is outside your scope")
    if m.entity == "rules":
        rules.check_write(batch.who, batch.scope, data)
    rec = Record(id=m.row_id, entity=m.entity, version=0, deleted=False)
    batch.new[rec.id] = rec
    batch.data[rec.id] = data
    batch.set_anchors(session, rec, data)
    if away:
        batch.placed_away.add(rec.id)
        batch.exits.append((rec.id, batch.who.id))
        batch.scope_changed = True
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


def _update(
    session: Session, batch: Batch, m: Mutation, checked: Checked, rec: Record
) -> MutationResult:
    new_values = checked.values
    data = batch.data_of(rec)
    if not _in_scope(session, batch, m.entity, rec.id, data):
        raise Refused(f"{_what(m.entity, rec.id)} is outside your scope")
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
                raise Refused(f"this change would move {_what(m.entity, rec.id)} out of your scope")
            if "territory_id" in m.changes and batch.who.role == "rep":
                raise Refused("only a manager or an admin reassigns territories")
        if m.entity == "rules":
            rules.check_write(batch.who, batch.scope, merged)
        batch.data[rec.id] = merged
        batch.set_anchors(session, rec, merged)
    status = _status(batch, m, rec, conflicts, applied, checked.normalised)
    if applied:
        batch.touch(rec, clean=status == "applied")
    return MutationResult(mutation_id=m.mutation_id, status=status, conflicts=conflicts)


def _status(
    batch: Batch, m: Mutation, rec: Record, conflicts: list[str], applied: bool, normalised: bool
) -> Status:
    """The answer to an update.

    "applied" means the client's copy now equals the server's; anything else (other
    fields merged in, an edit with no base, values stored in canonical form) sends the
    record back to it on the pull.
    """
    if conflicts:
        return "conflict"
    based_here = rec.id in batch.new or (
        m.base_version is not None and m.base_version == rec.version
    )
    if applied and normalised:
        return "merged"
    # Applied or not (the server may already have had these values), a change made on
    # the server's current version leaves the client's copy equal to the server's.
    return "applied" if based_here else "merged"


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
        batch = Batch(who, scope_of(session, who), known_scope, client_id)
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
                    raise Refused(f"{_what(m.entity, m.row_id)} was erased on request")
                result = _apply_one(session, batch, m)
            except Refused as exc:
                del batch.conflicts[mark:]
                result = MutationResult(
                    mutation_id=m.mutation_id, status="rejected", reason=str(exc)
                )
            results.append(None)
            pending.append((len(results) - 1, m, result))
        # The rules' work joins the batch; a pushed record they changed (a lead given
        # to its territory's rep) is no longer the client's copy: "merged".
        ruled = rules.apply(session, batch)
        versions = batch.finish(session)
        now = utcnow()
        for index, m, result in pending:
            if m.row_id in ruled and result.status == "applied":
                result.status = "merged"
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
