"""Territory assignments changed as versioned proposals: create, preview, apply, roll back.

A proposal says "territory T goes to reps R" and/or "these accounts (or the accounts T's
polygon, postcodes or regions hold) move into T". Its number is its version. Until it is
applied it changes nothing; its diff (server/workload.py) is worked out against the
assignment as it is at that moment. Applying it records exactly what moved, old and new
values; rolling back to version V undoes, newest first, what every later applied version
moved, which restores the assignment as it was right after V (0: before the first). A
rollback is a version of its own, so it can be rolled back too.

Applying moves accounts the way a push does: each moved account gets a new version (the
records hanging off it follow it: they are in scope through their account), and every
rep who loses an account gets a scope exit, so replicas converge through the normal
scope-change pull. The accounts are read and rewritten in bulk (one locked read, one
executemany, history entries in one insert), so 10k accounts move in about a second.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from fieldapp.server import audit, idsets, territories, workload
from fieldapp.server.auth import Principal, utcnow
from fieldapp.server.db import Database, ServerError
from fieldapp.server.models import Assignment, Proposal, Record, User
from fieldapp.server.records import Batch, NotFound, Rewrite, named_in_body
from fieldapp.server.workload import Plan


class NoSuchProposal(NotFound):
    """HTTP 404."""


@dataclass(frozen=True)
class Request:
    """What an admin proposes (names as people type them, account ids)."""

    territory: str
    reps: list[str] | None = None
    accounts: list[str] | None = None
    match: bool = False  # move the accounts the territory's shape holds
    note: str | None = None


def _rep_ids(session: Session, names: list[str]) -> list[str]:
    found = {u.username: u for u in session.scalars(select(User).where(User.username.in_(names)))}
    missing = [n for n in names if n not in found]
    if missing:
        raise ServerError(f"no user named {', '.join(missing[:5])}")
    ids: list[str] = []
    for name in names:
        if found[name].id not in ids:
            ids.append(found[name].id)
    return ids


def _check_accounts(session: Session, ids: list[str]) -> None:
    wanted = list(dict.fromkeys(ids))
    seen: set[str] = set()
    for condition in idsets.among(session, Record.id, wanted):
        seen.update(
            session.scalars(
                select(Record.id).where(
                    condition, Record.entity == "accounts", Record.deleted.is_(False)
                )
            )
        )
    missing = [i for i in wanted if i not in seen]
    if missing:
        shown = ", ".join(missing[:3]) + (" …" if len(missing) > 3 else "")
        raise ServerError(f"{len(missing)} of the accounts are not on the server: {shown}")


def _create(session: Session, actor: Principal, request: Request) -> Proposal:
    if request.reps is None and request.accounts is None and not request.match:
        raise ServerError("a proposal moves something: give reps, accounts or match")
    if request.accounts is not None and request.match:
        raise ServerError("give either account ids or match, not both")
    territory = territories.find(session, request.territory)
    reps = _rep_ids(session, request.reps) if request.reps is not None else None
    if request.accounts is not None:
        _check_accounts(session, request.accounts)
    accounts: Any = "match" if request.match else request.accounts
    proposal = Proposal(
        kind="assign",
        state="proposed",
        territory_id=territory.id,
        reps=json.dumps(reps) if reps is not None else None,
        accounts=json.dumps(
            list(dict.fromkeys(accounts)) if isinstance(accounts, list) else accounts
        )
        if accounts is not None
        else None,
        note=request.note,
        created_by=actor.username,
        created_at=utcnow(),
    )
    session.add(proposal)
    session.flush()
    return proposal


def create(
    db: Database, actor: Principal, request: Request, *, dry_run: bool = False
) -> dict[str, Any]:
    """Record a proposal; nothing moves until it is applied. Returns its version."""

    def work(session: Session) -> dict[str, Any]:
        # The territory is named in the body: an unknown one is a bad request (400).
        proposal = named_in_body(lambda: _create(session, actor, request))
        return {"version": proposal.id, "state": proposal.state, "dry_run": dry_run}

    detail = {"reps": request.reps, "accounts": len(request.accounts or []), "match": request.match}
    return audit.change(
        db, actor, "proposal.create", request.territory, work, dry_run=dry_run, detail=detail
    )


def _plan(session: Session, proposal: Proposal, *, lock: bool = False) -> Plan:
    """What applying the proposal now would change (``lock``: the moving rows, to apply).

    The moving accounts' documents are kept in the plan: the diff names them and
    applying rewrites them from this one read.
    """
    tid = proposal.territory_id
    assert tid is not None
    plan = Plan()
    if proposal.reps is not None:
        old = sorted(workload.assignments(session).get(tid, set()))
        new = sorted(json.loads(proposal.reps))
        if old != new:
            plan.reps[tid] = (old, new)
    accounts = json.loads(proposal.accounts) if proposal.accounts else None
    if accounts == "match":
        shape = json.loads(territories.find(session, tid).data)
        rows = session.execute(
            select(Record.id, Record.territory_id, Record.data).where(
                Record.entity == "accounts", Record.deleted.is_(False)
            )
        )
        for row_id, current, data in rows:
            if current != tid and territories.matches(shape, json.loads(data)):
                plan.moves[row_id] = (current, tid)
    elif accounts:
        for condition in idsets.among(session, Record.id, accounts):
            query = select(Record.id, Record.territory_id, Record.data).where(
                condition, Record.entity == "accounts", Record.deleted.is_(False)
            )
            if lock and session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update()
            for row_id, current, data in session.execute(query):
                if current != tid:
                    plan.moves[row_id] = (current, tid)
                    plan.docs[row_id] = data
    return plan


def _proposal(session: Session, version: int) -> Proposal:
    proposal = session.get(Proposal, version)
    if proposal is None:
        raise NoSuchProposal(f"no proposal {version}")
    return proposal


def diff(db: Database, version: int) -> dict[str, Any]:
    """The proposal's diff: as it would apply now, or as it applied (from its record)."""
    with db.session() as session:
        proposal = _proposal(session, version)
        if proposal.state == "applied":
            changes = json.loads(proposal.changes or "{}")
            return {**_describe(session, proposal), **changes["diff"]}
        plan = _plan(session, proposal)
        return {**_describe(session, proposal), **workload.diff(session, plan)}


