"""Fixtures for the maps tests: accounts around Cologne and a feasibility checker."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from fieldapp.maps import timeline
from fieldapp.maps.day_plan import DayPlan, StopRequest
from fieldapp.maps.matrix import MatrixProvider, StraightLine
from fieldapp.maps.timeline import violations
from fieldapp.store import services
from fieldapp.store.db import Replica

COLOGNE = (50.9375, 6.9603)


def random_stops(
    n: int, seed: int, *, windows: int = 0, spread: float = 0.25
) -> tuple[StopRequest, ...]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        window = None
        if i < windows:
            a = rng.randrange(9 * 3600, 15 * 3600, 900)
            window = (a, a + rng.choice([1800, 3600, 7200]))
        out.append(
            StopRequest(
                account_id=f"acc-{i:03d}",
                lat=COLOGNE[0] + rng.uniform(-spread, spread),
                lon=COLOGNE[1] + rng.uniform(-spread, spread) * 1.6,
                name=f"Account {i}",
                service_s=rng.choice([15, 20, 30]) * 60,
                window=window,
            )
        )
    return tuple(out)


def assert_feasible(plan: DayPlan, provider: MatrixProvider | None = None) -> None:
    """Re-derive every time of the plan from the travel matrix and the rules.

    Independent of the planner's own bookkeeping: arrival = previous departure +
    drive (+ a break taken on arrival), visits start inside their window and inside
    working hours, breaks start inside their window and never overlap a visit.
    """
    req = plan.request
    assert not violations(plan), violations(plan)
    assert plan.feasible, plan.problems
    by_id = {s.account_id: s for s in req.stops}
    located = [s for s in req.stops if s.lat is not None and s.lon is not None]
    m = (provider or StraightLine()).matrix(timeline.points(req, located))
    index = {s.account_id: i + 2 for i, s in enumerate(located)}
    assert plan.leave >= req.day_start
    t, here = plan.leave, 0
    for pos, s in enumerate(plan.stops, start=1):
        assert s.position == pos
        asked = by_id[s.account_id]
        assert s.service_s == asked.service_s
        assert s.window == asked.window
        drive = m.durations[here][index[s.account_id]]
        assert s.travel_s == drive
        # A break is taken on arrival, or before driving off when that is needed to
        # start it in its window: the arrival moves by the break then.
        assert s.arrival in (t + drive, t + drive + s.break_before_s)
        assert s.start >= s.arrival
        assert s.start == t + drive + s.break_before_s + s.wait_s
        if asked.window:
            assert asked.window[0] <= s.start <= asked.window[1], (s, asked.window)
        assert req.day_start <= s.start and s.departure <= req.day_end
        assert s.departure == s.start + asked.service_s
        t, here = s.departure, index[s.account_id]
    assert plan.back >= t + m.durations[here][1]
    assert plan.back <= req.day_end
    for b in plan.breaks:
        assert any(
            r.earliest <= b.start <= r.latest and b.end - b.start == r.duration_s
            for r in req.breaks
        )
        for s in plan.stops:
            assert b.end <= s.start or b.start >= s.departure
    served = [s.account_id for s in plan.stops]
    unserved = [u.account_id for u in plan.unserved]
    assert sorted(served + unserved) == sorted({s.account_id for s in req.stops})
    assert all(u.reason for u in plan.unserved)


def add_accounts(
    replica: Replica, points: Sequence[tuple[str, float | None, float | None]], **extra: object
) -> list[str]:
    ids = []
    with replica.session() as session:
        for name, lat, lon in points:
            values = {"name": name, "latitude": lat, "longitude": lon, **extra}
            ids.append(services.create(session, "accounts", values))
    return ids


@pytest.fixture
def stops25() -> tuple[StopRequest, ...]:
    return random_stops(25, 1)
