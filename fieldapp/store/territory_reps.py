"""Who covers which territory, as the server last said, and so which rep an account is.

``territory_reps`` (territory id, user id; store migration 0015) is replaced whole by
each pull that carries the territories' reps (fieldapp.sync.team). An account belongs
to its territory's rep when the territory has exactly one: that is who an admin's
reassignment gives it to, whoever created the record. In a territory several reps
share, without a territory, or on a replica that never synced, it is its owner's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, MetaData, String, Table, case, func, select
from sqlalchemy.orm import Session

from fieldapp.store.models import Account

metadata = MetaData()

territory_reps = Table(
    "territory_reps",
    metadata,
    Column("territory_id", String(36), primary_key=True),
    Column("user_id", String(36), primary_key=True),
)


def sole_reps(session: Session) -> dict[str, str]:
    """Territory id → its rep, for the territories that have exactly one."""
    rows = session.execute(
        select(territory_reps.c.territory_id, func.min(territory_reps.c.user_id))
        .group_by(territory_reps.c.territory_id)
        .having(func.count() == 1)
    )
    return {territory_id: user_id for territory_id, user_id in rows}


def account_rep(session: Session) -> Any:
    """SQL for the rep an account belongs to (see the module's docstring).

    A CASE over the few territories with one rep, read first: cheaper than a lookup per
    account when a report groups 100k of them.
    """
    reps = sole_reps(session)
    if not reps:
        return Account.owner_id
    return case(reps, value=Account.territory_id, else_=Account.owner_id)
