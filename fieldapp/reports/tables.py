"""A report as a table to show: headers, cells, totals (what to chart: ``charts``).

One description serves the terminal, CSV files, the Reports panel and the PDF, so
they cannot disagree. Cells keep their plain values (ints, Decimals, floats, dates);
:func:`display` formats one for people, CSV writes it as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fieldapp.domain import reports as d
from fieldapp.domain.reports import ReportFilter

# Column kinds: how a cell is formatted and aligned.
TEXT, WHEN = "text", "when"
COUNT, MONEY, SHARE, MINUTES, HOURS = "count", "money", "share", "minutes", "hours"
NUMERIC = frozenset({COUNT, MONEY, SHARE, MINUTES, HOURS})

TITLES = {
    "visits": "Visits",
    "coverage": "Coverage",
    "pipeline": "Pipeline",
    "forecast": "Forecast",
    "wins": "Won and lost",
    "activity": "Activity",
}
GROUP_HEADERS = {
    "rep": "Rep",
    "territory": "Territory",
    "week": "Week",
    "month": "Month",
    "stage": "Stage",
    "reason": "Reason",
}
OUTCOME_HEADERS = {
    "successful": "Successful",
    "follow_up": "Follow-up",
    "no_decision": "No decision",
    "not_interested": "Not interested",
    "no_show": "No show",
    "rescheduled": "Rescheduled",
    "none": "No outcome",
}


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = TEXT

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC


@dataclass(frozen=True)
class Table:
    title: str
    subtitle: str
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]]
    totals: list[tuple[Any, ...]]
    note: str = ""


def display(value: Any, kind: str) -> str:
    """A cell as people read it."""
    if value is None:
        return "–" if kind in NUMERIC else ""
    if kind == COUNT:
        return f"{value:,}"
    if kind == MONEY:
        return f"{Decimal(value):,.2f}"
    if kind == SHARE:
        return f"{value * 100:.1f} %"
    if kind == MINUTES:
        return f"{value:,.0f}"
    if kind == HOURS:
        return f"{value:,.1f}"
    if kind == WHEN and isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    return str(value)


def describe(flt: ReportFilter, names: dict[str, str] | None = None) -> str:
    """The filter in words: period, territory, rep."""
    return " · ".join([_period(flt), *_who(flt, names or {})])


def _period(flt: ReportFilter) -> str:
    if flt.start and flt.end:
        return f"{flt.start.isoformat()} – {flt.end.isoformat()}"
    if flt.start:
        return f"from {flt.start.isoformat()}"
    if flt.end:
        return f"until {flt.end.isoformat()}"
    return "all time"


def _who(flt: ReportFilter, names: dict[str, str]) -> list[str]:
    parts = []
    if flt.territory_id:
        parts.append(f"territory {names.get(flt.territory_id, flt.territory_id)}")
    if flt.rep_id:
        parts.append(f"rep {names.get(flt.rep_id, flt.rep_id)}")
    return parts


def table(report: d.Report, names: dict[str, str] | None = None) -> Table:
    """The report's table; ``names`` turns the filter's ids into names for the subtitle."""
    if isinstance(report, d.CoverageReport):
        # Coverage is a state on one day, not a count over a period.
        when = f"as of {report.as_of.isoformat()}"
        return _coverage(report, " · ".join([when, *_who(report.filter, names or {})]))
    subtitle = describe(report.filter, names)
    if isinstance(report, d.VisitsReport):
        return _visits(report, subtitle)
    if isinstance(report, d.PipelineReport):
        return _pipeline(report, subtitle)
    if isinstance(report, d.ForecastReport):
        return _forecast(report, subtitle)
    if isinstance(report, d.WinsReport):
        return _wins(report, subtitle)
    return _activity(report, subtitle)


def _title(report: d.Report) -> str:
    if report.kind == "activity":
        return TITLES["activity"]
    return f"{TITLES[report.kind]} by {GROUP_HEADERS[report.by].lower()}"


def _visits(report: d.VisitsReport, subtitle: str) -> Table:
    columns = (
        Column(GROUP_HEADERS[report.by]),
        Column("Visits", COUNT),
        *(Column(OUTCOME_HEADERS.get(o, o), COUNT) for o in report.outcomes),
        Column("Avg. minutes", MINUTES),
        Column("Hours", HOURS),
    )

    def cells(r: d.VisitsRow) -> tuple[Any, ...]:
        return (
            r.label,
            r.visits,
            *(r.outcomes.get(o, 0) for o in report.outcomes),
            r.average_minutes,
            round(r.minutes / 60, 1),
        )

    return Table(
        _title(report),
        subtitle,
        columns,
        [cells(r) for r in report.rows],
        [cells(report.total)],
        "Visits done (checked in) in the period; minutes count visits with a check-out.",
    )


def _coverage(report: d.CoverageReport, subtitle: str) -> Table:
    columns = (
        Column(GROUP_HEADERS[report.by]),
        Column("Accounts", COUNT),
        Column("Visited in time", COUNT),
        Column("Overdue", COUNT),
        Column("Never visited", COUNT),
        Column("Coverage", SHARE),
    )

    def cells(r: d.CoverageRow) -> tuple[Any, ...]:
        return (r.label, r.accounts, r.covered, r.overdue, r.never_visited, r.coverage)

    days = report.default_frequency_days
    rule = f"within each account's visit frequency ({days} days where none is set)"
    return Table(
        _title(report),
        subtitle,
        columns,
        [cells(r) for r in report.rows],
        [cells(report.total)],
        f"Active accounts; overdue: not visited {rule}.",
    )


def _pipeline(report: d.PipelineReport, subtitle: str) -> Table:
    columns = (
        Column(GROUP_HEADERS[report.by]),
        Column("Currency"),
        Column("Deals", COUNT),
        Column("Amount", MONEY),
        Column("Weighted", MONEY),
    )

    def cells(r: d.PipelineRow) -> tuple[Any, ...]:
        return (r.label, r.currency, r.deals, r.amount, r.weighted)

    return Table(
        _title(report),
        subtitle,
        columns,
        [cells(r) for r in report.rows],
        [cells(r) for r in report.totals],
        "Open deals closing in the period; weighted = amount × probability.",
    )


def _forecast(report: d.ForecastReport, subtitle: str) -> Table:
    columns = (
        Column(GROUP_HEADERS[report.by]),
        Column("Currency"),
        Column("Open deals", COUNT),
        Column("Pipeline", MONEY),
        Column("Weighted", MONEY),
        Column("Won deals", COUNT),
        Column("Won", MONEY),
        Column("Expected", MONEY),
    )

    def cells(r: d.ForecastRow) -> tuple[Any, ...]:
        return (
            r.label,
            r.currency,
            r.open_deals,
            r.pipeline,
            r.weighted,
            r.won_deals,
            r.won,
            r.expected,
        )

    return Table(
        _title(report),
        subtitle,
        columns,
        [cells(r) for r in report.rows],
        [cells(r) for r in report.totals],
        "Expected = won + weighted open pipeline (amount × probability).",
    )


def _wins(report: d.WinsReport, subtitle: str) -> Table:
    columns = (
        Column(GROUP_HEADERS[report.by]),
        Column("Currency"),
        Column("Won", COUNT),
        Column("Won amount", MONEY),
        Column("Lost", COUNT),
        Column("Lost amount", MONEY),
        Column("Win rate", SHARE),
    )

    def cells(r: d.WinsRow) -> tuple[Any, ...]:
        return (r.label, r.currency, r.won, r.won_amount, r.lost, r.lost_amount, r.win_rate)

    return Table(
        _title(report),
        subtitle,
        columns,
        [cells(r) for r in report.rows],
        [cells(r) for r in report.totals],
        "Deals closed in the period; win rate = won / (won + lost), by count.",
    )


def _activity(report: d.ActivityReport, subtitle: str) -> Table:
    columns = (Column("When", WHEN), Column("Rep"), Column("Account"), Column("What"))
    rows = [(i.at, i.rep, i.account, i.text) for i in report.items]
    note = f"The newest {report.limit} items." if report.more else ""
    return Table(_title(report), subtitle, columns, rows, [], note)


def header_cells(t: Table) -> list[str]:
    return [c.header for c in t.columns]


def display_rows(t: Table, rows: list[tuple[Any, ...]]) -> list[list[str]]:
    return [[display(v, c.kind) for v, c in zip(row, t.columns, strict=True)] for row in rows]


def plain(value: Any) -> Any:
    """A cell for CSV and JSON: amounts as exact decimal text, dates in ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4)
    return value
