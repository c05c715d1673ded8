from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from fieldapp.cli.main import main
from fieldapp.maps.planner import save_plan
from fieldapp.maps.routing import RouteRequest, optimise
from fieldapp.store.db import open_replica
from fieldapp.store.models import Outbox, RoutePlan, RouteStop

from .conftest import add_accounts


def _run(data_dir: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_route_plan_command_respects_windows_and_saves(
    data_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    replica = open_replica(data_dir)
    ids = add_accounts(
        replica,
        [
            ("Alpha", 50.95, 6.97),
            ("Beta", 50.90, 7.05),
            ("Gamma", 51.0, 6.9),
            ("Delta", None, None),
        ],
        type="customer",
    )
    replica.close()
    ics = tmp_path / "day.ics"
    args = ["route", "plan", "--date", "2026-11-24", "--start", "50.94,6.96"]
    for i in ids:
        args += ["--account", i]
    args += ["--window", f"{ids[1]}=14:00-14:30", "--hours", "08:00-17:00"]
    args += ["--break", "12:00-13:00/30", "--save", "--ics", str(ics), "--json"]
    code, out, err = _run(data_dir, capsys, *args)
    assert code == 0, err
    plan = json.loads(out)
    assert plan["feasible"] is True
    by_id = {s["account_id"]: s for s in plan["stops"]}
    assert set(by_id) == set(ids[:3])
    assert "14:00" <= by_id[ids[1]]["start"] <= "14:30"
    assert all(s["service_min"] == 45 for s in plan["stops"])  # customer default
    assert plan["unserved"] == [
        {"account_id": ids[3], "name": "Delta", "reason": "no location: geocode it first"}
    ]
    assert plan["links"]["google"].startswith("https://www.google.com/maps/dir/")
    assert ics.read_text().count("BEGIN:VEVENT") == 6
    replica = open_replica(data_dir)
    with replica.read_session() as session:
        saved = session.get(RoutePlan, plan["id"])
        assert saved is not None and saved.total_distance_m == plan["total_distance_m"]
        stops = session.scalars(
            select(RouteStop)
            .where(RouteStop.route_plan_id == plan["id"])
            .order_by(RouteStop.position)
        ).all()
        assert [s.account_id for s in stops] == [s["account_id"] for s in plan["stops"]]
        entities = [e.entity for e in session.scalars(select(Outbox))]
        assert entities.count("route_plans") == 1 and entities.count("route_stops") == 3
    replica.close()


def test_route_plan_text_output_and_errors(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replica = open_replica(data_dir)
    (acc,) = add_accounts(replica, [("Alpha", 50.95, 6.97)])
    replica.close()
    base = ["route", "plan", "--date", "2026-11-24", "--start", "50.94,6.96", "--account", acc]
    code, out, _ = _run(data_dir, capsys, *base)
    assert code == 0 and "Alpha" in out and "leave" in out
    code, _, err = _run(data_dir, capsys, *base, "--window", "nobody=10:00-11:00")
    assert code == 1 and "not in --account" in err
    code, _, err = _run(data_dir, capsys, *base, "--account", "missing-id")
    assert code == 1 and "no account with id missing-id" in err


def test_save_plan_keeps_times_as_aware_datetimes(data_dir: Path) -> None:
    replica = open_replica(data_dir)
    ids = add_accounts(replica, [("A", 50.95, 6.97), ("B", 50.9, 7.0)])
    with replica.read_session() as session:
        from fieldapp.maps.planner import route_request

        req = route_request(
            session,
            __import__("datetime").date(2026, 11, 24),
            (50.94, 6.96),
            ids,
            timezone="Europe/Berlin",
        )
    assert isinstance(req, RouteRequest)
    plan = optimise(req)
    with replica.session() as session:
        plan_id = save_plan(session, plan, name="Tuesday")
    with replica.read_session() as session:
        stops = session.scalars(select(RouteStop).where(RouteStop.route_plan_id == plan_id)).all()
        first = min(stops, key=lambda s: s.position)
        assert first.arrival == plan.at(plan.stops[0].arrival)
        assert first.service_minutes == 30
    replica.close()
