"""The sync history: when each sync ran, what moved, and what went wrong.

:class:`SyncHistory` keeps the runs of this session (errors included: a sync that never
reached the server leaves no trace anywhere else); the dialog lists them newest first.

Signals (SyncHistory):
    added(): a run was added.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.ui import style
from fieldapp.ui.background import Background
from fieldapp.ui.sync_control import describe

if TYPE_CHECKING:
    from fieldapp.sync.engine import SyncReport


@dataclass(frozen=True)
class Run:
    when: datetime
    ok: bool
    text: str


class SyncHistory(QObject):
    added = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runs: list[Run] = []

    def add_report(self, report: SyncReport) -> None:
        self.runs.append(Run(datetime.now(), True, describe(report)))
        self.added.emit()

    def add_error(self, message: str) -> None:
        self.runs.append(Run(datetime.now(), False, message))
        self.added.emit()


class SyncHistoryDialog(QDialog):
    def __init__(self, bg: Background, history: SyncHistory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sync_history")
        self.setWindowTitle(self.tr("Sync history"))
        self.bg = bg
        self.history = history
        heading = QLabel(self.tr("Syncs of this session, newest first"))
        style.set_role(heading, "heading")
        self.list = QTreeWidget()
        self.list.setObjectName("sync_runs")
        self.list.setRootIsDecorated(False)
        self.list.setHeaderLabels([self.tr("When"), self.tr("Result"), self.tr("What moved")])
        header = self.list.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.list.setWordWrap(True)
        self.empty = QLabel(self.tr("No sync yet in this session. F9 syncs now."))
        style.set_role(self.empty, "hint")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        layout.addWidget(buttons)
        self.resize(760, 420)
        history.added.connect(self.fill)
        self.fill()

    def fill(self) -> None:
        self.list.clear()
        for run in reversed(self.history.runs):
            item = QTreeWidgetItem(
                [
                    f"{run.when:%H:%M:%S}",
                    self.tr("synced") if run.ok else self.tr("not synced"),
                    run.text,
                ]
            )
            item.setToolTip(2, run.text)
            if not run.ok:
                item.setForeground(1, style.color("danger"))
            self.list.addTopLevelItem(item)
        self.empty.setVisible(not self.history.runs)
