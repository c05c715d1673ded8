"""A day's route as asked for and as planned: the requests, the timed stops and breaks.

Times are seconds since midnight of the plan date (local time of the plan's time
zone); :meth:`DayPlan.at` turns them into aware datetimes. Plain data, no solver: the
map, the exports and the saved plans read plans without loading VROOM.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from fieldapp.domain.visits import VISIT_MINUTES
from fieldapp.errors import FieldappError
from fieldapp.maps.geo import LatLon

# Default visit length by account type, in minutes (the agenda's too).
DEFAULT_SERVICE_MINUTES = VISIT_MINUTES


class RouteError(FieldappError):
    """A route request that cannot be planned (bad times, no stops ...)."""


def parse_hhmm(text: str) -> int:
    """``"08:30"`` → seconds since midnight."""
    m = re.fullmatch(r"\s*(\d{1,2})[:.h](\d{2})\s*", text)
    if not m or int(m[1]) > 24 or int(m[2]) > 59 or (int(m[1]) == 24 and int(m[2]) > 0):
        raise RouteError(f"not a time of day (expected HH:MM): {text!r}")
    return int(m[1]) * 3600 + int(m[2]) * 60


def hhmm(seconds: int) -> str:
    seconds = max(0, seconds)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


@dataclass(frozen=True)
class StopRequest:
    """One account to visit. ``window`` (seconds) makes it a fixed appointment."""

    account_id: str
    lat: float | None
    lon: float | None
    name: str = ""
    service_s: int = 30 * 60
    window: tuple[int, int] | None = None


@dataclass(frozen=True)
class BreakRequest:
    """A break of ``duration_s`` starting between ``earliest`` and ``latest``."""

    earliest: int
    latest: int
    duration_s: int


@dataclass(frozen=True)
class RouteRequest:
    plan_date: date
    start: LatLon
    stops: tuple[StopRequest, ...]
    end: LatLon | None = None  # None: back to the start
    day_start: int = 8 * 3600
    day_end: int = 17 * 3600
    breaks: tuple[BreakRequest, ...] = ()
    timezone: str | None = None  # IANA name; None: this computer's zone

    @property
    def end_point(self) -> LatLon:
        return self.end if self.end is not None else self.start

    def tz(self) -> tzinfo:
        if self.timezone:
            return ZoneInfo(self.timezone)
        local = datetime.now().astimezone().tzinfo
        assert local is not None
        return local


@dataclass
class PlannedStop:
    account_id: str
    name: str
    lat: float
    lon: float
    position: int  # 1-based order in the day
    arrival: int
    start: int  # visit starts (after waiting for the window)
    departure: int
    travel_s: int  # driving from the previous place
    distance_m: int
    wait_s: int
    service_s: int
    window: tuple[int, int] | None
    break_before_s: int = 0  # break taken here on arrival, before the visit
    problem: str | None = None  # set when the plan breaks this stop's window

    @property
    def late_s(self) -> int:
        return max(0, self.start - self.window[1]) if self.window else 0


@dataclass
class PlannedBreak:
    start: int
    end: int
    before_position: int  # taken on arrival at this stop (len(stops)+1: at the end)
    problem: str | None = None


@dataclass
class Unserved:
    account_id: str
    name: str
    reason: str


@dataclass
class DayPlan:
    request: RouteRequest
    stops: list[PlannedStop]
    breaks: list[PlannedBreak]
    unserved: list[Unserved]
    leave: int  # leave the start
    back: int  # arrive at the end
    total_distance_m: int
    total_travel_s: int
    total_wait_s: int
    matrix_source: str
    optimised: bool
    problems: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return not self.problems

    def at(self, seconds: int) -> datetime:
        """Seconds of the plan's day → aware datetime."""
        midnight = datetime.combine(self.request.plan_date, time(0), tzinfo=self.request.tz())
        return midnight + timedelta(seconds=seconds)

    def to_dict(self) -> dict[str, Any]:
        req = self.request
        return {
            "date": req.plan_date.isoformat(),
            "start": list(req.start),
            "end": list(req.end_point),
            "working_hours": [hhmm(req.day_start), hhmm(req.day_end)],
            "leave": hhmm(self.leave),
            "back": hhmm(self.back),
            "total_distance_m": self.total_distance_m,
            "total_travel_s": self.total_travel_s,
            "total_wait_s": self.total_wait_s,
            "feasible": self.feasible,
            "problems": list(self.problems),
            "optimised": self.optimised,
            "travel_times": self.matrix_source,
            "stops": [
                {
                    "position": s.position,
                    "account_id": s.account_id,
                    "name": s.name,
                    "lat": s.lat,
                    "lon": s.lon,
                    "arrival": hhmm(s.arrival),
                    "start": hhmm(s.start),
                    "departure": hhmm(s.departure),
                    "travel_min": round(s.travel_s / 60),
                    "distance_km": round(s.distance_m / 1000, 2),
                    "wait_min": round(s.wait_s / 60),
                    "service_min": round(s.service_s / 60),
                    "window": [hhmm(s.window[0]), hhmm(s.window[1])] if s.window else None,
                    "break_before_min": round(s.break_before_s / 60),
                    "problem": s.problem,
                }
                for s in self.stops
            ],
            "breaks": [
                {"start": hhmm(b.start), "end": hhmm(b.end), "problem": b.problem}
                for b in self.breaks
            ],
            "unserved": [asdict(u) for u in self.unserved],
        }
