"""Turning a report's aggregate rows into its report, the same way on replica and server.

The replica (:mod:`fieldapp.reports`) and the server (``fieldapp.server.reporting``)
each compute the aggregates with their own SQL; naming, ordering and totals happen
here once, so both answer with the same document. Pure Python: no database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from fieldapp.domain import reports as d
from fieldapp.domain.reports import (
    TOTAL,
    CoverageReport,
    CoverageRow,
    ForecastRow,
    PipelineReport,
    PipelineRow,
    ReportFilter,
    VisitsReport,
    VisitsRow,
    WinsReport,
    WinsRow,
)
from fieldapp.domain.values import VISIT_OUTCOMES

NO_OUTCOME = "none"
OTHER_OUTCOME = "other"  # a value this release does not know (from a newer client)
# The outcome columns a visit aggregate counts, after visits, timed visits and minutes.
OUTCOME_KEYS = (*VISIT_OUTCOMES, NO_OUTCOME, OTHER_OUTCOME)

Label = Callable[[str | None], str]


def visits_report(
    flt: ReportFilter, by: str, found: Iterable[tuple[Any, tuple[Any, ...]]], label: Label
) -> VisitsReport:
    """``found``: (key, (visits, timed, minutes, one count per OUTCOME_KEYS)) per group.

    Reps and territories busiest first; weeks and months in the order given.
    """
    rows = [_visits_row(key, label(key), sums) for key, sums in found]
    if by in ("rep", "territory"):
        rows.sort(key=lambda r: (-r.visits, r.label.casefold()))
    present = {o for r in rows for o, n in r.outcomes.items() if n}
    outcomes = tuple(o for o in OUTCOME_KEYS if o in present)
    total = VisitsRow(
        None,
        TOTAL,
        sum(r.visits for r in rows),
        sum(r.timed for r in rows),
        sum(r.minutes for r in rows),
        {o: sum(r.outcomes.get(o, 0) for r in rows) for o in outcomes},
    )
    rows = [
        VisitsRow(r.key, r.label, r.visits, r.timed, r.minutes, _only(r.outcomes, outcomes))
        for r in rows
    ]
    return VisitsReport(flt, by, outcomes, rows, total)


def _only(counts: dict[str, int], keys: tuple[str, ...]) -> dict[str, int]:
    return {k: counts[k] for k in keys if counts.get(k)}


def _visits_row(key: str | None, label: str, sums: tuple[Any, ...]) -> VisitsRow:
    count, timed, minutes, *by_outcome = (v or 0 for v in sums)
    return VisitsRow(
        key,
        label,
        int(count),
        int(timed),
        round(minutes),
        dict(zip(OUTCOME_KEYS, (int(n) for n in by_outcome), strict=True)),
    )


def coverage_report(
    flt: ReportFilter,
    by: str,
    as_of: date,
    found: Iterable[tuple[Any, int, int | None, int | None]],
    label: Label,
) -> CoverageReport:
    """``found``: (key, accounts, overdue, never visited) per group; most overdue first."""
    rows = [
        CoverageRow(group, label(group), int(accounts), int(late or 0), int(never or 0))
        for group, accounts, late, never in found
    ]
    # Most overdue first: that is where a manager looks.
    rows.sort(key=lambda r: (-r.overdue, r.label.casefold()))
    total = CoverageRow(
        None,
        TOTAL,
        sum(r.accounts for r in rows),
        sum(r.overdue for r in rows),
        sum(r.never_visited for r in rows),
    )
    return CoverageReport(flt, by, as_of, rows, total)


# --- deals -------------------------------------------------------------------------------


def order_deal_rows(
    rows: list[Any], by: str, stages: list[str], measure: Callable[[Any], Any]
) -> None:
    """Sort for reading: stages as the pipeline runs, months in order, the rest biggest first."""
    if by == "stage":
        rank = {name: i for i, name in enumerate(stages)}
        rows.sort(key=lambda r: (r.currency, rank.get(r.key, len(rank))))
    elif by == "month":
        rows.sort(key=lambda r: (r.currency, r.key or "9999"))  # no date: last
    else:
        rows.sort(key=lambda r: (r.currency, -measure(r), r.label.casefold()))


def pipeline_report(
    flt: ReportFilter,
    by: str,
    found: Iterable[Any],
    stages: Iterable[str],
    label: Callable[[str | None], str],
) -> PipelineReport:
    """The pipeline report of ``found``'s (group, stage, currency, deals, cents,
    cents × percent) rows, the open ``stages`` in pipeline order; the replica's and the
    server's queries give the same rows."""
    order = list(stages)
    # (group, currency) -> [deals, cents, cents × percent, {stage: cents}]; and per currency.
    cells: dict[tuple[str | None, str], list[Any]] = {}
    totals: dict[str, list[Any]] = {}
    for group, stage, currency, deals, cents, weighted in found:
        if stage not in order:
            order.append(stage)  # a stage the pipeline no longer has
        for cell in (
            cells.setdefault((group, currency), [0, 0, 0, {}]),
            totals.setdefault(currency, [0, 0, 0, {}]),
        ):
            cell[0] += deals
            cell[1] += cents
            cell[2] += weighted
            cell[3][stage] = cell[3].get(stage, 0) + cents
    rows = [pipeline_row(g, label(g), c, cell) for (g, c), cell in cells.items()]
    order_deal_rows(rows, by, order, lambda r: r.amount)
    totalled = [pipeline_row(None, TOTAL, c, totals[c]) for c in sorted(totals)]
    return PipelineReport(flt, by, tuple(order), rows, totalled)


def wins_report(
    flt: ReportFilter, by: str, found: Iterable[Any], label: Callable[[str | None], str]
) -> WinsReport:
    """The won/lost report of ``found``'s (group, a reason's spelling, currency, won,
    won cents, lost, lost cents) rows; the replica's and the server's queries give them."""
    raw = [
        (group, (reason or d.NO_REASON) if by == "reason" else label(group), currency, *sums)
        for group, reason, currency, *sums in found
    ]
    rows = [wins_row(*r) for r in raw]
    order_deal_rows(rows, by, [], lambda r: r.won + r.lost)
    totals = []
    for currency in sorted({r[2] for r in raw}):
        sums = [sum(r[i] for r in raw if r[2] == currency) for i in range(3, 7)]
        totals.append(wins_row(None, TOTAL, currency, *sums))
    return WinsReport(flt, by, rows, totals)


def pipeline_row(key: str | None, label: str, currency: str, cell: list[Any]) -> PipelineRow:
    deals, cents, weighted, by_stage = cell
    return PipelineRow(
        key,
        label,
        currency,
        deals,
        d.amount(cents),
        d.weighted_amount(weighted),
        {stage: d.amount(c) for stage, c in by_stage.items()},
    )


def forecast_row(
    key: str | None,
    label: str,
    currency: str,
    open_deals: int,
    cents: int,
    weighted: int,
    won_deals: int,
    won_cents: int,
) -> ForecastRow:
    return ForecastRow(
        key,
        label,
        currency,
        open_deals,
        d.amount(cents),
        d.weighted_amount(weighted),
        won_deals,
        d.amount(won_cents),
    )


def wins_row(
    key: str | None,
    label: str,
    currency: str,
    won: int,
    won_cents: int,
    lost: int,
    lost_cents: int,
) -> WinsRow:
    return WinsRow(key, label, currency, won, d.amount(won_cents), lost, d.amount(lost_cents))
