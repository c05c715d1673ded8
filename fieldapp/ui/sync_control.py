"""Sync from the app: one action (F9), progress and the last result in the status bar.

The run goes through the one background helper; progress reported by the engine on
the worker thread reaches the label through a queued signal. Without a sign-in or a
network the app keeps working and the label says why nothing was synced.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel

from fieldapp.ui.background import Background, user_message

if TYPE_CHECKING:
    from fieldapp.sync.engine import Progress, SyncReport


def describe(report: SyncReport) -> str:
    parts = [f"sent {report.pushed}", f"received {report.pulled + report.fetched}"]
    if report.conflicts:
        parts.append(f"{report.conflicts} conflict(s) to resolve")
    if report.rejections:
        parts.append(f"{len(report.rejections)} change(s) refused by the server")
    return ", ".join(parts)


class SyncControl(QObject):
    """Runs a sync on request; ``finished(report)`` after success, ``failed(message)``."""

    progressed = Signal(str)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, bg: Background, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bg = bg
        self.running = False
        self.label = QLabel("Not synced in this session")
        self.label.setObjectName("sync_state")
        self.progressed.connect(self.label.setText)

    def start(self) -> None:
        if self.running:
            return
        # Imported on first use: the HTTP client and wire types cost ~0.15 s at start-up.
        from fieldapp.sync.account import sync_now

        self.running = True
        self.label.setText("Syncing…")
        replica = self.bg.replica
        progressed = self.progressed

        def report(p: Progress) -> None:
            total = f" of {p.total}" if p.total else ""
            progressed.emit(f"Syncing: {p.phase} {p.done}{total}…")

        self.bg.read(
            lambda _session: sync_now(replica, report),
            self._done,
            on_error=self._failed,
            owner=self,
        )

    def _done(self, result: SyncReport) -> None:
        self.running = False
        self.label.setText(f"Synced at {datetime.now():%H:%M}: {describe(result)}")
        self.finished.emit(result)

    def _failed(self, exc: BaseException) -> None:
        self.running = False
        message = user_message(exc)
        self.label.setText("Not synced — working offline")
        self.label.setToolTip(message)
        self.failed.emit(message)
