from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import pytest

from fieldapp.maps import vrp
from fieldapp.maps.routing import (
    BreakRequest,
    RouteError,
    RouteRequest,
    StopRequest,
    optimise,
    parse_hhmm,
    reoptimise_from,
    retime,
)

from .conftest import COLOGNE, assert_feasible, random_stops

DAY = date(2026, 11, 24)
H = 3600


def request(stops: tuple[StopRequest, ...], **kw: object) -> RouteRequest:
    return RouteRequest(DAY, COLOGNE, stops, timezone="Europe/Berlin", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n,windows", [(12, 0), (25, 4), (40, 10)])
def test_every_optimised_plan_is_feasible(seed: int, n: int, windows: int) -> None:
    req = request(
        random_stops(n, seed, windows=windows),
        breaks=(BreakRequest(12 * H, 13 * H + 1800, 1800),),
    )
    plan = optimise(req)
    assert plan.stops, "something should fit in a working day"
    assert_feasible(plan)
    assert len(plan.breaks) == 1


@pytest.mark.parametrize("seed", range(3))
def test_plans_without_breaks_are_polished_feasible_and_serve_no_fewer(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without breaks PyVRP improves VROOM's order: the plan must stay feasible and
    # serve at least the stops VROOM alone serves, in no more driving when as many.
    # No time limit: both searches run to their end, so the comparison is not luck.
    req = request(random_stops(40, seed, windows=10))
    plan = optimise(req, time_limit_s=math.inf)
    assert_feasible(plan)
    monkeypatch.setattr(vrp, "improve_pyvrp", lambda *a, **kw: None)
    alone = optimise(req, time_limit_s=math.inf)
    assert len(plan.stops) >= len(alone.stops)
    if len(plan.stops) == len(alone.stops):
        assert plan.total_travel_s <= alone.total_travel_s


def test_appointments_are_kept_and_served_first() -> None:
    stops = random_stops(30, 7)
    fixed = {
        stops[3].account_id: (15 * H, 15 * H + 900),
        stops[9].account_id: (9 * H, 9 * H + 1800),
    }
    stops = tuple(replace(s, window=fixed.get(s.account_id)) for s in stops)
    plan = optimise(request(stops))
    assert_feasible(plan)
    served = {s.account_id: s for s in plan.stops}
    for account_id, (a, b) in fixed.items():
        assert a <= served[account_id].start <= b
    # 30 visits of 15-30 min plus driving cannot all fit: something is left out, never
    # the appointments, and each leftover says why.
    assert plan.unserved
    assert all("no time left" in u.reason for u in plan.unserved)


def test_unserved_stops_say_why() -> None:
    ok = StopRequest("ok", 50.95, 6.97, "Ok", 1800)
    unlocated = StopRequest("nowhere", None, None, "Nowhere", 1800)
    too_early = StopRequest("early", 50.95, 7.3, "Early", 1800, (8 * H, 8 * H + 300))
    after_hours = StopRequest("late", 50.95, 6.98, "Late", 1800, (19 * H, 20 * H))
    far = StopRequest("far", 53.55, 9.99, "Hamburg", 1800)  # ~360 km away
    plan = optimise(request((ok, unlocated, too_early, after_hours, far)))
    assert_feasible(plan)
    assert [s.account_id for s in plan.stops] == ["ok"]
    reasons = {u.account_id: u.reason for u in plan.unserved}
    assert "geocode" in reasons["nowhere"]
    assert "closes 08:05" in reasons["early"]
    assert "outside working hours" in reasons["late"]
    assert "too far for one day" in reasons["far"]


def test_working_hours_and_end_point_respected() -> None:
    end = (50.73, 7.10)  # Bonn
    req = request(
        random_stops(20, 3), end=end, day_start=parse_hhmm("09:30"), day_end=parse_hhmm("13:00")
    )
    plan = optimise(req)
    assert_feasible(plan)
    assert plan.leave >= 9 * H + 1800 and plan.back <= 13 * H
    assert plan.unserved  # 3.5 hours cannot hold 20 visits


def test_manual_reorder_recomputes_times_and_flags_broken_windows() -> None:
    stops = random_stops(8, 11)
    stops = (replace(stops[0], window=(9 * H, 9 * H + 1800)), *stops[1:])
    plan = optimise(request(stops))
    assert_feasible(plan)
    order = [s.account_id for s in plan.stops]
    # Swapping two unconstrained neighbours keeps the day feasible with new times.
    free = [i for i, a in enumerate(order) if a != stops[0].account_id]
    i, j = free[-2], free[-1]
    swapped = order.copy()
    swapped[i], swapped[j] = swapped[j], swapped[i]
    manual = retime(plan, swapped)
    assert [s.account_id for s in manual.stops] == swapped
    assert_feasible(manual)
    assert manual.stops[i].arrival != plan.stops[i].arrival
    # Moving the 09:00 appointment to the end of the day breaks its window.
    late = [a for a in order if a != stops[0].account_id] + [stops[0].account_id]
    broken = retime(plan, late)
    assert not broken.feasible
    last = broken.stops[-1]
    assert last.problem and "after the appointment window 09:00–09:30" in last.problem
    # Dropping a stop makes it unserved, by hand.
    shorter = retime(plan, order[:-1])
    assert {u.account_id: u.reason for u in shorter.unserved}[order[-1]] == (
        "removed from the route by hand"
    )
    with pytest.raises(RouteError):
        retime(plan, [*order, order[0]])


def test_reoptimise_from_current_stop() -> None:
    req = request(random_stops(18, 5, windows=2), breaks=(BreakRequest(12 * H, 14 * H, 1800),))
    plan = optimise(req)
    assert_feasible(plan)
    assert len(plan.stops) >= 5
    # Running 40 minutes late at stop 3.
    now = plan.stops[2].departure + 40 * 60
    again = reoptimise_from(plan, 3, now)
    assert [s.account_id for s in again.stops[:3]] == [s.account_id for s in plan.stops[:3]]
    tail = again.stops[3:]
    assert tail and tail[0].arrival >= now + tail[0].travel_s
    assert [s.position for s in again.stops] == list(range(1, len(again.stops) + 1))
    assert again.feasible, again.problems
    for s in tail:
        if s.window:
            assert s.window[0] <= s.start <= s.window[1]
    assert again.back <= req.day_end
    assert {s.account_id for s in again.stops} | {u.account_id for u in again.unserved} == {
        s.account_id for s in req.stops
    }
    with pytest.raises(RouteError):
        reoptimise_from(plan, 0)


def test_bad_requests_are_refused() -> None:
    with pytest.raises(RouteError):
        optimise(request(random_stops(3, 1), day_start=17 * H, day_end=8 * H))
    with pytest.raises(RouteError):
        parse_hhmm("25:00")
    assert parse_hhmm("8:05") == 8 * H + 300
