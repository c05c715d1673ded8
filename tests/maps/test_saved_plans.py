"""Routes that last: where a day starts and ends, saved plans reopened, edited, planned."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from fieldapp.errors import FieldappError
from fieldapp.maps import route_ends, saved_plans
from fieldapp.maps.geocode import open_geocoder
from fieldapp.maps.planner import route_request, save_plan
from fieldapp.maps.routing import BreakRequest, in_order, optimise
from fieldapp.maps.settings import MapSettings
from fieldapp.store.db import Replica
from fieldapp.store.models import Visit

from .conftest import add_accounts
from .servers import Place, nominatim, serve

DAY = date(2026, 11, 24)
REP = "0190b4c2-7a3e-7d3c-9f00-0123456789ab"


def test_home_office_here_point_and_address(replica: Replica, data_dir: Path) -> None:
    settings = MapSettings(home="Am Hof 1, Bonn", home_point=[50.73, 7.10])
    home = route_ends.resolve("Home", settings)
    assert home is not None and home.point == (50.73, 7.10) and home.label == "Am Hof 1, Bonn"
    with pytest.raises(FieldappError, match="no office address is saved"):
        route_ends.resolve("office", settings)
    assert route_ends.resolve("here", settings, here=lambda: (50.0, 7.0)).point == (50.0, 7.0)
    with pytest.raises(FieldappError, match="no check-in yet"):
        route_ends.resolve("here", settings, here=lambda: None)
    assert route_ends.resolve(" 50.94 , 6.96 ", settings).point == (50.94, 6.96)
    with pytest.raises(FieldappError, match="not on Earth"):
        route_ends.resolve("95, 6.96", settings)
    assert route_ends.resolve("  ", settings) is None

    places = {
        "Poppelsdorfer Allee": Place(50.729, 7.097, "Poppelsdorfer Allee 5, Bonn", "road", 26)
    }
    with serve(nominatim(places)) as server:
        online = MapSettings(nominatim_url=server.url, geocode_min_delay_s=0)
        geocoder = open_geocoder(data_dir, online)
        found = route_ends.resolve("Poppelsdorfer Allee 5, Bonn", online, geocoder=geocoder)
        assert found is not None and found.point == (50.729, 7.097) and not found.approximate
    # Offline: the town from the gazetteer, said to be approximate.
    offline = open_geocoder(data_dir, MapSettings(), online=False)
    town = route_ends.resolve(
        "Unbekannte Str. 9, 53111 Bonn, Germany", MapSettings(), geocoder=offline
    )
    assert town is not None and town.approximate
    assert abs(town.point[0] - 50.73) < 0.1 and abs(town.point[1] - 7.10) < 0.1
    with pytest.raises(FieldappError, match="cannot find"):
        route_ends.resolve("Xyzzyplatz 3, Qwrtzhausen", MapSettings(), geocoder=offline)


def _plan(replica: Replica) -> tuple[list[str], str]:
    ids = add_accounts(
        replica, [("Alpha", 50.95, 6.97), ("Beta", 50.90, 7.05), ("Gamma", 51.0, 6.9)]
    )
    with replica.read_session() as session:
        request = route_request(
            session,
            DAY,
            (50.94, 6.96),
            ids,
            end=(50.8, 7.0),
            windows={ids[1]: (14 * 3600, 15 * 3600)},
            breaks=(BreakRequest(12 * 3600, 13 * 3600, 30 * 60),),
            timezone="Europe/Berlin",
        )
    plan = optimise(request)
    with replica.session() as session:
        plan_id = save_plan(session, plan, name="Tuesday")
    return ids, plan_id


def test_saved_plan_reopens_as_it_was_and_edits_in_place(replica: Replica) -> None:
    ids, plan_id = _plan(replica)
    with replica.read_session() as session:
        listed = saved_plans.list_plans(session)
        again = saved_plans.reopen(session, plan_id)
    assert [(p.id, p.name, p.stops, p.visits_planned) for p in listed] == [
        (plan_id, "Tuesday", 3, 0)
    ]
    req = again.request
    assert req.start == (50.94, 6.96) and req.end == (50.8, 7.0)
    assert req.timezone == "Europe/Berlin" and len(req.breaks) == 1
    assert {s.account_id: s.window for s in req.stops}[ids[1]] == (14 * 3600, 15 * 3600)
    assert sorted(again.order) == sorted(ids)
    # The same order timed again gives the same day.
    timed = in_order(req, again.order)
    assert [s.account_id for s in timed.stops] == again.order

    # Edited: one stop dropped, saved over the same plan.
    edited = in_order(req, again.order[:2])
    with replica.session() as session:
        assert saved_plans.replace_plan(session, plan_id, edited) == plan_id
    with replica.read_session() as session:
        assert [p.stops for p in saved_plans.list_plans(session)] == [2]
        assert saved_plans.reopen(session, plan_id).order == again.order[:2]


def test_plan_visits_once_and_delete_with_undo(replica: Replica) -> None:
    ids, plan_id = _plan(replica)
    with replica.session() as session:
        made = saved_plans.plan_visits(session, plan_id, owner_id=REP)
    with replica.session() as session:
        assert saved_plans.plan_visits(session, plan_id) == []  # nothing planned twice
    with replica.read_session() as session:
        visits = session.scalars(select(Visit).where(Visit.id.in_(made))).all()
        stops = saved_plans.reopen(session, plan_id)
        assert saved_plans.list_plans(session)[0].visits_planned == 3
    assert sorted(v.account_id for v in visits) == sorted(ids)
    assert {v.owner_id for v in visits} == {REP}
    assert {v.route_plan_id for v in visits} == {plan_id}
    assert all(v.planned_start is not None and v.checkin_at is None for v in visits)
    assert stops.order  # the plan itself is unchanged

    with replica.session() as session:
        saved_plans.delete_plan(session, plan_id)
    with replica.read_session() as session:
        assert saved_plans.list_plans(session) == []
        with pytest.raises(Exception, match="no saved route"):
            saved_plans.reopen(session, plan_id)
    with replica.session() as session:
        saved_plans.restore_plan(session, plan_id)
    with replica.read_session() as session:
        assert [p.stops for p in saved_plans.list_plans(session)] == [3]
