"""Accounts near a point, nearest first ("Nearby").

The box around the point is read from ``ix_accounts_location`` alone (a latitude
band of the index, the longitude and the tombstone tested inside it). SQLite orders
the box by a flat distance (degrees, the longitude scaled by the cosine of the
centre's latitude: within ~1 % of the true distance inside 100 km) and hands over
twice the list's length; those are measured exactly (haversine), cut at the radius
and ordered. So at the end of a list of 50, an account ~1 % nearer than the 50th
could in theory be left out; the order of the list itself is exact. At 100k accounts
spread over Germany a 10 km radius walks ~10k index entries and reads ~100 rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import ColumnClause, literal_column, select, text

from fieldapp.domain.geo import EARTH_RADIUS_M, LatLon, haversine_m
from fieldapp.errors import FieldappError
from fieldapp.store import tables

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

MAX_RADIUS_KM = 1000.0
# Core columns, not the Account model: `accounts nearby` needs no ORM mapping to read.
ACCOUNTS = tables.accounts.c
DEFAULT_LIMIT = 50
PLANAR_MARGIN = 0.03
FLAT_UP_TO_KM = 100.0
rowid: ColumnClause[int] = literal_column("accounts.rowid")


@dataclass(frozen=True)
class NearbyAccount:
    id: str
    name: str
    city: str | None
    latitude: float
    longitude: float
    distance_m: float


def check_radius(radius_km: float) -> float:
    if not math.isfinite(radius_km) or radius_km <= 0:
        raise FieldappError("the radius must be a distance above 0 km")
    if radius_km > MAX_RADIUS_KM:
        raise FieldappError(f"the radius can be at most {MAX_RADIUS_KM:,.0f} km")
    return radius_km


def check_point(lat: float, lon: float) -> LatLon:
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise FieldappError(f"a latitude lies between -90 and 90 (got {lat})")
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise FieldappError(f"a longitude lies between -180 and 180 (got {lon})")
    return (lat, lon)


def parse_point(text: str) -> LatLon | None:
    """ "50.73,7.10" (or "50.73 7.10", "50.73; 7.10") → (lat, lon); None if it is not one."""
    parts = text.replace(";", ",").replace(",", " ").split()
    if len(parts) != 2:
        return None
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        return None
    return check_point(lat, lon)


def account_point(session: Session, account_id: str) -> tuple[str, LatLon]:
    """The name and position of a live account; a clear error if it has no pin."""
    row = session.execute(
        select(ACCOUNTS.name, ACCOUNTS.latitude, ACCOUNTS.longitude).where(
            ACCOUNTS.id == account_id, ACCOUNTS.deleted_at.is_(None)
        )
    ).first()
    if row is None:
        raise FieldappError(f"no account with id {account_id}")
    name, lat, lon = row
    if lat is None or lon is None:
        raise FieldappError(f"{name} has no location yet; geocode it or set its pin first")
    return name, (lat, lon)


def nearby(
    session: Session,
    centre: LatLon,
    radius_km: float,
    *,
    limit: int | None = DEFAULT_LIMIT,
    exclude: str | None = None,
) -> list[NearbyAccount]:
    """Live accounts within ``radius_km`` of ``centre``, nearest first (ties by id)."""
    check_radius(radius_km)
    lat0, lon0 = check_point(*centre)
    radius_m = radius_km * 1000.0
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    coslat = max(0.01, math.cos(math.radians(min(89.9, abs(lat0) + dlat))))
    dlon = math.degrees(radius_m / EARTH_RADIUS_M) / coslat
    k = math.cos(math.radians(lat0))
    params: dict[str, float] = {
        "lat0": lat0,
        "lon0": lon0,
        "south": lat0 - dlat,
        "north": lat0 + dlat,
        "k2": k * k,
        # The flat distance below is within ~1 % of the true one up to 100 km;
        # the margin keeps every account the exact test would keep.
        "r2": (dlat * (1.0 + PLANAR_MARGIN)) ** 2,
        "n": -1 if limit is None else 2 * (limit + 1) + 10,
    }
    box = ""
    if dlon < 180.0:
        west, east = lon0 - dlon, lon0 + dlon
        if west < -180.0:  # the box crosses the antimeridian: two longitude ranges
            west += 360.0
        if east > 180.0:
            east -= 360.0
        box = "AND longitude BETWEEN :west AND :east"
        if west > east:
            box = "AND (longitude >= :west OR longitude <= :east)"
        params["west"], params["east"] = west, east
    if radius_km > FLAT_UP_TO_KM:
        # Far from flat: every account in the box is measured in Python.
        params["r2"], params["n"] = 360.0**2, -1
    # Only the index is read here (latitude, longitude and deleted_at are in it, and
    # the rowid): the flat distance and its order are worked out by SQLite, and only
    # the nearest rows reach Python, which measures them exactly.
    dlon_sql = (
        "(CASE WHEN longitude - :lon0 > 180 THEN longitude - :lon0 - 360 "
        "WHEN longitude - :lon0 < -180 THEN longitude - :lon0 + 360 "
        "ELSE longitude - :lon0 END)"
    )
    flat = f"((latitude - :lat0) * (latitude - :lat0) + {dlon_sql} * {dlon_sql} * :k2)"
    nearest = session.execute(
        text(
            f"SELECT rowid, {flat} AS d2 FROM accounts INDEXED BY ix_accounts_location "
            f"WHERE latitude BETWEEN :south AND :north AND deleted_at IS NULL {box} "
            f"AND d2 <= :r2 ORDER BY d2 LIMIT :n"
        ),
        params,
    ).all()
    found = []
    if nearest:
        cols = (
            rowid,
            ACCOUNTS.id,
            ACCOUNTS.name,
            ACCOUNTS.city,
            ACCOUNTS.latitude,
            ACCOUNTS.longitude,
        )
        rows = session.execute(select(*cols).where(rowid.in_([r for r, _ in nearest])))
        for _row, row_id, name, city, lat, lon in rows:
            if row_id == exclude or lat is None or lon is None:
                continue
            d = haversine_m((lat0, lon0), (lat, lon))
            if d <= radius_m:
                found.append(NearbyAccount(row_id, name, city, lat, lon, d))
    found.sort(key=lambda n: (n.distance_m, n.id))
    return found if limit is None else found[:limit]
