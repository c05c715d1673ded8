"""Automation rules on the replica: the same rules as the server, for work done offline.

The rules are synced records (``rules``); what they do is declared once in
:mod:`fieldapp.domain.rules`. Here:

- :func:`after_visit` runs when a visit is written through the services (CLI, panels):
  a follow-up rule's task is made at once, with the id the server would give it, so
  the push of the replica's task and the server's own evaluation meet in one record;
  a fresh check-in withdraws the account's overdue flags.
- :func:`run_flags` flags the accounts not visited within their frequency (run by
  ``fieldapp rules run`` and the Rules panel; the server runs its own pass).
- :func:`undo` takes back one effect: deletes a rule's task or flag (the tombstone
  keeps the rule from making it again) or gives a lead back to its former owner.
- :func:`after_lead` gives a new lead to its territory's rep, when this laptop knows the
  territory's reps (``territory_reps``, from the sync); else the server does on arrival.

Everything goes through the ORM, so the outbox hook records it like a person's edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from fieldapp.domain import rules as shared
from fieldapp.domain.rules import Rule
from fieldapp.domain.wire import to_wire
from fieldapp.errors import FieldError, NotFoundError, ValidationError

# A module, not its names: due and records import this module in turn.
from fieldapp.store import due, fields
from fieldapp.store.models import Account, Flag, Lead, Task, Territory, User, Visit
from fieldapp.store.models import Rule as RuleRow
from fieldapp.store.types import utcnow


def _wire(row: Any) -> dict[str, Any]:
    return {k: to_wire(v) for k, v in row.to_dict().items()}


def live_rules(session: Session, kind: str | None = None) -> list[Rule]:
    query = select(RuleRow).where(RuleRow.deleted_at.is_(None))
    if kind is not None:
        query = query.where(RuleRow.kind == kind)
    return [Rule.from_values(r.to_dict()) for r in session.scalars(query.order_by(RuleRow.name))]


class _Reach:
    """Which rules reach an owner and territory, with the users the replica knows."""

    def __init__(self, session: Session, rules: list[Rule]) -> None:
        self.rules = rules
        self.users = {
            u.id: (u.role, u.manager_id)
            for u in session.execute(select(User.id, User.role, User.manager_id))
        }

    def reaching(self, owner_id: str | None, territory_id: str | None) -> list[Rule]:
        manager = self.users.get(owner_id or "", (None, None))[1]
        return [
            r
            for r in self.rules
            if shared.applies(
                r,
                owner_id=owner_id,
                territory_id=territory_id,
                author_role=self.users.get(r.owner_id or "", (None, None))[0],
                owner_manager_id=manager,
            )
        ]


def _add(session: Session, model: type[Any], values: dict[str, Any], **system: Any) -> None:
    """A rule's record, checked like a person's; ``system`` holds fields fieldapp sets."""
    values = dict(values)
    row_id = values.pop("id")
    cleaned = fields.clean(model.__table__.name, values, creating=True)
    session.add(model(id=row_id, **cleaned, **system))


def _refuse(field: str, message: str) -> ValidationError:
    return ValidationError([FieldError(field, message)])


def after_visit(session: Session, visit: Visit, *, checked_in_now: bool) -> None:
    """The rules' work for a visit just written (flushed, so it has its owner)."""
    account = session.get(Account, visit.account_id)
    if account is None:
        return
    if checked_in_now and visit.checkin_at is not None and visit.deleted_at is None:
        for flag in session.scalars(
            select(Flag).where(Flag.account_id == account.id, Flag.deleted_at.is_(None))
        ):
            if flag.visit_id != visit.id:
                flag.deleted_at = utcnow()
    rules = [r for r in live_rules(session, "follow_up") if r.enabled]
    if not rules:
        session.flush()
        return
    data = _wire(visit)
    for rule in _Reach(session, rules).reaching(visit.owner_id, account.territory_id):
        if not shared.matches_visit(rule, data):
            continue
        task = shared.follow_up_task(rule, data)
        if session.get(Task, task["id"]) is None:  # deleted ones too: undone stays undone
            rule_id = task.pop("rule_id")
            _add(session, Task, task, rule_id=rule_id)
    session.flush()


