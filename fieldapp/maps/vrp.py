"""One solving strategy for every route problem: VROOM, then PyVRP's search from there.

The day planner (one rep, one vehicle) and the Solomon benchmark (a fleet) go through
:func:`solve`, so the benchmark's figures describe the product's solver.

Why two solvers: VROOM builds good routes fast and models breaks and priorities, but
on long routes its search stops well above the best known (Solomon R2/RC2: 5–14 %
within 2 s, and still several per cent with no time limit). PyVRP's iterated local
search, started from VROOM's routes, closes most of that gap within the same budget
(README, "Solomon"). PyVRP has no breaks, so a problem with breaks keeps VROOM's answer.

Whatever PyVRP returns is checked here, independently of both solvers (windows,
capacity, the vehicle's hours, each job at most once), and only taken when it serves
at least the same jobs as VROOM at a lower cost: it can never make a plan worse.

Times and costs are integers (seconds, or scaled units); ``durations`` is both the
travel time and the cost to minimise.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

# The solvers (and numpy and pandas, which they bring) are imported by the functions
# that solve: the app solves in a child process (ui/solver_process.py), and the window
# itself, which builds problems and reads plans, stays ~50 MB smaller without them.
if TYPE_CHECKING:
    import pyvrp

# VROOM's share of the time budget; PyVRP polishes in the rest.
VROOM_SHARE = 0.4
# PyVRP stops early after this many iterations without a better solution, per job
# and vehicle (the moves around a solution grow with both): a day plan that VROOM
# already solved well stops in a fraction of its budget instead of sitting it out,
# while a fleet over a long horizon (Solomon: 12,500) keeps searching to the end.
PLATEAU_PER_JOB_AND_VEHICLE = 5
# Kept back from the budget for building PyVRP's model and reading its answer.
OVERHEAD_S = 0.05
_BREAK_ID = 1_000_000  # VROOM ids of breaks: apart from job ids


@dataclass(frozen=True)
class Job:
    """A place to serve at ``location`` (a row of the matrix)."""

    location: int
    service: int = 0
    window: tuple[int, int] | None = None  # the service starts inside it
    demand: int = 0
    priority: int = 0  # 0–100; when not all jobs fit, higher ones are served first


@dataclass(frozen=True)
class Break:
    """``duration`` long, starting between ``earliest`` and ``latest``."""

    earliest: int
    latest: int
    duration: int


@dataclass(frozen=True)
class Vehicle:
    start: int  # locations
    end: int
    window: tuple[int, int]  # leaves the start and is back at the end inside it
    capacity: int | None = None
    breaks: tuple[Break, ...] = ()


@dataclass(frozen=True)
class Problem:
    durations: Sequence[Sequence[int]]  # travel time between locations; the cost
    jobs: Sequence[Job]
    vehicles: Sequence[Vehicle]


@dataclass
class Route:
    vehicle: int
    jobs: list[int]  # indexes into ``Problem.jobs``, in visiting order
    leave: int  # when the vehicle leaves its start
    # Break index → how many of ``jobs`` are done before it (len(jobs): before the end).
    breaks: dict[int, int] = field(default_factory=dict)


@dataclass
class Solution:
    routes: list[Route]  # used vehicles only
    unassigned: list[int]
    cost: int  # total travel time
    solver: str  # "vroom" or "vroom+pyvrp": whose routes these are


class Solver(Protocol):
    """What :func:`solve` is; the GUI passes one that runs it in a child process."""

    def __call__(
        self, problem: Problem, *, budget_s: float, exploration_level: int = 5, threads: int = 2
    ) -> Solution: ...


def solve(
    problem: Problem,
    *,
    budget_s: float,
    exploration_level: int = 5,
    threads: int = 2,
) -> Solution:
    """The best routes found within ``budget_s`` seconds (``math.inf``: no limit).

    VROOM searches first (at ``exploration_level``, for at most a share of the
    budget); then, when no vehicle has breaks, PyVRP improves VROOM's routes until
    the budget is spent or the search stops improving.
    """
    deadline = time.perf_counter() + budget_s
    # PyVRP cannot model breaks: with breaks VROOM's answer is final, so it gets it all.
    polish = not any(v.breaks for v in problem.vehicles)
    share = VROOM_SHARE if polish else 1.0
    first = solve_vroom(
        problem,
        exploration_level=exploration_level,
        threads=threads,
        timeout_s=None if math.isinf(budget_s) else budget_s * share,
    )
    if not polish or not first.routes:
        return first
    left = deadline - time.perf_counter() - OVERHEAD_S
    if left <= 0.01:
        return first
    second = improve_pyvrp(problem, first, seconds=left)
    if second is not None and not check(problem, second) and _better(problem, second, first):
        return second
    return first


def solve_vroom(
    problem: Problem, *, exploration_level: int, threads: int, timeout_s: float | None
) -> Solution:
    """VROOM's routes: jobs that do not fit stay unassigned, low priority first."""
    import vroom

    vi = vroom.Input()
    vi.set_durations_matrix("car", [list(row) for row in problem.durations])
    with_capacity = any(v.capacity is not None for v in problem.vehicles)
    vi.add_vehicle(
        [
            vroom.Vehicle(
                k,
                start=v.start,
                end=v.end,
                capacity=vroom.Amount([_capacity(v)]) if with_capacity else (),
                time_window=vroom.TimeWindow(*v.window),
                breaks=[
                    vroom.Break(_BREAK_ID + i, [vroom.TimeWindow(b.earliest, b.latest)], b.duration)
                    for i, b in enumerate(v.breaks)
                ],
            )
            for k, v in enumerate(problem.vehicles)
        ]
    )
    vi.add_job(
        [
            vroom.Job(
                j + 1,  # VROOM wants ids above 0 for jobs
                location=job.location,
                default_service=job.service,
                delivery=vroom.Amount([job.demand]) if with_capacity else (),
                time_windows=[vroom.TimeWindow(*job.window)] if job.window else (),
                priority=job.priority,
            )
            for j, job in enumerate(problem.jobs)
        ]
    )
    answer = vi.solve(
        exploration_level=exploration_level,
        nb_threads=threads,
        timeout=None if timeout_s is None else timedelta(seconds=timeout_s),
    ).to_dict()
    routes = [_vroom_route(r) for r in answer.get("routes", [])]
    unassigned = sorted(int(u["id"]) - 1 for u in answer.get("unassigned", []))
    return Solution(routes, unassigned, route_cost(problem, routes), "vroom")


