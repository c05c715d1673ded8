"""One row per rep of what a manager's Team panel shows, made of the reports themselves.

Visits this week, last week and in the last 30 days; accounts and those overdue for a
visit; open pipeline and weighted forecast (per currency); win rate over the last 90
days. Each figure comes from the report that defines it, so the Team panel and the
Reports panel can never disagree.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from fieldapp.domain.reports import ReportFilter, RepSummary, win_rate
from fieldapp.reports import filtering, people, periods
from fieldapp.reports.coverage import coverage
from fieldapp.reports.deals import pipeline, wins
from fieldapp.reports.visits import visits


def team(
    session: Session, flt: ReportFilter | None = None, *, today: date | None = None
) -> list[RepSummary]:
    """Every rep the reports find (owners of visits, accounts or deals), busiest first.

    ``flt`` narrows by territory or rep; its period is ignored (each column has its own).
    """
    base = flt or ReportFilter()
    today = today or filtering.local_today(base)

    def within(first: date, last: date) -> ReportFilter:
        return ReportFilter(first, last, base.territory_id, base.rep_id, base.utc_offset_minutes)

    week = periods.period("this_week", today)
    last_week = periods.period("last_week", today)
    month = (today - timedelta(days=29), today)
    counts = [
        {r.key: r.visits for r in visits(session, within(*span), "rep").rows}
        for span in (week, last_week, month)
    ]
    due = {r.key: r for r in coverage(session, within(today, today), "rep").rows}
    # The open pipeline has no period: every open deal counts, whenever it may close.
    anytime = ReportFilter(None, None, base.territory_id, base.rep_id, base.utc_offset_minutes)
    open_deals = pipeline(session, anytime, "rep").rows
    closed = wins(session, within(today - timedelta(days=89), today), "rep").rows
    reps = set(due) | {r.key for r in open_deals} | {k for c in counts for k in c}
    names = people.rep_labels(session)
    rows = []
    for rep in reps:
        won = sum(r.won for r in closed if r.key == rep)
        lost = sum(r.lost for r in closed if r.key == rep)
        rows.append(
            RepSummary(
                rep_id=rep,
                label=people.rep_label(names, rep),
                visits_this_week=counts[0].get(rep, 0),
                visits_last_week=counts[1].get(rep, 0),
                visits_30_days=counts[2].get(rep, 0),
                accounts=due[rep].accounts if rep in due else 0,
                overdue=due[rep].overdue if rep in due else 0,
                pipeline={r.currency: r.amount for r in open_deals if r.key == rep},
                weighted={r.currency: r.weighted for r in open_deals if r.key == rep},
                won=won,
                lost=lost,
                win_rate=win_rate(won, lost),
            )
        )
    rows.sort(key=lambda r: (-r.visits_30_days, r.label.casefold()))
    return rows
