"""A manager plans a rep's day: the rep's home or territory centre, their due accounts,
and the route saved as planned visits owned by the rep."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from fieldapp.errors import FieldappError
from fieldapp.maps import team_homes, team_routes
from fieldapp.maps.matrix import StraightLine
from fieldapp.maps.planner import route_request
from fieldapp.maps.routing import optimise
from fieldapp.store import services
from fieldapp.store.db import Replica
from fieldapp.store.models import Outbox, RoutePlan, RouteStop, Visit
from fieldapp.store.types import utcnow

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[6.0, 50.0], [8.0, 50.0], [8.0, 52.0], [6.0, 52.0], [6.0, 50.0]]],
}
# 91 days on, an account made today and never visited is due (every 90 days by default).
LATER = utcnow() + timedelta(days=91)


def _team(replica: Replica) -> dict[str, str]:
    """ana owns four accounts in North (a polygon), ben two in South (a postcode list)."""
    ids: dict[str, str] = {}
    with replica.session() as s:
        ids["ana"] = services.create(s, "users", {"username": "ana", "display_name": "Ana"})
        ids["ben"] = services.create(s, "users", {"username": "ben"})
        north = services.create(s, "territories", {"name": "North", "polygon": json.dumps(SQUARE)})
        south = services.create(s, "territories", {"name": "South", "postcodes": "53"})
        for name, owner, territory, lat, lon, visited_days_ago, every in (
            ("A1", "ana", north, 50.90, 6.90, None, None),  # never visited
            ("A2", "ana", north, 50.95, 7.00, 200, None),  # the longest overdue
            ("A3", "ana", north, 51.00, 7.05, 10, 365),  # visited lately: not due
            ("A4", "ana", north, None, None, None, None),  # no location: cannot be a stop
            ("B1", "ben", south, 50.70, 7.10, None, None),
            ("B2", "ben", south, 50.74, 7.14, None, None),
        ):
            aid = services.create(
                s,
                "accounts",
                {
                    "name": name,
                    "owner_id": ids[owner],
                    "territory_id": territory,
                    "latitude": lat,
                    "longitude": lon,
                    "visit_frequency_days": every,
                },
            )
            ids[name] = aid
            if visited_days_ago is not None:
                services.create(
                    s,
                    "visits",
                    {
                        "account_id": aid,
                        "owner_id": ids[owner],
                        "checkin_at": utcnow() - timedelta(days=visited_days_ago),
                    },
                )
        ids["north"], ids["south"] = north, south
    return ids


def test_the_day_starts_at_home_else_at_the_territory_centre(
    replica: Replica, tmp_path: Path
) -> None:
    ids = _team(replica)
    data_dir = replica.data_dir
    with replica.read_session() as s:
        # No home known: the centre of the polygon's bounds (North: 6-8 E, 50-52 N).
        start = team_homes.rep_start(s, data_dir, ids["ana"])
        assert start is not None and start.source == "territory" and start.text == "North"
        assert start.point == pytest.approx((51.0, 7.0))
        # A postcode territory has no polygon: the middle of its accounts.
        ben = team_homes.rep_start(s, data_dir, ids["ben"])
        assert ben is not None and ben.point == pytest.approx((50.72, 7.12))
        # A user with no accounts has no territory to start from.
        assert team_homes.rep_start(s, data_dir, "no-such-user") is None

    home = team_homes.set_home(data_dir, ids["ana"], " 50.93 ,  6.95 ")
    assert home is not None and home.point == (50.93, 6.95)
    assert (data_dir / team_homes.HOMES_FILE).stat().st_mode & 0o077 == 0  # private
    with replica.read_session() as s:
        start = team_homes.rep_start(s, data_dir, ids["ana"])
    assert start == team_homes.Home((50.93, 6.95), "home", "50.93 , 6.95")
    # Only ana's home was set; ben still starts at his territory.
    assert set(team_homes.load_homes(data_dir)) == {ids["ana"]}
    assert team_homes.set_home(data_dir, ids["ana"], "  ") is None  # forgotten
    assert team_homes.load_homes(data_dir) == {}


def test_a_bad_home_is_explained_and_the_old_one_kept(replica: Replica) -> None:
    data_dir = replica.data_dir
    team_homes.set_home(data_dir, "u1", "50.9, 6.9")
    with pytest.raises(FieldappError, match="not on Earth"):
        team_homes.set_home(data_dir, "u1", "95, 200")
    # An address with the geocoder unreachable (nothing listens on port 9 of loopback):
    # the town's centre from the offline gazetteer, said to be near it.
    (data_dir / "maps.json").write_text(
        json.dumps({"nominatim_url": "http://127.0.0.1:9", "geocode_min_delay_s": 0})
    )
    with pytest.raises(FieldappError, match="type LAT, LON"):
        team_homes.set_home(data_dir, "u1", "Nowhere Lane 4, Qxzyland")
    assert team_homes.load_homes(data_dir)["u1"].point == (50.9, 6.9)
    near = team_homes.set_home(data_dir, "u2", "Domkloster 4, Köln")
    assert near is not None and "near Köln" in near.text
    assert near.point == pytest.approx((50.94, 6.95), abs=0.05)
    (data_dir / team_homes.HOMES_FILE).write_text("{not json")
    assert team_homes.load_homes(data_dir) == {}  # a damaged file is no crash


def test_stops_are_the_reps_located_due_accounts_longest_overdue_first(replica: Replica) -> None:
    ids = _team(replica)
    with replica.read_session() as s:
        assert team_routes.rep_stops(s, ids["ana"], now=LATER) == [ids["A2"], ids["A1"]]
        assert team_routes.rep_stops(s, ids["ana"], limit=1, now=LATER) == [ids["A2"]]
        assert set(team_routes.rep_stops(s, ids["ben"], now=LATER)) == {ids["B1"], ids["B2"]}


def test_a_route_for_a_rep_becomes_their_planned_visits(replica: Replica) -> None:
    ids = _team(replica)
    day = date.today() + timedelta(days=3)
    with replica.read_session() as s:
        stops = team_routes.rep_stops(s, ids["ana"], now=LATER)
        start = team_homes.rep_start(s, replica.data_dir, ids["ana"])
        assert start is not None
        request = route_request(s, day, start.point, stops, timezone="Europe/Berlin")
    plan = optimise(request, StraightLine(), time_limit_s=1)
    assert {p.account_id for p in plan.stops} == set(stops)
    with replica.session() as s:
        route = team_routes.save_for_rep(s, plan, ids["ana"])
    assert len(route.visit_ids) == 2
    with replica.read_session() as s:
        saved = s.get(RoutePlan, route.plan_id)
        assert saved is not None and saved.owner_id == ids["ana"]
        visits = {
            v.account_id: v for v in s.scalars(select(Visit).where(Visit.id.in_(route.visit_ids)))
        }
        for stop in plan.stops:
            v = visits[stop.account_id]
            assert v.owner_id == ids["ana"] and v.route_plan_id == route.plan_id
            assert v.planned_start == plan.at(stop.start)
            assert v.planned_end == plan.at(stop.start) + timedelta(seconds=stop.service_s)
            assert v.checkin_at is None
        # Each visit has its outbox entry (it syncs), owner included.
        pending = s.scalars(select(Outbox).where(Outbox.row_id.in_(route.visit_ids))).all()
        assert len(pending) == 2
        assert all(e.changes["owner_id"] == [None, ids["ana"]] for e in pending)

    # Taken back (the toast's Undo): tombstones for the visits, the plan and its stops.
    with replica.session() as s:
        team_routes.undo_for_rep(s, route)
    with replica.read_session() as s:
        gone = s.scalars(select(Visit.deleted_at).where(Visit.id.in_(route.visit_ids))).all()
        assert len(gone) == 2 and all(when is not None for when in gone)
        assert s.get(RoutePlan, route.plan_id).deleted_at is not None  # type: ignore[union-attr]
        stops = s.scalars(
            select(RouteStop.deleted_at).where(RouteStop.route_plan_id == route.plan_id)
        )
        assert [when is not None for when in stops] == [True, True]


def test_an_empty_route_is_refused_in_words(replica: Replica) -> None:
    ids = _team(replica)
    with replica.read_session() as s:
        request = route_request(
            s, date.today(), (50.9, 6.9), [ids["A3"]], day_start=8 * 3600, day_end=8 * 3600 + 60
        )
    plan = optimise(request, StraightLine(), time_limit_s=1)
    assert plan.stops == []
    with replica.session() as s, pytest.raises(FieldappError, match="no stops"):
        team_routes.save_for_rep(s, plan, ids["ana"])
