"""Plan a rep's day: VROOM orders the visits (then PyVRP improves them), and
:func:`fieldapp.maps.timeline.timeline` times them.

:func:`optimise` plans a day from a request; :func:`retime` times a hand-made order,
:func:`in_order` a saved one; :func:`reoptimise_from` re-plans the rest of a day
mid-way. The requests and plans are :mod:`fieldapp.maps.day_plan`'s (re-exported
here, as the timeline's :func:`~fieldapp.maps.timeline.violations` is).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from fieldapp.maps.day_plan import (
    DEFAULT_SERVICE_MINUTES,
    BreakRequest,
    DayPlan,
    PlannedBreak,
    PlannedStop,
    RouteError,
    RouteRequest,
    StopRequest,
    Unserved,
    hhmm,
    parse_hhmm,
)
from fieldapp.maps.matrix import MatrixProvider, StraightLine
from fieldapp.maps.timeline import Geometry, points, timeline, violations

if TYPE_CHECKING:
    # The solvers (VROOM, PyVRP, with NumPy and pandas: ~0.5 s of imports) are loaded
    # when a route is first optimised, not by everything that shows or retimes a plan.
    from fieldapp.maps import vrp

__all__ = [
    "DEFAULT_SERVICE_MINUTES",
    "BreakRequest",
    "DayPlan",
    "PlannedBreak",
    "PlannedStop",
    "RouteError",
    "RouteRequest",
    "StopRequest",
    "Unserved",
    "exploration_for",
    "hhmm",
    "in_order",
    "optimise",
    "parse_hhmm",
    "reoptimise_from",
    "retime",
    "time_budget",
    "timeline",
    "violations",
]

FIXED_PRIORITY = 100  # appointments are served before optional visits


def _why_unserved(geo: Geometry, s: StopRequest) -> str:
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
    m = provider.matrix(points(request, located))
    geo = Geometry(request, located, m)
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
    m = (provider or StraightLine()).matrix(points(req, all_stops))
    geo = Geometry(req, all_stops, m)
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
    m = (provider or StraightLine()).matrix(points(request, stops))
    return timeline(Geometry(request, stops, m), order)


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
        geo = Geometry(sub, located, (provider or StraightLine()).matrix(points(sub, located)))
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
