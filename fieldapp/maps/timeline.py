"""Time a day: the one simulator every plan comes out of, and an independent check.

The timeline follows VROOM's model so that an optimised plan and a hand-made plan
are timed the same way: the rep leaves the start, drives to the next place, takes
any break scheduled before that place on arrival, waits for the place's window to
open, then does the visit. Every plan — optimised, reordered by hand or
re-optimised mid-day — comes out of :func:`timeline`, which flags every broken
window instead of hiding it; :func:`violations` re-checks a plan's times from scratch.
"""

from __future__ import annotations

from collections.abc import Sequence

from fieldapp.maps.day_plan import (
    DayPlan,
    PlannedBreak,
    PlannedStop,
    RouteRequest,
    StopRequest,
    Unserved,
    hhmm,
)
from fieldapp.maps.geo import LatLon
from fieldapp.maps.matrix import Matrix


class Geometry:
    """Points and matrices of a request: 0 = start, 1 = end, 2.. = the stops."""

    def __init__(self, request: RouteRequest, stops: Sequence[StopRequest], m: Matrix) -> None:
        self.request = request
        self.stops = list(stops)
        self.m = m
        self.index = {s.account_id: i + 2 for i, s in enumerate(self.stops)}

    def travel(self, a: int, b: int) -> tuple[int, int]:
        return self.m.durations[a][b], self.m.distances[a][b]


def points(request: RouteRequest, stops: Sequence[StopRequest]) -> list[LatLon]:
    pts: list[LatLon] = [request.start, request.end_point]
    for s in stops:
        assert s.lat is not None and s.lon is not None
        pts.append((s.lat, s.lon))
    return pts


def timeline(
    geo: Geometry,
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
