"""What an admin's edit of a territory becomes: the drafts to send, and those that undo it.

Headless, so the rules are tested without Qt: the Admin panel's Territories tab asks
these functions and keeps what they return (sync/admin_drafts.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fieldapp.sync.admin_drafts import Draft


@dataclass(frozen=True)
class TerritoryValues:
    """A territory as the admin filled it in."""

    name: str
    postcodes: list[str]
    regions: list[str]
    manager: str | None
    reps: list[str]
    polygon: dict[str, Any] | None  # the shape drawn on the map, when one is used
    drop_polygon: bool = False


def create_drafts(v: TerritoryValues) -> list[Draft]:
    """A new territory, then its reps (a territory is made before it can have reps)."""
    made = [
        Draft(
            "create",
            v.name,
            {
                "polygon": v.polygon,
                "postcodes": v.postcodes or None,
                "regions": v.regions or None,
                "manager": v.manager,
            },
        )
    ]
    if v.reps:
        made.append(Draft("reps", v.name, {"reps": list(v.reps)}))
    return made


def recreate_drafts(current: dict[str, Any], polygon: dict[str, Any] | None) -> list[Draft]:
    """What makes a deleted territory again (Undo of a delete already sent)."""
    return create_drafts(
        TerritoryValues(
            name=current["name"],
            postcodes=list(current["postcodes"]),
            regions=list(current["regions"]),
            manager=current.get("manager"),
            reps=list(current["reps"]),
            polygon=polygon,
        )
    )


def change_drafts(current: dict[str, Any], v: TerritoryValues) -> tuple[list[Draft], list[Draft]]:
    """(the drafts that make ``current`` into ``v``, the drafts that undo them once sent).

    ``current`` is a territory row (name, postcodes, regions, manager, reps, polygon).
    Only what differs is sent: one ``change`` and, if the reps differ, one ``reps``.
    A new polygon cannot be undone this way (the old shape may not be on this laptop);
    the rest can.
    """
    name = current["name"]
    fields: dict[str, Any] = {}
    back: dict[str, Any] = {}
    if v.name != name:
        fields["name"], back["name"] = v.name, name
    for key in ("postcodes", "regions"):
        new = list(getattr(v, key))
        if new != list(current[key]):
            fields[key], back[key] = new, list(current[key])
    if v.manager != current.get("manager"):
        if v.manager:
            fields["manager"] = v.manager
        else:
            fields["clear_manager"] = True
        if current.get("manager"):
            back["manager"] = current["manager"]
        else:
            back["clear_manager"] = True
    if v.polygon is not None:
        fields["polygon"] = v.polygon
    elif v.drop_polygon:
        fields["clear_polygon"] = True
    made: list[Draft] = []
    undo: list[Draft] = []
    if fields:
        made.append(Draft("change", name, fields))
        if back:
            undo.append(Draft("change", v.name, back))
    if sorted(v.reps) != sorted(current["reps"]):
        made.append(Draft("reps", v.name, {"reps": list(v.reps)}))
        undo.append(Draft("reps", name, {"reps": list(current["reps"])}))
    return made, undo
