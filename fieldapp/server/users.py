"""Who may sign in: add, change, reset, deactivate, delete users.

Used by the admin HTTP API (server/admin_api.py) and by ``fieldapp-server user …`` alike;
every change is audited and can be a dry run (server/audit.py). A user is a row of
``auth_users`` and is mirrored as a ``users`` record that the clients pull, so each
change here writes both in one transaction.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from fieldapp.server import audit
from fieldapp.server.auth import (
    AuthError,
    Principal,
    hash_password,
    hash_token,
    password_matches,
    revoke_tokens,
    utcnow,
)
from fieldapp.server.db import Database, ServerError
from fieldapp.server.models import Assignment, Record, Token, User
from fieldapp.server.records import Batch, NotFound, named_in_body

ROLES = ("rep", "manager", "admin")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # argon2 copes, but nobody types more; a bound keeps requests small
MAX_NAME = 80


@dataclass(frozen=True)
class UserRow:
    id: str
    username: str
    role: str
    manager: str | None
    active: bool
    territories: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ServerError(f"a password has at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise ServerError(f"a password has at most {MAX_PASSWORD} characters")


def find(session: Session, name: str) -> User:
    """The user named ``name``; :class:`NotFound` (404) without one."""
    user = session.scalar(select(User).where(User.username == name))
    if user is None:
        raise NotFound(f"no user named {name}")
    return user


def _manager(session: Session, name: str | None) -> User | None:
    if not name:
        return None
    boss = named_in_body(lambda: find(session, name))
    if boss.role not in ("manager", "admin"):
        raise ServerError(f"{name} is a {boss.role}; a manager must be a manager or an admin")
    return boss


def _mirror(session: Session, batch: Batch, user: User) -> None:
    """Copy role and manager onto the ``users`` record the clients see."""
    rec = batch.load(session, user.id)
    if rec is None:
        return
    data = batch.data_of(rec)
    data.update(role=user.role, manager_id=user.manager_id, updated_at=utcnow().isoformat())
    batch.touch(rec)


def _batch() -> Batch:
    return Batch(audit.OPERATOR, None)  # type: ignore[arg-type]


def _active_admins(session: Session) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(User).where(User.role == "admin", User.active)
        )
        or 0
    )


def _keep_an_admin(session: Session, user: User) -> None:
    if user.role == "admin" and user.active and _active_admins(session) <= 1:
        raise ServerError(f"{user.username} is the only active admin; make another admin first")


def list_users(db: Database) -> list[UserRow]:
    with db.session() as session:
        users = list(session.scalars(select(User).order_by(User.username)))
        names = {u.id: u.username for u in users}
        territories = {
            r.id: str(json.loads(r.data).get("name"))
            for r in session.scalars(
                select(Record).where(Record.entity == "territories", Record.deleted.is_(False))
            )
        }
        assigned: dict[str, list[str]] = {}
        for a in session.scalars(select(Assignment)):
            if a.territory_id in territories:
                assigned.setdefault(a.user_id, []).append(territories[a.territory_id])
        return [
            UserRow(
                id=u.id,
                username=u.username,
                role=u.role,
                manager=names.get(u.manager_id or ""),
                active=u.active,
                territories=sorted(assigned.get(u.id, [])),
            )
            for u in users
        ]


def add_user(
    db: Database,
    actor: Principal,
    username: str,
    password: str,
    role: str,
    manager: str | None = None,
    *,
    dry_run: bool = False,
) -> str:
    """Add a user; return their id."""
    if role not in ROLES:
        raise ServerError(f"role must be one of {', '.join(ROLES)}")
    if not username or len(username) > MAX_NAME or username != username.strip():
        raise ServerError(f"a user name has 1 to {MAX_NAME} characters, no spaces around it")
    check_password(password)
    hashed = hash_password(password)  # outside the transaction: argon2 is slow on purpose

    def work(session: Session) -> str:
        if session.scalar(select(User.id).where(User.username == username)):
            raise ServerError(f"there is already a user named {username}")
        boss = _manager(session, manager)
        manager_id = boss.id if boss else None
        user_id = str(uuid.uuid4())
        now = utcnow()
        session.add(
            User(
                id=user_id,
                username=username,
                password_hash=hashed,
                role=role,
                manager_id=manager_id,
                failed_logins=0,
                created_at=now,
                active=True,
            )
        )
        batch = _batch()
        data = {
            "id": user_id,
            "username": username,
            "display_name": username,
            "email": None,
            "role": role,
            "manager_id": manager_id,
            "created_at": now.isoformat(),
            "updated_at": now.isoformat(),
            "deleted_at": None,
        }
        rec = Record(id=user_id, entity="users", version=0, deleted=False)
        batch.new[rec.id] = rec
        batch.data[rec.id] = data
        batch.set_anchors(session, rec, data)
        batch.touch(rec)
        # A rep with a manager widens the manager's scope.
        batch.scope_changed = manager_id is not None
        batch.finish(session)
        return user_id

    detail = {"role": role, "manager": manager}
    return audit.change(db, actor, "user.add", username, work, dry_run=dry_run, detail=detail)


def change_user(
    db: Database,
    actor: Principal,
    username: str,
    *,
    role: str | None = None,
    manager: str | None = None,
    clear_manager: bool = False,
    dry_run: bool = False,
) -> UserRow:
    """Change a user's role and/or manager; both change who sees what."""
    if role is not None and role not in ROLES:
        raise ServerError(f"role must be one of {', '.join(ROLES)}")

    def work(session: Session) -> UserRow:
        user = find(session, username)
        if role is not None and role != user.role:
            if role != "admin":
                _keep_an_admin(session, user)
            if user.role == "manager":
                team = session.scalar(
                    select(func.count()).select_from(User).where(User.manager_id == user.id)
                )
                if team and role == "rep":
                    raise ServerError(
                        f"{username} manages {team} users; give them another manager first"
                    )
            user.role = role
        if manager is not None:
            boss = _manager(session, manager)
            if boss is not None and boss.id == user.id:
                raise ServerError("nobody is their own manager")
            user.manager_id = boss.id if boss else None
        elif clear_manager:
            user.manager_id = None
        batch = _batch()
        _mirror(session, batch, user)
        batch.scope_changed = True
        batch.finish(session)
        return _row(session, user)

    detail = {"role": role, "manager": manager, "clear_manager": clear_manager}
    return audit.change(db, actor, "user.change", username, work, dry_run=dry_run, detail=detail)


