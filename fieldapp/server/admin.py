"""What an admin does from ``fieldapp-server``: users, territories, accounts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from fieldapp.domain.placement import territory_for as territory_for
from fieldapp.domain.report import ImportReport
from fieldapp.server import audit, territories, users
from fieldapp.server.auth import Principal
from fieldapp.server.db import Database, ServerError
from fieldapp.server.models import Assignment, Record, ScopeExit, User
from fieldapp.server.records import Batch

ROLES = users.ROLES
SYSTEM = Principal("system", "system", "admin", None)


def _user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.username == name))
    if user is None:
        raise ServerError(f"no user named {name}")
    return user


def _territory(session: Session, name: str) -> Record:
    for rec in session.scalars(select(Record).where(Record.entity == "territories")):
        if json.loads(rec.data).get("name") == name:
            return rec
    raise ServerError(f"no territory named {name}")


def add_user(
    db: Database,
    username: str,
    password: str,
    role: str,
    manager: str | None = None,
    *,
    dry_run: bool = False,
) -> str:
    """Add a user as the server's operator: :func:`fieldapp.server.users.add_user`."""
    return users.add_user(db, audit.OPERATOR, username, password, role, manager, dry_run=dry_run)


def list_users(db: Database) -> list[dict[str, Any]]:
    return [row.as_dict() for row in users.list_users(db)]


def add_territory(
    db: Database,
    name: str,
    polygon: dict[str, Any] | None,
    postcodes: list[str],
    *,
    regions: list[str] | None = None,
    dry_run: bool = False,
) -> str:
    """Add a territory as the server's operator: :func:`fieldapp.server.territories.create`."""
    shape = territories.Shape(polygon=polygon, postcodes=postcodes, regions=regions)
    return territories.create(db, audit.OPERATOR, name, shape, dry_run=dry_run)


def assign_territory(db: Database, name: str, rep: str, *, dry_run: bool = False) -> None:
    """Give a territory to a rep (replacing its previous rep)."""

    def work(session: Session) -> None:
        territory = _territory(session, name)
        user = _user(session, rep)
        previous = list(
            session.scalars(
                select(Assignment.user_id).where(Assignment.territory_id == territory.id)
            )
        )
        session.execute(delete(Assignment).where(Assignment.territory_id == territory.id))
        session.add(Assignment(territory_id=territory.id, user_id=user.id))
        batch = Batch(SYSTEM, None)  # type: ignore[arg-type]
        batch.scope_changed = True
        # Touch the territory record so the change gets a sequence number.
        batch.data_of(territory)["manager_id"] = user.manager_id
        batch.touch(territory)
        versions = batch.finish(session)
        accounts = session.scalars(
            select(Record.id).where(
                Record.entity == "accounts", Record.territory_id == territory.id
            )
        )
        gone = [u for u in previous if u != user.id]
        for u in gone:  # the territory itself: new accounts made offline in it
            session.add(ScopeExit(account_id=territory.id, user_id=u, seq=versions[territory.id]))
        for account_id in accounts:
            for u in gone:
                session.add(ScopeExit(account_id=account_id, user_id=u, seq=versions[territory.id]))

    audit.change(
        db, audit.OPERATOR, "territory.assign", name, work, dry_run=dry_run, detail={"rep": rep}
    )


def import_accounts(db: Database, path: Path, **options: Any) -> ImportReport:
    """Load accounts from a CRM export: :func:`fieldapp.server.imports.import_accounts`."""
    from fieldapp.server import imports  # it places accounts by this module's territory rules

    return imports.import_accounts(db, path, **options)


def assign_accounts(
    db: Database, territory: str | None, account_ids: list[str], *, dry_run: bool = False
) -> int:
    """Move accounts to a territory (None: automatically by polygon / postcode)."""

    def work(session: Session) -> int:
        territories = [
            (r.id, json.loads(r.data))
            for r in session.scalars(select(Record).where(Record.entity == "territories"))
        ]
        target = _territory(session, territory).id if territory else None
        batch = Batch(SYSTEM, None)  # type: ignore[arg-type]
        query = select(Record).where(Record.entity == "accounts")
        if account_ids:
            query = query.where(Record.id.in_(account_ids))
        moved = 0
        for rec in session.scalars(query):
            data = batch.data_of(rec)
            tid = target or territory_for(
                territories, data.get("postcode"), data.get("latitude"), data.get("longitude")
            )
            if tid != data.get("territory_id"):
                data["territory_id"] = tid
                batch.set_anchors(session, rec, data)
                batch.touch(rec)
                moved += 1
        batch.finish(session)
        return moved

    detail = {"accounts": len(account_ids) or "all"}
    return audit.change(
        db, audit.OPERATOR, "accounts.assign", territory, work, dry_run=dry_run, detail=detail
    )
