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
from PySide6.QtCore import QCoreApplication, QEvent, QSettings, QThread, QThreadPool
from pytestqt.exceptions import TimeoutError as QtTimeoutError
from pytestqt.qtbot import QtBot

from fieldapp.maps.settings import SETTINGS_FILE, MapSettings
from fieldapp.store.db import Replica
from fieldapp.ui import collector
from fieldapp.ui.background import Background
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.web_scheme import register_scheme
from tests.ui.builders import Demo, fill

# As the app does before its QApplication exists: the map pages fetch their markers
# over fieldapp://, which Chromium only allows for a scheme declared that early.
register_scheme()

DRAIN_MS = 5000


def drain(qtbot: QtBot, bg: Background, timeout_ms: int = DRAIN_MS) -> int:
    """Let delivered results be handled; return how many jobs are still outstanding."""
    with contextlib.suppress(QtTimeoutError):
        qtbot.waitUntil(lambda: bg.pending() == 0, timeout=timeout_ms)
    return bg.pending()


def leaked_work(qtbot: QtBot, timeout_ms: int = DRAIN_MS) -> list[str]:
    """What is still running after a test: background jobs and QThreads, described."""
    problems = []
    for bg in [bg for bg in list(Background.instances) if shiboken6.isValid(bg)]:
        left = drain(qtbot, bg, timeout_ms)
        if left:
            problems.append(f"{left} background jobs were still running after the test")
    running = [
        obj
        for obj in gc.get_objects()
        if isinstance(obj, QThread) and obj is not QThread.currentThread() and obj.isRunning()
    ]
    if running:
        problems.append(f"QThreads left running: {running}")
    if not QThreadPool.globalInstance().waitForDone(timeout_ms):
        problems.append("the global thread pool is still busy")
    return problems


@pytest.fixture(autouse=True)
def no_leaked_threads(qtbot: QtBot) -> Iterator[None]:
    """Fail the test when background work or a QThread outlives it."""
    yield
    collector.stop()  # a window froze its objects (ui/collector.py): find them again
    problems = leaked_work(qtbot)
    for bg in [bg for bg in list(Background.instances) if shiboken6.isValid(bg)]:
        assert bg.shutdown(), "a background pool did not drain"
        assert bg.active_threads() == 0
    assert not problems, "; ".join(problems)


@pytest.fixture(autouse=True)
def loopback_geocoder(data_dir: Path) -> None:
    """Saving an address geocodes it: point the geocoder at a closed loopback port
    (answered as "offline" at once), so no test asks a server on the internet."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if not (data_dir / SETTINGS_FILE).exists():
        MapSettings(nominatim_url="http://127.0.0.1:9", geocode_min_delay_s=0.0).save(data_dir)


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
        # Closed below, after its work has drained: qtbot.addWidget would close and
        # deleteLater it first, and the drain's event loop would then delete it under
        # shutdown() whenever a job was still running (a late change notice's reload).
        window.show()
        windows.append(window)
        drain(qtbot, window.bg)
        return window

    yield make
    for window in windows:
        left = drain(qtbot, window.bg)
        window.shutdown()
        window.close()
        window.deleteLater()
        # Delete it now: left to the interpreter's exit, a map's web page could outlive
        # its profile, and QtWebEngine crashes the process on the way out.
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        assert left == 0, f"{left} background jobs were still running after the test"


@pytest.fixture
def window(make_window: Callable[..., MainWindow], demo: Demo) -> MainWindow:
    return make_window()
