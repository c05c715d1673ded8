"""What the measurements share: the application, an event-loop wait, the heartbeat."""

from __future__ import annotations

import os
import time
from typing import Any


def qt_app() -> Any:
    from PySide6.QtWidgets import QApplication

    from fieldapp.ui.web_scheme import register_scheme

    if QApplication.instance() is None:
        register_scheme()  # the team map's web view needs it before the application

    return QApplication.instance() or QApplication([])


def wait(predicate: Any, timeout: float = 30.0) -> None:
    """Run the event loop until ``predicate()`` holds.

    A real event loop, checked every millisecond: a busy processEvents() loop would
    hold the GIL and slow the worker threads down, which a user's idle app never does.
    """
    from PySide6.QtCore import QEventLoop, QTimer

    if predicate():
        return
    loop = QEventLoop()
    end = time.perf_counter() + timeout

    def check() -> None:
        if predicate() or time.perf_counter() > end:
            loop.quit()

    timer = QTimer()
    timer.timeout.connect(check)
    timer.start(1)
    loop.exec()
    timer.stop()
    if not predicate():
        raise TimeoutError("benchmark step did not finish")


class Heartbeat:
    """The longest gap between 2 ms timer ticks: how long the GUI thread was busy."""

    def __init__(self) -> None:
        from PySide6.QtCore import QElapsedTimer, Qt, QTimer

        self.clock = QElapsedTimer()
        self.clock.start()
        self.last = self.clock.elapsed()
        self.worst = 0
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.beat)
        self.timer.start(2)

    def beat(self) -> None:
        now = self.clock.elapsed()
        self.worst = max(self.worst, now - self.last)
        self.last = now

    def stop(self) -> int:
        self.timer.stop()
        return self.worst

    def lap(self) -> int:
        """The longest gap since the last lap (or the start); starts a new lap."""
        worst, self.worst = self.worst, 0
        return worst


class CpuHeartbeat(Heartbeat):
    """A heartbeat that also says how much of its longest gap the GUI thread spent on
    the CPU (the rest it waited for a core: on a loaded machine that is most of it)."""

    def __init__(self) -> None:
        self.cpu_last = time.thread_time()
        self.worst_cpu_ms = 0.0
        super().__init__()

    def beat(self) -> None:
        now, cpu = self.clock.elapsed(), time.thread_time()
        if now - self.last > self.worst:
            self.worst_cpu_ms = (cpu - self.cpu_last) * 1000
        super().beat()
        self.cpu_last = cpu


def print_rows(rows: list[tuple[str, str, str]]) -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} CPUs, load average {load:.1f} when measured")
    print(f"{'what':<44} {'target':>9} {'measured':>24}")
    for what, target, measured in rows:
        print(f"{what:<44} {target:>9} {measured:>24}")
