"""What the map tests share: a request recorder, running script in a page, test accounts."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
)
from pytestqt.qtbot import QtBot

from fieldapp.store import services
from fieldapp.store.db import Replica

LOAD_MS = 30_000


class Recorder(QWebEngineUrlRequestInterceptor):
    """Records every request the page makes and blocks all but the app's own."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:
        url = info.requestUrl().toString()
        self.urls.append(url)
        if not url.startswith(("fieldapp://app/", "data:")):  # data: never leaves the app
            info.block(True)

    def outside(self) -> list[str]:
        return [u for u in self.urls if not u.startswith(("fieldapp://app/", "data:"))]


def js(qtbot: QtBot, page: QWebEnginePage, script: str) -> Any:
    box: dict[str, Any] = {}
    page.runJavaScript(script, 0, lambda r: box.setdefault("r", r))
    qtbot.waitUntil(lambda: "r" in box, timeout=LOAD_MS)
    return box["r"]


def wait_ready(qtbot: QtBot, page: QWebEnginePage) -> None:
    def ready() -> bool:
        return bool(js(qtbot, page, "!!(window.fieldappState && fieldappState.ready)"))

    qtbot.waitUntil(ready, timeout=LOAD_MS)


def accounts(replica: Replica, n: int) -> list[str]:
    rows = [
        {
            "name": f"Account {i}",
            "latitude": 50.92 + (i % 10) * 0.002,
            "longitude": 6.93 + (i // 10) * 0.002,
            "type": "customer" if i % 2 else "prospect",
            "status": "active",
        }
        for i in range(n)
    ]
    with replica.session() as session:
        return services.bulk_create(session, "accounts", rows)


def lasso(qtbot: QtBot, panel: Any, ring: list[list[float]]) -> None:
    """Draw a lasso on ``panel``'s page (a MapPanel) once its markers are in, as a drag
    would: the page picks the markers inside and tells the app."""

    def ready() -> bool:
        script = "!!(window.fieldappState && fieldappState.ready && window.fieldappBridge)"
        return bool(js(qtbot, panel.web_page, script))

    qtbot.waitUntil(ready, timeout=LOAD_MS)
    js(qtbot, panel.web_page, f"fieldappLasso({json.dumps(ring)}); 1")