def _execute(session: Session, actor: Principal, plan: Plan) -> None:
    """Move what the plan says, with new versions and scope exits (one transaction)."""
    before = workload.assignments(session)
    after = {**before, **{t: set(new) for t, (_, new) in plan.reps.items()}}
    batch = Batch(actor, None)  # type: ignore[arg-type]
    batch.scope_changed = True
    now = utcnow().isoformat()
    for tid, (old, new) in plan.reps.items():
        session.execute(delete(Assignment).where(Assignment.territory_id == tid))
        session.add_all(Assignment(territory_id=tid, user_id=u) for u in new)
        rec = batch.load(session, tid)
        if rec is not None:  # a change with a sequence number: clients see the new reps
            batch.data_of(rec)["updated_at"] = now
            batch.touch(rec)
        gone = set(old) - set(new)
        if gone:
            staying = session.scalars(
                select(Record.id).where(Record.entity == "accounts", Record.territory_id == tid)
            )
            # The territory itself too: accounts its old reps made offline in it.
            for account_id in [tid, *staying]:
                if account_id not in plan.moves:
                    batch.exits.extend((account_id, u) for u in gone)
    # The moved accounts in bulk: one locked read (the plan's, when it made one), one
    # executemany of new documents; what hangs off them is in scope through them and is
    # not rewritten (server/scope.py).
    unread = [a for a in plan.moves if a not in plan.docs]
    for condition in idsets.among(session, Record.id, unread):
        query = select(Record.id, Record.data).where(condition)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        # A Result has keys() (its column names), so dict.update would take it for a
        # mapping: hand it the (id, document) pairs.
        plan.docs.update((row_id, data) for row_id, data in session.execute(query))
    for row_id, (src, dst) in plan.moves.items():
        if row_id not in plan.docs:
            continue  # not on the server (any more): nothing to move
        old_doc = json.loads(plan.docs[row_id])
        new_doc = {**old_doc, "territory_id": dst, "updated_at": now}
        batch.rewrites.append(Rewrite("accounts", row_id, old_doc, new_doc, dst))
        keep = after.get(dst or "", set())
        batch.exits.extend((row_id, u) for u in before.get(src or "", set()) - keep)
    batch.finish(session)


def _apply(session: Session, actor: Principal, proposal: Proposal) -> dict[str, Any]:
    if proposal.state == "applied":
        raise ServerError(f"proposal {proposal.id} was applied already")
    plan = _plan(session, proposal, lock=True)
    summary = workload.diff(session, plan)
    _execute(session, actor, plan)
    proposal.state = "applied"
    proposal.applied_by = actor.username
    proposal.applied_at = utcnow()
    proposal.changes = json.dumps({**plan.as_json(), "diff": summary})
    return {**_describe(session, proposal), **summary}


