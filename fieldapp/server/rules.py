"""Automation rules on the server: who may write them, and their work in each push.

The rules themselves are synced records (entity ``rules``, see
:mod:`fieldapp.domain.rules`); this module applies them to what a push brings, inside
the push's transaction, so every client's work is covered whether or not its device
knew the rule:

- a visit done with a follow-up rule's outcome gets the rule's task, unless the push
  brings that task itself (the device made it offline) or the server holds it already,
  live or deleted (a person undid it: it stays undone);
- a done visit withdraws the overdue flags on its account (the account was visited);
- a new lead in a territory goes to the territory's rep by a lead-assignment rule.

Overdue flags need time to pass, not a push: :mod:`fieldapp.server.rule_pass` puts
them on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldapp.domain import rules as shared
from fieldapp.domain.rules import Rule
from fieldapp.errors import ValidationError
from fieldapp.server.auth import Principal, utcnow
from fieldapp.server.models import Assignment, Record, User
from fieldapp.server.records import Batch
from fieldapp.server.scope import Scope
from fieldapp.server.validation import Refused


def check_write(who: Principal, scope: Scope, document: dict[str, Any]) -> None:
    """Refuse a rule write from a rep, outside a manager's territories, or one its kind
    cannot run (the scope check has passed: the rule is the manager's team's)."""
    if who.role == "rep":
        raise Refused("only a manager or an admin sets rules")
    territory_id = document.get("territory_id")
    if not scope.everything and territory_id and territory_id not in scope.territories:
        raise Refused("a manager sets rules only for the territories of their team")
    if document.get("deleted_at") is not None:
        return
    try:
        shared.check_rule(document)
    except ValidationError as exc:
        raise Refused(str(exc)) from exc


class Rules:
    """The rules live on the server (with this push's changes), and their authors."""

    def __init__(self, session: Session, batch: Batch) -> None:
        docs = {
            rec.id: json.loads(rec.data)
            for rec in session.scalars(
                select(Record).where(Record.entity == "rules", Record.deleted.is_(False))
            )
        }
        for rec in batch.touched.values():
            if rec.entity == "rules":
                docs[rec.id] = batch.data_of(rec)
        self.all = [Rule.from_values(d) for d in docs.values() if d.get("deleted_at") is None]
        self._users: dict[str, tuple[str, str | None]] = {}
        self._session = session

    def of_kind(self, kind: str) -> list[Rule]:
        return [r for r in self.all if r.kind == kind and r.enabled]

    def _know(self, ids: Iterable[str | None]) -> None:
        wanted = {i for i in ids if i and i not in self._users}
        if wanted:
            rows = self._session.execute(
                select(User.id, User.role, User.manager_id).where(User.id.in_(wanted))
            )
            for user_id, role, manager_id in rows:
                self._users[user_id] = (role, manager_id)

    def reaching(self, kind: str, owner_id: str | None, territory_id: str | None) -> list[Rule]:
        """The enabled rules of a kind that reach an item with this owner and territory."""
        found = self.of_kind(kind)
        self._know([owner_id, *(r.owner_id for r in found)])
        manager = self._users.get(owner_id or "", (None, None))[1]
        return [
            r
            for r in found
            if shared.applies(
                r,
                owner_id=owner_id,
                territory_id=territory_id,
                author_role=self._users.get(r.owner_id or "", (None, None))[0],
                owner_manager_id=manager,
            )
        ]


def add_record(session: Session, batch: Batch, entity: str, data: dict[str, Any]) -> None:
    """A record a rule makes, joining the batch (numbered with it)."""
    rec = Record(id=data["id"], entity=entity, version=0, deleted=False)
    batch.new[rec.id] = rec
    batch.data[rec.id] = data
    batch.set_anchors(session, rec, data)
    batch.touch(rec)


def _exists(session: Session, batch: Batch, row_id: str) -> bool:
    return row_id in batch.announced or batch.load(session, row_id) is not None


def _follow_ups(session: Session, batch: Batch, rules: Rules, rec: Record) -> None:
    visit = batch.data_of(rec)
    if not any(shared.matches_visit(r, visit) for r in rules.of_kind("follow_up")):
        return
    # The visit's territory is its account's (records hanging off one carry none).
    account_id = visit.get("account_id")
    account = batch.load(session, account_id) if isinstance(account_id, str) else None
    territory = account.territory_id if account is not None else None
    for rule in rules.reaching("follow_up", rec.owner_id, territory):
        if not shared.matches_visit(rule, visit):
            continue
        task = shared.follow_up_task(rule, visit)
        if not _exists(session, batch, task["id"]):
            add_record(session, batch, "tasks", task)


def _withdraw_flags(session: Session, batch: Batch, visits: list[Record]) -> None:
    """Visits just done: the overdue flags on their accounts go (they were visited).

    Only for a check-in this push brought (a new visit, or a planned one checked in),
    not for a later edit of an old visit. One query per 500 accounts, not per visit.
    """
    done: dict[str, str] = {}  # account -> the visit
    for rec in visits:
        visit = batch.data_of(rec)
        before = json.loads(rec.data) if rec.data else {}
        account_id = visit.get("account_id")
        fresh = before.get("checkin_at") is None and visit.get("checkin_at") is not None
        if fresh and visit.get("deleted_at") is None and isinstance(account_id, str):
            done[account_id] = rec.id
    accounts = sorted(done)
    now = utcnow().isoformat()
    for start in range(0, len(accounts), 500):
        flags = session.scalars(
            select(Record).where(
                Record.entity == "flags",
                Record.account_id.in_(accounts[start : start + 500]),
                Record.deleted.is_(False),
            )
        )
        for flag in flags:
            data = batch.data_of(flag)
            if data.get("visit_id") != done.get(flag.account_id or ""):
                data["deleted_at"] = now
                batch.touch(flag)


def _territory_reps(session: Session, territory_id: str) -> list[tuple[str, str]]:
    rows = session.execute(
        select(User.id, User.username)
        .join(Assignment, Assignment.user_id == User.id)
        .where(Assignment.territory_id == territory_id, User.role == "rep", User.active)
    )
    return [(user_id, name) for user_id, name in rows]


def _open_leads(session: Session, owners: list[str]) -> dict[str, int]:
    rows = session.execute(
        select(Record.owner_id, func.count())
        .where(Record.entity == "leads", Record.deleted.is_(False), Record.owner_id.in_(owners))
        .group_by(Record.owner_id)
    )
    return {owner: count for owner, count in rows if owner is not None}


def _assign_lead(session: Session, batch: Batch, rules: Rules, rec: Record) -> bool:
    lead = batch.data_of(rec)
    territory_id = lead.get("territory_id")
    if not territory_id or lead.get("assigned_by_rule_id"):
        return False
    for rule in rules.reaching("lead_assign", rec.owner_id, territory_id):
        reps = _territory_reps(session, territory_id)
        if not reps or lead.get("owner_id") in {user_id for user_id, _ in reps}:
            return False  # already the territory's rep's, or nobody to give it to
        rep = shared.pick_rep(reps, _open_leads(session, [user_id for user_id, _ in reps]))
        lead["assigned_from_id"] = lead.get("owner_id")
        lead["owner_id"] = rep
        lead["assigned_by_rule_id"] = rule.id
        batch.set_anchors(session, rec, lead)
        batch.touch(rec)
        return True
    return False


def _switched_on(batch: Batch, rec: Record) -> bool:
    """A flag rule this push added or enabled: its first pass runs with the push."""
    data = batch.data_of(rec)
    before = json.loads(rec.data) if rec.data else {}
    on = data.get("kind") == "overdue_flag" and data.get("enabled", True)
    return bool(on) and data.get("deleted_at") is None and not before.get("enabled", False)


def apply(session: Session, batch: Batch) -> set[str]:
    """Run the rules over what the push touched; return the pushed records they changed.

    Called before the batch is numbered, so what the rules make gets versions with it.
    """
    pushed = list(batch.touched.values())
    visits = [r for r in pushed if r.entity == "visits"]
    leads = [r for r in pushed if r.entity == "leads" and r.id in batch.new]
    flag_rules = [r for r in pushed if r.entity == "rules" and _switched_on(batch, r)]
    if not visits and not leads and not flag_rules:
        return set()
    rules = Rules(session, batch)
    if flag_rules:
        from fieldapp.server import rule_pass  # it builds on this module

        ids = {r.id for r in flag_rules}
        fresh = [r for r in rules.of_kind("overdue_flag") if r.id in ids]
        rule_pass.flag_overdue(session, batch, rules, fresh, utcnow())
    changed: set[str] = set()
    _withdraw_flags(session, batch, visits)
    for rec in visits:
        _follow_ups(session, batch, rules, rec)
    for rec in leads:
        if _assign_lead(session, batch, rules, rec):
            changed.add(rec.id)
    return changed
