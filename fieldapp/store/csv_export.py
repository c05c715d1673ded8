"""Records out to CSV: everything, or the set a search, a list of ids, a territory or an
owner picks.

Cells a spreadsheet would run as a formula are escaped by default (OWASP's rule, see
:func:`fieldapp.domain.csvfile.escape_formula`); an import undoes it, so export then
import gives back every value. Numbers are written as numbers: a negative longitude
is not text a spreadsheet could run.
"""

from __future__ import annotations

import csv
import itertools
import os
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, Text, or_, select
from sqlalchemy.orm import Session

from fieldapp.domain import values
from fieldapp.domain.csvfile import escape_formula, open_csv
from fieldapp.domain.fields import SPECS
from fieldapp.domain.parse import record_id
from fieldapp.errors import FieldappError
from fieldapp.store import search, services
from fieldapp.store.files import atomic_text
from fieldapp.store.models import Account, Territory, User
from fieldapp.store.types import to_wire

EXPORTABLE = values.EXPORTABLE
_ORDER = {
    "accounts": "name",
    "contacts": "last_name",
    "leads": "last_name",
    "opportunities": "name",
}


def columns(entity: str) -> tuple[str, ...]:
    """The columns of an ``entity`` export: the id, then every writable field."""
    return ("id", *SPECS[entity])


@dataclass(frozen=True)
class Selection:
    """Which records an export writes; every part given must hold (None: no condition)."""

    search: str | None = None
    ids: Collection[str] | None = None
    territory: str | None = None  # a territory's id or name
    owner: str | None = None  # a user's id or user name


def export_records(
    session: Session,
    entity: str,
    path: str | os.PathLike[str],
    selection: Selection | None = None,
    *,
    raw: bool = False,
) -> int:
    """Write the live ``entity`` records ``selection`` picks to ``path`` as UTF-8 CSV.

    Returns how many. The file appears complete or not at all (written beside the
    target and renamed into place). ``raw`` leaves formula-like cells as they are.
    """
    if entity not in EXPORTABLE:
        raise FieldappError(f"cannot export {entity} as CSV (only {', '.join(EXPORTABLE)})")
    model = services.model_for(entity)
    names = columns(entity)
    selection = selection or Selection()
    query = select(*[getattr(model, name) for name in names]).where(model.deleted_at.is_(None))
    query = _restrict(session, entity, query, selection)
    order = getattr(model, _ORDER.get(entity, "created_at"))
    query = query.order_by(order, model.id).execution_options(yield_per=5000)
    text_columns = {
        i for i, name in enumerate(names) if isinstance(getattr(model, name).type, String | Text)
    }
    # Sets of ids are tested here rather than sent as "IN (...)": a lasso or a search
    # can pick more records than SQLite takes parameters.
    keep = _wanted(session, entity, selection)
    count = 0
    with atomic_text(path) as out:
        writer = csv.writer(out)
        writer.writerow(names)
        for row in session.execute(query):
            if not all(row[i] in ids for i, ids in keep):
                continue
            writer.writerow(
                [_cell(value, not raw and i in text_columns) for i, value in enumerate(row)]
            )
            count += 1
    return count


def chosen(session: Session, entity: str, selection: Selection) -> set[str] | None:
    """The ids of the live records ``selection`` picks (None: it picks them all)."""
    if selection == Selection():
        return None
    model = services.model_for(entity)
    names = columns(entity)
    query = _restrict(
        session,
        entity,
        select(*[getattr(model, n) for n in names]).where(model.deleted_at.is_(None)),
        selection,
    )
    keep = _wanted(session, entity, selection)
    return {row[0] for row in session.execute(query) if all(row[i] in ids for i, ids in keep)}


def _wanted(session: Session, entity: str, selection: Selection) -> list[tuple[int, set[str]]]:
    """(column index, ids it must be one of) for the id list and the search."""
    names = columns(entity)
    keep: list[tuple[int, set[str]]] = []
    if selection.ids is not None:
        keep.append((0, set(selection.ids)))
    if selection.search is not None:
        everything = 1 << 62
        if entity in search.FTS_COLUMNS:
            keep.append(
                (0, set(search.search_ids(session, entity, selection.search, limit=everything)))
            )
        else:  # deals, visits, tasks: those of the accounts that match
            accounts = search.search_ids(session, "accounts", selection.search, limit=everything)
            keep.append((names.index("account_id"), set(accounts)))
    return keep


def _cell(value: Any, escape: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back as the same float
    if escape and isinstance(value, str):
        return escape_formula(value)
    return str(to_wire(value))


def _restrict(session: Session, entity: str, query: Any, selection: Selection) -> Any:
    model = services.model_for(entity)
    if selection.owner is not None:
        query = query.where(model.owner_id == _user_id(session, selection.owner))  # type: ignore[attr-defined]
    if selection.territory is not None:
        territory = _territory_id(session, selection.territory)
        if entity == "accounts":
            query = query.where(Account.territory_id == territory)
        elif hasattr(model, "account_id"):
            in_territory = select(Account.id).where(Account.territory_id == territory)
            query = query.where(model.account_id.in_(in_territory))
        else:
            raise FieldappError(f"{entity} belong to no territory; leave out --territory")
    return query


def _territory_id(session: Session, given: str) -> str:
    found = session.scalar(
        select(Territory.id).where(
            Territory.deleted_at.is_(None),
            or_(Territory.id == given.lower(), Territory.name == given),
        )
    )
    if found is None:
        raise FieldappError(f"no territory named {given!r} in this replica")
    return found


def _user_id(session: Session, given: str) -> str:
    found = session.scalar(
        select(User.id).where(or_(User.id == given.lower(), User.username == given))
    )
    if found is not None:
        return found
    try:
        return record_id(given) or given  # an owner not (yet) in the replica's users
    except ValueError:
        raise FieldappError(f"no user named {given!r} in this replica") from None


def read_ids(path: str | os.PathLike[str]) -> set[str]:
    """Record ids from a file: one a line, or the ``id`` column of a CSV (an export)."""
    ids: set[str] = set()
    with open_csv(path) as source:
        column = source.header.index("id") if "id" in source.header else 0
        rows: Iterable[tuple[int, list[str]]] = source.records()
        if "id" not in source.header:  # no header: its first line is an id too
            rows = itertools.chain([(1, source.header)], rows)
        for line, cells in rows:
            cell = cells[column].strip() if column < len(cells) else ""
            if not cell:
                continue
            try:
                ids.add(record_id(cell))  # type: ignore[arg-type]
            except ValueError as exc:
                raise FieldappError(f"{path}, line {line}: {exc}") from None
    return ids
