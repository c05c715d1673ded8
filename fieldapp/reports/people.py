"""Names of reps and territories, as the replica's users and territories tables give them.

Reports group by ids (an owner, a territory) and name each group afterwards: a
replica holds a few dozen users and territories, so naming costs nothing, and a
record owned by someone outside the replica's users still gets a row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.domain.reports import NO_DATE, NO_REP, NO_TERRITORY
from fieldapp.errors import FieldappError
from fieldapp.reports import filtering
from fieldapp.store.models import Territory, User


@dataclass(frozen=True)
class Person:
    id: str
    username: str
    display_name: str
    role: str

    @property
    def label(self) -> str:
        return self.display_name or self.username


@dataclass(frozen=True)
class Place:
    id: str
    name: str


def people(session: Session) -> list[Person]:
    rows = session.execute(
        select(User.id, User.username, User.display_name, User.role).where(
            User.deleted_at.is_(None)
        )
    )
    found = [Person(uid, name, display or "", role) for uid, name, display, role in rows]
    return sorted(found, key=lambda p: (p.label.casefold(), p.username))


def places(session: Session) -> list[Place]:
    rows = session.execute(
        select(Territory.id, Territory.name)
        .where(Territory.deleted_at.is_(None))
        .order_by(Territory.name)
    )
    return [Place(tid, name) for tid, name in rows]


def rep_labels(session: Session) -> dict[str, str]:
    return {p.id: p.label for p in people(session)}


def territory_labels(session: Session) -> dict[str, str]:
    return {p.id: p.name for p in places(session)}


def rep_label(labels: dict[str, str], rep_id: str | None) -> str:
    if rep_id is None:
        return NO_REP
    return labels.get(rep_id) or f"user {rep_id[:8]}"


def territory_label(labels: dict[str, str], territory_id: str | None) -> str:
    if territory_id is None:
        return NO_TERRITORY
    return labels.get(territory_id) or f"territory {territory_id[:8]}"


def labeller(session: Session, by: str) -> Callable[[str | None], str]:
    """How to name a row's key when a report groups ``by`` this."""
    if by == "rep":
        names = rep_labels(session)
        return lambda key: rep_label(names, key)
    if by == "territory":
        places = territory_labels(session)
        return lambda key: territory_label(places, key)
    if by == "week":
        return lambda key: filtering.week_label(key) if key else NO_DATE
    if by == "month":
        return lambda key: filtering.month_label(key) if key else NO_DATE
    return lambda key: key or ""


def find_rep(session: Session, text: str) -> str:
    """The id of the user called ``text`` (user name, display name or id; any case)."""
    wanted = text.strip().casefold()
    everyone = people(session)
    for matches in (
        [p for p in everyone if p.id == text.strip() or p.username.casefold() == wanted],
        [p for p in everyone if p.display_name.casefold() == wanted],
    ):
        if len(matches) == 1:
            return matches[0].id
        if len(matches) > 1:
            names = ", ".join(p.username for p in matches)
            raise FieldappError(f"several users are called {text!r} ({names}); give the user name")
    raise FieldappError(
        f"no user called {text!r} on this replica (users: {_some(p.username for p in everyone)})"
    )


def find_territory(session: Session, text: str) -> str:
    """The id of the territory called ``text`` (name or id; any case)."""
    wanted = text.strip().casefold()
    everywhere = places(session)
    matches = [p for p in everywhere if p.id == text.strip() or p.name.casefold() == wanted]
    if len(matches) == 1:
        return matches[0].id
    if len(matches) > 1:
        raise FieldappError(f"several territories are called {text!r}; give its id")
    raise FieldappError(
        f"no territory called {text!r} on this replica "
        f"(territories: {_some(p.name for p in everywhere)})"
    )


def _some(names: Iterable[str], shown: int = 10) -> str:
    """A few names for a message: sorted, the first ``shown``, then how many more."""
    found = sorted(names, key=str.casefold)
    if not found:
        return "none"
    more = f" and {len(found) - shown} more" if len(found) > shown else ""
    return ", ".join(found[:shown]) + more
