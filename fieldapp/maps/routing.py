"""Plan a rep's day: VROOM orders the visits, a timeline simulator times them.

Times inside a plan are seconds since midnight of the plan date (local time of the
plan's time zone); :meth:`DayPlan.at` turns them into aware datetimes.

The timeline follows VROOM's model so that an optimised plan and a hand-made plan
are timed the same way: the rep leaves the start, drives to the next place, takes
any break scheduled before that place on arrival, waits for the place's window to
open, then does the visit. Every plan — optimised, reordered by hand or
re-optimised mid-day — comes out of :func:`timeline`, which flags every broken
window instead of hiding it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from fieldapp.domain.visits import VISIT_MINUTES
from fieldapp.errors import FieldappError
from fieldapp.maps.geo import LatLon
from fieldapp.maps.matrix import Matrix, MatrixProvider, StraightLine

if TYPE_CHECKING:
    # The solvers (VROOM, PyVRP, with NumPy and pandas: ~0.5 s of imports) are loaded
    # when a route is first optimised, not by everything that shows a plan.
    from fieldapp.maps import vrp

# Default visit length by account type, in minutes (the agenda's too).
DEFAULT_SERVICE_MINUTES = VISIT_MINUTES
FIXED_PRIORITY = 100  # appointments are served before optional visits


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


# --- the timeline ---------------------------------------------------------------


class _Geometry:
    """Points and matrices of a request: 0 = start, 1 = end, 2.. = the stops."""

    def __init__(self, request: RouteRequest, stops: Sequence[StopRequest], m: Matrix) -> None:
        self.request = request
        self.stops = list(stops)
        self.m = m
        self.index = {s.account_id: i + 2 for i, s in enumerate(self.stops)}

    def travel(self, a: int, b: int) -> tuple[int, int]:
        return self.m.durations[a][b], self.m.distances[a][b]


def _points(request: RouteRequest, stops: Sequence[StopRequest]) -> list[LatLon]:
    pts: list[LatLon] = [request.start, request.end_point]
    for s in stops:
        assert s.lat is not None and s.lon is not None
        pts.append((s.lat, s.lon))
    return pts


def timeline(
    geo: _Geometry,
    order: Sequence[str],
    *,
    leave: int | None = None,
    break_slots: dict[int, int] | None = None,
    unserved: Sequence[Unserved] = (),
    optimised: bool = False,
) -> DayPlan:
    """Time a day visiting ``order`` (account ids); flag every broken constraint.

    ``break_slots`` maps a break's index to the position (1-based; len+1 = end) it is
    taken before; breaks without a slot are placed greedily: as soon as the break's
    window has opened, or earlier if the next visit would end past its latest start.
    """
    req = geo.request
    by_id = {s.account_id: s for s in geo.stops}
    t = req.day_start if leave is None else leave
    leave_at = t
    here = 0
    stops: list[PlannedStop] = []
    breaks: list[PlannedBreak] = []
    pending = sorted(range(len(req.breaks)), key=lambda i: req.breaks[i].earliest)
    slots = dict(break_slots or {})
    problems: list[str] = []
    total_d = total_t = total_w = 0

    def take_breaks(
        position: int, depart: int, drive: int, next_done: int | None
    ) -> tuple[int, int]:
        """Take the breaks due before ``position``; return (ready, arrival) there.

        A break is taken on arrival (VROOM's model) unless that would start it after
        its latest start, then before driving off.
        """
        now = arrival = depart + drive
        for bi in list(pending):
            b = req.breaks[bi]
            if bi in slots:
                due = slots[bi] == position
            else:
                due = now >= b.earliest or next_done is None or next_done > b.latest
            if not due:
                continue
            pending.remove(bi)
            bstart = max(now, b.earliest)
            if bstart > b.latest and drive and max(depart, b.earliest) <= b.latest:
                # Before driving: the drive starts after the break.
                bstart = max(depart, b.earliest)
                breaks.append(PlannedBreak(bstart, bstart + b.duration_s, position, None))
                depart = bstart + b.duration_s
                now = max(now, depart + drive)
                arrival = depart + drive
                continue
            problem = None
            if bstart > b.latest:
                problem = f"break starts {hhmm(bstart)}, after its latest start {hhmm(b.latest)}"
                problems.append(problem)
            breaks.append(PlannedBreak(bstart, bstart + b.duration_s, position, problem))
            now = bstart + b.duration_s
        return now, arrival

    for pos, account_id in enumerate(order, start=1):
        s = by_id[account_id]
        idx = geo.index[account_id]
        dur, dist = geo.travel(here, idx)
        n_before = len(breaks)
        opens = s.window[0] if s.window else 0
        after_breaks, arrival = take_breaks(pos, t, dur, max(t + dur, opens) + s.service_s)
        break_s = sum(b.end - b.start for b in breaks[n_before:])
        start = max(after_breaks, opens)
        wait = start - t - dur - break_s
        problem = None
        if s.window and start > s.window[1]:
            problem = (
                f"arrives {hhmm(start)}, after the appointment window "
                f"{hhmm(s.window[0])}–{hhmm(s.window[1])}"
            )
        elif start + s.service_s > req.day_end:
            problem = f"visit ends {hhmm(start + s.service_s)}, after working hours"
        if problem:
            problems.append(f"{s.name or account_id}: {problem}")
        stops.append(
            PlannedStop(
                account_id=account_id,
                name=s.name,
                lat=s.lat or 0.0,
                lon=s.lon or 0.0,
                position=pos,
                arrival=arrival,
                start=start,
                departure=start + s.service_s,
                travel_s=dur,
                distance_m=dist,
                wait_s=wait,
                service_s=s.service_s,
                window=s.window,
                break_before_s=break_s,
                problem=problem,
            )
        )
        total_d += dist
        total_t += dur
        total_w += wait
        t = start + s.service_s
        here = idx
    dur, dist = geo.travel(here, 1)
    back = take_breaks(len(order) + 1, t, dur, None)[0]
    total_d += dist
    total_t += dur
    if back > req.day_end:
        problems.append(f"back at {hhmm(back)}, after working hours end {hhmm(req.day_end)}")
    if leave_at < req.day_start:
        problems.append(f"leaves at {hhmm(leave_at)}, before working hours")
    return DayPlan(
        request=req,
        stops=stops,
        breaks=breaks,
        unserved=list(unserved),
        leave=leave_at,
        back=back,
        total_distance_m=total_d,
        total_travel_s=total_t,
        total_wait_s=total_w,
        matrix_source=geo.m.source,
        optimised=optimised,
        problems=problems,
    )


# --- optimisation ---------------------------------------------------------------


def _why_unserved(geo: _Geometry, s: StopRequest) -> str:
    req = geo.request
    idx = geo.index[s.account_id]
    to_it = geo.travel(0, idx)[0]
    home = geo.travel(idx, 1)[0]
    earliest = req.day_start + to_it
    if s.window:
        if s.window[1] < req.day_start or s.window[0] > req.day_end:
            return (
                f"appointment window {hhmm(s.window[0])}–{hhmm(s.window[1])} is outside "
                f"working hours {hhmm(req.day_start)}–{hhmm(req.day_end)}"
            )
        if earliest > s.window[1]:
            return (
                f"appointment window closes {hhmm(s.window[1])}; the earliest arrival "
                f"from the start is {hhmm(earliest)}"
            )
        if max(earliest, s.window[0]) + s.service_s + home > req.day_end:
            return "the appointment plus the drive back does not fit in working hours"
    if earliest + s.service_s + home > req.day_end:
        return (
            f"too far for one day: {round(to_it / 60)} min there, {round(s.service_s / 60)} "
            f"min visit and {round(home / 60)} min back exceed working hours"
        )
    if s.window:
        return "clashes with other appointments: no time left in its window"
    return "no time left in working hours alongside the other visits"


def time_budget(n_stops: int) -> float:
    """Seconds the search may take: under a second for a normal day, more for big ones."""
    return max(0.8, n_stops / 75)


def exploration_for(n_stops: int) -> int:
    """VROOM's exploration level: thorough for a normal day; for very long days a
    lighter search that finishes inside the time budget serves more stops."""
    return 5 if n_stops <= 80 else 2


def optimise(
    request: RouteRequest,
    provider: MatrixProvider | None = None,
    *,
    exploration_level: int | None = None,
    threads: int | None = None,
    time_limit_s: float | None = None,
    solver: vrp.Solver | None = None,
) -> DayPlan:
    """Order the request's stops with :func:`vrp.solve` (VROOM, then PyVRP) and time the day.

    VROOM searches at ``exploration_level`` (default :func:`exploration_for`); the
    whole search takes at most ``time_limit_s`` seconds (default :func:`time_budget`;
    ``math.inf``: no limit). ``solver`` runs the search (default :func:`vrp.solve`; the
    GUI runs it in a child process, see ``ui/solver_process.py``).
    """
    from fieldapp.maps import vrp

    if request.day_end <= request.day_start:
        raise RouteError("working hours end before they start")
    seen: set[str] = set()
    located: list[StopRequest] = []
    unserved: list[Unserved] = []
    for s in request.stops:
        if s.account_id in seen:
            continue
        seen.add(s.account_id)
        if s.lat is None or s.lon is None:
            unserved.append(Unserved(s.account_id, s.name, "no location: geocode it first"))
        elif s.window and s.window[1] < s.window[0]:
            unserved.append(Unserved(s.account_id, s.name, "appointment window ends first"))
        else:
            located.append(s)
    provider = provider or StraightLine()
    m = provider.matrix(_points(request, located))
    geo = _Geometry(request, located, m)
    if not located:
        return timeline(geo, [], unserved=unserved, optimised=True)

    problem = vrp.Problem(
        durations=m.durations,
        jobs=[
            vrp.Job(
                location=i + 2,
                service=s.service_s,
                window=s.window,
                priority=FIXED_PRIORITY if s.window else 0,
            )
            for i, s in enumerate(located)
        ],
        vehicles=[
            vrp.Vehicle(
                start=0,
                end=1,
                window=(request.day_start, request.day_end),
                breaks=tuple(vrp.Break(b.earliest, b.latest, b.duration_s) for b in request.breaks),
            )
        ],
    )
    solution = (solver or vrp.solve)(
        problem,
        budget_s=time_budget(len(located)) if time_limit_s is None else time_limit_s,
        exploration_level=exploration_level or exploration_for(len(located)),
        threads=threads or min(4, os.cpu_count() or 1),
    )
    order: list[str] = []
    slots: dict[int, int] = {}
    leave = request.day_start
    for route in solution.routes:  # one vehicle: at most one route
        order = [located[j].account_id for j in route.jobs]
        slots = {b: done + 1 for b, done in route.breaks.items()}  # 1-based positions
        leave = route.leave
    served = set(order)
    for s in located:
        if s.account_id not in served:
            unserved.append(Unserved(s.account_id, s.name, _why_unserved(geo, s)))
    return timeline(geo, order, leave=leave, break_slots=slots, unserved=unserved, optimised=True)


def retime(plan: DayPlan, order: Sequence[str], provider: MatrixProvider | None = None) -> DayPlan:
    """The same day visited in ``order`` (e.g. dragged by hand), times recomputed.

    Stops dropped from ``order`` become unserved ("removed by hand"); every window the
    new order breaks is flagged on its stop and in ``problems``.
    """
    req = plan.request
    all_stops = [s for s in req.stops if s.lat is not None and s.lon is not None]
    known = {s.account_id for s in all_stops}
    missing = [a for a in order if a not in known]
    if missing:
        raise RouteError(f"not part of this plan or without location: {', '.join(missing)}")
    if len(set(order)) != len(order):
        raise RouteError("a stop appears twice in the new order")
    m = (provider or StraightLine()).matrix(_points(req, all_stops))
    geo = _Geometry(req, all_stops, m)
    chosen = set(order)
    unserved = [u for u in plan.unserved if u.account_id not in chosen]
    for s in plan.stops:
        if s.account_id not in chosen:
            unserved.append(Unserved(s.account_id, s.name, "removed from the route by hand"))
    return timeline(geo, order, unserved=unserved)


def in_order(
    request: RouteRequest, order: Sequence[str], provider: MatrixProvider | None = None
) -> DayPlan:
    """Time the request's stops visited in ``order`` as they are (a saved plan reopened)."""
    stops = [s for s in request.stops if s.lat is not None and s.lon is not None]
    m = (provider or StraightLine()).matrix(_points(request, stops))
    return timeline(_Geometry(request, stops, m), order)


def reoptimise_from(
    plan: DayPlan,
    current_position: int,
    now: int | None = None,
    provider: MatrixProvider | None = None,
    solver: vrp.Solver | None = None,
) -> DayPlan:
    """Mid-day: keep stops up to ``current_position``, re-plan the rest from there.

    ``now`` is when the rep leaves the current stop (default: its planned departure).
    Stops still to come and stops that were unserved are offered to the optimiser
    again; breaks not yet taken stay in the request.
    """
    if not 1 <= current_position <= len(plan.stops):
        raise RouteError(f"no stop at position {current_position}")
    done = plan.stops[:current_position]
    here = done[-1]
    leave = here.departure if now is None else now
    req = plan.request
    done_ids = {s.account_id for s in done}
    taken = {(b.start, b.end) for b in plan.breaks if b.before_position <= current_position}
    remaining_breaks = tuple(
        b
        for b, planned in zip(req.breaks, _break_times(plan), strict=False)
        if planned not in taken and b.latest >= leave
    )
    rest = tuple(s for s in req.stops if s.account_id not in done_ids)
    sub = replace(
        req,
        start=(here.lat, here.lon),
        stops=rest,
        day_start=leave,
        breaks=remaining_breaks,
    )
    tail = optimise(sub, provider, solver=solver)
    # Never worse than carrying on as planned: keep the old order when it serves more.
    planned = [s.account_id for s in plan.stops[current_position:]]
    if planned:
        located = [s for s in rest if s.lat is not None and s.lon is not None]
        geo = _Geometry(sub, located, (provider or StraightLine()).matrix(_points(sub, located)))
        left_out = [
            Unserved(s.account_id, s.name, _why_unserved(geo, s))
            for s in located
            if s.account_id not in planned
        ]
        kept_order = timeline(geo, planned, unserved=left_out, optimised=True)
        if kept_order.feasible and (
            len(kept_order.stops) > len(tail.stops)
            or (
                len(kept_order.stops) == len(tail.stops)
                and kept_order.total_travel_s < tail.total_travel_s
            )
        ):
            tail = kept_order
    for s in tail.stops:
        s.position += current_position
    for b in tail.breaks:
        b.before_position += current_position
    kept_breaks = [b for b in plan.breaks if b.before_position <= current_position]
    problems = [f"{s.name or s.account_id}: {s.problem}" for s in done if s.problem]
    return DayPlan(
        request=req,
        stops=[*done, *tail.stops],
        breaks=[*kept_breaks, *tail.breaks],
        unserved=tail.unserved,
        leave=plan.leave,
        back=tail.back,
        total_distance_m=sum(s.distance_m for s in done) + tail.total_distance_m,
        total_travel_s=sum(s.travel_s for s in done) + tail.total_travel_s,
        total_wait_s=sum(s.wait_s for s in done) + tail.total_wait_s,
        matrix_source=tail.matrix_source,
        optimised=True,
        problems=problems + tail.problems,
    )


def _break_times(plan: DayPlan) -> list[tuple[int, int] | None]:
    """Planned (start, end) of each requested break, in request order."""
    out: list[tuple[int, int] | None] = []
    left = list(plan.breaks)
    for b in plan.request.breaks:
        match = next((p for p in left if p.end - p.start == b.duration_s), None)
        if match is not None:
            left.remove(match)
            out.append((match.start, match.end))
        else:
            out.append(None)
    return out


# --- checking ---------------------------------------------------------------------


def violations(plan: DayPlan) -> list[str]:
    """Independent check of a plan's times: every rule it breaks, as sentences."""
    req = plan.request
    out = []
    if plan.leave < req.day_start:
        out.append("leaves before working hours")
    if plan.back > req.day_end:
        out.append("returns after working hours")
    prev = plan.leave
    for s in plan.stops:
        if s.arrival < prev + s.travel_s:
            out.append(f"stop {s.position}: arrives before it could have driven there")
        if s.start < s.arrival or s.start < prev + s.travel_s + s.break_before_s:
            out.append(f"stop {s.position}: starts before arrival")
        if s.window and not s.window[0] <= s.start <= s.window[1]:
            out.append(f"stop {s.position}: starts {hhmm(s.start)} outside its window")
        if s.start < req.day_start or s.departure > req.day_end:
            out.append(f"stop {s.position}: outside working hours")
        if s.departure != s.start + s.service_s:
            out.append(f"stop {s.position}: visit shorter than planned")
        prev = s.departure
    for b in plan.breaks:
        matching = [r for r in req.breaks if r.duration_s == b.end - b.start]
        if not any(r.earliest <= b.start <= r.latest for r in matching):
            out.append(f"break at {hhmm(b.start)} outside its window")
        for s in plan.stops:
            if b.start < s.departure and s.start < b.end:
                out.append(f"break at {hhmm(b.start)} overlaps visit {s.position}")
    if len(plan.breaks) != len(req.breaks) and plan.stops:
        out.append("a break was not taken")
    return out