def _vroom_route(answer: dict[str, Any]) -> Route:
    route = Route(vehicle=int(answer["vehicle"]), jobs=[], leave=0)
    pending: list[int] = []
    for step in answer["steps"]:
        kind = step["type"]
        if kind == "start":
            route.leave = int(step["arrival"])
        elif kind == "break":
            pending.append(int(step["id"]) - _BREAK_ID)
        elif kind in ("job", "end"):
            for b in pending:
                route.breaks[b] = len(route.jobs)
            pending = []
            if kind == "job":
                route.jobs.append(int(step["id"]) - 1)
    return route


def improve_pyvrp(problem: Problem, start: Solution, *, seconds: float) -> Solution | None:
    """PyVRP's iterated local search from ``start``; None when it found nothing feasible.

    Jobs ``start`` serves are required, the others optional with a prize larger than
    any route cost (by priority), so a feasible answer serves at least the same jobs.
    """
    import pyvrp
    from pyvrp.stop import MaxRuntime, MultipleCriteria, NoImprovement

    t0 = time.perf_counter()
    data, vehicle_of_type = _pyvrp_data(problem, set(start.unassigned))
    type_of = {k: t for t, ks in enumerate(vehicle_of_type) for k in ks}
    initial = pyvrp.Solution(
        data,
        # PyVRP numbers its clients like our jobs.
        [pyvrp.Route(data, r.jobs, type_of[r.vehicle]) for r in start.routes],
    )
    left = seconds - (time.perf_counter() - t0)
    if left <= 0:
        return None
    plateau = PLATEAU_PER_JOB_AND_VEHICLE * len(problem.jobs) * len(problem.vehicles)
    stop = MultipleCriteria([MaxRuntime(left), NoImprovement(max(100, plateau))])
    best = pyvrp.solve(data, stop, seed=1, collect_stats=False, initial_solution=initial).best
    if not best.is_feasible():
        return None
    free = [list(reversed(ks)) for ks in vehicle_of_type]
    routes = []
    for r in best.routes():
        jobs = [a.idx for a in r.schedule() if a.is_client()]
        routes.append(Route(free[r.vehicle_type()].pop(), jobs, int(r.start_time())))
    served = {j for r in routes for j in r.jobs}
    unassigned = [j for j in range(len(problem.jobs)) if j not in served]
    return Solution(routes, unassigned, route_cost(problem, routes), "vroom+pyvrp")


