"""Saved day plans: listed, reopened, edited, deleted, and turned into planned visits.

A plan is a RoutePlan row with its RouteStops (``planner.save_plan``). Reopening
rebuilds the request the plan was made from (day, start, end, hours, breaks, stops with
their appointments), so the planner can show it again, change it and optimise anew.
"Plan visits" makes each stop a planned visit at its planned time (store.scheduling),
so the day shows in the agenda and on the Today page, and checking in fills it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldapp.errors import NotFoundError
from fieldapp.maps import planner
from fieldapp.maps.day_plan import BreakRequest, DayPlan, RouteRequest, parse_hhmm
from fieldapp.store import scheduling, services
from fieldapp.store.models import RoutePlan, RouteStop


@dataclass(frozen=True)
class SavedPlan:
    id: str
    name: str
    plan_date: date
    stops: int
    distance_km: float | None
    leave: str | None
    back: str | None
    visits_planned: int


@dataclass(frozen=True)
class Reopened:
    """What the planner needs to show a saved plan again."""

    plan_id: str
    name: str
    request: RouteRequest
    order: list[str]  # account ids in the saved order


def list_plans(session: Session, *, since: date | None = None, limit: int = 200) -> list[SavedPlan]:
    """Saved plans, the latest day first (``since``: only plans from that day on)."""
    stops = (
        select(
            RouteStop.route_plan_id.label("plan_id"),
            func.count().label("n"),
            func.count(RouteStop.visit_id).label("visits"),
        )
        .where(RouteStop.deleted_at.is_(None))
        .group_by(RouteStop.route_plan_id)
        .subquery()
    )
    query = (
        select(RoutePlan, stops.c.n, stops.c.visits)
        .outerjoin(stops, stops.c.plan_id == RoutePlan.id)
        .where(RoutePlan.deleted_at.is_(None))
        .order_by(RoutePlan.plan_date.desc(), RoutePlan.created_at.desc())
        .limit(limit)
    )
    if since is not None:
        query = query.where(RoutePlan.plan_date >= since)
    out = []
    for plan, n, visits in session.execute(query):
        settings = plan.settings or {}
        out.append(
            SavedPlan(
                id=plan.id,
                name=plan.name or f"Route {plan.plan_date.isoformat()}",
                plan_date=plan.plan_date,
                stops=n or 0,
                distance_km=None if plan.total_distance_m is None else plan.total_distance_m / 1000,
                leave=settings.get("leave"),
                back=settings.get("back"),
                visits_planned=visits or 0,
            )
        )
    return out


def _stops(session: Session, plan_id: str) -> list[RouteStop]:
    return list(
        session.scalars(
            select(RouteStop)
            .where(RouteStop.route_plan_id == plan_id, RouteStop.deleted_at.is_(None))
            .order_by(RouteStop.position)
        )
    )


def _plan(session: Session, plan_id: str) -> RoutePlan:
    plan = session.get(RoutePlan, plan_id)
    if plan is None or plan.deleted_at is not None:
        raise NotFoundError(f"no saved route with id {plan_id}")
    return plan


def _seconds_of_day(moment: datetime | None, request_day: datetime) -> int | None:
    if moment is None:
        return None
    return int((moment.astimezone(request_day.tzinfo) - request_day).total_seconds())


def reopen(session: Session, plan_id: str) -> Reopened:
    """The request a saved plan was made from, with its stops in the saved order."""
    plan = _plan(session, plan_id)
    stops = _stops(session, plan_id)
    settings: dict[str, Any] = plan.settings or {}
    breaks = tuple(
        BreakRequest(parse_hhmm(b["earliest"]), parse_hhmm(b["latest"]), int(b["minutes"]) * 60)
        for b in settings.get("breaks", [])
    )
    start = (plan.start_latitude, plan.start_longitude)
    end = (plan.end_latitude, plan.end_longitude)
    if None in start:
        raise NotFoundError(f"the saved route {plan.name!r} has no start")
    shell = RouteRequest(
        plan_date=plan.plan_date,
        start=(float(start[0] or 0), float(start[1] or 0)),
        stops=(),
        timezone=settings.get("timezone"),
    )
    midnight = datetime.combine(plan.plan_date, datetime.min.time(), tzinfo=shell.tz())
    windows: dict[str, tuple[int, int]] = {}
    for stop in stops:
        begin = _seconds_of_day(stop.window_start, midnight)
        finish = _seconds_of_day(stop.window_end, midnight)
        if begin is not None and finish is not None:
            windows[stop.account_id] = (begin, finish)
    order = [s.account_id for s in stops]
    stop_requests = planner.stop_requests(
        session,
        order,
        windows=windows,
        service_minutes={s.account_id: s.service_minutes for s in stops},
    )
    request = RouteRequest(
        plan_date=plan.plan_date,
        start=shell.start,
        stops=tuple(stop_requests),
        end=None if None in end or end == start else (float(end[0] or 0), float(end[1] or 0)),
        day_start=parse_hhmm(plan.day_start or "08:00"),
        day_end=parse_hhmm(plan.day_end or "17:00"),
        breaks=breaks,
        timezone=settings.get("timezone"),
    )
    return Reopened(plan.id, plan.name or "", request, order)


def replace_plan(session: Session, plan_id: str, plan: DayPlan) -> str:
    """Save an edited plan over the one it was reopened from (same id, new stops)."""
    _plan(session, plan_id)
    for stop in _stops(session, plan_id):
        services.delete(session, "route_stops", stop.id)
    services.update(session, "route_plans", plan_id, planner.plan_values(plan))
    planner.write_stops(session, plan_id, plan)
    return plan_id


def delete_plan(session: Session, plan_id: str) -> None:
    """Delete a saved plan and its stops (planned visits made from it stay)."""
    _plan(session, plan_id)
    services.delete(session, "route_plans", plan_id)


def restore_plan(session: Session, plan_id: str) -> None:
    """Undo :func:`delete_plan`."""
    services.restore(session, "route_plans", plan_id)


def plan_visits(session: Session, plan_id: str, *, owner_id: str | None = None) -> list[str]:
    """Make every stop without a visit a planned visit at its time; return the new ids.

    A stop that already has a planned visit keeps it, so pressing this twice plans
    nothing twice. ``owner_id``: whose visits these are (a manager planning for a rep).
    """
    _plan(session, plan_id)
    made = []
    for stop in _stops(session, plan_id):
        start = _visit_start(stop)
        if stop.visit_id is not None or start is None:
            continue
        visit_id = scheduling.schedule_visit(
            session,
            stop.account_id,
            start,
            minutes=stop.service_minutes,
            owner_id=owner_id,
            route_plan_id=plan_id,
        )
        services.update(session, "route_stops", stop.id, {"visit_id": visit_id})
        made.append(visit_id)
    return made


def _visit_start(stop: RouteStop) -> datetime | None:
    """When the visit itself begins: the departure minus its length (after any wait)."""
    if stop.departure is not None:
        return stop.departure - timedelta(minutes=stop.service_minutes)
    return stop.arrival
