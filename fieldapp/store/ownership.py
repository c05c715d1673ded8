"""Who owns a new record, and which territory a new account (or lead) lands in.

The one place that stamps records made on this replica: the outbox hook calls
:func:`stamp` for every new row written through the ORM, and
:func:`services.bulk_create` calls :func:`stamp_rows` for imports. So nothing a
signed-in user creates leaves without an owner, and a new account gets its territory by
the rule the server uses (:mod:`fieldapp.domain.placement`): polygon, then postcode,
else the creator's one territory. The server applies the same rule to records from older
clients, so both sides agree.

Who is signed in is read from the sync bookkeeping (``sync_state``: ``user_id`` and
``territories``, written at sign-in and by every sync's handshake) with plain SQL: the
store does not import the sync layer. Records made before the first sign-in are adopted
by the first user who signs in (:func:`adopt_unowned`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, event, select, text
from sqlalchemy.orm import Session

from fieldapp.domain.placement import TerritoryShape, place
from fieldapp.store.models import ENTITIES, Account, Lead, Synced, Territory

_KEY = "fieldapp.ownership"
# Entities whose new records lands in a territory by their address.
PLACED = ("accounts", "leads")


@dataclass(frozen=True)
class Creator:
    """The signed-in user as this replica knows them, and the territories it holds."""

    user_id: str | None
    territories: tuple[str, ...]  # the user's own (from the server's handshake)
    shapes: tuple[TerritoryShape, ...]  # every territory on the replica


def _state(session: Session, key: str) -> str | None:
    value = session.execute(text("SELECT value FROM sync_state WHERE key = :k"), {"k": key})
    found = value.scalar()
    return None if found is None else str(found)


def creator(session: Session) -> Creator:
    """Read once per transaction (cleared at commit and rollback)."""
    found: Creator | None = session.info.get(_KEY)
    if found is not None:
        return found
    with session.no_autoflush:
        user_id = _state(session, "user_id")
        try:
            territories = tuple(json.loads(_state(session, "territories") or "[]"))
        except ValueError:
            territories = ()
        shapes = tuple(
            (tid, {"polygon": polygon, "postcodes": postcodes})
            for tid, polygon, postcodes in session.execute(
                select(Territory.id, Territory.polygon, Territory.postcodes).where(
                    Territory.deleted_at.is_(None)
                )
            )
        )
    found = Creator(user_id, territories, shapes)
    session.info[_KEY] = found
    return found


def _forget(session: Session, *args: Any) -> None:
    session.info.pop(_KEY, None)


event.listen(Session, "after_commit", _forget)
event.listen(Session, "after_rollback", _forget)


def _territory(who: Creator, entity: str, values: dict[str, Any]) -> str | None:
    # A lead lands in a territory only where its address allows: it has no creator
    # fallback (a rep's leads stay theirs until the address says otherwise).
    fallback = who.territories if entity == "accounts" else ()
    if not who.shapes and not fallback:
        return None
    return place(who.shapes, values, fallback)


def stamp(session: Session, obj: Synced) -> None:
    """Fill in the owner (and an account's or lead's territory) of a new record."""
    entity = obj.__table__.name  # type: ignore[attr-defined]
    if entity not in ENTITIES or entity in ("users", "territories", "pipeline_stages"):
        return
    who = creator(session)
    if who.user_id is not None and hasattr(obj, "owner_id") and obj.owner_id is None:
        obj.owner_id = who.user_id
    if isinstance(obj, Account | Lead) and obj.territory_id is None:
        values = {k: getattr(obj, k, None) for k in ("postcode", "latitude", "longitude")}
        obj.territory_id = _territory(who, entity, values)


def stamp_rows(session: Session, entity: str, rows: list[dict[str, Any]]) -> None:
    """:func:`stamp` for the cleaned rows of a bulk insert (every row gets the keys)."""
    model = ENTITIES.get(entity)
    if model is None or entity in ("users", "territories", "pipeline_stages") or not rows:
        return
    who = creator(session)
    columns = model.__table__.columns  # type: ignore[attr-defined]
    if who.user_id is not None and "owner_id" in columns:
        for row in rows:
            if row.get("owner_id") is None:
                row["owner_id"] = who.user_id
    if entity in PLACED and (who.shapes or (entity == "accounts" and who.territories)):
        for row in rows:
            if row.get("territory_id") is None:
                row["territory_id"] = _territory(who, entity, row)


def adopt_unowned(session: Session, user_id: str) -> int:
    """Give records made before the first sign-in (no owner, never synced) to ``user_id``.

    One UPDATE per table, and the same owner written into their waiting insert entries
    (in SQL, with ``json_set``), so the server receives them owned.
    """
    adopted = 0
    for entity, model in ENTITIES.items():
        table = model.__table__  # type: ignore[attr-defined]
        if "owner_id" not in table.c or entity in ("users", "territories"):
            continue
        orphans = f"SELECT id FROM {table.name} WHERE owner_id IS NULL AND server_version IS NULL"
        session.execute(
            text(
                "UPDATE outbox SET changes = json_set(changes, '$.owner_id', json_array(NULL, :u)) "
                f"WHERE entity = :e AND op = 'insert' AND row_id IN ({orphans})"
            ),
            {"u": user_id, "e": entity},
        )
        result = session.execute(
            text(
                f"UPDATE {table.name} SET owner_id = :u "
                "WHERE owner_id IS NULL AND server_version IS NULL"
            ),
            {"u": user_id},
        )
        adopted += cast(CursorResult[Any], result).rowcount
    _forget(session)
    return adopted
