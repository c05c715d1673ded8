"""What to chart for a report: bar sets per category, one chart per currency.

Plain values (no Qt): ``fieldapp.ui.report_charts`` draws them with Qt Charts, for
the Reports panel and the PDF alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fieldapp.domain import reports as d
from fieldapp.reports.tables import GROUP_HEADERS, OUTCOME_HEADERS

# A chart shows at most this many groups (the biggest, as the table is sorted), or
# this many weeks or months (the latest); the table always has every row.
MAX_CATEGORIES = 20
MAX_PERIODS = 60


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class Chart:
    """A bar chart: one bar (or stack) per category, one series per bar set."""

    title: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    stacked: bool = True
    horizontal: bool = False
    unit: str = ""  # the value axis: "visits", "EUR", ...
    left_out: int = 0  # categories beyond MAX_CATEGORIES
    currency: str = ""  # the currency of a deals chart (one chart per currency)

    @property
    def whole(self) -> bool:
        """Counts (visits, accounts, deals), not amounts: the axis ticks whole numbers."""
        return not self.currency or self.unit != self.currency


def charts(report: d.Report) -> list[Chart]:
    """What to draw for the report: one chart, or one per currency; none for the feed."""
    if isinstance(report, d.VisitsReport):
        return [_visits_chart(report)] if report.rows else []
    if isinstance(report, d.CoverageReport):
        return [_coverage_chart(report)] if report.rows else []
    if isinstance(report, d.PipelineReport | d.ForecastReport | d.WinsReport):
        currencies = sorted({r.currency for r in report.rows})
        return [_money_chart(report, c) for c in currencies]
    return []


def _keep(report: d.Report, count: int) -> slice:
    """Which of ``count`` rows a chart shows: the first groups, or the latest weeks."""
    if report.by in ("week", "month"):
        return slice(max(0, count - MAX_PERIODS), count)
    return slice(0, MAX_CATEGORIES)


def _across(report: d.Report) -> bool:
    """Groups along a time axis read left to right; the others as horizontal bars."""
    return report.by not in ("week", "month")


def _axis_label(report: d.Report, label: str) -> str:
    """Time labels shortened for a chart's axis: "2026-W07" -> "W07", "Feb 2026" -> "Feb 26"."""
    if report.by == "week":
        return label.split("-", 1)[-1]
    if report.by == "month" and len(label) == 8 and label[3] == " ":
        return f"{label[:3]} {label[-2:]}"
    return label


def _visits_chart(report: d.VisitsReport) -> Chart:
    rows = report.rows[_keep(report, len(report.rows))]
    categories = tuple(_axis_label(report, r.label) for r in rows)
    left_out = len(report.rows) - len(rows)
    return Chart(
        f"Visits per {GROUP_HEADERS[report.by].lower()}",
        categories,
        tuple(
            Series(OUTCOME_HEADERS.get(o, o), tuple(float(r.outcomes.get(o, 0)) for r in rows))
            for o in report.outcomes
        ),
        stacked=True,
        horizontal=_across(report),
        unit="visits",
        left_out=left_out,
    )


def _coverage_chart(report: d.CoverageReport) -> Chart:
    rows = report.rows[_keep(report, len(report.rows))]
    categories = tuple(r.label for r in rows)
    left_out = len(report.rows) - len(rows)
    return Chart(
        f"Coverage per {GROUP_HEADERS[report.by].lower()} on {report.as_of.isoformat()}",
        categories,
        (
            Series("Visited in time", tuple(float(r.covered) for r in rows)),
            Series(
                "Overdue (visited before)", tuple(float(r.overdue - r.never_visited) for r in rows)
            ),
            Series("Never visited", tuple(float(r.never_visited) for r in rows)),
        ),
        stacked=True,
        horizontal=True,
        unit="accounts",
        left_out=left_out,
    )


def _money_chart(
    report: d.PipelineReport | d.ForecastReport | d.WinsReport, currency: str
) -> Chart:
    mine: list[Any] = [r for r in report.rows if r.currency == currency]
    rows = mine[_keep(report, len(mine))]
    categories = tuple(_axis_label(report, r.label) for r in rows)
    left_out = len(mine) - len(rows)
    by = GROUP_HEADERS[report.by].lower()
    if isinstance(report, d.PipelineReport):
        if report.by == "stage":
            series: tuple[Series, ...] = (
                Series("Amount", tuple(float(r.amount) for r in rows)),
                Series("Weighted", tuple(float(r.weighted) for r in rows)),
            )
            return Chart(
                f"Open pipeline by stage ({currency})",
                categories,
                series,
                stacked=False,
                horizontal=True,
                unit=currency,
                left_out=left_out,
                currency=currency,
            )
        series = tuple(
            Series(stage, tuple(float(r.by_stage.get(stage, 0)) for r in rows))
            for stage in report.stages
            if any(r.by_stage.get(stage) for r in rows)
        )
        title, unit = f"Open pipeline per {by} and stage ({currency})", currency
    elif isinstance(report, d.ForecastReport):
        series = (
            Series("Won", tuple(float(r.won) for r in rows)),
            Series("Weighted open", tuple(float(r.weighted) for r in rows)),
        )
        title, unit = f"Forecast per {by} ({currency})", currency
    else:
        series = (
            Series("Won", tuple(float(r.won) for r in rows)),
            Series("Lost", tuple(float(r.lost) for r in rows)),
        )
        title, unit = f"Deals won and lost per {by} ({currency})", "deals"
    return Chart(
        title,
        categories,
        series,
        stacked=True,
        horizontal=_across(report),
        unit=unit,
        left_out=left_out,
        currency=currency,
    )
