"""Who sees what: roles, teams, territories.

A rep sees the accounts of the territories assigned to them (and accounts with no
territory that they own), everything hanging off those accounts, and the records with no
account that they own. A record hanging off an account is in scope through its account
(``account_id``), never through a territory of its own: moving an account to another
territory rewrites that one row, not the thousands of visits and deals under it. A
manager sees what the reps of their team and they themselves see. An admin sees
everything. Users, territories and pipeline stages are reference data
everyone reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, literal_column, or_, select, union_all
from sqlalchemy.orm import Session

from fieldapp.server.auth import Principal
from fieldapp.server.models import Assignment, Record, User
from fieldapp.sync.protocol import ACCOUNT_ANCHOR, GLOBAL_ENTITIES


@dataclass(frozen=True)
class Scope:
    """The scope of one principal; ``users is None`` means everything (admin)."""

    users: tuple[str, ...] | None
    territories: tuple[str, ...]
    # Whose team-wide automation rules reach this principal: their manager's and the
    # admins' (fieldapp.domain.rules.applies); rules naming a territory reach its reps.
    rule_authors: tuple[str, ...] = ()

    @property
    def everything(self) -> bool:
        return self.users is None

    def accounts_query(self) -> Any:
        assert self.users is not None
        return select(Record.id).where(
            Record.entity == "accounts",
            or_(
                Record.territory_id.in_(self.territories),
                and_(Record.territory_id.is_(None), Record.owner_id.in_(self.users)),
            ),
        )

    def condition(self) -> ColumnElement[bool]:
        """SQL condition on ``Record`` for the rows in scope.

        Records hanging off an account are in scope when their account is: both
        databases test a row against a hash of the accounts in scope, built once per
        statement (``IN (subquery)``), so a pull's cost is the rows it reads.
        """
        if self.users is None:
            return Record.id.is_not(None)
        return or_(
            Record.entity.in_(GLOBAL_ENTITIES),
            and_(
                Record.account_id.is_(None),
                or_(Record.territory_id.in_(self.territories), Record.owner_id.in_(self.users)),
            ),
            Record.account_id.in_(self.accounts_query()),
            and_(Record.entity == "rules", Record.owner_id.in_(self.rule_authors)),
        )

    def account_visible(self, account: Record) -> bool:
        if self.users is None:
            return True
        if account.territory_id is not None:
            return account.territory_id in self.territories
        return account.owner_id in self.users


def _scope_rows(team: Any) -> Any:
    """One statement for a scope: the team (``u``), its territories (``t``) and the
    authors of team-wide rules (``a``), tagged, for a user id bound as ``user_id``."""
    assigned = Assignment.user_id == bindparam("user_id")
    if team is not None:
        assigned = or_(assigned, Assignment.user_id.in_(team))
    parts: list[Any] = [
        select(literal_column("'t'"), Assignment.territory_id).where(assigned).distinct(),
        select(literal_column("'a'"), User.id).where(User.role == "admin"),
    ]
    if team is not None:
        parts.append(select(literal_column("'u'"), User.id).where(User.id.in_(team)))
    return union_all(*parts)


# Built once (see auth._TOKEN_AND_USER): every sync request asks for its caller's scope.
_REP_SCOPE = _scope_rows(None)
_MANAGER_SCOPE = _scope_rows(select(User.id).where(User.manager_id == bindparam("user_id")))


def scope_of(session: Session, who: Principal) -> Scope:
    """The caller's scope from the server's tables (never from what a client says)."""
    if who.role == "admin":
        return Scope(None, ())
    query = _MANAGER_SCOPE if who.role == "manager" else _REP_SCOPE
    found: dict[str, list[str]] = {"u": [who.id], "t": [], "a": []}
    for tag, value in session.connection().execute(query, {"user_id": who.id}):
        found[tag].append(value)
    authors = found["a"]
    if who.manager_id:
        authors.append(who.manager_id)
    return Scope(tuple(found["u"]), tuple(found["t"]), tuple(authors))


def anchors(entity: str, row_id: str, data: dict[str, Any]) -> tuple[str | None, str | None]:
    """(account_id, territory_id) a record hangs off."""
    column = ACCOUNT_ANCHOR.get(entity)
    if entity in ("leads", "rules"):
        # A lead hangs off no account; the territory its address lies in lets that
        # territory's reps see it besides its owner (a rule's: the reps it reaches).
        territory = data.get("territory_id")
        return None, territory if isinstance(territory, str) else None
    if column is None:
        return None, None
    if entity == "accounts":
        return row_id, data.get("territory_id")
    return data.get(column), None  # in scope through its account


def owner_of(entity: str, row_id: str, data: dict[str, Any]) -> str | None:
    if entity == "users":
        return row_id
    value = data.get("owner_id")
    return value if isinstance(value, str) else None


def users_of_territory(session: Session, territory_id: str | None) -> list[str]:
    if territory_id is None:
        return []
    return list(
        session.scalars(select(Assignment.user_id).where(Assignment.territory_id == territory_id))
    )
