"""Reports: pick a report and its filters; a chart and the table beside it; CSV and PDF.

Every report runs on the background helper (``fieldapp.reports`` over a read
session) and comes back as plain values: the report, its table and what to chart.
Each run has a generation number, so a result for filters changed meanwhile is
dropped. The panel computes only while it is shown: a change notice while hidden
marks it stale, and it catches up when shown. Qt Charts is loaded with the first
chart, so the panel costs nothing at start-up.

Signals:
    shown(): a report's chart and table are on screen (after every run).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from fieldapp import reports
from fieldapp.domain.reports import Report, ReportFilter
from fieldapp.reports import export, people, tables
from fieldapp.reports.charts import Chart
from fieldapp.reports.charts import charts as chart_specs
from fieldapp.ui.background import user_message
from fieldapp.ui.headers import record_table
from fieldapp.ui.panel import AppContext, Panel
from fieldapp.ui.report_filters import ReportFilters, combo
from fieldapp.ui.report_model import ReportTableModel

if TYPE_CHECKING:
    from PySide6.QtCharts import QChartView

# Filters changed in quick succession (a few clicks) run one report.
SETTLE_MS = 120


@dataclass(frozen=True)
class Result:
    """What one run brings back to the GUI thread: plain values only."""

    report: Report
    table: tables.Table
    charts: list[Chart]


def compute(session: Session, kind: str, flt: ReportFilter, by: str) -> Result:
    """Runs on a worker: the report, its table and charts (names for the filter line)."""
    names = {**people.rep_labels(session), **people.territory_labels(session)}
    report = reports.run(session, kind, flt, by)
    return Result(report, tables.table(report, names), chart_specs(report))


class ReportsPanel(Panel):
    title = "Reports"
    watches = frozenset(
        {
            "visits",
            "accounts",
            "opportunities",
            "notes",
            "tasks",
            "users",
            "territories",
            "pipeline_stages",
        }
    )
    shown = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.generation = 0
        self.result: Result | None = None
        self._stale = True
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SETTLE_MS)
        self._timer.timeout.connect(self._run)

        self.filters = ReportFilters(ctx.bg, self)
        self.currency = combo("report_currency", [])
        self.currency.setToolTip(self.tr("Amounts in different currencies are charted apart"))
        self.csv_button = QPushButton(self.tr("Export CSV…"))
        self.pdf_button = QPushButton(self.tr("Export PDF…"))
        self.csv_button.clicked.connect(lambda: self.export_csv())
        self.pdf_button.clicked.connect(lambda: self.export_pdf())

        self.heading = QLabel("")
        self.heading.setObjectName("report_heading")
        self.status = QLabel("")
        self.status.setObjectName("report_status")
        self.status.setWordWrap(True)
        self.model = ReportTableModel()
        self.table = record_table(self.model)
        self.table.setObjectName("report_table")
        self.table.setWordWrap(False)
        # The chart's place: a note until the first chart, then the chart view.
        self.chart_area = QStackedWidget()
        self.no_chart = QLabel(self.tr("Nothing to chart in this period."))
        self.no_chart.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.chart_area.addWidget(self.no_chart)
        self.chart_view: QChartView | None = None
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.chart_area)
        self.splitter.addWidget(self.table)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self._layout()

        self.filters.changed.connect(self.refresh)
        self.currency.currentIndexChanged.connect(self._show_chart)

    def _layout(self) -> None:
        second = self.filters.second_row
        second.addWidget(self.currency)
        second.addStretch(1)
        second.addWidget(self.csv_button)
        second.addWidget(self.pdf_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.filters)
        layout.addWidget(self.heading)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.status)

    # -- filters ------------------------------------------------------------------------------

    def set_report(self, kind: str, by: str | None = None) -> None:
        """Show report ``kind`` grouped ``by`` (default: its first grouping)."""
        self.filters.set_report(kind, by)

    def set_period(self, name: str, start: date | None = None, end: date | None = None) -> None:
        """A named period, or "custom" from ``start`` to ``end``."""
        self.filters.set_period(name, start, end)

    def current_filter(self) -> ReportFilter:
        return self.filters.current()

    # -- running ----------------------------------------------------------------------------

    def refresh(self) -> None:
        self._stale = True
        if self.isVisible():
            self._timer.start()

    def run_now(self) -> None:
        """Run the report at once, without waiting for further filter changes."""
        self._timer.stop()
        self._run()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self._timer.start()
        if self.chart_view is None:
            # Load Qt Charts while the first report is computed, not after it arrives.
            QTimer.singleShot(0, self, self._chart_view)

    def _run(self) -> None:
        flt = self.current_filter()
        if flt.start and flt.end and flt.end < flt.start:
            self.status.setText(self.tr("The period ends before it starts."))
            return
        self._stale = False
        self.generation += 1
        generation = self.generation
        kind, by = self.filters.kind_and_grouping()
        self.status.setText(self.tr("Computing…"))
        self.ctx.bg.read(
            lambda s: compute(s, kind, flt, by),
            lambda result: self._show(generation, result),
            on_error=lambda exc: self._failed(generation, exc),
            owner=self,
        )

    def _failed(self, generation: int, exc: Exception) -> None:
        if generation == self.generation:
            self.status.setText(self.tr("Report not made: {0}").format(user_message(exc)))

    def _show(self, generation: int, result: Result) -> None:
        if generation != self.generation:
            return  # the filters changed meanwhile; a newer run is on its way
        self.result = result
        self.heading.setText(f"<b>{result.table.title}</b> · {result.table.subtitle}")
        self.model.set_table(result.table)
        self.table.resizeColumnsToContents()
        self.currency.blockSignals(True)
        kept = self.currency.currentText()
        self.currency.clear()
        for chart in result.charts:
            self.currency.addItem(chart.currency)
        self.currency.setCurrentIndex(max(0, self.currency.findText(kept)))
        self.currency.blockSignals(False)
        self.currency.setVisible(len(result.charts) > 1)
        self._show_chart()
        self.status.setText(result.table.note)
        self.shown.emit()

    def _show_chart(self) -> None:
        charts = self.result.charts if self.result else []
        # The activity feed is a list: its table takes the whole width.
        self.chart_area.setVisible(self.result is None or self.result.report.kind != "activity")
        if not charts:
            self.chart_area.setCurrentWidget(self.no_chart)
            return
        from fieldapp.ui.report_charts import build_chart

        spec = charts[max(0, self.currency.currentIndex())]
        view = self._chart_view()
        old = view.chart()
        view.setChart(build_chart(spec))
        if old is not None:
            old.deleteLater()
        self.chart_area.setCurrentWidget(view)

    def _chart_view(self) -> QChartView:
        if self.chart_view is None:
            from PySide6.QtCharts import QChartView
            from PySide6.QtGui import QPainter

            self.chart_view = QChartView()
            self.chart_view.setObjectName("report_chart")
            self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
            self.chart_area.addWidget(self.chart_view)
        return self.chart_view

    def shown_chart(self) -> Chart | None:
        """The chart spec on screen (None for a report without one)."""
        if self.result is None or not self.result.charts:
            return None
        return self.result.charts[max(0, self.currency.currentIndex())]

    # -- export -------------------------------------------------------------------------------

    def _target(self, suffix: str, kind: str) -> Path | None:
        if self.result is None:
            self.ctx.tell(self.tr("Nothing to export yet."))
            return None
        report = self.result.report
        suggested = f"{report.kind}-{report.by}-{datetime.now():%Y-%m-%d}.{suffix}"
        folder = Path(str(self.ctx.settings.value("reports/folder", str(Path.home()))))
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export report"), str(folder / suggested), kind
        )
        if not path:
            return None
        self.ctx.settings.setValue("reports/folder", str(Path(path).parent))
        return Path(path)

    def export_csv(self, path: Path | None = None) -> None:
        """Save the table as CSV (``path`` given: no dialog, for tests and scripts)."""
        path = path or self._target("csv", self.tr("CSV files (*.csv)"))
        if path is None or self.result is None:
            return
        table = self.result.table
        target = path
        self.ctx.bg.read(
            lambda _s: export.write_csv(table, target),
            lambda rows: self.ctx.tell(self.tr("Saved {0} rows to {1}.").format(rows, target)),
            on_error=lambda e: self.ctx.tell(self.tr("Not saved: {0}").format(user_message(e))),
            owner=self,
        )

    def export_pdf(self, path: Path | None = None) -> None:
        """Save chart and table as PDF: the charts are drawn here, the pages written off-thread."""
        path = path or self._target("pdf", self.tr("PDF files (*.pdf)"))
        if path is None or self.result is None:
            return
        from fieldapp.ui import report_pdf

        table = self.result.table
        pictures = report_pdf.chart_pictures(self.result.charts)
        target = path
        self.ctx.bg.read(
            lambda _s: report_pdf.write_pdf(table, pictures, target),
            lambda pages: self.ctx.tell(self.tr("Saved {0} page(s) to {1}.").format(pages, target)),
            on_error=lambda e: self.ctx.tell(self.tr("Not saved: {0}").format(user_message(e))),
            owner=self,
        )

    # -- layout memory -------------------------------------------------------------------------

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("reports/splitter", self.splitter.saveState())
        self.filters.save_state(settings)

    def restore_state(self, settings: QSettings) -> None:
        state: Any = settings.value("reports/splitter")
        if state is not None:
            self.splitter.restoreState(state)
        self.filters.restore_state(settings)
