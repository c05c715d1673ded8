"""The Reports panel's filter bar: report, grouping, period, territory and rep.

Holds ids and plain values only; the territories and users to choose from are read
in the background.

Signals:
    changed(): the filters changed (the panel runs the report again, once they settle).
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QSettings, Signal
from PySide6.QtWidgets import QComboBox, QDateEdit, QHBoxLayout, QLabel, QVBoxLayout, QWidget
from sqlalchemy.orm import Session

from fieldapp.domain.reports import GROUPINGS, ReportFilter
from fieldapp.reports import people, periods
from fieldapp.ui.background import Background

KINDS = (
    ("visits", "Visits"),
    ("coverage", "Coverage"),
    ("pipeline", "Pipeline"),
    ("forecast", "Forecast"),
    ("wins", "Won and lost"),
    ("activity", "Activity"),
)
BY_LABELS = {
    "rep": "per rep",
    "territory": "per territory",
    "week": "per week",
    "month": "per month",
    "stage": "per stage",
    "reason": "per reason",
}
PERIODS = (
    ("this_week", "This week"),
    ("last_week", "Last week"),
    ("this_month", "This month"),
    ("last_month", "Last month"),
    ("this_quarter", "This quarter"),
    ("last_quarter", "Last quarter"),
    ("this_year", "This year"),
    ("all", "All time"),
    ("custom", "Custom…"),
)
DEFAULT_PERIOD = "this_quarter"


def combo(name: str, items: list[tuple[str, str]]) -> QComboBox:
    box = QComboBox()
    box.setObjectName(name)
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    for value, label in items:
        box.addItem(label, value)
    return box


def _date_edit(name: str) -> QDateEdit:
    edit = QDateEdit()
    edit.setObjectName(name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _day(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class ReportFilters(QWidget):
    """Two rows of choices (see module doc); the panel adds its own at the second's end."""

    changed = Signal()

    def __init__(self, bg: Background, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = combo("report_kind", [(k, self.tr(label)) for k, label in KINDS])
        self.by = combo("report_by", [])
        self.period = combo("report_period", [(k, self.tr(t)) for k, t in PERIODS])
        self.period.setCurrentIndex(self.period.findData(DEFAULT_PERIOD))
        self.start = _date_edit("report_from")
        self.end = _date_edit("report_to")
        self.from_label, self.to_label = QLabel(self.tr("from")), QLabel(self.tr("to"))
        self.territory = combo("report_territory", [("", self.tr("All territories"))])
        self.rep = combo("report_rep", [("", self.tr("All reps"))])

        # Laid out before anything is shown or hidden: a widget without a parent that
        # is shown becomes a window of its own.
        rows = QVBoxLayout(self)
        rows.setContentsMargins(0, 0, 0, 0)
        self.first_row = QHBoxLayout()
        for label, widget in (
            (QLabel(self.tr("Report")), self.kind),
            (None, self.by),
            (QLabel(self.tr("Period")), self.period),
            (self.from_label, self.start),
            (self.to_label, self.end),
        ):
            if label:
                self.first_row.addWidget(label)
            self.first_row.addWidget(widget)
        self.first_row.addStretch(1)
        self.second_row = QHBoxLayout()
        self.second_row.addWidget(self.territory)
        self.second_row.addWidget(self.rep)
        rows.addLayout(self.first_row)
        rows.addLayout(self.second_row)

        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.period.currentIndexChanged.connect(self._period_changed)
        for box in (self.by, self.territory, self.rep):
            box.currentIndexChanged.connect(lambda _index: self.changed.emit())
        for edit in (self.start, self.end):
            edit.dateChanged.connect(lambda _day: self.changed.emit())
        self._kind_changed()
        self._period_changed()
        bg.read(self._choices, self._fill_choices, owner=self)

    # -- choices ------------------------------------------------------------------------------

    @staticmethod
    def _choices(session: Session) -> tuple[list[people.Place], list[people.Person]]:
        return people.places(session), people.people(session)

    def _fill_choices(self, found: tuple[list[people.Place], list[people.Person]]) -> None:
        places, persons = found
        for box, items in (
            (self.territory, [(p.id, p.name) for p in places]),
            (self.rep, [(p.id, p.label) for p in persons]),
        ):
            kept = box.currentData()
            box.blockSignals(True)
            while box.count() > 1:
                box.removeItem(1)
            for value, label in items:
                box.addItem(label, value)
            box.setCurrentIndex(max(0, box.findData(kept)))
            box.blockSignals(False)

    # -- setting and reading --------------------------------------------------------------------

    def set_report(self, kind: str, by: str | None = None) -> None:
        """Report ``kind`` grouped ``by`` (default: its first grouping)."""
        self.kind.setCurrentIndex(self.kind.findData(kind))
        if by is not None:
            self.by.setCurrentIndex(self.by.findData(by))

    def set_period(self, name: str, start: date | None = None, end: date | None = None) -> None:
        """A named period (see PERIODS), or "custom" from ``start`` to ``end``."""
        if name == "custom" and start and end:
            self._show_days(start, end)
        self.period.setCurrentIndex(self.period.findData(name))
        self.changed.emit()

    def kind_and_grouping(self) -> tuple[str, str]:
        return str(self.kind.currentData()), str(self.by.currentData())

    def current(self) -> ReportFilter:
        start = end = None
        if self.period.currentData() != "all":
            start, end = _day(self.start.date()), _day(self.end.date())
        return ReportFilter(
            start=start,
            end=end,
            territory_id=self.territory.currentData() or None,
            rep_id=self.rep.currentData() or None,
            utc_offset_minutes=periods.local_utc_offset_minutes(),
        )

    def _show_days(self, first: date, last: date) -> None:
        for edit, day in ((self.start, first), (self.end, last)):
            edit.blockSignals(True)
            edit.setDate(_qdate(day))
            edit.blockSignals(False)

    def _kind_changed(self) -> None:
        kind = str(self.kind.currentData())
        self.by.blockSignals(True)
        self.by.clear()
        for by in GROUPINGS[kind]:
            self.by.addItem(self.tr(BY_LABELS.get(by, by)), by)
        self.by.blockSignals(False)
        self.by.setVisible(kind != "activity")
        self.changed.emit()

    def _period_changed(self) -> None:
        name = str(self.period.currentData())
        for edit in (self.start, self.end):
            edit.setEnabled(name == "custom")
        if name not in ("custom", "all"):
            self._show_days(*periods.period(name, date.today()))
        for widget in (self.start, self.end, self.from_label, self.to_label):
            widget.setVisible(name != "all")
        self.changed.emit()

    # -- layout memory ------------------------------------------------------------------------

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("reports/kind", self.kind.currentData())
        settings.setValue("reports/period", self.period.currentData())

    def restore_state(self, settings: QSettings) -> None:
        kind = settings.value("reports/kind")
        if kind and self.kind.findData(kind) >= 0:
            self.kind.setCurrentIndex(self.kind.findData(kind))
        period = settings.value("reports/period")
        if period and period != "custom" and self.period.findData(period) >= 0:
            self.period.setCurrentIndex(self.period.findData(period))
