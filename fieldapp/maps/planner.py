"""Routes and the replica: stops from accounts, plans saved as RoutePlan + RouteStops."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from fieldapp.errors import NotFoundError
from fieldapp.maps.day_plan import (
    DEFAULT_SERVICE_MINUTES,
    DayPlan,
    RouteRequest,
    StopRequest,
    hhmm,
)
from fieldapp.maps.geo import LatLon, Nearby, Place, nearby, select_in_polygon
from fieldapp.store import services
from fieldapp.store.models import Account


@dataclass(frozen=True)
class AccountPoint:
    """What the map and the planner need of an account, as plain values."""

    id: str
    name: str
    lat: float | None
    lon: float | None
    type: str
    status: str
    precision: str | None
    territory_id: str | None
    last_visit: datetime | None
    owner_id: str | None = None


def account_points(
    session: Session,
    *,
    territory_id: str | None = None,
    ids: Sequence[str] | None = None,
    located_only: bool = False,
    ordered: bool = True,
) -> list[AccountPoint]:
    """Accounts with their last visit, in one query (see :func:`iter_account_points`)."""
    return list(
        iter_account_points(
            session, territory_id=territory_id, ids=ids, located_only=located_only, ordered=ordered
        )
    )


def iter_account_points(
    session: Session,
    *,
    territory_id: str | None = None,
    ids: Sequence[str] | None = None,
    located_only: bool = False,
    ordered: bool = True,
) -> Iterator[AccountPoint]:
    """Accounts with their last visit as the query yields them (no ORM objects per row).

    Plain SQL without result type processing: the map reads 20k rows of this on
    every rebuild, and per-value type decorators cost four times the query itself.
    """
    sql = (
        "SELECT a.id, a.name, a.latitude, a.longitude, a.type, a.status,"
        " a.geocode_precision, a.territory_id, v.last, a.owner_id FROM accounts AS a"
        " LEFT JOIN (SELECT account_id, max(checkin_at) AS last FROM visits"
        " WHERE deleted_at IS NULL GROUP BY account_id) AS v ON v.account_id = a.id"
        " WHERE a.deleted_at IS NULL"
    )
    params: dict[str, Any] = {}
    if territory_id is not None:
        sql += " AND a.territory_id = :territory_id"
        params["territory_id"] = territory_id
    if ids is not None:
        sql += " AND a.id IN :ids"
        params["ids"] = list(ids)
    if located_only:
        sql += " AND a.latitude IS NOT NULL AND a.longitude IS NOT NULL"
    if ordered:
        sql += " ORDER BY a.name, a.id"
    stmt = text(sql)
    if ids is not None:
        stmt = stmt.bindparams(bindparam("ids", expanding=True))
    for r in session.execute(stmt, params):
        last = r[8]
        if isinstance(last, str):
            last = datetime.fromisoformat(last)
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=UTC)
        yield AccountPoint(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], last, r[9])


def _places(points: Sequence[AccountPoint]) -> list[Place]:
    return [Place(p.id, p.lat, p.lon) for p in points if p.lat is not None and p.lon is not None]


def nearby_accounts(session: Session, centre: LatLon | str, radius_km: float) -> list[Nearby]:
    """Accounts within ``radius_km`` of a point or of an account (itself excluded)."""
    exclude = None
    if isinstance(centre, str):
        exclude = centre
        acc = session.get(Account, centre)
        if acc is None or acc.deleted_at is not None:
            raise NotFoundError(f"no account with id {centre}")
        if acc.latitude is None or acc.longitude is None:
            raise NotFoundError(f"account {acc.name} has no location yet; geocode it first")
        centre = (acc.latitude, acc.longitude)
    found = nearby(_places(account_points(session, located_only=True)), centre, radius_km)
    return [n for n in found if n.id != exclude]


def accounts_in_polygon(session: Session, polygon: Sequence[LatLon]) -> list[str]:
    return select_in_polygon(_places(account_points(session, located_only=True)), polygon)


def stop_requests(
    session: Session,
    account_ids: Sequence[str],
    *,
    windows: dict[str, tuple[int, int]] | None = None,
    service_minutes: dict[str, int] | None = None,
) -> list[StopRequest]:
    """Stops for accounts, visit length by account type unless given per account."""
    points = {p.id: p for p in account_points(session, ids=account_ids)}
    out = []
    for account_id in account_ids:
        p = points.get(account_id)
        if p is None:
            raise NotFoundError(f"no account with id {account_id}")
        minutes = (service_minutes or {}).get(account_id) or DEFAULT_SERVICE_MINUTES.get(p.type, 30)
        out.append(
            StopRequest(
                account_id=p.id,
                lat=p.lat,
                lon=p.lon,
                name=p.name,
                service_s=minutes * 60,
                window=(windows or {}).get(account_id),
            )
        )
    return out


def plan_values(plan: DayPlan, name: str | None = None) -> dict[str, Any]:
    """A day plan as the fields of its RoutePlan row."""
    req = plan.request
    settings: dict[str, Any] = {
        "travel_times": plan.matrix_source,
        "leave": hhmm(plan.leave),
        "back": hhmm(plan.back),
        "breaks": [
            {"earliest": hhmm(b.earliest), "latest": hhmm(b.latest), "minutes": b.duration_s // 60}
            for b in req.breaks
        ],
        "timezone": req.timezone,
        "unserved": [{"account_id": u.account_id, "reason": u.reason} for u in plan.unserved],
        "problems": list(plan.problems),
    }
    values: dict[str, Any] = {
        "plan_date": req.plan_date,
        "start_latitude": req.start[0],
        "start_longitude": req.start[1],
        "end_latitude": req.end_point[0],
        "end_longitude": req.end_point[1],
        "day_start": hhmm(req.day_start),
        "day_end": hhmm(req.day_end),
        "total_distance_m": float(plan.total_distance_m),
        "total_duration_s": max(0, plan.back - plan.leave),
        "settings": settings,
    }
    if name is not None:
        values["name"] = name
    return values


def write_stops(session: Session, plan_id: str, plan: DayPlan) -> None:
    """The plan's stops as RouteStops of ``plan_id`` (outbox entries included)."""
    for s in plan.stops:
        services.create(
            session,
            "route_stops",
            {
                "route_plan_id": plan_id,
                "account_id": s.account_id,
                "position": s.position,
                "arrival": plan.at(s.arrival),
                "departure": plan.at(s.departure),
                "window_start": plan.at(s.window[0]) if s.window else None,
                "window_end": plan.at(s.window[1]) if s.window else None,
                "service_minutes": s.service_s // 60,
                "travel_s": s.travel_s,
                "wait_s": s.wait_s,
            },
        )


def save_plan(
    session: Session, plan: DayPlan, *, name: str | None = None, owner_id: str | None = None
) -> str:
    """Store a plan as a RoutePlan with its RouteStops (outbox entries included).

    ``owner_id`` makes it someone else's (a manager planning a rep's day); by default
    it is the signed-in user's.
    """
    values = plan_values(plan, name or f"Route {plan.request.plan_date.isoformat()}")
    if owner_id is not None:
        values["owner_id"] = owner_id
    plan_id = services.create(session, "route_plans", values)
    write_stops(session, plan_id, plan)
    return plan_id


def route_request(
    session: Session,
    plan_date: Any,
    start: LatLon,
    account_ids: Sequence[str],
    **kwargs: Any,
) -> RouteRequest:
    """Convenience: a request for these accounts with per-type visit lengths."""
    windows = kwargs.pop("windows", None)
    service = kwargs.pop("service_minutes", None)
    stops = stop_requests(session, account_ids, windows=windows, service_minutes=service)
    return RouteRequest(plan_date=plan_date, start=start, stops=tuple(stops), **kwargs)