def _row(session: Session, user: User) -> UserRow:
    boss = session.get(User, user.manager_id) if user.manager_id else None
    return UserRow(user.id, user.username, user.role, boss.username if boss else None, user.active)


def reset_password(
    db: Database, actor: Principal, username: str, password: str, *, dry_run: bool = False
) -> int:
    """Set a new password and revoke every token of the user; return how many were live."""
    check_password(password)
    hashed = hash_password(password)

    def work(session: Session) -> int:
        user = find(session, username)
        user.password_hash = hashed
        user.failed_logins = 0
        user.last_failed_at = None
        return revoke_tokens(session, user.id)

    return audit.change(db, actor, "user.password", username, work, dry_run=dry_run)


def set_active(
    db: Database, actor: Principal, username: str, active: bool, *, dry_run: bool = False
) -> int:
    """Deactivate (revoking every token at once) or activate a user; return tokens revoked."""

    def work(session: Session) -> int:
        user = find(session, username)
        if not active:
            if user.id == actor.id:
                raise ServerError("you cannot deactivate yourself")
            _keep_an_admin(session, user)
        revoked = 0 if active else revoke_tokens(session, user.id)
        user.active = active
        user.deactivated_at = None if active else utcnow()
        return revoked

    action = "user.activate" if active else "user.deactivate"
    return audit.change(db, actor, action, username, work, dry_run=dry_run)


