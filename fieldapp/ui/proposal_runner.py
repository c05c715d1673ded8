"""How the Proposals tab runs its work: on the background helper, with progress, in words.

Every server call and the balance suggestion go through :meth:`JobRunner.run`: the job
runs off the GUI thread (``ui/background.py``), a progress bar shows while it does (busy,
or how far when the job reports steps through :attr:`JobRunner.step`, which a worker may
emit), and an error comes back as a sentence in the status line. A *tracked* job
(a preview, an apply) makes the answers of older tracked jobs stale, so a slow answer
never overwrites a newer one.

Signals:
    step(int, int, str): done, total, what; emitted on a worker, shown on the GUI thread.
    busy_changed(bool): the first *exclusive* job (one that changes something, or may
        lead to a change: a preview, an apply) started, or the last one finished.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget
from sqlalchemy.orm import Session

from fieldapp.ui import style
from fieldapp.ui.admin_calls import admin_error
from fieldapp.ui.background import Background


class JobRunner(QObject):
    step = Signal(int, int, str)
    busy_changed = Signal(bool)

    def __init__(self, bg: Background, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bg = bg
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(160)
        self.bar.setTextVisible(False)
        self.bar.hide()
        self.status = QLabel("")
        self.status.setObjectName("proposal_status")
        self.status.setWordWrap(True)
        # Room for a two-line sentence, so an error is never cut off at 1280×800.
        self.status.setMinimumHeight(self.status.fontMetrics().lineSpacing() * 2 + 4)
        self.row = QWidget()
        layout = QHBoxLayout(self.row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar)
        layout.addWidget(self.status, 1)
        self.jobs = 0
        self.exclusive = 0
        self._generation = 0
        self._outcome = ("", False)  # the last thing that happened, shown when idle
        self.step.connect(self._on_step)

    def run(
        self,
        what: str,
        job: Callable[[Session], Any],
        on_done: Callable[[Any], None],
        *,
        track: bool = True,
        exclusive: bool = False,
    ) -> None:
        """``job`` on the background helper; ``on_done`` unless a newer tracked job started."""
        if track:
            self._generation += 1
        gen = self._generation

        def current() -> bool:
            return not track or gen == self._generation

        def finished(result: Any) -> None:
            if track and current() and self._outcome[1]:
                self._outcome = ("", False)  # an earlier error no longer holds
            self._idle(exclusive)
            if current():
                on_done(result)

        def failed(exc: Exception) -> None:
            self._idle(exclusive)
            if current():
                self.say(admin_error(exc), error=True)

        self.jobs += 1
        if exclusive:
            self.exclusive += 1
            if self.exclusive == 1:
                self.busy_changed.emit(True)
        self.bar.setRange(0, 0)  # busy until a step says how far
        self.bar.show()
        self._show(what, False)
        self.bg.read(job, finished, on_error=failed, owner=self)

    def say(self, text: str, *, error: bool = False) -> None:
        """An outcome: it stays until the next one (progress shows only while busy)."""
        self._outcome = (text, error)
        self._show(text, error)

    def busy(self) -> bool:
        return self.jobs > 0

    def changing(self) -> bool:
        return self.exclusive > 0

    def _idle(self, exclusive: bool) -> None:
        self.jobs -= 1
        if exclusive:
            self.exclusive -= 1
            if self.exclusive == 0:
                self.busy_changed.emit(False)
        if self.jobs == 0:
            self.bar.hide()
            self._show(*self._outcome)

    def _on_step(self, done: int, total: int, what: str) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        self.status.setText(f"{what} ({done} of {total})")

    def _show(self, text: str, error: bool) -> None:
        self.status.setText(text)
        style.set_role(self.status, "error" if error else "subheading")
