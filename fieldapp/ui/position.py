"""Where the laptop is, when it can tell: one fix for a check-in, never tracking.

The app takes a position at exactly one moment: when the user checks in (see
:mod:`fieldapp.ui.visits`), and then one fix, with ``requestUpdate``. It never starts
continuous updates, and the platform's source is not even created until the first
check-in asks for it, so opening the app touches no positioning service.

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
# Makes the position source (a QGeoPositionInfoSource) for a parent, or None.
SourceFactory = Callable[[QObject], Any]


def platform_source(parent: QObject) -> Any:
    """The platform's default position source, or None where there is none."""
    try:
        positioning: Any = importlib.import_module("PySide6.QtPositioning")
        return positioning.QGeoPositionInfoSource.createDefaultSource(parent)
    except (ImportError, AttributeError):
        return None


class PositionProvider(QObject):
    """Asks a position source for one fix at a time, on request only."""

    def __init__(
        self,
        parent: QObject | None = None,
        timeout_ms: int = 5000,
        *,
        platform: bool = True,
        source: SourceFactory | None = None,
    ) -> None:
        """``platform=False`` gives a provider with no source: every request says "no fix".
        ``source`` makes another source than the platform's (an NMEA device or log)."""
        super().__init__(parent)
        self.timeout_ms = timeout_ms
        self._factory: SourceFactory | None = source or (platform_source if platform else None)
        self._source: Any = None
        self._made = False

    def _ensure_source(self) -> Any:
        if not self._made:
            self._made = True
            self._source = self._factory(self) if self._factory is not None else None
        return self._source

    def available(self) -> bool:
        return self._ensure_source() is not None

    def request(self, callback: FixCallback) -> None:
        """Call ``callback`` once with a fix or None; always asynchronously."""
        source = self._ensure_source()
        if source is None:
            # With this provider as context: a window closed meanwhile cancels the call.
            QTimer.singleShot(0, self, lambda: callback(None))
            return
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