def change_own_password(db: Database, token: str, old: str, new: str) -> None:
    """The signed-in user changes their password; their other tokens are revoked."""
    check_password(new)
    token_hash = hash_token(token)
    with db.session() as session:
        tok = session.get(Token, token_hash)
        user = session.get(User, tok.user_id) if tok is not None else None
    if user is None:
        raise AuthError("sign in first")
    if not password_matches(user, old):  # outside the transaction: argon2 is slow
        raise AuthError("the current password is wrong")
    hashed = hash_password(new)
    with db.session() as session:
        row = session.get(User, user.id)
        if row is None:
            raise AuthError("sign in first")
        row.password_hash = hashed
        revoke_tokens(session, row.id, keep=token_hash)


@dataclass(frozen=True)
class Deletion:
    """What deleting a user did (or, in a dry run, would do)."""

    username: str
    records_reassigned: int
    territories_moved: list[str]
    team_moved: list[str]
    reassigned_to: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def delete_user(
    db: Database,
    actor: Principal,
    username: str,
    reassign_to: str | None = None,
    *,
    dry_run: bool = False,
) -> Deletion:
    """Delete a user; what they own, their territories and team go to ``reassign_to``.

    Without ``reassign_to`` a user who owns records, holds territories or manages
    anyone is kept (nothing would be left without an owner).
    """

    def work(session: Session) -> Deletion:
        user = find(session, username)
        if user.id == actor.id:
            raise ServerError("you cannot delete yourself")
        _keep_an_admin(session, user)
        heir = named_in_body(lambda: find(session, reassign_to)) if reassign_to else None
        if heir is not None and heir.id == user.id:
            raise ServerError("reassign to someone else than the user being deleted")
        owned = list(
            session.scalars(
                select(Record).where(
                    Record.owner_id == user.id, Record.id != user.id, Record.deleted.is_(False)
                )
            )
        )
        held = list(session.scalars(select(Assignment).where(Assignment.user_id == user.id)))
        team = list(session.scalars(select(User).where(User.manager_id == user.id)))
        managed = [
            r
            for r in session.scalars(
                select(Record).where(Record.entity == "territories", Record.deleted.is_(False))
            )
            if json.loads(r.data).get("manager_id") == user.id
        ]
        if heir is None and (owned or held or team):
            parts = []
            if owned:
                parts.append(f"owns {len(owned)} records")
            if held:
                parts.append(f"holds {len(held)} territories")
            if team:
                parts.append(f"manages {len(team)} users")
            raise ServerError(
                f"{username} {' and '.join(parts)}; pass --reassign-to NAME to give them "
                "to someone else"
            )
        batch = _batch()
        now = utcnow().isoformat()
        for rec in owned:
            data = batch.data_of(rec)
            data["owner_id"] = heir.id if heir else None
            data["updated_at"] = now
            batch.set_anchors(session, rec, data)
            batch.touch(rec)
        names = _territory_names(session, [a.territory_id for a in held])
        if heir is not None:
            mine = set(
                session.scalars(
                    select(Assignment.territory_id).where(Assignment.user_id == heir.id)
                )
            )
            for a in held:
                if a.territory_id not in mine:
                    session.add(Assignment(territory_id=a.territory_id, user_id=heir.id))
        session.execute(delete(Assignment).where(Assignment.user_id == user.id))
        boss_id = heir.id if heir is not None and heir.role in ("manager", "admin") else None
        for member in team:
            member.manager_id = boss_id
            _mirror(session, batch, member)
        for rec in managed:
            batch.data_of(rec)["manager_id"] = boss_id
            batch.touch(rec)
        mirror = batch.load(session, user.id)
        if mirror is not None:
            batch.data_of(mirror).update(deleted_at=now, updated_at=now)
            batch.touch(mirror)
        batch.scope_changed = True
        batch.finish(session)
        session.execute(delete(Token).where(Token.user_id == user.id))
        session.delete(user)
        return Deletion(username, len(owned), names, sorted(m.username for m in team), reassign_to)

    detail = {"reassign_to": reassign_to}
    return audit.change(db, actor, "user.delete", username, work, dry_run=dry_run, detail=detail)


def _territory_names(session: Session, ids: list[str]) -> list[str]:
    if not ids:
        return []
    rows = session.scalars(select(Record).where(Record.id.in_(ids)))
    return sorted(str(json.loads(r.data).get("name")) for r in rows)
