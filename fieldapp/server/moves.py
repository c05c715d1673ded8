"""Where accounts went: the pull tells a client which of its accounts changed hands.

A reassignment writes a ``ScopeExit`` row per (account, user who lost it). When a
client's scope sequence is behind, the pull adds, for the accounts that moved since:
where each account is now (territory, owner, the territory's reps) and whom it came
from. The client names them in its sync report ("12 accounts moved to Ben's territory").
All from the server's own state, never from what the client claims. With every change of
who-sees-what the pull also carries each territory's reps (:func:`territory_reps`), so
the client can name them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.server import idsets
from fieldapp.server.models import Assignment, Record, ScopeExit
from fieldapp.server.scope import Scope


def moves_since(
    session: Session, scope: Scope, scope_seq: int, in_scope: set[str]
) -> list[dict[str, Any]]:
    """Accounts that left ``scope`` or entered it after ``scope_seq``, with their moves."""
    if scope.users is None:
        return []  # an admin sees everything: nothing enters or leaves
    users = set(scope.users)
    lost: dict[str, set[str]] = {}  # account -> users (of any scope) who lost it
    for account_id, user_id in session.execute(
        select(ScopeExit.account_id, ScopeExit.user_id).where(ScopeExit.seq > scope_seq)
    ):
        lost.setdefault(account_id, set()).add(user_id)
    relevant = [
        a for a, who in lost.items() if (who & users and a not in in_scope) or a in in_scope
    ]
    if not relevant:
        return []
    # Plain columns, not ORM objects: a reassignment of 10k accounts lists 10k of them.
    records: dict[str, tuple[str | None, str | None]] = {}
    for condition in idsets.among(session, Record.id, relevant):
        for account_id, territory_id, owner_id in session.execute(
            select(Record.id, Record.territory_id, Record.owner_id).where(
                condition, Record.entity == "accounts"
            )
        ):
            records[account_id] = (territory_id, owner_id)
    reps = territory_reps(session)
    held: dict[frozenset[str], str | None] = {}  # losers -> the one territory they hold
    out = []
    for account_id, (territory_id, owner_id) in records.items():
        losers = frozenset(lost[account_id] - users)
        if losers not in held:
            holding = {t for t, us in reps.items() if losers & set(us)}
            held[losers] = next(iter(holding)) if len(holding) == 1 else None
        moved: dict[str, Any] = {
            "account_id": account_id,
            "territory_id": territory_id,
            "owner_id": owner_id,
            "to_users": sorted(reps.get(territory_id, [])) if territory_id else [],
            "from_users": sorted(losers),
            "from_territory_id": _came_from(territory_id, lost, losers, held[losers]),
        }
        out.append(moved)
    return out


def territory_reps(session: Session) -> dict[str, list[str]]:
    """Territory id → the users assigned to it, for every territory.

    Sent to every client, as users and territories are: a rep must be able to name
    whose territory an account went to, which is by definition outside their scope.
    """
    reps: dict[str, list[str]] = {}
    assigned = session.execute(
        select(Assignment.territory_id, Assignment.user_id).order_by(
            Assignment.territory_id, Assignment.user_id
        )
    )
    for territory_id, user_id in assigned:
        reps.setdefault(territory_id, []).append(user_id)
    return reps


def _came_from(
    territory_id: str | None, lost: dict[str, set[str]], losers: frozenset[str], held: str | None
) -> str | None:
    """The territory an account was in before it changed hands, as far as it is known.

    The server keeps no history of an account's territory. When the whole territory
    changed hands (its own exit row names the same users), it is the account's territory
    still; else ``held``, the one territory the users who lost it still hold, if just one.
    """
    if territory_id is not None and losers & lost.get(territory_id, set()):
        return territory_id
    return held
