"""Who covers which territory, as the server last said, for naming people in the app.

The pull carries every territory's reps with each change of who-sees-what (assignments
change only with one); :func:`store_reps` keeps them in ``territory_reps`` (store
migration 0015) before the scope change is applied. :func:`reps_by_territory`,
:func:`rep_names` and :func:`rep_names_by_territory` read them back: the sync report
names whose territory an account went to, the Accounts panel's territory filter each
territory's reps.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, func, select

from fieldapp.store.models import Account, Territory, User
from fieldapp.store.territory_reps import territory_reps
from fieldapp.sync import state


def store_reps(conn: Connection, reps: dict[str, list[str]]) -> None:
    """Replace what this replica knows of the territories' reps with ``reps``."""
    conn.execute(delete(territory_reps))
    rows = [{"territory_id": t, "user_id": u} for t, users in reps.items() for u in set(users)]
    if rows:
        conn.execute(territory_reps.insert(), rows)


def reps_by_territory(conn: Connection) -> dict[str, list[str]]:
    """Territory id → user ids of its reps."""
    out: dict[str, list[str]] = {}
    rows = conn.execute(
        select(territory_reps.c.territory_id, territory_reps.c.user_id).order_by(
            territory_reps.c.territory_id, territory_reps.c.user_id
        )
    )
    for territory_id, user_id in rows:
        out.setdefault(territory_id, []).append(user_id)
    return out


def rep_names(conn: Connection, territory_id: str) -> list[str]:
    """The names of a territory's reps (display name, else user name), sorted."""
    rows = conn.execute(
        select(User.display_name, User.username)
        .join(territory_reps, territory_reps.c.user_id == User.id)
        .where(territory_reps.c.territory_id == territory_id)
    )
    return sorted(display or username for display, username in rows)


def rep_names_by_territory(conn: Connection) -> dict[str, list[str]]:
    """Territory id → the names of its reps, sorted (one query for all territories)."""
    out: dict[str, list[str]] = {}
    rows = conn.execute(
        select(territory_reps.c.territory_id, User.display_name, User.username).join(
            User, territory_reps.c.user_id == User.id
        )
    )
    for territory_id, display, username in rows:
        out.setdefault(territory_id, []).append(display or username)
    return {t: sorted(names) for t, names in out.items()}


def territory_label(name: str, reps: list[str], shown: int = 2) -> str:
    """``North — alice, ben`` (``+ 3 more`` past ``shown``, so it fits a filter box)."""
    if not reps:
        return name
    people = ", ".join(reps[:shown])
    if len(reps) > shown:
        people += f" + {len(reps) - shown} more"
    return f"{name} — {people}"


def handover_note(conn: Connection, account_id: str) -> str | None:
    """For a new account the placement rule put in a territory that is neither the
    signed-in user's nor (for a manager) one of their team's: a sentence saying it goes
    to that territory's reps at the next sync. None when it stays, or nobody is known.
    """
    me = state.get(conn, "user_id")
    found = conn.execute(
        select(Territory.id, Territory.name)
        .join(Account, Account.territory_id == Territory.id)
        .where(Account.id == account_id)
    ).first()
    if me is None or found is None:
        return None
    territory_id, name = found
    reps = reps_by_territory(conn).get(territory_id, [])
    team = set(conn.scalars(select(User.id).where(User.manager_id == me)))
    if not reps or me in reps or team & set(reps):
        return None
    people = " and ".join(rep_names(conn, territory_id)) or "its reps"
    return (
        f"It lies in {name}, {people}'s territory: it goes to them at your next sync "
        "and leaves this laptop."
    )


def replica_territories(conn: Connection) -> list[dict[str, Any]]:
    """The territories as this replica last synced them, shaped like the admin API's list.

    What an admin's panel shows before it has reached the server (signed out, offline):
    names, postcodes, shapes, managers and reps as the last sync left them. Regions are
    not kept on replicas, so that column stays empty.
    """
    names = dict(conn.execute(select(User.id, User.username)).all())
    reps: dict[str, list[str]] = {}
    for territory_id, user_id in conn.execute(select(territory_reps)):
        reps.setdefault(territory_id, []).append(names.get(user_id, user_id))
    counts = dict(
        conn.execute(
            select(Account.territory_id, func.count())
            .where(Account.deleted_at.is_(None))
            .group_by(Account.territory_id)
        ).all()
    )
    rows = conn.execute(
        select(
            Territory.id,
            Territory.name,
            Territory.postcodes,
            Territory.polygon,
            Territory.manager_id,
        )
        .where(Territory.deleted_at.is_(None))
        .order_by(Territory.name)
    )
    return [
        {
            "id": tid,
            "name": name,
            "postcodes": [p.strip() for p in (postcodes or "").split(",") if p.strip()],
            "regions": [],
            "polygon": bool(polygon),
            "manager": names.get(manager_id or ""),
            "reps": sorted(reps.get(tid, [])),
            "accounts": int(counts.get(tid, 0)),
        }
        for tid, name, postcodes, polygon, manager_id in rows
    ]
