"""A planner's use of the route solver's child process (ui/solver_process.py).

Not in solver_process itself: the child imports that module (its warm-up function
lives there), and should not import Qt for it.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from fieldapp.ui import solver_process
from fieldapp.ui.background import Background

# The child ends after this long without a solve (the next one starts it again).
IDLE_S = 300.0


class SolverUse(QObject):
    """A planner's use of the child: started when a day gets stops, ended once idle."""

    def __init__(self, bg: Background, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bg = bg
        self.idle_s = IDLE_S
        self.timer = QTimer(self)
        self.timer.setInterval(int(IDLE_S * 1000))
        self.timer.timeout.connect(self._check)

    def warm_up(self) -> None:
        """Start the child (a low-priority background job), so the first Optimise does
        not wait for its imports."""
        if not solver_process.started():
            self.bg.read(lambda _session: solver_process.child_pid(), priority=-1, owner=self)
        self.timer.start()

    def used(self) -> None:
        """A solve ran (and may have started a new child): check for idleness again."""
        self.timer.start()

    def _check(self) -> None:
        if solver_process.stop_if_idle(self.idle_s) or not solver_process.started():
            self.timer.stop()
