"""The sync history: when each sync ran, what moved, and what went wrong.

The engine keeps every run in the replica (:func:`fieldapp.sync.report.sync_history`,
failed runs with their error); the dialog reads the last 100 in the background and
lists them newest first, and reloads when a sync finishes while it is open.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

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

from fieldapp.store.db import Replica
from fieldapp.ui import fmt, style
from fieldapp.ui.background import Background
from fieldapp.ui.sync_control import capitalised, in_app

if TYPE_CHECKING:
    from fieldapp.sync.report import SyncRun

LIMIT = 100


def local_time(text: str) -> str:
    try:
        return fmt.fmt_datetime(datetime.fromisoformat(text).astimezone())
    except ValueError:
        return text


def history_rows(replica: Replica, limit: int = LIMIT) -> list[SyncRun]:
    # Imported here: the sync client is loaded on first use (see sync_control).
    from fieldapp.sync.report import sync_history

    return sync_history(replica, limit)


class SyncHistoryDialog(QDialog):
    def __init__(self, bg: Background, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sync_history")
        self.setWindowTitle(self.tr("Sync history"))
        self.bg = bg
        heading = QLabel(self.tr("The last syncs of this laptop, newest first"))
        style.set_role(heading, "heading")
        self.list = QTreeWidget()
        self.list.setObjectName("sync_runs")
        self.list.setRootIsDecorated(False)
        self.list.setHeaderLabels([self.tr("When"), self.tr("Result"), self.tr("What moved")])
        header = self.list.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.list.setWordWrap(True)
        self.empty = QLabel(self.tr("No sync yet on this laptop. F9 syncs now."))
        style.set_role(self.empty, "hint")
        self.empty.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        layout.addWidget(buttons)
        self.resize(820, 440)
        self.loaded = False
        self.reload()

    def reload(self) -> None:
        replica = self.bg.replica
        self.bg.read(lambda _s: history_rows(replica), self._fill, owner=self, latest="rows")

    def _fill(self, runs: list[SyncRun]) -> None:
        self.list.clear()
        for run in runs:
            text = (
                "\n".join(in_app(s) for s in run.sentences)
                if run.ok
                else capitalised(run.error or self.tr("failed"))
            )
            item = QTreeWidgetItem(
                [
                    local_time(run.started_at),
                    self.tr("synced") if run.ok else self.tr("not synced"),
                    text,
                ]
            )
            item.setToolTip(2, text)
            if not run.ok:
                item.setForeground(1, style.color("danger"))
            self.list.addTopLevelItem(item)
        self.empty.setVisible(not runs)
        self.loaded = True