def apply(db: Database, actor: Principal, version: int, *, dry_run: bool = False) -> dict[str, Any]:
    """Apply a proposal; return its diff as applied."""

    def work(session: Session) -> dict[str, Any]:
        return _apply(session, actor, _proposal(session, version))

    return audit.change(db, actor, "proposal.apply", str(version), work, dry_run=dry_run)


def set_reps(
    db: Database, actor: Principal, territory: str, reps: list[str], *, dry_run: bool = False
) -> dict[str, Any]:
    """Give a territory these reps at once (a proposal made and applied in one go)."""

    def work(session: Session) -> dict[str, Any]:
        proposal = _create(session, actor, Request(territory, reps=reps))
        return _apply(session, actor, proposal)

    detail = {"reps": reps}
    return audit.change(
        db, actor, "territory.reps", territory, work, dry_run=dry_run, detail=detail
    )


def rollback(
    db: Database, actor: Principal, version: int, *, dry_run: bool = False
) -> dict[str, Any]:
    """Restore the assignment as it was right after ``version`` (0: before the first)."""

    def work(session: Session) -> dict[str, Any]:
        if version:
            target = _proposal(session, version)
            if target.state != "applied":
                raise ServerError(
                    f"proposal {version} was never applied; roll back to an applied version"
                )
        later = list(
            session.scalars(
                select(Proposal)
                .where(Proposal.id > version, Proposal.state == "applied")
                .order_by(Proposal.id.desc())
            )
        )
        if not later:
            raise ServerError(f"nothing to roll back: version {version} is the current assignment")
        # Newest first, so each account ends at its value before the earliest later version.
        accounts: dict[str, str | None] = {}
        reps: dict[str, list[str]] = {}
        for p in later:
            undone = json.loads(p.changes or "{}")
            for account_id, (old, _new) in undone.get("moves", {}).items():
                accounts[account_id] = old
            for tid, (old, _new) in undone.get("reps", {}).items():
                reps[tid] = old
        plan = Plan()
        current = workload.assignments(session)
        for tid, old in reps.items():
            now_held = sorted(current.get(tid, set()))
            if now_held != sorted(old):
                plan.reps[tid] = (now_held, sorted(old))
        for condition in idsets.among(session, Record.id, list(accounts)):
            query = select(Record.id, Record.territory_id, Record.data).where(
                condition, Record.deleted.is_(False)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update()
            for row_id, territory_id, data in session.execute(query):
                if territory_id != accounts[row_id]:
                    plan.moves[row_id] = (territory_id, accounts[row_id])
                    plan.docs[row_id] = data
        summary = workload.diff(session, plan)
        _execute(session, actor, plan)
        proposal = Proposal(
            kind="rollback",
            state="applied",
            rollback_to=version,
            created_by=actor.username,
            created_at=utcnow(),
            applied_by=actor.username,
            applied_at=utcnow(),
            changes=json.dumps({**plan.as_json(), "diff": summary}),
        )
        session.add(proposal)
        session.flush()
        return {**_describe(session, proposal), **summary}

    return audit.change(db, actor, "proposal.rollback", str(version), work, dry_run=dry_run)


def _describe(session: Session, p: Proposal) -> dict[str, Any]:
    names = workload.user_names(session)
    territory = None
    if p.territory_id:
        rec = session.get(Record, p.territory_id)
        territory = json.loads(rec.data).get("name") if rec is not None else p.territory_id
    accounts = json.loads(p.accounts) if p.accounts else None
    return {
        "version": p.id,
        "kind": p.kind,
        "state": p.state,
        "territory": territory,
        "reps": [names.get(u, u) for u in json.loads(p.reps)] if p.reps else None,
        "accounts": accounts if accounts == "match" or accounts is None else len(accounts),
        "rollback_to": p.rollback_to,
        "note": p.note,
        "created_by": p.created_by,
        "created_at": p.created_at.isoformat(),
        "applied_by": p.applied_by,
        "applied_at": p.applied_at.isoformat() if p.applied_at else None,
    }


def list_proposals(db: Database) -> list[dict[str, Any]]:
    """Every proposal, newest first, with how many accounts it moved (once applied)."""
    with db.session() as session:
        rows = []
        for p in session.scalars(select(Proposal).order_by(Proposal.id.desc())):
            row = _describe(session, p)
            if p.changes:
                row["moved"] = json.loads(p.changes)["diff"]["moving_count"]
            rows.append(row)
        return rows
