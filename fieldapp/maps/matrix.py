"""Travel times between points: offline from straight lines, online from OSRM.

Offline the time is the great-circle distance times a road factor (roads are not
straight; 1.3 is typical in Europe) at an average speed. Online an OSRM-compatible
``/table`` service gives real road durations and distances; when it cannot be
reached the offline estimate is used instead, so planning never stops.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import requests

from fieldapp.maps.geo import LatLon, haversine_m
from fieldapp.maps.settings import MapSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Matrix:
    """Square matrices over the same point list: seconds and metres (integers)."""

    durations: list[list[int]]
    distances: list[list[int]]
    source: str  # "straight-line" | "osrm"


class MatrixProvider(Protocol):
    def matrix(self, points: Sequence[LatLon]) -> Matrix: ...


@dataclass(frozen=True)
class StraightLine:
    """Offline estimate: distance × ``road_factor`` driven at ``speed_kmh``."""

    speed_kmh: float = 50.0
    road_factor: float = 1.3

    def matrix(self, points: Sequence[LatLon]) -> Matrix:
        n = len(points)
        mps = self.speed_kmh / 3.6
        dist = [[0] * n for _ in range(n)]
        dur = [[0] * n for _ in range(n)]
        for i in range(n):
            for j in range(i + 1, n):
                d = haversine_m(points[i], points[j]) * self.road_factor
                dist[i][j] = dist[j][i] = round(d)
                dur[i][j] = dur[j][i] = round(d / mps)
        return Matrix(dur, dist, "straight-line")


class OsrmError(Exception):
    pass


class OsrmTable:
    """Client for an OSRM-compatible ``/table/v1/{profile}/{lon,lat;...}`` service.

    ``fallback`` answers when the service fails (offline, timeout, bad reply).
    """

    def __init__(
        self,
        base_url: str,
        *,
        profile: str = "driving",
        timeout: float = 10.0,
        user_agent: str = "fieldapp",
        fallback: MatrixProvider | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.profile = profile
        self.timeout = timeout
        self.fallback = fallback
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = user_agent

    def fetch(self, points: Sequence[LatLon]) -> Matrix:
        """Ask the service; raise :class:`OsrmError` on any failure."""
        coords = ";".join(f"{lon:.6f},{lat:.6f}" for lat, lon in points)
        url = f"{self.base_url}/table/v1/{self.profile}/{coords}"
        try:
            reply = self.session.get(
                url, params={"annotations": "duration,distance"}, timeout=self.timeout
            )
            reply.raise_for_status()
            body = reply.json()
        except (requests.RequestException, ValueError) as exc:
            raise OsrmError(f"routing service unavailable: {exc}") from exc
        if body.get("code") != "Ok" or "durations" not in body:
            raise OsrmError(f"routing service said {body.get('code')}: {body.get('message')}")
        n = len(points)
        durations = [[_int(v) for v in row] for row in body["durations"]]
        raw_dist = body.get("distances")
        if raw_dist is None:
            distances = StraightLine().matrix(points).distances
        else:
            distances = [[_int(v) for v in row] for row in raw_dist]
        if len(durations) != n or any(len(r) != n for r in durations):
            raise OsrmError("routing service returned a matrix of the wrong size")
        return Matrix(durations, distances, "osrm")

    def matrix(self, points: Sequence[LatLon]) -> Matrix:
        try:
            return self.fetch(points)
        except OsrmError:
            if self.fallback is None:
                raise
            log.warning("OSRM table failed; using straight-line travel times", exc_info=True)
            return self.fallback.matrix(points)


UNREACHABLE = 10**7  # seconds/metres for a pair the service could not route


def _int(value: float | None) -> int:
    return UNREACHABLE if value is None else round(value)


def provider_for(settings: MapSettings, osrm_url: str | None = None) -> MatrixProvider:
    """The configured OSRM table service (falling back offline), else straight lines."""
    offline = StraightLine(settings.speed_kmh, settings.road_factor)
    url = osrm_url or settings.osrm_url
    if url:
        return OsrmTable(url, user_agent=settings.user_agent, fallback=offline)
    return offline
