"""New records pushed without an owner or a territory get them here, by the shared rule.

A current client fills both in itself (``fieldapp.store.ownership``); records from an
older client or a script arrive without. The owner is the user who pushed it; an
account's (or lead's) territory comes from :mod:`fieldapp.domain.placement`, over the
server's own territories, with the creator's one territory as the fallback for accounts.
A new account that rule puts in another rep's territory is accepted there
(:func:`placed_elsewhere`): the customer is that territory's.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.domain.placement import TerritoryShape, place, territory_for
from fieldapp.server.auth import Principal
from fieldapp.server.models import Record
from fieldapp.server.scope import Scope

_SHAPES = "fieldapp.server.territory_shapes"
OWNED = frozenset(
    {
        "accounts",
        "contacts",
        "leads",
        "opportunities",
        "visits",
        "tasks",
        "notes",
        "route_plans",
        "rules",
    }
)


def _shapes(session: Session) -> list[TerritoryShape]:
    """The territories, read once per transaction."""
    shapes: list[TerritoryShape] | None = session.info.get(_SHAPES)
    if shapes is None:
        shapes = []
        for rec in session.scalars(
            select(Record).where(Record.entity == "territories", Record.deleted.is_(False))
        ):
            data = json.loads(rec.data)
            shapes.append((rec.id, {k: data.get(k) for k in ("polygon", "postcodes")}))
        session.info[_SHAPES] = shapes
    return shapes


def forget(session: Session) -> None:
    session.info.pop(_SHAPES, None)


def place_new(
    session: Session, scope: Scope, who: Principal, entity: str, data: dict[str, Any]
) -> bool:
    """Fill in a new record's missing owner and territory; True when anything was added."""
    changed = False
    if entity in OWNED and data.get("owner_id") is None:
        data["owner_id"] = who.id
        changed = True
    if entity in ("accounts", "leads") and data.get("territory_id") is None:
        fallback = scope.territories if entity == "accounts" else ()
        territory = place(_shapes(session), data, fallback)
        if territory is not None:
            data["territory_id"] = territory
            changed = True
    return changed


def placed_elsewhere(session: Session, scope: Scope, entity: str, data: dict[str, Any]) -> bool:
    """Whether a new record outside ``scope`` is a new account of the pusher's (or their
    team's) that the server's own placement rule puts in the territory it names.

    Only the address decides, over the server's territories, never the territory the
    client names: a claim the rule does not back stays a refusal.
    """
    if entity != "accounts" or scope.users is None or data.get("owner_id") not in scope.users:
        return False
    claimed = data.get("territory_id")
    lat, lon = data.get("latitude"), data.get("longitude")
    by_address = territory_for(
        _shapes(session),
        data.get("postcode"),
        lat if isinstance(lat, int | float) else None,
        lon if isinstance(lon, int | float) else None,
    )
    return claimed is not None and claimed == by_address
