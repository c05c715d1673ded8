"""Automation rules a manager sets, declared once for the server and the replica.

Three kinds (:data:`RULE_KINDS`):

- ``follow_up``: a visit done with outcome X gets a follow-up task due N days after it
  (after its check-out, else its check-in), for the visit's owner.
- ``overdue_flag``: an account not visited within its frequency
  (:func:`fieldapp.domain.visits.visit_due_at`) gets a flag.
- ``lead_assign``: a new lead placed in a territory goes to that territory's rep.

Both sides evaluate a rule with these functions, so what the replica makes offline and
what the server makes for the same visit or account is the *same record*: its id is a
UUID derived from the rule and the item (:func:`follow_up_task_id`, :func:`flag_id`), its
values come from :func:`follow_up_task` and :func:`flag_values`. A push of the replica's
task meets the server's and they converge; a task or flag a person deleted stays a
tombstone under that id, so the rule never makes it again (undo sticks).

Who a rule reaches (:func:`applies`): the accounts of its territory when it names one;
otherwise everyone for an admin's rule and the author's team (the author and the reps
who report to them) for a manager's.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fieldapp.domain import parse
from fieldapp.domain.values import RULE_KINDS as RULE_KINDS
from fieldapp.domain.visits import frequency_days, visit_due_at
from fieldapp.errors import FieldError, ValidationError

# The namespace of the ids rules give what they make (fixed: both sides must agree).
NAMESPACE = uuid.UUID("6f1c2a4e-9d3b-5e7f-8a1c-2b4d6e8f0a13")

KIND_TEXT = {
    "follow_up": "Follow-up task after a visit",
    "overdue_flag": "Flag accounts not visited within their frequency",
    "lead_assign": "Assign new leads to the territory's rep",
}
DEFAULT_FOLLOW_UP_DAYS = 7
MAX_FOLLOW_UP_DAYS = 365


@dataclass(frozen=True)
class Rule:
    """One rule as both sides read it (from a replica row or a server document)."""

    id: str
    name: str
    kind: str
    enabled: bool
    owner_id: str | None
    territory_id: str | None = None
    outcome: str | None = None
    days: int | None = None
    task_title: str | None = None
    priority: str | None = None

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> Rule:
        return cls(
            id=str(values["id"]),
            name=str(values.get("name") or ""),
            kind=str(values.get("kind") or ""),
            enabled=bool(values.get("enabled", True)),
            owner_id=values.get("owner_id"),
            territory_id=values.get("territory_id"),
            outcome=values.get("outcome"),
            days=values.get("days"),
            task_title=values.get("task_title"),
            priority=values.get("priority"),
        )


def check_rule(values: Mapping[str, Any]) -> None:
    """What a rule of its kind needs; one ValidationError naming every gap."""
    errors = []
    kind = values.get("kind")
    if kind == "follow_up":
        if not values.get("outcome"):
            errors.append(FieldError("outcome", "a follow-up rule needs the visit outcome"))
        days = values.get("days")
        if days is None:
            errors.append(FieldError("days", "a follow-up rule needs the number of days"))
    if errors:
        raise ValidationError(errors)


def describe(rule: Rule, territory_name: str | None = None) -> str:
    """The rule in words, for lists and the "made by rule …" line."""
    where = f" in {territory_name}" if territory_name else ""
    if rule.kind == "follow_up":
        days = rule.days if rule.days is not None else DEFAULT_FOLLOW_UP_DAYS
        outcome = (rule.outcome or "").replace("_", " ")
        return f"Task {days} days after a visit with outcome “{outcome}”{where}"
    if rule.kind == "overdue_flag":
        return f"Flag accounts not visited within their frequency{where}"
    if rule.kind == "lead_assign":
        return f"Assign new leads to the territory's rep{where}"
    return rule.kind


def applies(
    rule: Rule,
    *,
    owner_id: str | None,
    territory_id: str | None,
    author_role: str | None,
    owner_manager_id: str | None,
) -> bool:
    """Does the rule reach an item (a visit, an account, a lead) with this owner and place?"""
    if not rule.enabled:
        return False
    if rule.territory_id is not None:
        return territory_id == rule.territory_id
    if author_role == "admin" or rule.owner_id is None:
        return True  # an admin's, or one made on a replica before anyone signed in
    return owner_id is not None and (owner_id == rule.owner_id or owner_manager_id == rule.owner_id)


# --- follow-up tasks --------------------------------------------------------------


def follow_up_task_id(rule_id: str, visit_id: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"follow_up:{rule_id}:{visit_id}"))


def matches_visit(rule: Rule, visit: Mapping[str, Any]) -> bool:
    """A done, live visit with the rule's outcome."""
    return (
        rule.kind == "follow_up"
        and rule.outcome is not None
        and visit.get("outcome") == rule.outcome
        and visit.get("checkin_at") is not None
        and visit.get("deleted_at") is None
    )


def follow_up_task(rule: Rule, visit: Mapping[str, Any]) -> dict[str, Any]:
    """The task (wire form, with its id) the rule makes for a matching visit.

    ``visit`` is in wire form too; the due time is N days after its check-out (else its
    check-in), written the way :func:`fieldapp.domain.wire.to_wire` writes times, so the
    replica's copy and the server's are equal field for field.
    """
    done = parse.moment(visit.get("checkout_at") or visit.get("checkin_at"))
    assert done is not None  # matches_visit checked the check-in
    days = rule.days if rule.days is not None else DEFAULT_FOLLOW_UP_DAYS
    next_step = visit.get("next_step")
    title = rule.task_title or (next_step[:255] if next_step else None) or "Follow up on visit"
    return {
        "id": follow_up_task_id(rule.id, str(visit["id"])),
        "title": title,
        "description": f"Made by rule “{rule.name}”",
        "account_id": visit.get("account_id"),
        "visit_id": visit["id"],
        "due_at": (done + timedelta(days=days)).isoformat(),
        "priority": rule.priority or "normal",
        "done": False,
        "owner_id": visit.get("owner_id"),
        "rule_id": rule.id,
    }


# --- overdue flags ----------------------------------------------------------------


def flag_id(rule_id: str, account_id: str, last_visit_id: str | None) -> str:
    """One flag per rule, account and overdue spell (the spell starts at the last visit)."""
    return str(uuid.uuid5(NAMESPACE, f"flag:{rule_id}:{account_id}:{last_visit_id or 'never'}"))


def is_overdue(
    last_visit_at: datetime | None, created_at: datetime, frequency: int | None, now: datetime
) -> bool:
    return now >= visit_due_at(last_visit_at, created_at, frequency)


def flag_values(
    rule: Rule, account_id: str, last_visit_id: str | None, frequency: int | None
) -> dict[str, Any]:
    """The flag (wire form, with its id) the rule puts on an overdue account."""
    days = frequency_days(frequency)
    return {
        "id": flag_id(rule.id, account_id, last_visit_id),
        "account_id": account_id,
        "rule_id": rule.id,
        "visit_id": last_visit_id,
        "reason": f"Not visited within {days} days",
    }


# --- lead assignment --------------------------------------------------------------


def pick_rep(reps: Sequence[tuple[str, str]], open_leads: Mapping[str, int]) -> str | None:
    """The territory's rep with the fewest open leads (then by user name); None if none.

    ``reps`` holds (user id, user name) of the territory's active reps.
    """
    if not reps:
        return None
    return min(reps, key=lambda r: (open_leads.get(r[0], 0), r[1]))[0]
