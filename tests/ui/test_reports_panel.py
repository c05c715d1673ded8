"""The Reports panel: each report, its filters, chart beside table, CSV and PDF export.

Over the hand-counted replica of tests/reports/fixture.py, so the figures on screen
are checked against the same hand counts as the headless reports.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCharts import QBarCategoryAxis, QChart
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from fieldapp.store import services
from fieldapp.store.db import Replica
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.report_charts import bar_sets
from fieldapp.ui.reports_panel import ReportsPanel
from tests.reports.fixture import Known, build


@pytest.fixture
def known(replica: Replica) -> Known:
    return build(replica)


@pytest.fixture
def panel(qtbot: QtBot, make_window: Callable[..., MainWindow], known: Known) -> ReportsPanel:
    window = make_window()
    window.resize(1280, 800)
    shown = window.show_panel("reports")
    assert isinstance(shown, ReportsPanel)
    with qtbot.waitSignal(shown.shown, timeout=10_000):
        shown.set_period("custom", date(2026, 3, 1), date(2026, 3, 31))
    return shown


def run(qtbot: QtBot, panel: ReportsPanel, action: Callable[[], None]) -> None:
    """Do ``action`` and wait until its report is on screen."""
    with qtbot.waitSignal(panel.shown, timeout=10_000):
        action()


def column(panel: ReportsPanel, header: str) -> list[str]:
    model = panel.model
    headers = [
        model.headerData(c, Qt.Orientation.Horizontal).replace("\n", " ")
        for c in range(model.columnCount())
    ]
    index = headers.index(header)
    return [model.data(model.index(r, index)) for r in range(model.rowCount())]


def axis_labels(chart: QChart) -> list[str]:
    [axis] = [a for a in chart.axes() if isinstance(a, QBarCategoryAxis)]
    return list(axis.categories())


def test_visits_per_rep_chart_matches_the_table(qtbot: QtBot, panel: ReportsPanel) -> None:
    assert panel.filters.kind.currentData() == "visits" and panel.filters.by.currentData() == "rep"
    assert column(panel, "Rep") == ["Ana Silva", "Ben Braun", "Total"]
    assert column(panel, "Visits") == ["3", "3", "6"]
    assert column(panel, "Avg. minutes") == ["45", "35", "41"]
    chart = panel.chart_view.chart() if panel.chart_view else None
    assert chart is not None
    spec = panel.shown_chart()
    assert spec is not None
    # One bar set per outcome column of the table, one category per rep row.
    sets = bar_sets(chart)
    assert [s.label() for s in sets] == [
        "Successful",
        "Follow-up",
        "Not interested",
        "No show",
        "Rescheduled",
    ]
    assert len(spec.categories) == panel.model.detail_rows() == 2
    # Horizontal bars: Qt lists categories from the bottom, so the first rep is last.
    assert axis_labels(chart) == ["Ben Braun", "Ana Silva"]
    successful = sets[0]
    assert [successful.at(i) for i in range(successful.count())] == [0, 2]
    assert panel.heading.text().startswith("<b>Visits by rep</b> · 2026-03-01 – 2026-03-31")


def test_each_report_shows_its_figures(qtbot: QtBot, panel: ReportsPanel) -> None:
    run(qtbot, panel, lambda: panel.set_report("visits", "week"))
    assert column(panel, "Visits") == ["0", "2", "2", "0", "2", "0", "6"]
    chart = panel.chart_view.chart() if panel.chart_view else None
    assert chart is not None and axis_labels(chart) == ["W09", "W10", "W11", "W12", "W13", "W14"]

    run(qtbot, panel, lambda: panel.set_report("coverage"))
    # As of 31 March (hand-counted in tests/reports/test_reports.py).
    assert column(panel, "Territory") == ["(no territory)", "South", "North", "Total"]
    assert column(panel, "Overdue") == ["1", "1", "0", "2"]
    assert column(panel, "Coverage") == ["0.0 %", "50.0 %", "100.0 %", "60.0 %"]
    assert len(bar_sets(panel.chart_view.chart())) == 3  # type: ignore[union-attr]

    run(qtbot, panel, lambda: panel.set_report("wins"))
    assert column(panel, "Reason") == ["Price", "Competitor", "Total"]
    assert column(panel, "Win rate") == ["66.7 %", "0.0 %", "50.0 %"]
    assert [s.label() for s in bar_sets(panel.chart_view.chart())] == ["Won", "Lost"]  # type: ignore[union-attr]

    run(qtbot, panel, lambda: panel.set_report("activity"))
    assert panel.filters.by.isHidden()
    assert column(panel, "What")[0] == "Visit: rescheduled"  # 25 March, the newest
    assert panel.chart_area.isHidden()


def test_pipeline_charts_one_currency_at_a_time(qtbot: QtBot, panel: ReportsPanel) -> None:
    run(qtbot, panel, lambda: panel.set_period("all"))
    run(qtbot, panel, lambda: panel.set_report("pipeline", "rep"))
    assert column(panel, "Currency") == ["EUR", "EUR", "USD", "EUR", "USD"]
    assert column(panel, "Amount")[-2:] == ["18,735.06", "8,000.00"]
    assert panel.currency.isVisibleTo(panel)
    assert [panel.currency.itemText(i) for i in range(panel.currency.count())] == ["EUR", "USD"]
    chart = panel.chart_view.chart()  # type: ignore[union-attr]
    # Stacked by stage: EUR deals are in Qualification, Proposal and Negotiation.
    assert [s.label() for s in bar_sets(chart)] == ["Qualification", "Proposal", "Negotiation"]
    assert axis_labels(chart) == ["Ben Braun", "Ana Silva"]
    panel.currency.setCurrentIndex(1)
    usd = panel.chart_view.chart()  # type: ignore[union-attr]
    assert [s.label() for s in bar_sets(usd)] == ["Prospecting"]
    assert axis_labels(usd) == ["Ben Braun"]
    assert "USD" in usd.title()

    run(qtbot, panel, lambda: panel.set_report("pipeline", "stage"))
    assert not panel.currency.isHidden()
    sets = bar_sets(panel.chart_view.chart())  # type: ignore[union-attr]
    assert [s.label() for s in sets] == ["Amount", "Weighted"]


def test_filters_by_rep_and_territory(qtbot: QtBot, panel: ReportsPanel, known: Known) -> None:
    qtbot.waitUntil(lambda: panel.filters.rep.count() == 4)  # All reps, Ana, Ben, maria
    run(
        qtbot,
        panel,
        lambda: panel.filters.rep.setCurrentIndex(panel.filters.rep.findData(known.users["ben"])),
    )
    assert column(panel, "Rep") == ["Ben Braun", "Total"]
    assert "rep Ben Braun" in panel.heading.text()
    run(qtbot, panel, lambda: panel.filters.rep.setCurrentIndex(0))
    north = panel.filters.territory.findData(known.territories["North"])
    run(qtbot, panel, lambda: panel.filters.territory.setCurrentIndex(north))
    assert column(panel, "Visits") == ["3", "1", "4"]
    assert "territory North" in panel.heading.text()


def test_period_presets_and_a_backwards_custom_period(qtbot: QtBot, panel: ReportsPanel) -> None:
    run(qtbot, panel, lambda: panel.set_period("last_week"))
    assert not panel.filters.start.isEnabled()
    start, end = panel.current_filter().start, panel.current_filter().end
    assert start is not None and end is not None
    assert (end - start).days == 6 and start.weekday() == 0
    generation = panel.generation
    panel.set_period("custom", date(2026, 3, 31), date(2026, 3, 1))
    qtbot.waitUntil(lambda: "ends before it starts" in panel.status.text())
    assert panel.generation == generation  # nothing was run


def test_results_for_filters_changed_meanwhile_are_dropped(
    qtbot: QtBot, panel: ReportsPanel
) -> None:
    shown: list[str] = []
    panel.shown.connect(lambda: shown.append(panel.result.report.kind if panel.result else ""))
    panel.set_report("visits", "week")
    panel.run_now()
    panel.set_report("coverage")  # before the visits come back, as quick clicks do
    panel.run_now()
    qtbot.waitUntil(lambda: panel.ctx.bg.pending() == 0)
    assert shown == ["coverage"]
    assert column(panel, "Territory")[0] == "(no territory)"


def test_a_change_refreshes_only_when_shown(
    qtbot: QtBot, panel: ReportsPanel, make_window: Callable[..., MainWindow], known: Known
) -> None:
    window = panel.window()
    assert isinstance(window, MainWindow)
    window.show_panel("today")
    generation = panel.generation
    window.bg.write(
        lambda s: services.log_visit(
            s,
            known.accounts["Gamma"],
            outcome="successful",
            checkin_at="2026-03-12T10:00+00:00",
            owner_id=known.users["ben"],
        ),
        {"visits"},
    )
    qtbot.waitUntil(lambda: window.bg.pending() == 0)
    qtbot.wait(200)
    assert panel.generation == generation  # hidden: nothing computed
    with qtbot.waitSignal(panel.shown, timeout=10_000):
        window.show_panel("reports")
    assert column(panel, "Visits") == ["4", "3", "7"]


def test_export_csv_and_pdf(qtbot: QtBot, panel: ReportsPanel, tmp_path: Path) -> None:
    from PySide6.QtPdf import QPdfDocument

    window = panel.window()
    assert isinstance(window, MainWindow)
    csv_path, pdf_path = tmp_path / "visits.csv", tmp_path / "visits.pdf"
    panel.export_csv(csv_path)
    qtbot.waitUntil(lambda: "Saved 2 rows" in window.statusBar().currentMessage())
    with csv_path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert [r[:2] for r in rows] == [["Rep", "Visits"], ["Ana Silva", "3"], ["Ben Braun", "3"]]
    panel.export_pdf(pdf_path)
    qtbot.waitUntil(lambda: "Saved 1 page(s)" in window.statusBar().currentMessage())
    document = QPdfDocument(None)
    assert document.load(str(pdf_path)) == QPdfDocument.Error.None_
    text = "".join(document.getAllText(0).text().split())
    assert "Visitsbyrep" in text and "Visitsperrep" in text and "BenBraun" in text
    document.close()
    panel.export_pdf(tmp_path / "no" / "such" / "folder.pdf")
    qtbot.waitUntil(lambda: "Not saved: cannot write" in window.statusBar().currentMessage())


def test_table_model_passes_qtmodeltester(
    qtbot: QtBot, qtmodeltester: ModelTester, panel: ReportsPanel
) -> None:
    qtmodeltester.check(panel.model, force_py=True)
    run(qtbot, panel, lambda: panel.set_report("forecast"))
    qtmodeltester.check(panel.model, force_py=True)


def test_qt_charts_are_not_loaded_at_start_up() -> None:
    import subprocess
    import sys

    probe = (
        "import sys; import fieldapp.ui.app, fieldapp.ui.main_window; "
        "print(sorted(m for m in ('PySide6.QtCharts', 'fieldapp.ui.report_charts', "
        "'fieldapp.ui.report_pdf') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_building_the_panel_opens_no_window_of_its_own(qtbot: QtBot, window: MainWindow) -> None:
    from PySide6.QtWidgets import QApplication

    # Built after the window came up (once start-up's reads were done), not shown.
    qtbot.waitUntil(lambda: "reports" in window.panels, timeout=10_000)
    # A widget shown before it has a parent flashes up as a window and takes the
    # activation (and with it the main window's shortcuts) away.
    assert [w for w in QApplication.topLevelWidgets() if w.isVisible()] == [window]
    assert QApplication.activeWindow() is window
    pressed: list[bool] = []
    window.refresh_action.triggered.connect(lambda *_: pressed.append(True))
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert pressed == [True]
    qtbot.waitUntil(lambda: window.bg.pending() == 0)
