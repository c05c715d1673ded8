"""Territories: list, create, rename, reshape, give a manager, delete.

A territory is a ``territories`` record (reference data every client pulls) whose shape
is a GeoJSON polygon, a list of postcodes or postcode prefixes, and/or a list of regions
(matched against an account's region or country). Its reps are the ``assignments``
rows; changing them goes through a versioned proposal (server/proposals.py), so it can
be previewed and rolled back. Every change here is audited (server/audit.py).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldapp.domain.geojson import parse_geojson
from fieldapp.server import audit
from fieldapp.server.auth import Principal, utcnow
from fieldapp.server.db import Database, ServerError
from fieldapp.server.models import Assignment, Record, User
from fieldapp.server.records import Batch, NotFound, dumps

MAX_NAME = 200
MAX_CODES = 10_000


@dataclass(frozen=True)
class TerritoryRow:
    id: str
    name: str
    postcodes: list[str]
    regions: list[str]
    polygon: bool
    manager: str | None
    reps: list[str] = field(default_factory=list)
    accounts: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Shape:
    """How accounts fall into a territory; ``None`` fields are left as they are."""

    polygon: dict[str, Any] | None = None
    postcodes: list[str] | None = None
    regions: list[str] | None = None
    clear_polygon: bool = False


def _codes(values: list[str] | None, what: str) -> str | None:
    if values is None:
        return None
    cleaned = [v.strip() for v in values if v and v.strip()]
    if len(cleaned) > MAX_CODES:
        raise ServerError(f"at most {MAX_CODES} {what} per territory")
    if any("," in v or len(v) > 120 for v in cleaned):
        raise ServerError(f"{what} have at most 120 characters and no commas")
    return ",".join(cleaned)


def _split(value: Any) -> list[str]:
    return [p.strip() for p in str(value or "").split(",") if p.strip()]


def _polygon_text(polygon: dict[str, Any]) -> str:
    try:
        return dumps(parse_geojson(json.dumps(polygon)))
    except (ValueError, TypeError) as exc:
        raise ServerError(f"the polygon: {exc}") from None


def find(session: Session, name_or_id: str) -> Record:
    """A live territory by name (or id); :class:`NotFound` (404) without one."""
    rows = session.scalars(
        select(Record).where(Record.entity == "territories", Record.deleted.is_(False))
    )
    for rec in rows:
        if rec.id == name_or_id or json.loads(rec.data).get("name") == name_or_id:
            return rec
    raise NotFound(f"no territory named {name_or_id}")


def _check_name(session: Session, name: str, other_than: str | None = None) -> None:
    if not name or len(name) > MAX_NAME or name != name.strip():
        raise ServerError(f"a territory name has 1 to {MAX_NAME} characters")
    try:
        found = find(session, name)
    except NotFound:
        return
    if found.id != other_than:
        raise ServerError(f"there is already a territory named {name}")


def _manager_id(session: Session, name: str | None) -> str | None:
    if not name:
        return None
    user = session.scalar(select(User).where(User.username == name))
    if user is None:
        raise ServerError(f"no user named {name}")
    if user.role not in ("manager", "admin"):
        raise ServerError(f"{name} is a {user.role}; a territory's manager is a manager")
    return user.id


def list_territories(db: Database) -> list[TerritoryRow]:
    with db.session() as session:
        names = dict(session.execute(select(User.id, User.username)).all())
        reps: dict[str, list[str]] = {}
        for a in session.scalars(select(Assignment)):
            reps.setdefault(a.territory_id, []).append(names.get(a.user_id, a.user_id))
        counts = dict(
            session.execute(
                select(Record.territory_id, func.count())
                .where(Record.entity == "accounts", Record.deleted.is_(False))
                .group_by(Record.territory_id)
            ).all()
        )
        rows = []
        for rec in session.scalars(
            select(Record).where(Record.entity == "territories", Record.deleted.is_(False))
        ):
            data = json.loads(rec.data)
            rows.append(
                TerritoryRow(
                    id=rec.id,
                    name=str(data.get("name")),
                    postcodes=_split(data.get("postcodes")),
                    regions=_split(data.get("regions")),
                    polygon=bool(data.get("polygon")),
                    manager=names.get(data.get("manager_id") or ""),
                    reps=sorted(reps.get(rec.id, [])),
                    accounts=int(counts.get(rec.id, 0)),
                )
            )
    return sorted(rows, key=lambda r: r.name.lower())


def create(
    db: Database,
    actor: Principal,
    name: str,
    shape: Shape,
    manager: str | None = None,
    *,
    dry_run: bool = False,
) -> str:
    """Add a territory; return its id."""
    polygon = _polygon_text(shape.polygon) if shape.polygon else None
    postcodes = _codes(shape.postcodes, "postcodes") or None
    regions = _codes(shape.regions, "regions") or None

    def work(session: Session) -> str:
        _check_name(session, name)
        tid = str(uuid.uuid4())
        now = utcnow().isoformat()
        data = {
            "id": tid,
            "name": name,
            "description": None,
            "polygon": polygon,
            "postcodes": postcodes,
            "regions": regions,
            "manager_id": _manager_id(session, manager),
            "created_at": now,
            "updated_at": now,
            "deleted_at": None,
        }
        batch = Batch(actor, None)  # type: ignore[arg-type]
        rec = Record(id=tid, entity="territories", version=0, deleted=False)
        batch.new[tid] = rec
        batch.data[tid] = data
        batch.set_anchors(session, rec, data)
        batch.touch(rec)
        batch.finish(session)
        return tid

    detail = {"postcodes": postcodes, "regions": regions, "polygon": polygon is not None}
    return audit.change(db, actor, "territory.create", name, work, dry_run=dry_run, detail=detail)


def update(
    db: Database,
    actor: Principal,
    name: str,
    *,
    new_name: str | None = None,
    shape: Shape | None = None,
    manager: str | None = None,
    clear_manager: bool = False,
    dry_run: bool = False,
) -> TerritoryRow:
    """Rename a territory, change its shape or its manager.

    A new shape changes which accounts *new* placements put there; accounts already
    placed stay until a proposal moves them (see server/proposals.py).
    """
    shape = shape or Shape()
    polygon = _polygon_text(shape.polygon) if shape.polygon else None
    postcodes = _codes(shape.postcodes, "postcodes")
    regions = _codes(shape.regions, "regions")

    def work(session: Session) -> TerritoryRow:
        rec = find(session, name)
        batch = Batch(actor, None)  # type: ignore[arg-type]
        data = batch.data_of(rec)
        if new_name is not None:
            _check_name(session, new_name, other_than=rec.id)
            data["name"] = new_name
        if polygon is not None or shape.clear_polygon:
            data["polygon"] = polygon
        if postcodes is not None:
            data["postcodes"] = postcodes or None
        if regions is not None:
            data["regions"] = regions or None
        if manager is not None or clear_manager:
            data["manager_id"] = _manager_id(session, manager)
        data["updated_at"] = utcnow().isoformat()
        batch.touch(rec)
        batch.finish(session)
        return TerritoryRow(
            id=rec.id,
            name=str(data["name"]),
            postcodes=_split(data.get("postcodes")),
            regions=_split(data.get("regions")),
            polygon=bool(data.get("polygon")),
            manager=manager,
        )

    detail = {
        "new_name": new_name,
        "postcodes": postcodes,
        "regions": regions,
        "polygon": polygon is not None or shape.clear_polygon,
        "manager": manager,
    }
    return audit.change(db, actor, "territory.update", name, work, dry_run=dry_run, detail=detail)


def remove(db: Database, actor: Principal, name: str, *, dry_run: bool = False) -> str:
    """Delete a territory that holds no accounts (move them first, by a proposal)."""

    def work(session: Session) -> str:
        rec = find(session, name)
        held = session.scalar(
            select(func.count())
            .select_from(Record)
            .where(
                Record.entity == "accounts",
                Record.territory_id == rec.id,
                Record.deleted.is_(False),
            )
        )
        if held:
            raise ServerError(
                f"territory {name} still holds {held} accounts; move them to another "
                "territory first (fieldapp admin assign)"
            )
        batch = Batch(actor, None)  # type: ignore[arg-type]
        now = utcnow().isoformat()
        batch.data_of(rec).update(deleted_at=now, updated_at=now)
        batch.touch(rec)
        reps = list(session.scalars(select(Assignment).where(Assignment.territory_id == rec.id)))
        for a in reps:
            session.delete(a)
        batch.scope_changed = bool(reps)
        batch.finish(session)
        return rec.id

    return audit.change(db, actor, "territory.delete", name, work, dry_run=dry_run)


def matches(territory: dict[str, Any], account: dict[str, Any]) -> bool:
    """Does the territory's polygon, postcode list or region list hold the account?"""
    from fieldapp.server.admin import territory_for  # the placement rule, shared

    tid = str(territory.get("id"))
    rule = [(tid, {k: territory.get(k) for k in ("polygon", "postcodes")})]
    where = (account.get("postcode"), account.get("latitude"), account.get("longitude"))
    if territory_for(rule, *where) == tid:
        return True
    regions = {r.casefold() for r in _split(territory.get("regions"))}
    if not regions:
        return False
    return any(
        isinstance(account.get(k), str) and account[k].strip().casefold() in regions
        for k in ("region", "country")
    )
