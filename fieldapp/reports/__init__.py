"""Reports over the replica: visits, coverage, pipeline, forecast, won and lost, activity.

Headless (no Qt): the CLI, the Reports panel and the Team panel call these with a
read session and get the plain report types of :mod:`fieldapp.domain.reports`, which
the server's reports will also return. On a replica, what the user may see is what
the replica holds, so a report counts everything in it that the filter lets through.

Every figure is an SQL aggregate (GROUP BY inside SQLite); Python only names the
groups and folds a few hundred aggregate rows.

    with replica.read_session() as s:
        report = reports.visits(s, ReportFilter(start=monday, end=sunday), by="rep")
        table = tables.table(report)     # headers and cells, for printing or a Qt model
        drawn = charts.charts(report)    # what to draw, one chart per currency
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from fieldapp.domain.reports import GROUPINGS, KINDS, Report, ReportFilter
from fieldapp.reports import charts, people, periods, tables
from fieldapp.reports.activity import activity
from fieldapp.reports.coverage import coverage, overdue_accounts
from fieldapp.reports.deals import forecast, pipeline, wins
from fieldapp.reports.team import team
from fieldapp.reports.visits import visits


def run(
    session: Session,
    kind: str,
    flt: ReportFilter | None = None,
    by: str | None = None,
    *,
    today: date | None = None,
) -> Report:
    """The report called ``kind``, grouped ``by`` one of its groupings (default: its first)."""
    from fieldapp.reports import filtering

    flt = flt or ReportFilter()
    filtering.check(kind, flt, by or GROUPINGS.get(kind, ("",))[0])
    group = by or GROUPINGS[kind][0]
    if kind == "visits":
        return visits(session, flt, group)
    if kind == "coverage":
        return coverage(session, flt, group, today=today)
    if kind == "pipeline":
        return pipeline(session, flt, group)
    if kind == "forecast":
        return forecast(session, flt, group)
    if kind == "wins":
        return wins(session, flt, group)
    return activity(session, flt)


__all__ = [
    "GROUPINGS",
    "KINDS",
    "ReportFilter",
    "activity",
    "charts",
    "coverage",
    "forecast",
    "overdue_accounts",
    "people",
    "periods",
    "pipeline",
    "run",
    "tables",
    "team",
    "visits",
    "wins",
]
