"""The shared solver: VROOM, then PyVRP from VROOM's routes; every answer checked."""

from __future__ import annotations

import math
import random
from dataclasses import replace

import pytest

from fieldapp.maps import vrp


def fleet_problem(seed: int, n: int = 40, vehicles: int = 8, horizon: int = 1000) -> vrp.Problem:
    """A Solomon-like instance: depot in the middle, windows, demands, a capacity."""
    rng = random.Random(seed)
    pts = [(50.0, 50.0)] + [(rng.uniform(0, 100), rng.uniform(0, 100)) for _ in range(n)]
    d = [[round(math.dist(a, b) * 10) for b in pts] for a in pts]
    jobs = []
    for i in range(1, n + 1):
        earliest = d[0][i]
        opens = rng.randint(earliest, max(earliest, horizon * 10 - 2 * d[0][i] - 300))
        jobs.append(vrp.Job(i, service=100, window=(opens, opens + 600), demand=rng.randint(1, 9)))
    fleet = [vrp.Vehicle(0, 0, (0, horizon * 10), capacity=60) for _ in range(vehicles)]
    return vrp.Problem(d, jobs, fleet)


def one_route_each(problem: vrp.Problem) -> vrp.Solution:
    """A poor but feasible start: each job alone on a vehicle, as far as they go."""
    routes = [
        vrp.Route(k, [j], problem.vehicles[k].window[0])
        for k, j in enumerate(range(min(len(problem.jobs), len(problem.vehicles))))
    ]
    unassigned = list(range(len(routes), len(problem.jobs)))
    return vrp.Solution(routes, unassigned, vrp.route_cost(problem, routes), "test")


@pytest.mark.parametrize("seed", range(3))
def test_answers_are_feasible_and_never_worse_than_vrooms(seed: int) -> None:
    problem = fleet_problem(seed)
    alone = vrp.solve_vroom(problem, exploration_level=1, threads=2, timeout_s=None)
    ours = vrp.solve(problem, budget_s=0.5, exploration_level=1, threads=2)
    assert vrp.check(problem, alone) == []
    assert vrp.check(problem, ours) == []
    served = [j for r in ours.routes for j in r.jobs]
    assert len(served) >= sum(len(r.jobs) for r in alone.routes)
    if len(served) == sum(len(r.jobs) for r in alone.routes):
        assert ours.cost <= alone.cost


def test_pyvrp_improves_a_poor_start_and_fills_in_unserved_jobs() -> None:
    problem = fleet_problem(4, n=12, vehicles=6, horizon=3000)
    start = one_route_each(problem)
    assert vrp.check(problem, start) == [] and len(start.unassigned) == 6
    better = vrp.improve_pyvrp(problem, start, seconds=1.0)
    assert better is not None and better.solver == "vroom+pyvrp"
    assert vrp.check(problem, better) == []
    # Jobs the start left out are optional with a prize above any route cost ...
    assert better.unassigned == []
    # ... and the routes serving all twelve are shorter than out-and-back to each.
    d = problem.durations
    assert better.cost < sum(d[0][job.location] + d[job.location][0] for job in problem.jobs)


def test_jobs_served_at_the_start_stay_served() -> None:
    # Only one of two far-apart jobs fits the day. Serving the second would cost less,
    # but whichever the start serves is kept: PyVRP never drops a served job.
    d = [[0, 400, 300], [400, 0, 700], [300, 700, 0]]
    jobs = [vrp.Job(1, service=100), vrp.Job(2, service=100)]
    problem = vrp.Problem(d, jobs, [vrp.Vehicle(0, 0, (0, 1000))])
    for kept in (0, 1):
        start = vrp.Solution(
            [vrp.Route(0, [kept], 0)],
            [1 - kept],
            vrp.route_cost(problem, [vrp.Route(0, [kept], 0)]),
            "test",
        )
        answer = vrp.improve_pyvrp(problem, start, seconds=0.2)
        assert answer is not None and [r.jobs for r in answer.routes] == [[kept]]


def test_priorities_come_before_the_number_served() -> None:
    # The day fits either the appointment far out or the two near jobs.
    d = [[0, 300, 10, 10], [300, 0, 300, 300], [10, 300, 0, 10], [10, 300, 10, 0]]
    jobs = [vrp.Job(1, 100, priority=100), vrp.Job(2, 100), vrp.Job(3, 100)]
    problem = vrp.Problem(d, jobs, [vrp.Vehicle(0, 0, (0, 750))])
    answer = vrp.solve(problem, budget_s=0.5)
    assert vrp.check(problem, answer) == []
    assert [r.jobs for r in answer.routes] == [[0]]


def test_breaks_keep_vrooms_routes_and_report_where_the_break_is() -> None:
    problem = fleet_problem(1, n=10, vehicles=1, horizon=3000)
    lunch = vrp.Break(earliest=8000, latest=9000, duration=500)
    problem = replace(problem, vehicles=[replace(problem.vehicles[0], breaks=(lunch,))])
    answer = vrp.solve(problem, budget_s=0.5)
    assert answer.solver == "vroom"  # PyVRP has no breaks
    (route,) = answer.routes
    assert set(route.breaks) == {0} and 0 <= route.breaks[0] <= len(route.jobs)


def test_the_check_finds_every_kind_of_broken_rule() -> None:
    problem = fleet_problem(2, n=6, vehicles=3, horizon=3000)
    good = vrp.solve(problem, budget_s=0.3)
    assert vrp.check(problem, good) == [] and good.routes
    route = good.routes[0]
    j = route.jobs[0]
    window = problem.jobs[j].window
    assert window is not None

    def broken(**change: object) -> list[str]:
        jobs = list(problem.jobs)
        vehicles = list(problem.vehicles)
        if "job" in change:
            jobs[j] = replace(jobs[j], **change["job"])  # type: ignore[arg-type]
        if "vehicle" in change:
            k = route.vehicle
            vehicles[k] = replace(vehicles[k], **change["vehicle"])  # type: ignore[arg-type]
        return vrp.check(replace(problem, jobs=jobs, vehicles=vehicles), good)

    assert any("after its window" in p for p in broken(job={"window": (0, 0)}))
    assert any("carries" in p for p in broken(job={"demand": 1000}))
    assert any("back after" in p for p in broken(vehicle={"window": (0, 1)}))
    assert any("leaves before" in p for p in broken(vehicle={"window": (10**6, 10**7)}))
    twice = replace(good, routes=[replace(route, jobs=[*route.jobs, j]), *good.routes[1:]])
    assert "jobs missing, repeated or unknown" in vrp.check(problem, twice)
    wrong_cost = replace(good, cost=good.cost - 1)
    assert "cost does not match the routes" in vrp.check(problem, wrong_cost)
