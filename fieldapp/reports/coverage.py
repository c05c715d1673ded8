"""Coverage: which active accounts were not visited within their visit frequency.

An account is overdue on a day when its last visit done by the end of that day is
older than its frequency (``accounts.visit_frequency_days``, 90 days by default) or
when it was never visited. Inactive accounts are not expected to be visited and are
left out. A rep's accounts are their territory's (when they are its only rep) and the
ones they own elsewhere (fieldapp.store.territory_reps); a territory's, the ones in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, type_coerce
from sqlalchemy.orm import Session

from fieldapp.domain import report_fold
from fieldapp.domain.reports import CoverageReport, ReportFilter
from fieldapp.domain.visits import DEFAULT_FREQUENCY_DAYS
from fieldapp.reports import filtering, people
from fieldapp.store.last_visits import last_visit_before, with_last_visits
from fieldapp.store.models import Account
from fieldapp.store.territory_reps import account_rep
from fieldapp.store.types import UTCDateTime


def _accounts(flt: ReportFilter, rep: Any) -> list[ColumnElement[bool]]:
    conds = [Account.deleted_at.is_(None), Account.status == "active"]
    if flt.territory_id:
        conds.append(Account.territory_id == flt.territory_id)
    if flt.rep_id:
        conds.append(rep == flt.rep_id)
    return conds


def _states(flt: ReportFilter, until: datetime, rep: Any, *columns: Any) -> Any:
    """Per active account: ``columns``, its last visit and its cutoff, as a CTE.

    Materialised: were SQLite to fold it into the query using it, the last-visit
    subquery would run once for every mention of it there.
    """
    cutoff = _cutoff(until)
    query = select(*columns, last_visit_before(until).label("last"), cutoff.label("cutoff"))
    return (
        with_last_visits(query)
        .where(*_accounts(flt, rep))
        .cte("states")
        .prefix_with("MATERIALIZED")
    )


def _cutoff(until: datetime) -> Any:
    """The moment before which an account's last visit makes it overdue, as SQL.

    Text as SQLite's datetime() writes it ('YYYY-MM-DD HH:MM:SS'), which compares
    with the stored check-ins. Most accounts keep the default frequency: their cutoff
    is worked out once here rather than by datetime() for each of them.
    """
    usual = (until - timedelta(days=DEFAULT_FREQUENCY_DAYS)).astimezone(UTC)
    own = func.datetime(
        filtering.instant(until), func.printf("-%d days", Account.visit_frequency_days)
    )
    return case(
        (Account.visit_frequency_days.is_(None), usual.strftime("%Y-%m-%d %H:%M:%S")),
        else_=own,
    )


def _as_of(flt: ReportFilter, today: date | None) -> date:
    """The period's last day, or today if that is earlier (no visits are known after it)."""
    today = today or filtering.local_today(flt)
    return min(flt.end, today) if flt.end else today


def coverage(
    session: Session,
    flt: ReportFilter | None = None,
    by: str = "territory",
    *,
    today: date | None = None,
) -> CoverageReport:
    """Accounts, overdue and never visited per territory or rep, on the period's last day
    (or today, for a period that has not ended)."""
    flt = flt or ReportFilter()
    filtering.check("coverage", flt, by)
    as_of = _as_of(flt, today)
    until = filtering.day_start(as_of + timedelta(days=1), flt)
    rep = account_rep(session)
    key = (Account.territory_id if by == "territory" else rep).label("key")
    states = _states(flt, until, rep, key)
    overdue = states.c.last.is_(None) | (states.c.last < states.c.cutoff)
    query = select(
        states.c.key,
        func.count(),
        func.sum(case((overdue, 1), else_=0)),
        func.sum(case((states.c.last.is_(None), 1), else_=0)),
    ).group_by(states.c.key)
    found = session.execute(query)
    return report_fold.coverage_report(flt, by, as_of, found, people.labeller(session, by))


@dataclass(frozen=True)
class OverdueAccount:
    account_id: str
    name: str
    territory_id: str | None
    owner_id: str | None
    last_visit: datetime | None


def overdue_accounts(
    session: Session,
    flt: ReportFilter | None = None,
    *,
    today: date | None = None,
    limit: int = 500,
) -> list[OverdueAccount]:
    """The overdue accounts themselves: never visited first, then longest without a visit."""
    flt = flt or ReportFilter()
    until = filtering.day_start(_as_of(flt, today) + timedelta(days=1), flt)
    rep = account_rep(session)
    columns = (Account.id, Account.name, Account.territory_id, rep.label("owner_id"))
    states = _states(flt, until, rep, *columns)
    query = (
        select(
            states.c.id,
            states.c.name,
            states.c.territory_id,
            states.c.owner_id,
            type_coerce(states.c.last, UTCDateTime),
        )
        .where(states.c.last.is_(None) | (states.c.last < states.c.cutoff))
        .order_by(states.c.last.is_not(None), states.c.last, states.c.name)
        .limit(limit)
    )
    return [OverdueAccount(*row) for row in session.execute(query)]
