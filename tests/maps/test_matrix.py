from __future__ import annotations

from datetime import date

import pytest

from fieldapp.maps.matrix import OsrmError, OsrmTable, StraightLine
from fieldapp.maps.routing import RouteRequest, optimise

from .conftest import COLOGNE, assert_feasible, random_stops
from .servers import osrm_table, serve

POINTS = [(50.94, 6.96), (50.73, 7.10), (51.23, 6.78)]


def test_straight_line_uses_road_factor_and_speed() -> None:
    m = StraightLine(speed_kmh=36, road_factor=1.5).matrix(POINTS[:2])
    # Köln–Bonn ~25.8 km straight; ×1.5 at 10 m/s.
    assert m.distances[0][1] == pytest.approx(25_800 * 1.5, rel=0.02)
    assert m.durations[0][1] == pytest.approx(m.distances[0][1] / 10, abs=1)
    assert m.durations[1][0] == m.durations[0][1] and m.durations[0][0] == 0


def test_osrm_table_client_speaks_the_protocol() -> None:
    with serve(osrm_table(speed_mps=12.5)) as server:
        client = OsrmTable(server.url, user_agent="fieldapp-test/1")
        m = client.matrix(POINTS)
    assert m.source == "osrm"
    assert len(server.seen) == 1
    seen = server.seen[0]
    assert seen.path.startswith("/table/v1/driving/6.960000,50.940000;7.100000,50.730000;")
    assert seen.query["annotations"] == ["duration,distance"]
    assert seen.headers["User-Agent"] == "fieldapp-test/1"
    assert m.durations[0][1] == round(m.distances[0][1] / 12.5)
    assert m.distances[0][1] != StraightLine().matrix(POINTS).distances[0][1]


def test_osrm_failure_falls_back_to_straight_line_or_raises() -> None:
    with serve(osrm_table()) as server:
        server.failing = True
        with_fallback = OsrmTable(server.url, fallback=StraightLine(), timeout=2)
        assert with_fallback.matrix(POINTS).source == "straight-line"
        with pytest.raises(OsrmError):
            OsrmTable(server.url, timeout=2).matrix(POINTS)


def test_plan_with_osrm_times_is_feasible_under_those_times() -> None:
    req = RouteRequest(date(2026, 11, 24), COLOGNE, random_stops(15, 2, windows=3))
    with serve(osrm_table(speed_mps=9)) as server:
        provider = OsrmTable(server.url)
        plan = optimise(req, provider)
        assert plan.matrix_source == "osrm"
        assert_feasible(plan, provider)
