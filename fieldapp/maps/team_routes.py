"""A manager plans a rep's day: the rep's stops and the visits the route becomes.

The route is the day planner's (:mod:`fieldapp.maps.routing`); what differs is whose
it is. The stops default to the rep's accounts due for a visit (longest overdue
first); the day starts where :mod:`fieldapp.maps.team_homes` says. Saving writes the
route plan and one planned visit per stop, all owned by the rep (through
:func:`scheduling.schedule_visit`, so each has its outbox entry): the next sync takes
them to the server, and the rep's next sync brings them into the rep's Agenda, where
they can be accepted as they are or moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from fieldapp.errors import FieldappError
from fieldapp.maps import saved_plans
from fieldapp.maps.day_plan import DayPlan
from fieldapp.maps.planner import account_points, save_plan
from fieldapp.store import scheduling, services
from fieldapp.store.due import due_for_visit

# Stops a new route for a rep starts with: about a day's work at 45 minutes a visit.
DEFAULT_STOPS = 8


@dataclass(frozen=True)
class RepRoute:
    plan_id: str
    visit_ids: list[str]


# --- the day's stops and saving ----------------------------------------------------


def rep_stops(
    session: Session, rep_id: str, limit: int = DEFAULT_STOPS, *, now: datetime | None = None
) -> list[str]:
    """The rep's located accounts due for a visit (and none planned), longest overdue first."""
    due = due_for_visit(session, owner_id=rep_id, limit=max(limit * 4, 50), now=now)
    located = {
        p.id
        for p in account_points(session, ids=[a.id for a in due.accounts], ordered=False)
        if p.lat is not None and p.lon is not None
    }
    return [a.id for a in due.accounts if a.id in located][:limit]


# --- saving -----------------------------------------------------------------------------


def save_for_rep(session: Session, plan: DayPlan, rep_id: str) -> RepRoute:
    """The plan as the rep's route plan and one planned visit per stop, owned by the rep.

    Each visit starts when the plan has the rep start it (after any wait for an
    appointment) and lasts the stop's visit time (:func:`saved_plans.plan_visits`).
    """
    if not plan.stops:
        raise FieldappError("the route has no stops to plan as visits")
    plan_id = save_plan(session, plan, owner_id=rep_id)
    return RepRoute(plan_id, saved_plans.plan_visits(session, plan_id, owner_id=rep_id))


def undo_for_rep(session: Session, route: RepRoute) -> None:
    """Take a saved route back: its planned visits cancelled, the plan and stops deleted.

    Tombstones, as every delete: if the route already reached the server, the next
    sync takes it off the rep's agenda too.
    """
    for visit_id in route.visit_ids:
        scheduling.cancel_visit(session, visit_id)
    services.delete(session, "route_plans", route.plan_id)
