"""Map panel tests: real QtWebEngine offscreen, every request outside the app blocked."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests run as root in CI: Chromium's sandbox refuses root, and there is no GPU.
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")

from collections.abc import Iterator
from typing import Any

import pytest
import shiboken6
from PySide6.QtWebEngineCore import QWebEngineProfile
from pytestqt.qtbot import QtBot

from fieldapp.maps.settings import MapSettings
from fieldapp.store.db import Replica

# Importing the panel registers the app's URL scheme, before the QApplication exists.
from fieldapp.ui.map_panel import MapPanel
from tests.ui_map.pages import Recorder


@pytest.fixture
def panel_factory(qtbot: QtBot, replica: Replica) -> Iterator[Any]:
    made: list[MapPanel] = []

    def make(settings: MapSettings, **kw: Any) -> tuple[MapPanel, Recorder]:
        recorder = Recorder()
        profile = QWebEngineProfile()
        profile.setUrlRequestInterceptor(recorder)
        panel = MapPanel(replica, settings=settings, profile=profile, **kw)
        panel._test_keep = (recorder, profile)  # type: ignore[attr-defined]
        panel.resize(900, 650)
        panel.show()
        made.append(panel)
        return panel, recorder

    yield make
    for panel in made:
        panel.close_panel()
        _recorder, profile = panel._test_keep  # type: ignore[attr-defined]
        panel.close()
        # The page must go before its profile (Qt warns otherwise).
        shiboken6.delete(panel)
        shiboken6.delete(profile)
