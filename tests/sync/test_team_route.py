"""A manager's route for a rep reaches the rep through the real server, as planned
visits the rep can move; the move comes back to the manager."""

from __future__ import annotations

from datetime import date, timedelta

from fieldapp.maps import team_homes, team_routes
from fieldapp.maps.matrix import StraightLine
from fieldapp.maps.planner import route_request
from fieldapp.maps.routing import optimise
from fieldapp.server import admin
from fieldapp.store import agenda, scheduling, services
from fieldapp.store.types import utcnow
from tests.sync.conftest import World
from tests.sync.test_sync_flow import create, get

LATER = utcnow() + timedelta(days=91)  # every new account is due for a visit by then


def test_a_managers_route_for_a_rep_reaches_the_rep(world: World) -> None:
    world.user("mgr", "manager")
    users = {"alice": world.user("alice", "rep", "mgr"), "bob": world.user("bob", "rep")}
    north = admin.add_territory(world.db, "North", None, ["N"])
    admin.add_territory(world.db, "South", None, ["S"])
    admin.assign_territory(world.db, "North", "alice")
    admin.assign_territory(world.db, "South", "bob")
    alice, alice_sync = world.client("alice")
    places = [("Dom", 50.941, 6.958), ("Ring", 50.936, 6.940), ("Hafen", 50.925, 6.965)]
    accounts = [
        create(
            alice,
            "accounts",
            name=name,
            territory_id=north,
            owner_id=users["alice"],
            latitude=lat,
            longitude=lon,
        )
        for name, lat, lon in places
    ]
    alice_sync.sync()

    mgr, mgr_sync = world.client("mgr")
    mgr_sync.sync()
    day = date.today() + timedelta(days=2)
    with mgr.read_session() as s:
        stops = team_routes.rep_stops(s, users["alice"], now=LATER)
        assert set(stops) == set(accounts)
        start = team_homes.rep_start(s, mgr.data_dir, users["alice"])
        assert start is not None and start.source == "territory"
        request = route_request(s, day, start.point, stops)
    plan = optimise(request, StraightLine(), time_limit_s=1)
    with mgr.session() as s:
        route = team_routes.save_for_rep(s, plan, users["alice"])
    pushed = mgr_sync.sync()
    assert pushed.pushed >= len(route.visit_ids) + 1 + len(plan.stops)  # visits, plan, stops
    assert not pushed.rejections

    # Alice's next sync brings them into her agenda for that day, as planned visits.
    alice_sync.sync()
    with alice.read_session() as s:
        shown = agenda.agenda_for(s, day, owner_id=users["alice"])
    assert {v.id for v in shown.visits} == set(route.visit_ids)
    first = get(alice, "visits", route.visit_ids[0])
    assert first["owner_id"] == users["alice"] and first["checkin_at"] is None
    assert first["route_plan_id"] == route.plan_id
    assert get(alice, "route_plans", route.plan_id)["owner_id"] == users["alice"]

    # She moves one an hour later; the manager sees the move on his next sync.
    moved_to = first["planned_start"] + timedelta(hours=1)
    with alice.session() as s:
        scheduling.move_visit(s, route.visit_ids[0], moved_to)
    assert not alice_sync.sync().rejections
    mgr_sync.sync()
    assert get(mgr, "visits", route.visit_ids[0])["planned_start"] == moved_to

    # Bob (another team) never sees Alice's day.
    bob, bob_sync = world.client("bob")
    bob_sync.sync()
    with bob.read_session() as s:
        assert services.list_records(s, "visits", limit=None) == []