def _territory_reps(session: Session, territory_id: str) -> list[tuple[str, str]]:
    """The territory's reps as the server last said (``territory_reps``, written by the
    sync layer; read with plain SQL, as ownership reads ``sync_state``)."""
    rows = session.execute(
        text(
            "SELECT u.id, u.username FROM territory_reps t JOIN users u ON u.id = t.user_id "
            "WHERE t.territory_id = :t AND u.role = 'rep' AND u.deleted_at IS NULL"
        ),
        {"t": territory_id},
    )
    return [(str(user_id), str(name)) for user_id, name in rows]


def after_lead(session: Session, lead: Lead) -> None:
    """A new lead in a territory goes to its rep by a lead rule, offline as the server would.

    Nothing when this laptop does not know the territory's reps (before the first sync
    that names them): the server assigns the lead when it arrives.
    """
    if lead.territory_id is None or lead.assigned_by_rule_id is not None:
        return
    found = [r for r in live_rules(session, "lead_assign") if r.enabled]
    reaching = _Reach(session, found).reaching(lead.owner_id, lead.territory_id) if found else []
    if not reaching:
        return
    reps = _territory_reps(session, lead.territory_id)
    if not reps or lead.owner_id in {user_id for user_id, _ in reps}:
        return
    counts = session.execute(
        select(Lead.owner_id, func.count())
        .where(Lead.deleted_at.is_(None), Lead.owner_id.in_([u for u, _ in reps]))
        .group_by(Lead.owner_id)
    )
    rep = shared.pick_rep(reps, {owner: n for owner, n in counts if owner is not None})
    lead.assigned_from_id, lead.owner_id = lead.owner_id, rep
    lead.assigned_by_rule_id = reaching[0].id
    session.flush()