def _pyvrp_data(problem: Problem, optional: set[int]) -> tuple[pyvrp.ProblemData, list[list[int]]]:
    """PyVRP's view of ``problem`` and, per vehicle type, the vehicles it stands for."""
    import numpy as np
    import pyvrp

    d = np.asarray(problem.durations, dtype=np.int64)
    # Any set of routes costs less than this: each location is left at most once.
    above_any_cost = int(d.max(axis=1).sum()) + 1
    n = len(problem.jobs)
    with_capacity = any(v.capacity is not None for v in problem.vehicles)
    clients = [
        pyvrp.Client(
            location=job.location,
            delivery=[job.demand] if with_capacity else [],
            service_duration=job.service,
            tw_early=job.window[0] if job.window else 0,
            tw_late=job.window[1] if job.window else np.iinfo(np.int64).max,
            # Priority first, then the number served, then cost: VROOM's order.
            prize=above_any_cost * (job.priority * (n + 1) + 1) if j in optional else 0,
            required=j not in optional,
        )
        for j, job in enumerate(problem.jobs)
    ]
    ends = sorted({v.start for v in problem.vehicles} | {v.end for v in problem.vehicles})
    depot = {loc: i for i, loc in enumerate(ends)}
    kinds: dict[tuple[int, int, tuple[int, int], int | None], list[int]] = {}
    for k, v in enumerate(problem.vehicles):
        kinds.setdefault((v.start, v.end, v.window, v.capacity), []).append(k)
    types = [
        pyvrp.VehicleType(
            num_available=len(ks),
            capacity=[_capacity(problem.vehicles[ks[0]])] if with_capacity else [],
            start_depot=depot[start],
            end_depot=depot[end],
            tw_early=window[0],
            tw_late=window[1],
            unit_distance_cost=1,  # "distance" below is the travel time: the cost
            unit_duration_cost=0,
        )
        for (start, end, window, _cap), ks in kinds.items()
    ]
    data = pyvrp.ProblemData(
        locations=[pyvrp.Location(0, 0) for _ in range(len(d))],  # the matrices say it all
        clients=clients,
        depots=[pyvrp.Depot(location=loc) for loc in ends],
        vehicle_types=types,
        # PyVRP's stubs say ndarray[int] where numpy's types say ndarray[shape, dtype].
        distance_matrices=[d],  # type: ignore[list-item]
        duration_matrices=[d],  # type: ignore[list-item]
    )
    return data, list(kinds.values())


def _capacity(v: Vehicle) -> int:
    return v.capacity if v.capacity is not None else 2**31 - 1


def route_cost(problem: Problem, routes: Sequence[Route]) -> int:
    """Total travel time of ``routes``, each from its vehicle's start to its end."""
    d = problem.durations
    total = 0
    for r in routes:
        v = problem.vehicles[r.vehicle]
        path = [v.start, *(problem.jobs[j].location for j in r.jobs), v.end]
        total += sum(d[a][b] for a, b in itertools.pairwise(path))
    return total


def _better(problem: Problem, a: Solution, b: Solution) -> bool:
    return _rank(problem, a) > _rank(problem, b)


def _rank(problem: Problem, s: Solution) -> tuple[int, int, int]:
    served = [j for r in s.routes for j in r.jobs]
    return (sum(problem.jobs[j].priority for j in served), len(served), -s.cost)


def check(problem: Problem, solution: Solution) -> list[str]:
    """Every rule ``solution`` breaks, as sentences (empty: feasible).

    Each job served at most once and listed unassigned otherwise, each vehicle used
    once; on each route the service starts inside the job's window, the load stays
    within capacity, the vehicle leaves and is back inside its window. Breaks are not
    simulated here (a route with breaks is only checked for what breaks cannot hide):
    a day plan's :func:`fieldapp.maps.timeline.timeline` checks them.
    """
    out: list[str] = []
    seen = [j for r in solution.routes for j in r.jobs] + list(solution.unassigned)
    if sorted(seen) != list(range(len(problem.jobs))):
        out.append("jobs missing, repeated or unknown")
    used = [r.vehicle for r in solution.routes]
    if len(set(used)) != len(used) or not all(0 <= k < len(problem.vehicles) for k in used):
        out.append("a vehicle used twice, or unknown")
        return out
    for r in solution.routes:
        out += _check_route(problem, r)
    if route_cost(problem, solution.routes) != solution.cost:
        out.append("cost does not match the routes")
    return out


def _check_route(problem: Problem, r: Route) -> list[str]:
    v = problem.vehicles[r.vehicle]
    d = problem.durations
    out = []
    if r.leave < v.window[0]:
        out.append(f"vehicle {r.vehicle} leaves before its window")
    t, here, load = r.leave, v.start, 0
    for j in r.jobs:
        job = problem.jobs[j]
        t = max(t + d[here][job.location], job.window[0] if job.window else 0)
        if job.window and t > job.window[1]:
            out.append(f"job {j} starts after its window")
        t += job.service
        load += job.demand
        here = job.location
    if v.capacity is not None and load > v.capacity:
        out.append(f"vehicle {r.vehicle} carries {load} > {v.capacity}")
    if t + d[here][v.end] > v.window[1] and not v.breaks:
        out.append(f"vehicle {r.vehicle} is back after its window")
    return out
