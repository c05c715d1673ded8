"""Qt Charts for reports: a :class:`fieldapp.reports.charts.Chart` drawn as a QChart.

One builder for the Reports panel and the PDF export, so both draw the same chart.
Bars only: stacked when the series are parts of a whole (visit outcomes, pipeline
stages, won and lost), side by side when they compare (amount and weighted).
Horizontal bars list the biggest group at the top, where the table starts too.
"""

from __future__ import annotations

import math

from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QHorizontalBarSeries,
    QHorizontalStackedBarSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QCoreApplication, QMargins, Qt
from PySide6.QtGui import QFont

from fieldapp.reports.charts import Chart

# More categories than this along a horizontal axis: their labels are turned upright.
CROWDED = 8


def _tr(text: str) -> str:
    return QCoreApplication.translate("ReportCharts", text)


def _series(spec: Chart) -> QAbstractBarSeries:
    if spec.horizontal:
        return QHorizontalStackedBarSeries() if spec.stacked else QHorizontalBarSeries()
    return QStackedBarSeries() if spec.stacked else QBarSeries()


def build_chart(spec: Chart) -> QChart:
    """A new QChart for ``spec`` (the caller owns it, or hands it to a QChartView)."""
    chart = QChart()
    chart.setTheme(QChart.ChartTheme.ChartThemeLight)
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.setTitle(spec.title)
    chart.setMargins(QMargins(4, 4, 4, 4))
    legend = chart.legend()
    legend.setAlignment(Qt.AlignmentFlag.AlignBottom)
    small = QFont(legend.font())
    small.setPointSizeF(max(6.0, small.pointSizeF() - 1))
    legend.setFont(small)
    series = _series(spec)
    # Qt draws the first category next to the origin: at the bottom for horizontal
    # bars. Reversed, the first row of the table is the top bar.
    order = list(reversed(range(len(spec.categories)))) if spec.horizontal else None
    for s in spec.series:
        bar_set = QBarSet(s.name)
        bar_set.append([s.values[i] for i in order] if order else list(s.values))
        series.append(bar_set)
    chart.addSeries(series)
    categories = QBarCategoryAxis()
    labels = list(spec.categories)
    categories.append(list(reversed(labels)) if spec.horizontal else labels)
    if not spec.horizontal and len(labels) > CROWDED:
        categories.setLabelsAngle(-90)  # upright labels would be cut to "..."
    values = QValueAxis()
    values.setLabelFormat("%.0f")
    values.setTitleText(spec.unit)
    left, bottom = Qt.AlignmentFlag.AlignLeft, Qt.AlignmentFlag.AlignBottom
    chart.addAxis(categories, left if spec.horizontal else bottom)
    chart.addAxis(values, bottom if spec.horizontal else left)
    series.attachAxis(categories)
    series.attachAxis(values)
    # Stacked bars reach the sum of their parts; an empty period still gets an axis.
    top = max(_heights(spec), default=0.0)
    if spec.whole and top <= 10:
        # A few visits or deals: one tick per whole number, not 0, 0.2, 0.4 ...
        values.setRange(0, max(1, math.ceil(top)))
        values.setTickCount(max(1, math.ceil(top)) + 1)
    else:
        values.setRange(0, top if top > 0 else 1)
        values.applyNiceNumbers()
    if spec.left_out:
        chart.setTitle(
            _tr("{title} ({shown} of {total})").format(
                title=spec.title,
                shown=len(spec.categories),
                total=len(spec.categories) + spec.left_out,
            )
        )
    return chart


def _heights(spec: Chart) -> list[float]:
    if not spec.stacked:
        return [v for s in spec.series for v in s.values]
    return [sum(s.values[i] for s in spec.series) for i in range(len(spec.categories))]


def bar_sets(chart: QChart) -> list[QBarSet]:
    """The bar sets of a chart built here (one per series of its spec)."""
    found: list[QBarSet] = []
    for series in chart.series():
        if isinstance(series, QAbstractBarSeries):
            found += series.barSets()
    return found
