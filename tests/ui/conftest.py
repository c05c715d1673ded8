"""GUI test fixtures: real widgets offscreen over a real replica file."""

from __future__ import annotations

import contextlib
import gc
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QSettings, QThread, QThreadPool
from pytestqt.qtbot import QtBot

from fieldapp.store.db import Replica
from fieldapp.ui.background import Background
from fieldapp.ui.main_window import MainWindow
from tests.ui.builders import Demo, fill

DRAIN_MS = 5000


def drain(qtbot: QtBot, bg: Background) -> int:
    """Let delivered results be handled; return how many jobs are still outstanding."""
    with contextlib.suppress(AssertionError):
        qtbot.waitUntil(lambda: bg.pending() == 0, timeout=DRAIN_MS)
    return bg.pending()


@pytest.fixture(autouse=True)
def no_leaked_threads(qtbot: QtBot) -> Iterator[None]:
    """Fail the test when background work or a QThread outlives it."""
    yield
    alive = [bg for bg in list(Background.instances) if shiboken6.isValid(bg)]
    left = {bg: drain(qtbot, bg) for bg in alive}
    for bg in left:
        bg.shutdown()
    stuck = sum(left.values())
    running_threads = [
        obj
        for obj in gc.get_objects()
        if isinstance(obj, QThread) and obj is not QThread.currentThread() and obj.isRunning()
    ]
    global_pool = QThreadPool.globalInstance()
    global_pool.waitForDone(DRAIN_MS)
    assert stuck == 0, f"{stuck} background jobs were still running after the test"
    assert not running_threads, f"QThreads left running: {running_threads}"
    assert global_pool.activeThreadCount() == 0
    assert all(bg.active_threads() == 0 for bg in left)


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def demo(replica: Replica) -> Demo:
    return fill(replica, accounts=40)


@pytest.fixture
def make_window(
    qtbot: QtBot, replica: Replica, settings: QSettings
) -> Iterator[Callable[..., MainWindow]]:
    windows: list[MainWindow] = []

    def make(**kwargs: object) -> MainWindow:
        window = MainWindow(replica, settings=settings, **kwargs)  # type: ignore[arg-type]
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        drain(qtbot, window.bg)
        return window

    yield make
    for window in windows:
        left = drain(qtbot, window.bg)
        window.shutdown()
        assert left == 0, f"{left} background jobs were still running after the test"


@pytest.fixture
def window(make_window: Callable[..., MainWindow], demo: Demo) -> MainWindow:
    return make_window()
