from __future__ import annotations

import pytest

from fieldapp.maps.geo import (
    Place,
    bbox,
    geojson_rings,
    haversine_m,
    nearby,
    point_in_polygon,
    select_in_polygon,
)
from fieldapp.maps.planner import accounts_in_polygon, nearby_accounts
from fieldapp.store.db import Replica

from .conftest import add_accounts


def test_haversine_matches_known_distance() -> None:
    paris, london = (48.8566, 2.3522), (51.5074, -0.1278)
    assert haversine_m(paris, london) == pytest.approx(343_560, rel=0.003)
    assert haversine_m(paris, paris) == 0


def test_nearby_returns_only_within_radius_nearest_first() -> None:
    centre = (50.0, 8.0)
    places = [
        Place("far", 50.5, 8.0),  # ~55 km
        Place("near", 50.01, 8.0),  # ~1.1 km
        Place("mid", 50.0, 8.1),  # ~7.2 km
        Place("across-dateline-no", -50.0, 8.0),
    ]
    found = nearby(places, centre, 10)
    assert [n.id for n in found] == ["near", "mid"]
    assert found[0].distance_m == pytest.approx(1112, rel=0.01)
    assert [n.id for n in nearby(places, centre, 60)] == ["near", "mid", "far"]


def test_point_in_polygon_handles_concave_shapes() -> None:
    # A "U": the notch in the middle is outside.
    u = [(0, 0), (0, 3), (3, 3), (3, 2), (1, 2), (1, 1), (3, 1), (3, 0)]
    assert point_in_polygon((0.5, 0.5), u)
    assert point_in_polygon((2.5, 2.5), u)
    assert not point_in_polygon((1.5, 2.0 - 0.5), u)  # in the notch
    assert not point_in_polygon((5, 5), u)
    places = [Place("a", 0.5, 0.5), Place("notch", 1.5, 1.5), Place("b", 2.5, 0.5)]
    assert select_in_polygon(places, u) == ["a", "b"]
    assert select_in_polygon(places, u[:2]) == []


def test_bbox_and_geojson_rings() -> None:
    assert bbox([(1, 2), (3, -1)]) == (1, -1, 3, 2)
    assert bbox([]) is None
    poly = {"type": "Polygon", "coordinates": [[[6.9, 50.9], [7.0, 50.9], [7.0, 51.0]]]}
    assert geojson_rings(poly) == [[(50.9, 6.9), (50.9, 7.0), (51.0, 7.0)]]
    multi = {"type": "MultiPolygon", "coordinates": [poly["coordinates"], poly["coordinates"]]}
    assert len(geojson_rings(multi)) == 2


def test_nearby_and_lasso_over_the_replica(replica: Replica) -> None:
    home, near, far, nowhere = add_accounts(
        replica,
        [("Home", 50.94, 6.96), ("Near", 50.95, 6.97), ("Far", 51.5, 7.5), ("Nowhere", None, None)],
    )
    with replica.read_session() as session:
        found = nearby_accounts(session, home, 5)
        assert [n.id for n in found] == [near]  # itself excluded, far outside
        found = nearby_accounts(session, (50.94, 6.96), 100)
        assert [n.id for n in found] == [home, near, far]
        lasso = [(50.9, 6.9), (50.9, 7.0), (51.0, 7.0), (51.0, 6.9)]
        assert sorted(accounts_in_polygon(session, lasso)) == sorted([home, near])
    assert nowhere
