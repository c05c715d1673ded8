"""One record at a time: create, update, delete, restore, get and list.

Functions take a session for one operation (see :meth:`Replica.session`) and return
plain values: ids and dicts, never live ORM objects. The outbox entry for every
change is written by the flush hook in :mod:`fieldapp.store.outbox`, in the same
transaction. :mod:`fieldapp.store.services` gathers these with the workflows and the
bulk path.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldapp.errors import FieldError, NotFoundError, ValidationError
from fieldapp.store import fields, reading
from fieldapp.store.models import ENTITIES, Lead, Outbox, Synced, Visit
from fieldapp.store.pipeline import apply_stage_defaults, pipeline, stage_by_name
from fieldapp.store.types import new_id, to_wire, utcnow

# Deleting a record tombstones what hangs off it too; restoring brings those back.
CASCADE: dict[str, tuple[tuple[str, str], ...]] = {
    "accounts": (
        ("contacts", "account_id"),
        ("opportunities", "account_id"),
        ("visits", "account_id"),
        ("tasks", "account_id"),
        ("notes", "account_id"),
        ("attachments", "account_id"),
        ("flags", "account_id"),
    ),
    "route_plans": (("route_stops", "route_plan_id"),),
}


def model_for(entity: str) -> type[Synced]:
    try:
        return ENTITIES[entity]
    except KeyError:
        raise NotFoundError(f"no such kind of record: {entity}") from None


def load(session: Session, entity: str, row_id: str, *, deleted: bool = False) -> Synced:
    obj = session.get(model_for(entity), row_id)
    if obj is None or (obj.deleted_at is not None and not deleted):
        raise reading.not_found(entity, row_id)
    return obj


def _check_references(session: Session, entity: str, values: dict[str, Any]) -> None:
    errors = []
    for field, value in values.items():
        target = fields.referenced_entity(entity, field)
        if value is None or target in (None, "users", "territories"):
            # Users and territories may be out of the replica's scope (see models).
            continue
        row = session.get(model_for(target), value)
        if row is None or row.deleted_at is not None:
            errors.append(FieldError(field, f"no {target[:-1].replace('_', ' ')} with id {value}"))
    stage = values.get("stage") if entity == "opportunities" else None
    if stage is not None and stage_by_name(session, stage) is None:
        names = ", ".join(s.name for s in pipeline(session))
        errors.append(FieldError("stage", f"unknown stage {stage!r} ({names})"))
    if errors:
        raise ValidationError(errors)


def _apply_rules(session: Session, obj: Synced, *, checked_in_now: bool) -> None:
    """What automation rules do after a visit or a lead is written (store/rules.py).

    Imported here, not at the top: the rules are built on records (through ``due``
    and ``services``), so a top-level import made ``import fieldapp.store.records``,
    done first, a cycle that failed.
    """
    from fieldapp.store import rules

    if isinstance(obj, Visit):
        rules.after_visit(session, obj, checked_in_now=checked_in_now)
    elif isinstance(obj, Lead):
        rules.after_lead(session, obj)


def record_dict(obj: Synced) -> dict[str, Any]:
    return obj.to_dict()


def create(session: Session, entity: str, values: dict[str, Any]) -> str:
    """Validate and insert one record; return its new id."""
    cleaned = fields.clean(entity, values, creating=True)
    _check_references(session, entity, cleaned)
    if entity == "opportunities":
        apply_stage_defaults(session, cleaned)
    obj = model_for(entity)(id=new_id(), **cleaned)  # type: ignore[call-arg]
    session.add(obj)
    session.flush()
    if isinstance(obj, Visit | Lead):
        _apply_rules(session, obj, checked_in_now=getattr(obj, "checkin_at", None) is not None)
    return obj.id


def update(session: Session, entity: str, row_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """Change fields of one record; return ``{field: new value}`` for what changed."""
    obj = load(session, entity, row_id)
    cleaned = fields.clean(entity, values, creating=False)
    _check_references(session, entity, cleaned)
    if entity == "opportunities" and "stage" in cleaned and "probability" not in cleaned:
        apply_stage_defaults(session, cleaned)
    if entity in ("accounts", "contacts", "leads") and (
        ("latitude" in cleaned) != ("longitude" in cleaned)
    ):
        lat = cleaned.get("latitude", getattr(obj, "latitude", None))
        lon = cleaned.get("longitude", getattr(obj, "longitude", None))
        if (lat is None) != (lon is None):
            raise ValidationError([FieldError("latitude", "latitude and longitude go together")])
    changed = {}
    was_done = getattr(obj, "checkin_at", None) is not None
    for field, value in cleaned.items():
        if to_wire(getattr(obj, field)) != to_wire(value):
            setattr(obj, field, value)
            changed[field] = value
    session.flush()
    if isinstance(obj, Visit) and changed:
        _apply_rules(session, obj, checked_in_now=not was_done and obj.checkin_at is not None)
    return changed


def delete(session: Session, entity: str, row_id: str) -> list[tuple[str, str]]:
    """Tombstone a record and what hangs off it; return ``(entity, id)`` of every row."""
    obj = load(session, entity, row_id)
    when = utcnow()
    obj.deleted_at = when
    gone = [(entity, row_id)]
    for child_entity, fk in CASCADE.get(entity, ()):
        child = model_for(child_entity)
        rows = session.scalars(
            select(child).where(getattr(child, fk) == row_id, child.deleted_at.is_(None))
        )
        for row in rows:
            row.deleted_at = when
            gone.append((child_entity, row.id))
    session.flush()
    return gone


def restore(session: Session, entity: str, row_id: str) -> list[tuple[str, str]]:
    """Undo :func:`delete`: bring back the record and the children deleted with it."""
    obj = load(session, entity, row_id, deleted=True)
    if obj.deleted_at is None:
        return []
    when = obj.deleted_at
    obj.deleted_at = None
    back = [(entity, row_id)]
    for child_entity, fk in CASCADE.get(entity, ()):
        child = model_for(child_entity)
        rows = session.scalars(
            select(child).where(getattr(child, fk) == row_id, child.deleted_at == when)
        )
        for row in rows:
            row.deleted_at = None
            back.append((child_entity, row.id))
    session.flush()
    return back


def get(session: Session, entity: str, row_id: str) -> dict[str, Any]:
    return record_dict(load(session, entity, row_id))


def list_records(
    session: Session,
    entity: str,
    *,
    limit: int | None = 100,
    offset: int = 0,
    where: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    model = model_for(entity)
    query = select(model).where(model.deleted_at.is_(None))
    for field, value in (where or {}).items():
        query = query.where(getattr(model, field) == value)
    order = getattr(model, "name", None) or getattr(model, "last_name", None) or model.created_at
    query = query.order_by(order, model.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [record_dict(obj) for obj in session.scalars(query)]


def count(session: Session, entity: str) -> int:
    model = model_for(entity)
    return (
        session.scalar(select(func.count()).select_from(model).where(model.deleted_at.is_(None)))
        or 0
    )


def pending_outbox(session: Session) -> int:
    return session.scalar(select(func.count()).where(Outbox.state == "pending")) or 0
