"""Nearby: accounts within a radius, nearest first, from the replica."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from fieldapp.domain.geo import haversine_m
from fieldapp.errors import FieldappError
from fieldapp.store import places, services
from fieldapp.store.db import Replica

BONN = (50.7374, 7.0982)


def _accounts(replica: Replica, rows: list[dict[str, object]]) -> list[str]:
    with replica.session() as s:
        return [services.create(s, "accounts", row) for row in rows]


def test_nearest_first_within_the_radius(replica: Replica) -> None:
    centre, siegburg, koeln, far, unplotted, gone = _accounts(
        replica,
        [
            {"name": "Bonn Markt", "latitude": 50.7357, "longitude": 7.1013},
            {"name": "Siegburg", "latitude": 50.7998, "longitude": 7.2079},  # ~10 km
            {"name": "Köln Dom", "latitude": 50.9413, "longitude": 6.9583},  # ~25 km
            {"name": "Berlin", "latitude": 52.52, "longitude": 13.405},
            {"name": "No pin"},
            {"name": "Deleted", "latitude": 50.738, "longitude": 7.099},
        ],
    )
    with replica.session() as s:
        services.delete(s, "accounts", gone)
    with replica.read_session() as s:
        found = places.nearby(s, BONN, 30)
        assert [n.id for n in found] == [centre, siegburg, koeln]
        assert found[1].distance_m == pytest.approx(haversine_m(BONN, (50.7998, 7.2079)), rel=1e-9)
        assert 9_000 < found[1].distance_m < 11_000
        assert [n.id for n in places.nearby(s, BONN, 12)] == [centre, siegburg]
        assert [n.id for n in places.nearby(s, BONN, 30, limit=1)] == [centre]
        # From an account: itself left out.
        name, point = places.account_point(s, centre)
        assert name == "Bonn Markt"
        assert [n.id for n in places.nearby(s, point, 30, exclude=centre)] == [siegburg, koeln]
        assert far not in [n.id for n in places.nearby(s, BONN, 400)]
        assert far in [n.id for n in places.nearby(s, BONN, 500)]
        with pytest.raises(FieldappError, match="no location yet"):
            places.account_point(s, unplotted)
        with pytest.raises(FieldappError, match="no account"):
            places.account_point(s, "nope")


def test_the_query_reads_the_location_index(replica: Replica) -> None:
    with replica.read_session() as s:
        plan = s.execute(
            text(
                "EXPLAIN QUERY PLAN SELECT rowid, latitude, longitude FROM accounts "
                "WHERE latitude BETWEEN 50 AND 51 AND deleted_at IS NULL "
                "AND longitude BETWEEN 7 AND 8"
            )
        ).all()
    assert "COVERING INDEX ix_accounts_location" in " ".join(str(r) for r in plan)


def test_the_box_crosses_the_antimeridian(replica: Replica) -> None:
    east, west = _accounts(
        replica,
        [
            {"name": "Fiji east", "latitude": -17.0, "longitude": 179.95},
            {"name": "Fiji west", "latitude": -17.0, "longitude": -179.95},
        ],
    )
    with replica.read_session() as s:
        assert [n.id for n in places.nearby(s, (-17.0, 179.99), 20)] == [east, west]


@pytest.mark.parametrize(
    ("typed", "point"),
    [("50.73,7.10", (50.73, 7.10)), ("50.73 7.10", (50.73, 7.10)), (" -1.5 ; 30 ", (-1.5, 30.0))],
)
def test_points_as_typed(typed: str, point: tuple[float, float]) -> None:
    assert places.parse_point(typed) == point


def test_bad_input_says_why() -> None:
    assert places.parse_point("Bonn, Markt") is None
    with pytest.raises(FieldappError, match="latitude"):
        places.parse_point("95,7")
    with pytest.raises(FieldappError, match="above 0"):
        places.check_radius(0)
    with pytest.raises(FieldappError, match="at most"):
        places.check_radius(5000)
