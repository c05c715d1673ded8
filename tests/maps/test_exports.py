from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlparse

import vobject

from fieldapp.maps.exports import google_maps_url, leg_links, osm_directions_url, to_gpx, to_ics
from fieldapp.maps.routing import DayPlan, RouteRequest, StopRequest, optimise

H = 3600


def _plan() -> DayPlan:
    stops = (
        StopRequest("a", 50.95, 6.97, "Bäckerei Müller; Köln, Ehrenfeld", 1800),
        StopRequest("b", 50.90, 7.05, "Acme", 2700, (11 * H, 11 * H + 1800)),
        StopRequest("c", 51.00, 6.90, "Beta", 1800),
    )
    req = RouteRequest(date(2026, 11, 24), (50.94, 6.96), stops, timezone="Europe/Berlin")
    return optimise(req)


def test_ics_has_a_visit_and_a_travel_event_per_stop() -> None:
    plan = _plan()
    text = to_ics(plan, plan_id="p1", now=datetime(2026, 11, 23, tzinfo=UTC))
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    cal = vobject.readOne(text)
    events = cal.contents["vevent"]
    visits = [e for e in events if e.summary.value.startswith("Visit: ")]
    travel = [e for e in events if e.summary.value.startswith("Travel to ")]
    assert len(visits) == len(plan.stops) == 3 and len(travel) == 3
    acme = next(e for e in visits if e.summary.value == "Visit: Acme")
    b = next(s for s in plan.stops if s.account_id == "b")
    # 11:00–11:30 Berlin time is 10:00–10:30 UTC in November.
    assert acme.dtstart.value == plan.at(b.start)
    assert datetime(2026, 11, 24, 10, 0, tzinfo=UTC) <= acme.dtstart.value
    assert acme.dtstart.value <= datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
    assert (acme.dtend.value - acme.dtstart.value).total_seconds() == 2700
    first = next(s for s in visits if "Müller" in s.summary.value)
    assert first.summary.value == "Visit: Bäckerei Müller; Köln, Ehrenfeld"  # escaped and back
    leg = next(e for e in travel if e.summary.value == "Travel to Acme")
    assert leg.dtend.value == plan.at(b.arrival)


def test_gpx_route_goes_start_stops_end() -> None:
    plan = _plan()
    root = ET.fromstring(to_gpx(plan))
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    pts = root.findall("g:rte/g:rtept", ns)
    assert len(pts) == len(plan.stops) + 2
    assert pts[0].find("g:name", ns).text == "Start"  # type: ignore[union-attr]
    assert float(pts[1].get("lat", "0")) == round(plan.stops[0].lat, 6)
    assert len(root.findall("g:wpt", ns)) == 3


def test_directions_links() -> None:
    plan = _plan()
    g = urlparse(google_maps_url(plan))
    q = parse_qs(g.query)
    assert g.netloc == "www.google.com" and q["origin"] == ["50.940000,6.960000"]
    assert len(q["waypoints"][0].split("|")) == 3
    assert "route=50.940000,6.960000;" in osm_directions_url(plan)
    legs = leg_links(plan)
    assert len(legs) == 4 and legs[0]["from"] == "Start" and legs[-1]["to"] == "End"
