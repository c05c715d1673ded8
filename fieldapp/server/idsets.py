"""Conditions over long lists of ids (a reassignment names 10k accounts or more).

PostgreSQL takes the whole list as one array parameter (``= ANY(:ids)``): one statement,
one parameter to bind and plan. SQLite has no arrays and a limit on bound values, so it
gets ``IN (...)`` lists of :data:`CHUNK`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, String, any_, bindparam
from sqlalchemy.orm import Session

CHUNK = 1000


def chunks(ids: Sequence[str], size: int = CHUNK) -> list[Sequence[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def among(session: Session, column: Any, ids: Sequence[str]) -> list[ColumnElement[bool]]:
    """Conditions that together select the rows whose ``column`` is one of ``ids``."""
    if not ids:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return [column == any_(bindparam(None, list(ids), type_=ARRAY(String)))]
    return [column.in_(part) for part in chunks(ids)]