def run_flags(session: Session, *, now: datetime | None = None) -> int:
    """Flag the overdue accounts the flag rules reach; return how many flags were added."""
    rules = [r for r in live_rules(session, "overdue_flag") if r.enabled]
    if not rules:
        return 0
    now = now or utcnow()
    reach = _Reach(session, rules)
    last_visit = (
        select(Visit.id)
        .where(Visit.account_id == Account.id, Visit.deleted_at.is_(None))
        .where(Visit.checkin_at.is_not(None))
        .order_by(Visit.checkin_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    known = set(session.scalars(select(Flag.id)))
    added = 0
    rows = session.execute(
        select(
            Account.id, Account.owner_id, Account.territory_id,
            Account.visit_frequency_days, last_visit,
        ).where(*due.overdue_conditions(now))
    )  # fmt: skip
    for account_id, owner_id, territory_id, frequency, visit_id in rows:
        for rule in reach.reaching(owner_id, territory_id):
            flag = shared.flag_values(rule, account_id, visit_id, frequency)
            if flag["id"] not in known:
                known.add(flag["id"])
                _add(session, Flag, flag)
                added += 1
    session.flush()
    return added


# --- what people see and undo ---------------------------------------------------------


@dataclass(frozen=True)
class ListedRule:
    """A rule for lists: the record, its words, and its territory's name."""

    rule: Rule
    text: str
    territory: str | None
    author: str | None


def listed(session: Session) -> list[ListedRule]:
    territories = {
        t_id: name for t_id, name in session.execute(select(Territory.id, Territory.name))
    }
    names = {
        u.id: u.display_name or u.username
        for u in session.execute(select(User.id, User.display_name, User.username))
    }
    out = []
    for rule in live_rules(session):
        territory = territories.get(rule.territory_id or "")
        out.append(
            ListedRule(
                rule, shared.describe(rule, territory), territory, names.get(rule.owner_id or "")
            )
        )
    return out


def rule_name(session: Session, rule_id: str | None) -> str | None:
    """The name of the rule that made something (also a deleted rule's)."""
    if rule_id is None:
        return None
    row = session.get(RuleRow, rule_id)
    return row.name if row is not None else "a rule not on this laptop"


def signed_in_role(session: Session) -> str | None:
    """The role this replica syncs as (sync_state, written at sign-in), if any."""
    found = session.execute(text("SELECT value FROM sync_state WHERE key = 'role'")).scalar()
    return None if found is None else str(found)


def may_set_rules(session: Session) -> bool:
    """Managers and admins set rules (the server refuses a rep's); so does a replica
    nobody signed in to yet (its rules are adopted at the first sign-in)."""
    return signed_in_role(session) in (None, "manager", "admin")


def save(session: Session, values: dict[str, Any], rule_id: str | None = None) -> str:
    """Add a rule, or change one; checks what its kind needs."""
    from fieldapp.store import services  # records calls after_visit: imported when used

    if not may_set_rules(session):
        raise _refuse("kind", "only a manager or an admin sets rules")
    current = services.get(session, "rules", rule_id) if rule_id else {}
    merged = {**current, **fields.clean("rules", values, creating=rule_id is None)}
    shared.check_rule(merged)
    if rule_id is None:
        return services.create(session, "rules", values)
    services.update(session, "rules", rule_id, values)
    return rule_id


def undo(session: Session, entity: str, row_id: str) -> str:
    """Take back one effect of a rule; return what was done, in words."""
    from fieldapp.store import services

    if entity in ("tasks", "flags"):
        row: Task | Flag | None = (
            session.get(Task, row_id) if entity == "tasks" else session.get(Flag, row_id)
        )
        if row is None or row.deleted_at is not None:
            raise NotFoundError(f"no {entity[:-1]} with id {row_id}")
        if entity == "tasks" and getattr(row, "rule_id", None) is None:
            raise _refuse("id", "this task was not made by a rule")
        services.delete(session, entity, row_id)
        return "task deleted" if entity == "tasks" else "flag cleared"
    if entity == "leads":
        lead = session.get(Lead, row_id)
        if lead is None or lead.deleted_at is not None:
            raise NotFoundError(f"no lead with id {row_id}")
        if lead.assigned_by_rule_id is None:
            raise _refuse("id", "this lead was not assigned by a rule")
        lead.owner_id, lead.assigned_by_rule_id = lead.assigned_from_id, None
        session.flush()
        return "lead given back to its former owner"
    raise _refuse("entity", "rules make tasks, flags and lead assignments only")


@dataclass(frozen=True)
class FlagInfo:
    id: str
    reason: str
    rule: str | None


def account_flags(session: Session, account_id: str) -> list[FlagInfo]:
    """The live flags on an account, with the name of the rule that put each there."""
    rows = session.scalars(
        select(Flag).where(Flag.account_id == account_id, Flag.deleted_at.is_(None))
    )
    return [FlagInfo(f.id, f.reason or "", rule_name(session, f.rule_id)) for f in rows]


@dataclass(frozen=True)
class Assignment:
    """Who a lead-assignment rule gave a lead to, and whose it was before."""

    rule: str | None
    owner: str | None
    former_owner: str | None


def _user_name(session: Session, user_id: str | None) -> str | None:
    user = session.get(User, user_id) if user_id else None
    return (user.display_name or user.username) if user is not None else None


def lead_assignment(session: Session, lead_id: str) -> Assignment | None:
    lead = session.get(Lead, lead_id)
    if lead is None or lead.assigned_by_rule_id is None:
        return None
    return Assignment(
        rule_name(session, lead.assigned_by_rule_id),
        _user_name(session, lead.owner_id),
        _user_name(session, lead.assigned_from_id),
    )
