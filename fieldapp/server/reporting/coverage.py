"""Coverage over ``report_accounts``: active accounts not visited within their frequency.

The replica's rules (fieldapp.reports.coverage): an account is overdue on a day when
its last visit done by the end of that day is older than its frequency (90 days by
default) or when it was never visited; inactive accounts are left out. An account is
its territory's rep's when the territory has exactly one rep, else its owner's.

The kept ``last_visit_at`` answers "as of today" for every account; for a day in the
past, an account visited since then is searched in ``ix_report_visits_account``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from fieldapp.domain import report_dates, report_fold
from fieldapp.domain.reports import CoverageReport, ReportFilter
from fieldapp.domain.visits import DEFAULT_FREQUENCY_DAYS
from fieldapp.server.models import Assignment
from fieldapp.server.reporting.common import Names, accounts_in
from fieldapp.server.reporting.tables import report_accounts, report_visits
from fieldapp.server.scope import Scope

a = report_accounts.c
v = report_visits.c


def sole_reps(session: Session) -> dict[str, str]:
    """Territory id → its rep, for the territories that have exactly one."""
    rows = session.execute(
        select(Assignment.territory_id, func.min(Assignment.user_id))
        .group_by(Assignment.territory_id)
        .having(func.count() == 1)
    )
    return {territory: user for territory, user in rows}


def rep_is(sole: dict[str, str], rep_id: str) -> ColumnElement[bool]:
    """Condition on ``report_accounts``: the account is ``rep_id``'s."""
    theirs = [t for t, user in sole.items() if user == rep_id]
    owned = a.owner_id == rep_id
    if sole:
        owned = owned & (a.territory_id.is_(None) | a.territory_id.not_in(list(sole)))
    return a.territory_id.in_(theirs) | owned if theirs else owned


def _last_before(until: datetime) -> ColumnElement[Any]:
    searched = (
        select(func.max(v.checkin_at))
        .where(v.account_id == a.id, v.checkin_at < until)
        .scalar_subquery()
    )
    return case(
        (a.last_visit_at.is_(None), None),
        (a.last_visit_at < until, a.last_visit_at),
        else_=searched,
    )


def _cutoff(session: Session, until: datetime) -> ColumnElement[Any]:
    """The moment before which an account's last visit makes it overdue.

    A CASE over the few frequencies accounts have, worked out here: no date arithmetic
    in SQL, which SQLite and PostgreSQL spell differently.
    """
    usual = until - timedelta(days=DEFAULT_FREQUENCY_DAYS)
    found = session.scalars(
        select(a.frequency_days).where(a.frequency_days.is_not(None)).distinct()
    )
    own = {days: until - timedelta(days=days) for days in found if days is not None}
    if not own:
        return case((a.frequency_days.is_(None), usual), else_=usual)
    return case(own, value=a.frequency_days, else_=usual)


def as_of(flt: ReportFilter, today: date | None) -> date:
    """The period's last day, or today if that is earlier (no visits are known after it)."""
    today = today or report_dates.local_today(flt)
    return min(flt.end, today) if flt.end else today


def coverage(
    session: Session,
    scope: Scope,
    names: Names,
    flt: ReportFilter,
    by: str,
    *,
    today: date | None = None,
) -> CoverageReport:
    day = as_of(flt, today)
    until = report_dates.day_start(day + timedelta(days=1), flt)
    sole = sole_reps(session)
    conds = [a.active.is_(True), accounts_in(scope)]
    if flt.territory_id:
        conds.append(a.territory_id == flt.territory_id)
    if flt.rep_id:
        conds.append(rep_is(sole, flt.rep_id))
    # Materialised: folded into the query below, the last-visit search would run once
    # for each mention of it.
    states = (
        select(
            a.territory_id,
            a.owner_id,
            _last_before(until).label("last"),
            _cutoff(session, until).label("cutoff"),
        )
        .where(*conds)
        .cte("states")
        .prefix_with("MATERIALIZED")
    )
    overdue = states.c.last.is_(None) | (states.c.last < states.c.cutoff)
    # Grouped by territory and owner, plain columns; the rep of each pair is named
    # here (cheaper than a CASE over every territory for each of 100k accounts).
    query = select(
        states.c.territory_id,
        states.c.owner_id,
        func.count(),
        func.sum(case((overdue, 1), else_=0)),
        func.sum(case((states.c.last.is_(None), 1), else_=0)),
    ).group_by(states.c.territory_id, states.c.owner_id)
    cells: dict[str | None, list[int]] = {}
    for territory, owner, accounts, late, never in session.execute(query):
        key = territory if by == "territory" else sole.get(territory, owner)
        cell = cells.setdefault(key, [0, 0, 0])
        cell[0] += accounts
        cell[1] += late or 0
        cell[2] += never or 0
    found = [(key, n, late, never) for key, (n, late, never) in cells.items()]
    return report_fold.coverage_report(flt, by, day, found, names.labeller(by))
