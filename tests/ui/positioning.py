"""A real Qt position source for the GUI tests: QtPositioning's NMEA source replaying
a GPS receiver's sentences from memory, which records what the app asked of it."""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject
from PySide6.QtPositioning import QNmeaPositionInfoSource

from fieldapp.ui.position import PositionProvider


def _checksum(body: str) -> str:
    value = 0
    for ch in body:
        value ^= ord(ch)
    return f"{value:02X}"


def _sentence(body: str) -> str:
    return f"${body}*{_checksum(body)}\r\n"


def _degrees_minutes(value: float, digits: int) -> str:
    degrees = int(value)
    return f"{degrees:0{digits}d}{(value - degrees) * 60:07.4f}"


def nmea_fix(latitude: float, longitude: float, hdop: float = 1.5) -> bytes:
    """An RMC and a GGA sentence for a fix at this place (north and east)."""
    lat, lon = _degrees_minutes(latitude, 2), _degrees_minutes(longitude, 3)
    rmc = _sentence(f"GPRMC,101500.00,A,{lat},N,{lon},E,0.0,0.0,011226,,,A")
    gga = _sentence(f"GPGGA,101500.00,{lat},N,{lon},E,1,08,{hdop},50.0,M,47.0,M,,")
    return (rmc + gga).encode() * 3


class RecordingSource(QNmeaPositionInfoSource):
    """An NMEA source in simulation mode that notes every request made of it."""

    def __init__(self, parent: QObject, sentences: bytes) -> None:
        super().__init__(QNmeaPositionInfoSource.UpdateMode.SimulationMode, parent)
        self.calls: list[str] = []
        self.buffer = QBuffer(self)
        self.buffer.setData(QByteArray(sentences))
        self.buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.setDevice(self.buffer)
        self.setUserEquivalentRangeError(5.0)

    def requestUpdate(self, timeout: int = 0) -> None:
        self.calls.append("requestUpdate")
        super().requestUpdate(timeout)

    def startUpdates(self) -> None:
        self.calls.append("startUpdates")
        super().startUpdates()


class GPS:
    """Makes the provider's source on demand and keeps every source it made."""

    def __init__(self, latitude: float, longitude: float) -> None:
        self.sentences = nmea_fix(latitude, longitude)
        self.sources: list[RecordingSource] = []

    def __call__(self, parent: QObject) -> RecordingSource:
        source = RecordingSource(parent, self.sentences)
        self.sources.append(source)
        return source

    def provider(self, parent: QObject | None = None) -> PositionProvider:
        return PositionProvider(parent, timeout_ms=3000, source=self)

    def calls(self) -> list[str]:
        return [call for source in self.sources for call in source.calls]

    def bytes_read(self) -> int:
        return sum(source.buffer.pos() for source in self.sources)
