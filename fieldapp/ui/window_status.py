"""The main window's status bar and what it tells the user: counts, the outbox, messages
with their Undo, and tasks coming due.

Signals (DueNotifier):
    due(object): a list of TaskRow that came due since the last check.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel, QMainWindow, QStatusBar, QStyle, QSystemTrayIcon, QWidget

from fieldapp.store.types import utcnow
from fieldapp.ui import queries, task_queries
from fieldapp.ui.background import Background
from fieldapp.ui.panel import UndoFn
from fieldapp.ui.task_queries import TaskRow
from fieldapp.ui.toast import Toast


class DueNotifier(QObject):
    """Checks every ``interval_ms`` for open tasks that came due; each is announced once."""

    due = Signal(object)

    def __init__(self, bg: Background, interval_ms: int = 30_000, lead_minutes: int = 5) -> None:
        super().__init__(bg)
        self.bg = bg
        self.lead = timedelta(minutes=lead_minutes)
        self._since = utcnow()
        self._told: set[str] = set()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def check(self) -> None:
        start, end = self._since, utcnow() + self.lead
        self.bg.read(
            lambda s: task_queries.tasks_due_between(s, start, end), self._found, owner=self
        )

    def _found(self, tasks: list[TaskRow]) -> None:
        fresh = [t for t in tasks if t.id not in self._told]
        self._told.update(t.id for t in fresh)
        if fresh:
            self.due.emit(fresh)


class WindowStatus(QObject):
    """The status bar's counts and outbox labels, the toast, the undo of the last change,
    and the desktop notification of due tasks (when the system has a tray)."""

    def __init__(
        self, window: QMainWindow, bg: Background, central: QWidget, data_dir: Path
    ) -> None:
        super().__init__(window)
        self.window = window
        self.bg = bg
        self.data_dir = data_dir
        self.undo_fn: UndoFn | None = None
        self.toast = Toast(central)
        self.counts_label = QLabel("")
        self.counts_label.setObjectName("counts")
        self.outbox_label = QLabel("")
        self.outbox_label.setObjectName("outbox")
        self.bar().addPermanentWidget(self.counts_label)
        self.bar().addPermanentWidget(self.outbox_label)
        self.tray: QSystemTrayIcon | None = None

    def bar(self) -> QStatusBar:
        return self.window.statusBar()

    def show_tray(self) -> None:
        if QSystemTrayIcon.isSystemTrayAvailable():
            style = self.window.style()
            icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
            self.tray = QSystemTrayIcon(icon, self.window)
            self.tray.show()

    def hide_tray(self) -> None:
        if self.tray is not None:
            self.tray.hide()

    # -- messages -----------------------------------------------------------------------------

    def message(self, text: str, undo: UndoFn | None, on_undo: UndoFn) -> None:
        """Say ``text`` in the status bar and a toast; with ``undo``, offer to undo it."""
        self.bar().showMessage(text, 8000)
        if undo is not None:
            self.undo_fn = undo
            self.toast.show_message(text, "Undo", on_undo)
        else:
            self.toast.show_message(text)

    def take_undo(self) -> UndoFn | None:
        """The last change's undo, forgotten here (an undo is offered once)."""
        undo, self.undo_fn = self.undo_fn, None
        return undo

    def announce_due(self, tasks: list[TaskRow]) -> None:
        """A desktop notification when the system has a tray, else a message in the window."""
        text = "\n".join(f"{t.title}" + (f" — {t.account}" if t.account else "") for t in tasks[:5])
        title = "Task due" if len(tasks) == 1 else f"{len(tasks)} tasks due"
        if self.tray is not None and self.tray.supportsMessages():
            self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 10_000)
        self.toast.show_message(f"{title}: {text.replace(chr(10), '; ')}")

    # -- counts -------------------------------------------------------------------------------

    def refresh(self) -> None:
        self.bg.read(queries.counts, self._show_counts, owner=self, latest="counts")

    def _show_counts(self, counts: dict[str, int]) -> None:
        self.counts_label.setText(
            f"{counts['accounts']:,} accounts · {counts['leads']:,} leads · "
            f"{counts['opportunities']:,} deals · {counts['tasks']:,} tasks"
        )
        if counts.get("sandbox"):
            # A demo replica never syncs (store/sandbox.py): say so instead of a count.
            self.outbox_label.setText("demo sandbox · nothing here is sent to a server")
            self.window.setWindowTitle(f"fieldapp — demo sandbox — {self.data_dir}")
            return
        pending, refused = counts["outbox"], counts["refused"]
        text = f"{pending:,} changes not yet synced" if pending else "all changes synced"
        if refused:
            text += f" · {refused:,} refused by the server"
        self.outbox_label.setText(text)
