"""What an admin does from ``fieldapp-server``: users, territories, accounts."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from fieldapp.domain.placement import territory_for as territory_for
from fieldapp.domain.report import ImportReport
from fieldapp.server.auth import Principal, hash_password, utcnow
from fieldapp.server.db import Database, ServerError
from fieldapp.server.models import Assignment, Record, ScopeExit, User
from fieldapp.server.sync import _Batch, dumps

ROLES = ("rep", "manager", "admin")
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


def _new_record(batch: _Batch, session: Session, entity: str, data: dict[str, Any]) -> Record:
    rec = Record(id=data["id"], entity=entity, version=0, deleted=False)
    batch.new[rec.id] = rec
    batch.data[rec.id] = data
    batch.set_anchors(session, rec, data)
    batch.touch(rec)
    return rec


def _stamp(data: dict[str, Any]) -> dict[str, Any]:
    now = utcnow().isoformat()
    return {"created_at": now, "updated_at": now, "deleted_at": None, **data}


def add_user(
    db: Database, username: str, password: str, role: str, manager: str | None = None
) -> str:
    if role not in ROLES:
        raise ServerError(f"role must be one of {', '.join(ROLES)}")
    if not username or len(username) > 80:
        raise ServerError("a user name has 1 to 80 characters")
    if len(password) < 8:
        raise ServerError("a password has at least 8 characters")
    hashed = hash_password(password)

    def work(session: Session) -> str:
        if session.scalar(select(User.id).where(User.username == username)):
            raise ServerError(f"there is already a user named {username}")
        manager_id = _user(session, manager).id if manager else None
        user_id = str(uuid.uuid4())
        session.add(
            User(
                id=user_id,
                username=username,
                password_hash=hashed,
                role=role,
                manager_id=manager_id,
                failed_logins=0,
                created_at=utcnow(),
            )
        )
        batch = _Batch(SYSTEM, None)  # type: ignore[arg-type]
        data = _stamp(
            {
                "id": user_id,
                "username": username,
                "display_name": username,
                "email": None,
                "role": role,
                "manager_id": manager_id,
            }
        )
        _new_record(batch, session, "users", data)
        batch.scope_changed = manager_id is not None
        batch.finish(session)
        return user_id

    return db.transaction(work, attempts=1)


def list_users(db: Database) -> list[dict[str, Any]]:
    with db.session() as session:
        users = list(session.scalars(select(User).order_by(User.username)))
        names = {u.id: u.username for u in users}
        territories = {
            r.id: json.loads(r.data).get("name")
            for r in session.scalars(select(Record).where(Record.entity == "territories"))
        }
        assigned: dict[str, list[str]] = {}
        for a in session.scalars(select(Assignment)):
            assigned.setdefault(a.user_id, []).append(str(territories.get(a.territory_id)))
        return [
            {
                "username": u.username,
                "role": u.role,
                "manager": names.get(u.manager_id or ""),
                "territories": sorted(assigned.get(u.id, [])),
            }
            for u in users
        ]


def add_territory(
    db: Database, name: str, polygon: dict[str, Any] | None, postcodes: list[str]
) -> str:
    def work(session: Session) -> str:
        try:
            _territory(session, name)
        except ServerError:
            pass
        else:
            raise ServerError(f"there is already a territory named {name}")
        tid = str(uuid.uuid4())
        batch = _Batch(SYSTEM, None)  # type: ignore[arg-type]
        data = _stamp(
            {
                "id": tid,
                "name": name,
                "description": None,
                "polygon": dumps(polygon) if polygon else None,
                "postcodes": ",".join(postcodes) or None,
                "manager_id": None,
            }
        )
        _new_record(batch, session, "territories", data)
        batch.finish(session)
        return tid

    return db.transaction(work, attempts=1)


def assign_territory(db: Database, name: str, rep: str) -> None:
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
        batch = _Batch(SYSTEM, None)  # type: ignore[arg-type]
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

    db.transaction(work, attempts=1)


def import_accounts(db: Database, path: Path, **options: Any) -> ImportReport:
    """Load accounts from a CRM export: :func:`fieldapp.server.imports.import_accounts`."""
    from fieldapp.server import imports  # it places accounts by this module's territory rules

    return imports.import_accounts(db, path, **options)


def assign_accounts(db: Database, territory: str | None, account_ids: list[str]) -> int:
    """Move accounts to a territory (None: automatically by polygon / postcode)."""

    def work(session: Session) -> int:
        territories = [
            (r.id, json.loads(r.data))
            for r in session.scalars(select(Record).where(Record.entity == "territories"))
        ]
        target = _territory(session, territory).id if territory else None
        batch = _Batch(SYSTEM, None)  # type: ignore[arg-type]
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

    return db.transaction(work, attempts=1)
