"""Every pushed change checked against its entity's declaration before it is stored.

A record the server stores is sent to every replica that may see it; one that a
replica cannot read (``amount: "lots"``, a contact without ``last_name``, an object for
a name) used to stop each of their syncs. So each mutation is checked here, by the
same declarations the clients use (:mod:`fieldapp.domain.fields`, through
:func:`~fieldapp.domain.documents.check_document`): types, required fields, choices,
lengths, the id form and the records an ``*_id`` field points at. A mutation that fails
is refused with its reason; the rest of the push goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fieldapp.domain import parse
from fieldapp.domain.documents import check_document
from fieldapp.domain.fields import SPECS, entity_fields, references
from fieldapp.errors import ValidationError
from fieldapp.sync.protocol import ENTITIES, Mutation

# Longest field name quoted back in a reason (an unknown name may be any length).
SHOWN_NAME = 60


class Refused(Exception):
    """A mutation the server will not apply; its text is the reason sent back."""


@dataclass(frozen=True)
class Checked:
    """A mutation's new values in canonical wire form, and whether that changed them."""

    values: dict[str, Any]
    normalised: bool  # the server stores other text than the client sent (e.g. trimmed)


def check_target(m: Mutation) -> None:
    """Refuse a mutation of an unknown entity or of a record id that is not a UUID.

    Run before the record is looked up: a NUL character or a 40-character id would
    otherwise reach PostgreSQL, which refuses them with an error, not an answer.
    """
    if m.entity not in ENTITIES or m.entity not in SPECS:
        raise Refused(f"unknown kind of record {parse.shown(m.entity[:SHOWN_NAME])}")
    if not parse.is_canonical_id(m.row_id):
        raise Refused(
            "the record id is not a UUID in canonical form (lower case, with hyphens): "
            f"{parse.shown(m.row_id[:SHOWN_NAME])}"
        )


def check_changes(m: Mutation, *, creating: bool) -> Checked:
    """The checked new values of ``m``; raise :class:`Refused` naming what is wrong.

    ``creating``: the record is not on the server yet, so the mutation must hold a whole
    valid record (required fields included); otherwise only the changed fields are judged.
    """
    declared = entity_fields(m.entity)
    new: dict[str, Any] = {}
    for name, pair in m.changes.items():
        if name not in declared:
            raise Refused(f"{m.entity} have no field {parse.shown(name[:SHOWN_NAME])}")
        if len(pair) != 2:
            raise Refused(f"the change of {name} must be a pair [old, new]")
        if _has_nul(pair):
            raise Refused(f"{name} holds a NUL character, which no field may hold")
        new[name] = pair[1]
    if "id" in new and new.pop("id") != m.row_id:
        raise Refused("a record's id cannot be changed")
    document = {"id": m.row_id, **new} if creating else new
    try:
        cleaned = check_document(m.entity, document, creating=creating)
    except ValidationError as exc:
        raise Refused(f"invalid {singular(m.entity)}: {exc.plain}") from exc
    cleaned.pop("id", None)
    return Checked(cleaned, normalised=cleaned != new)


def check_references(
    entity: str, values: dict[str, Any], entity_of: Callable[[str], str | None]
) -> None:
    """Refuse ``*_id`` values that name no record of the entity they point at.

    ``entity_of(id)`` is the entity of the record with that id on the server (or in the
    same push), None when there is none. A deleted record still counts: what hangs off
    it becomes a conflict, shown to a person, not a refusal.
    """
    for name, target in references(entity).items():
        value = values.get(name)
        if value is None:
            continue
        found = entity_of(value)
        if found is None:
            raise Refused(f"{name} names {singular(target)} {value}, which is not on the server")
        if found != target:
            raise Refused(
                f"{name} must name one of the {target}, but {value} is one of the {found}"
            )


def singular(entity: str) -> str:
    """``opportunities`` → "opportunity", ``route_stops`` → "route stop"."""
    words = entity.replace("_", " ")
    if words.endswith("ies"):
        return words[:-3] + "y"
    return words.removesuffix("s")


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return False
