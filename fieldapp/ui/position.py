"""Where the laptop is, when it can tell: one fix for a visit check-in, never blocking.

QtPositioning is not part of every Qt build (PySide6-Essentials lacks it). Without it,
or without a fix within the timeout, the answer is ``None`` — "no fix" — and the
check-in goes ahead without a position.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QTimer


@dataclass(frozen=True)
class Fix:
    latitude: float
    longitude: float
    accuracy_m: float | None

    def describe(self) -> str:
        acc = f" ± {self.accuracy_m:.0f} m" if self.accuracy_m is not None else ""
        return f"{self.latitude:.5f}, {self.longitude:.5f}{acc}"


FixCallback = Callable[[Fix | None], None]


class PositionProvider(QObject):
    """Asks the platform's position source for one fix."""

    def __init__(
        self, parent: QObject | None = None, timeout_ms: int = 5000, *, platform: bool = True
    ) -> None:
        """``platform=False`` gives a provider with no source: every request says "no fix"."""
        super().__init__(parent)
        self.timeout_ms = timeout_ms
        self._source: Any = None
        if not platform:
            return
        try:
            positioning: Any = importlib.import_module("PySide6.QtPositioning")
            self._source = positioning.QGeoPositionInfoSource.createDefaultSource(self)
        except (ImportError, AttributeError):
            self._source = None

    def available(self) -> bool:
        return self._source is not None

    def request(self, callback: FixCallback) -> None:
        """Call ``callback`` once with a fix or None; always asynchronously."""
        if self._source is None:
            # With this provider as context: a window closed meanwhile cancels the call.
            QTimer.singleShot(0, self, lambda: callback(None))
            return
        source = self._source
        answered = False

        def answer(fix: Fix | None) -> None:
            nonlocal answered
            if answered:
                return
            answered = True
            for signal, slot in ((source.positionUpdated, got), (source.errorOccurred, failed)):
                with contextlib.suppress(RuntimeError, TypeError):
                    signal.disconnect(slot)
            callback(fix)

        def got(info: Any) -> None:
            coord = info.coordinate()
            acc = None
            attr = type(info).Attribute.HorizontalAccuracy
            if info.hasAttribute(attr):
                acc = float(info.attribute(attr))
            answer(Fix(coord.latitude(), coord.longitude(), acc))

        def failed(*_args: Any) -> None:
            answer(None)

        source.positionUpdated.connect(got)
        source.errorOccurred.connect(failed)
        source.requestUpdate(self.timeout_ms)
        QTimer.singleShot(self.timeout_ms + 500, self, lambda: answer(None))
