"""What the measurements share: the application, an event-loop wait, the heartbeat."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks import bytecode

if TYPE_CHECKING:
    from fieldapp.ui.main_window import MainWindow


def qt_app() -> Any:
    from PySide6.QtWidgets import QApplication

    from fieldapp.ui.web_scheme import register_scheme

    if QApplication.instance() is None:
        register_scheme()  # the team map's web view needs it before the application

    return QApplication.instance() or QApplication([])


def open_window(replica: Any) -> MainWindow:
    """The main window over ``replica``, shown at 1280×800, with settings of its own."""
    from PySide6.QtCore import QSettings

    from fieldapp.ui.main_window import MainWindow

    settings = QSettings(str(Path(tempfile.mkdtemp()) / "ui.ini"), QSettings.Format.IniFormat)
    window = MainWindow(replica, settings=settings)
    window.resize(1280, 800)
    window.show()
    return window


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
    # Whether it held once: events already queued still run after quit(), and one of
    # them (the window building its next panel, which starts a read) may undo it.
    held = False

    def check() -> None:
        nonlocal held
        held = held or bool(predicate())
        if held or time.perf_counter() > end:
            loop.quit()

    timer = QTimer()
    timer.timeout.connect(check)
    timer.start(1)
    loop.exec()
    timer.stop()
    if not held:
        raise TimeoutError("benchmark step did not finish")


class Heartbeat:
    """The longest gap between 2 ms timer ticks: how long the GUI thread was kept from
    its event loop; how much of that gap the GUI thread spent on the CPU, and the whole
    app (every thread). A gap much longer than the app's CPU time in it was spent
    waiting for a core that other processes held: on a loaded machine, most of it.
    """

    def __init__(self) -> None:
        from PySide6.QtCore import QElapsedTimer, Qt, QTimer

        self.clock = QElapsedTimer()
        self.clock.start()
        self.last = self.clock.elapsed()
        self.cpu_last, self.app_last = time.thread_time(), time.process_time()
        self.worst = 0
        self.worst_cpu_ms = 0
        self.worst_app_ms = 0
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.beat)
        self.timer.start(2)

    def beat(self) -> None:
        now, cpu, app = self.clock.elapsed(), time.thread_time(), time.process_time()
        if now - self.last > self.worst:
            self.worst = now - self.last
            self.worst_cpu_ms = round((cpu - self.cpu_last) * 1000)
            self.worst_app_ms = round((app - self.app_last) * 1000)
        self.last, self.cpu_last, self.app_last = now, cpu, app

    def stop(self) -> int:
        self.timer.stop()
        return self.worst

    def lap(self) -> int:
        """The longest gap since the last lap (or the start); starts a new lap."""
        worst, self.worst = self.worst, 0
        return worst

    def lap_busy(self) -> tuple[int, int, int]:
        """The longest gap since the last lap, and the GUI thread's and the whole app's
        CPU time in it (ms); starts a new lap."""
        gui, app = self.worst_cpu_ms, self.worst_app_ms
        self.worst_cpu_ms = self.worst_app_ms = 0
        return self.lap(), gui, app

    def busy_text(self) -> str:
        """The CPU time in the longest gap, in words."""
        return f"{self.worst_cpu_ms} ms (the whole app {self.worst_app_ms} ms)"


class CollectorWatch:
    """The longest pass of Python's cyclic garbage collector while it watches (CPU ms).

    A pass holds the interpreter lock throughout, in whichever thread ran it: the GUI
    thread cannot run meanwhile, however idle the machine (see fieldapp/ui/collector.py).
    """

    def __init__(self) -> None:
        import gc

        self.longest_ms = 0.0
        self.full_passes = 0
        self._started = 0.0
        gc.callbacks.insert(0, self._pass)

    def _pass(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.thread_time()
            return
        self.longest_ms = max(self.longest_ms, (time.thread_time() - self._started) * 1000)
        self.full_passes += info.get("generation") == 2

    def stop(self) -> str:
        """Stop watching; what it saw, in words."""
        import gc

        gc.callbacks.remove(self._pass)
        return f"{self.longest_ms:.0f} ms CPU ({self.full_passes} full passes)"


def print_rows(rows: list[tuple[str, str, str]]) -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} CPUs, load average {load:.1f} when measured")
    print(f"{'what':<44} {'target':>9} {'measured':>24}")
    for what, target, measured in rows:
        print(f"{what:<44} {target:>9} {measured:>24}")


def run_child(flag: str, data_dir: Path) -> dict[str, Any]:
    """Run ``python -m benchmarks.bench_ui <flag> DIR`` in a fresh process; its JSON line.

    The child is told when it was spawned, so it can time from there; it runs with
    its bytecode cached, as an installed app (:mod:`benchmarks.bytecode`).
    """
    spawned = time.time()
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.bench_ui",
            flag,
            str(data_dir),
            "--spawned",
            repr(spawned),
        ],
        capture_output=True,
        text=True,
        check=True,
        env=bytecode.cached(),
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result
