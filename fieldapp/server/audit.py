"""The admin audit trail, and how every admin change runs: audited, optionally dry.

A change and its audit entry commit in one transaction, so there is no change without
its entry. A dry run does all the work (every check, every count) and then rolls the
transaction back: what it reports is exactly what the real run would do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.server.auth import Principal, utcnow
from fieldapp.server.db import Database
from fieldapp.server.models import AdminAudit

T = TypeVar("T")

# What the server's own command line acts as (no token: whoever runs it owns the server).
OPERATOR = Principal("operator", "server-operator", "admin", None)


@dataclass(frozen=True)
class Entry:
    id: int
    at: str
    actor: str
    action: str
    target: str | None
    detail: dict[str, Any]
    outcome: str


def record(
    session: Session,
    actor: Principal,
    action: str,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    outcome: str = "ok",
) -> None:
    session.add(
        AdminAudit(
            at=utcnow(),
            actor=actor.username,
            action=action,
            target=target[:200] if target else None,
            detail=json.dumps(detail or {}, ensure_ascii=False, default=str),
            outcome=outcome,
        )
    )


def log(
    db: Database,
    actor: Principal,
    action: str,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    outcome: str = "ok",
) -> None:
    """An entry of its own (reads and refusals, which change nothing else)."""
    with db.session() as session:
        record(session, actor, action, target, detail, outcome)


class _DryRun(Exception):
    """Raised to roll a dry run back, carrying its result out."""

    def __init__(self, result: Any) -> None:
        self.result = result


def change(
    db: Database,
    actor: Principal,
    action: str,
    target: str | None,
    work: Callable[[Session], T],
    *,
    dry_run: bool = False,
    detail: dict[str, Any] | None = None,
) -> T:
    """Run ``work`` in one transaction with its audit entry; a dry run is rolled back.

    The dry run's audit entry is written on its own afterwards (outcome ``dry-run``):
    asking what a change would do is an admin call too.
    """

    def audited(session: Session) -> T:
        result = work(session)
        if dry_run:
            raise _DryRun(result)
        record(session, actor, action, target, detail)
        return result

    try:
        return db.transaction(audited, attempts=1)
    except _DryRun as done:
        log(db, actor, action, target, detail, "dry-run")
        return done.result


def entries(db: Database, limit: int = 100, actor: str | None = None) -> list[Entry]:
    """The newest entries first."""
    with db.session() as session:
        query = select(AdminAudit).order_by(AdminAudit.id.desc()).limit(limit)
        if actor:
            query = query.where(AdminAudit.actor == actor)
        return [
            Entry(
                id=row.id,
                at=row.at.isoformat(),
                actor=row.actor,
                action=row.action,
                target=row.target,
                detail=json.loads(row.detail),
                outcome=row.outcome,
            )
            for row in session.scalars(query)
        ]
