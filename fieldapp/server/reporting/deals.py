"""Pipeline, forecast and won/lost over ``report_deals`` (see fieldapp.reports.deals).

The replica's rules: a deal is open unless its stage is a won or lost one; its
probability is its own, else its stage's; the weighted forecast is Σ cents × percent,
per currency; a deal's date is its close date, or for a closed deal without one the
reader's day of its last change. The stages are the default pipeline with the
``pipeline_stages`` records the server holds applied over it (by id), as a replica
holds them after a sync.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, case, false, func, select
from sqlalchemy.orm import Session

from fieldapp.domain import report_fold
from fieldapp.domain import reports as d
from fieldapp.domain.reports import ForecastReport, PipelineReport, ReportFilter, WinsReport
from fieldapp.domain.values import DEFAULT_PIPELINE
from fieldapp.server.models import Record
from fieldapp.server.reporting.common import Names, hanging_in
from fieldapp.server.reporting.tables import report_accounts, report_deals
from fieldapp.server.scope import Scope

o = report_deals.c
a = report_accounts.c
CENTS = func.coalesce(o.cents, 0)


@dataclass(frozen=True)
class Stages:
    open_names: list[str]
    won: ColumnElement[bool]
    lost: ColumnElement[bool]
    percent: ColumnElement[int]

    @property
    def open(self) -> ColumnElement[bool]:
        return ~self.won & ~self.lost

    @classmethod
    def read(cls, session: Session) -> Stages:
        stages = {
            sid: (name, pos, pct, won, lost) for sid, name, pos, pct, won, lost in DEFAULT_PIPELINE
        }
        rows = session.execute(
            select(Record.id, Record.data, Record.deleted).where(Record.entity == "pipeline_stages")
        )
        for sid, data, deleted in rows:
            if deleted:
                stages.pop(sid, None)
                continue
            doc = json.loads(data)
            stages[sid] = (
                str(doc.get("name") or ""),
                int(doc.get("position") or 0),
                int(doc.get("probability") or 0),
                bool(doc.get("is_won")),
                bool(doc.get("is_lost")),
            )
        ordered = sorted(stages.values(), key=lambda s: s[1])
        won = [name for name, _, _, is_won, _ in ordered if is_won]
        lost = [name for name, _, _, _, is_lost in ordered if is_lost]
        percent = case({name: pct for name, _, pct, _, _ in ordered}, value=o.stage, else_=0)
        return cls(
            [name for name, _, _, is_won, is_lost in ordered if not (is_won or is_lost)],
            o.stage.in_(won) if won else false(),
            o.stage.in_(lost) if lost else false(),
            func.coalesce(o.probability, percent),
        )


def _local_date(session: Session, column: Any, flt: ReportFilter) -> ColumnElement[str]:
    """The reader's calendar day of a UTC timestamp, ``YYYY-MM-DD``, in each dialect."""
    minutes = int(flt.utc_offset_minutes)  # an int: safe in SQL text
    if session.get_bind().dialect.name == "postgresql":
        shifted = func.timezone("UTC", column) + func.make_interval(0, 0, 0, 0, 0, minutes)
        return func.to_char(shifted, "YYYY-MM-DD")
    return func.date(column, f"{minutes:+d} minutes")


def _deal_date(session: Session, flt: ReportFilter, stages: Stages) -> ColumnElement[str]:
    changed = _local_date(session, o.changed_at, flt)
    return func.coalesce(o.close_date, case((stages.open, None), else_=changed))


def _deals(
    session: Session, columns: list[Any], scope: Scope, flt: ReportFilter, by: str, stages: Stages
) -> Select:
    source: Any = report_deals
    if by == "territory" or flt.territory_id:
        source = report_deals.join(report_accounts, a.id == o.account_id)
    elif not scope.everything:
        source = report_deals.outerjoin(report_accounts, a.id == o.account_id)
    query = select(*columns).select_from(source)
    if not scope.everything:
        query = query.where(hanging_in(scope, o.account_id, o.owner_id))
    if flt.territory_id:
        query = query.where(a.territory_id == flt.territory_id)
    if flt.rep_id:
        query = query.where(o.owner_id == flt.rep_id)
    when = _deal_date(session, flt, stages)
    if flt.start is not None:
        query = query.where(when >= flt.start.isoformat())
    if flt.end is not None:
        query = query.where(when <= flt.end.isoformat())
    return query


def _key(session: Session, by: str, flt: ReportFilter, stages: Stages) -> Any:
    if by == "stage":
        return o.stage
    if by == "rep":
        return o.owner_id
    if by == "territory":
        return a.territory_id
    if by == "month":
        return func.substr(_deal_date(session, flt, stages), 1, 7)
    return func.lower(func.trim(o.reason))


def pipeline(
    session: Session, scope: Scope, names: Names, flt: ReportFilter, by: str
) -> PipelineReport:
    stages = Stages.read(session)
    key = _key(session, by, flt, stages).label("key")
    columns = [
        key,
        o.stage,
        o.currency,
        func.count(),
        func.sum(CENTS),
        func.sum(CENTS * stages.percent),
    ]
    query = _deals(session, columns, scope, flt, by, stages)
    query = query.where(stages.open).group_by(key, o.stage, o.currency)
    return report_fold.pipeline_report(
        flt, by, session.execute(query), stages.open_names, names.labeller(by)
    )


def forecast(
    session: Session, scope: Scope, names: Names, flt: ReportFilter, by: str
) -> ForecastReport:
    stages = Stages.read(session)
    key = _key(session, by, flt, stages).label("key")
    is_open, won = stages.open, stages.won
    columns = [
        key,
        o.currency,
        func.sum(case((is_open, 1), else_=0)),
        func.sum(case((is_open, CENTS), else_=0)),
        func.sum(case((is_open, CENTS * stages.percent), else_=0)),
        func.sum(case((won, 1), else_=0)),
        func.sum(case((won, CENTS), else_=0)),
    ]
    query = _deals(session, columns, scope, flt, by, stages)
    query = query.where(~stages.lost).group_by(key, o.currency)
    labels = names.labeller(by)
    raw = [(g, labels(g), c, *sums) for g, c, *sums in session.execute(query)]
    rows = [report_fold.forecast_row(*r) for r in raw]
    report_fold.order_deal_rows(rows, by, [], lambda r: r.expected)
    totals = []
    for currency in sorted({r[2] for r in raw}):
        sums = [sum(r[i] for r in raw if r[2] == currency) for i in range(3, 8)]
        totals.append(report_fold.forecast_row(None, d.TOTAL, currency, *sums))
    return ForecastReport(flt, by, rows, totals)


def wins(session: Session, scope: Scope, names: Names, flt: ReportFilter, by: str) -> WinsReport:
    stages = Stages.read(session)
    won, lost = stages.won, stages.lost
    key = _key(session, by, flt, stages).label("key")
    columns = [
        key,
        # A reason's most common spelling is unknown to SQL; any one of them will do.
        func.min(func.trim(o.reason)),
        o.currency,
        func.sum(case((won, 1), else_=0)),
        func.sum(case((won, CENTS), else_=0)),
        func.sum(case((lost, 1), else_=0)),
        func.sum(case((lost, CENTS), else_=0)),
    ]
    query = _deals(session, columns, scope, flt, by, stages)
    query = query.where(won | lost).group_by(key, o.currency)
    return report_fold.wins_report(flt, by, session.execute(query), names.labeller(by))
