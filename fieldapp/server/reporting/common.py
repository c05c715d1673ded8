"""What every server report shares: the caller's scope, the filter's names, labels.

Scope comes from the server's own tables for the token's user (server/scope.py), never
from the request: a rep counts what their replica holds, a manager their team's, an
admin everything. A filter naming a rep or territory outside the caller's scope is
refused (403) rather than answered with nothing, so a wrong name never passes for
"no visits".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, true
from sqlalchemy.orm import Session

from fieldapp.domain import report_dates
from fieldapp.domain.reports import NO_DATE, NO_REP, NO_TERRITORY, ReportFilter
from fieldapp.server.auth import ForbiddenError, Principal
from fieldapp.server.db import ServerError
from fieldapp.server.models import Record, User
from fieldapp.server.reporting.tables import report_accounts
from fieldapp.server.scope import Scope


class Refused(ForbiddenError):
    """HTTP 403: the filter names someone or somewhere outside the caller's scope."""


def accounts_in(scope: Scope) -> ColumnElement[bool]:
    """Condition on ``report_accounts`` for the accounts in ``scope`` (Scope.accounts_query)."""
    if scope.users is None:
        return true()
    a = report_accounts.c
    return or_(
        a.territory_id.in_(scope.territories),
        and_(a.territory_id.is_(None), a.owner_id.in_(scope.users)),
    )


def hanging_in(scope: Scope, account_id: Any, owner_id: Any) -> ColumnElement[bool]:
    """Condition for a record hanging off an account (joined as ``report_accounts``):
    in scope through its account, or, with no account, through its owner."""
    if scope.users is None:
        return true()
    return or_(
        and_(account_id.is_not(None), accounts_in(scope)),
        and_(account_id.is_(None), owner_id.in_(scope.users)),
    )


@dataclass(frozen=True)
class Names:
    """Reps' and territories' labels as a replica shows them (fieldapp.reports.people)."""

    reps: dict[str, str]
    territories: dict[str, str]
    usernames: dict[str, str]  # user id -> user name

    @classmethod
    def read(cls, session: Session) -> Names:
        reps: dict[str, str] = {}
        territories: dict[str, str] = {}
        rows = session.execute(
            select(Record.id, Record.entity, Record.data).where(
                Record.entity.in_(("users", "territories")), Record.deleted.is_(False)
            )
        )
        for record_id, entity, data in rows:
            doc = json.loads(data)
            if entity == "users":
                reps[record_id] = str(doc.get("display_name") or doc.get("username") or "")
            else:
                territories[record_id] = str(doc.get("name") or "")
        usernames = {i: name for i, name in session.execute(select(User.id, User.username))}
        return cls(reps, territories, usernames)

    def labeller(self, by: str) -> Callable[[str | None], str]:
        """How to name a row's key when a report groups ``by`` this."""
        if by == "rep":
            return lambda key: NO_REP if key is None else self.reps.get(key) or f"user {key[:8]}"
        if by == "territory":
            return lambda key: (
                NO_TERRITORY if key is None else self.territories.get(key) or f"territory {key[:8]}"
            )
        if by == "week":
            return lambda key: report_dates.week_label(key) if key else NO_DATE
        if by == "month":
            return lambda key: report_dates.month_label(key) if key else NO_DATE
        return lambda key: key or ""

    def rep_id(self, text: str) -> str:
        """The user an id or user name (any case) names; 400 when there is none."""
        wanted = text.strip()
        if wanted in self.usernames:
            return wanted
        found = [i for i, name in self.usernames.items() if name.casefold() == wanted.casefold()]
        if not found:
            raise ServerError(f"no user called {text!r}")
        return found[0]

    def territory_id(self, text: str) -> str:
        wanted = text.strip()
        if wanted in self.territories:
            return wanted
        found = [i for i, name in self.territories.items() if name.casefold() == wanted.casefold()]
        if len(found) != 1:
            raise ServerError(
                f"no territory called {text!r}"
                if not found
                else f"several territories are called {text!r}; give its id"
            )
        return found[0]


def check_scope(who: Principal, scope: Scope, flt: ReportFilter) -> None:
    """Refuse a filter on a rep or territory the caller may not see (403)."""
    if scope.users is None:
        return
    if flt.rep_id is not None and flt.rep_id not in scope.users:
        whose = "your own" if who.role == "rep" else "your team's"
        raise Refused(f"you can see {whose} figures only; that rep is not in your scope")
    if flt.territory_id is not None and flt.territory_id not in scope.territories:
        raise Refused("that territory is not one of yours (or your team's)")


def bounds(flt: ReportFilter) -> tuple[datetime | None, datetime | None]:
    """The period as a UTC range [start, end)."""
    start = report_dates.day_start(flt.start, flt) if flt.start else None
    end = report_dates.day_start(flt.end + timedelta(days=1), flt) if flt.end else None
    return start, end


def utc(value: datetime) -> datetime:
    """A time read back from the database as aware UTC (SQLite gives it naive)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
