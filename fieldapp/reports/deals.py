"""Deals: the open pipeline, the forecast, and what was won and lost and why.

A deal is open unless its stage is a won or lost one. Its probability is its own,
or its stage's when it has none; the weighted forecast is Σ amount × probability,
per currency (amounts in different currencies are never added up).

A deal's date is its close date; a closed deal without one is dated by its last
change (the replica keeps no stage history, so the day it was marked won or lost is
not known otherwise). The period filters deals by that date.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    case,
    false,
    func,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from fieldapp.domain import report_fold
from fieldapp.domain import reports as d
from fieldapp.domain.reports import (
    ForecastReport,
    PipelineReport,
    ReportFilter,
    WinsReport,
)
from fieldapp.reports import filtering, people
from fieldapp.reports.filtering import Expr
from fieldapp.store.models import Account, Opportunity, PipelineStage

# Raw integer cents: Money would turn a sum of cents × percent into a wrong amount.
CENTS = func.coalesce(type_coerce(Opportunity.amount, Integer), 0)


@dataclass(frozen=True)
class Stages:
    """The pipeline's rules as SQL over ``opportunities``.

    Read once per report from the handful of stages and written into the query, so
    SQLite classifies each deal by its stage name without a join per deal.
    """

    open_names: list[str]
    won: ColumnElement[bool]
    lost: ColumnElement[bool]
    percent: ColumnElement[int]  # the deal's probability, else its stage's

    @property
    def open(self) -> ColumnElement[bool]:
        return ~self.won & ~self.lost

    @classmethod
    def read(cls, session: Session) -> Stages:
        rows = session.execute(
            select(
                PipelineStage.name,
                PipelineStage.probability,
                PipelineStage.is_won,
                PipelineStage.is_lost,
            )
            .where(PipelineStage.deleted_at.is_(None))
            .order_by(PipelineStage.position)
        ).all()
        won = [name for name, _, is_won, _ in rows if is_won]
        lost = [name for name, _, _, is_lost in rows if is_lost]
        stage_percent = case(
            {name: probability for name, probability, _, _ in rows},
            value=Opportunity.stage,
            else_=0,
        )
        return cls(
            [name for name, _, is_won, is_lost in rows if not (is_won or is_lost)],
            Opportunity.stage.in_(won) if won else false(),
            Opportunity.stage.in_(lost) if lost else false(),
            func.coalesce(Opportunity.probability, stage_percent),
        )


def deal_date(flt: ReportFilter, stages: Stages) -> ColumnElement[str]:
    """The deal's date as ``YYYY-MM-DD`` text (see the module doc)."""
    changed = filtering.local_date(Opportunity.updated_at, flt)
    return func.coalesce(
        type_coerce(Opportunity.close_date, String), case((stages.open, None), else_=changed)
    )


def _deals(query: Select, flt: ReportFilter, by: str, stages: Stages) -> Select:
    """``query`` over live deals in the period, for the rep and territory asked for."""
    query = query.select_from(Opportunity).where(Opportunity.deleted_at.is_(None))
    if by == "territory" or flt.territory_id:
        query = query.join(Account, Account.id == Opportunity.account_id)
    if flt.territory_id:
        query = query.where(Account.territory_id == flt.territory_id)
    if flt.rep_id:
        query = query.where(Opportunity.owner_id == flt.rep_id)
    when = deal_date(flt, stages)
    if flt.start is not None:
        query = query.where(when >= flt.start.isoformat())
    if flt.end is not None:
        query = query.where(when <= flt.end.isoformat())
    return query


def _key(by: str, flt: ReportFilter, stages: Stages) -> Expr:
    if by == "stage":
        return Opportunity.stage
    if by == "rep":
        return Opportunity.owner_id
    if by == "territory":
        return Account.territory_id
    if by == "month":
        return func.substr(deal_date(flt, stages), 1, 7)
    # Free-text reasons: "Price" and " price" are one reason.
    return func.lower(func.trim(Opportunity.won_lost_reason))


# --- pipeline ---------------------------------------------------------------------------


def pipeline(
    session: Session, flt: ReportFilter | None = None, by: str = "stage"
) -> PipelineReport:
    """Open deals per stage, rep, close month or territory, with the weighted forecast."""
    flt = flt or ReportFilter()
    filtering.check("pipeline", flt, by)
    stages = Stages.read(session)
    key = _key(by, flt, stages).label("key")
    query = _deals(
        select(
            key,
            Opportunity.stage,
            Opportunity.currency,
            func.count(),
            func.sum(CENTS),
            func.sum(CENTS * stages.percent),
        ),
        flt,
        by,
        stages,
    )
    query = query.where(stages.open).group_by(key, Opportunity.stage, Opportunity.currency)
    return report_fold.pipeline_report(
        flt, by, session.execute(query), stages.open_names, people.labeller(session, by)
    )


# --- forecast ---------------------------------------------------------------------------


def forecast(
    session: Session, flt: ReportFilter | None = None, by: str = "month"
) -> ForecastReport:
    """Per close month (or rep, territory): won so far plus the weighted open pipeline."""
    flt = flt or ReportFilter()
    filtering.check("forecast", flt, by)
    stages = Stages.read(session)
    key = _key(by, flt, stages).label("key")
    is_open, won = stages.open, stages.won
    query = _deals(
        select(
            key,
            Opportunity.currency,
            func.sum(case((is_open, 1), else_=0)),
            func.sum(case((is_open, CENTS), else_=0)),
            func.sum(case((is_open, CENTS * stages.percent), else_=0)),
            func.sum(case((won, 1), else_=0)),
            func.sum(case((won, CENTS), else_=0)),
        ),
        flt,
        by,
        stages,
    )
    query = query.where(~stages.lost).group_by(key, Opportunity.currency)
    labels = people.labeller(session, by)
    raw = [(g, labels(g), c, *sums) for g, c, *sums in session.execute(query)]
    rows = [report_fold.forecast_row(*r) for r in raw]
    report_fold.order_deal_rows(rows, by, [], lambda r: r.expected)
    totals = []
    for currency in sorted({r[2] for r in raw}):
        sums = [sum(r[i] for r in raw if r[2] == currency) for i in range(3, 8)]
        totals.append(report_fold.forecast_row(None, d.TOTAL, currency, *sums))
    return ForecastReport(flt, by, rows, totals)


# --- won and lost ----------------------------------------------------------------------------


def wins(session: Session, flt: ReportFilter | None = None, by: str = "reason") -> WinsReport:
    """Deals won and lost per reason, rep, month or territory: counts, amounts, win rate."""
    flt = flt or ReportFilter()
    filtering.check("wins", flt, by)
    stages = Stages.read(session)
    won, lost = stages.won, stages.lost
    key = _key(by, flt, stages).label("key")
    query = _deals(
        select(
            key,
            # A reason's most common spelling is unknown to SQL; any one of them will do.
            func.min(func.trim(Opportunity.won_lost_reason)),
            Opportunity.currency,
            func.sum(case((won, 1), else_=0)),
            func.sum(case((won, CENTS), else_=0)),
            func.sum(case((lost, 1), else_=0)),
            func.sum(case((lost, CENTS), else_=0)),
        ),
        flt,
        by,
        stages,
    )
    query = query.where(won | lost).group_by(key, Opportunity.currency)
    return report_fold.wins_report(flt, by, session.execute(query), people.labeller(session, by))
