"""Scheduling visits, moving them, and checking in to them.

Every write goes through :func:`services.create` / :func:`services.update` (row and
outbox entry in one transaction), so all of it syncs. Whoever turns plans into visits
(the agenda, the route planner, a manager planning a rep's day) calls
:func:`schedule_visit`. The rules (recurrence, distance verdict) are
:mod:`fieldapp.domain.visits`, shared with the server.

A position is stored only by :func:`record_position`, which a check-in calls: the
app never takes one at any other time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from fieldapp.domain import visits as rules
from fieldapp.domain.geo import haversine_m
from fieldapp.errors import FieldError, NotFoundError, ValidationError
from fieldapp.store import fields, services
from fieldapp.store.agenda import MIN_VISIT_MINUTES, day_bounds
from fieldapp.store.models import Visit
from fieldapp.store.types import utcnow

# The longest a planned visit may last (a whole working day and then some).
MAX_VISIT_MINUTES = 12 * 60

# --- scheduling and moving ------------------------------------------------------------


def _minutes_error(minutes: int) -> ValidationError:
    return ValidationError(
        [
            FieldError(
                "duration",
                f"a visit lasts between {MIN_VISIT_MINUTES} minutes and "
                f"{MAX_VISIT_MINUTES // 60} hours, got {minutes} minutes",
            )
        ]
    )


def _check_span(start: datetime, end: datetime) -> None:
    minutes = int((end - start).total_seconds() // 60)
    if not MIN_VISIT_MINUTES <= minutes <= MAX_VISIT_MINUTES:
        raise _minutes_error(minutes)


def _as_utc(value: datetime | str, field_name: str) -> datetime:
    cleaned = fields.clean("visits", {field_name: value}, creating=False)
    moment = cleaned[field_name]
    if moment is None:
        raise ValidationError([FieldError(field_name, "is required")])
    assert isinstance(moment, datetime)
    return moment


def schedule_visit(
    session: Session,
    account_id: str,
    start: datetime | str,
    *,
    minutes: int | None = None,
    every_days: int | str | None = None,
    contact_id: str | None = None,
    owner_id: str | None = None,
    route_plan_id: str | None = None,
    notes: str | None = None,
) -> str:
    """Plan a visit to an account; return the visit's id.

    ``minutes`` defaults to the usual length for the account's type (customer 45,
    prospect 30, partner 60). ``every_days`` also sets the account's visit plan
    (:func:`set_visit_frequency`), so that checking this visit in plans the next.
    Naive times are the laptop's local time.
    """
    account = services.get(session, "accounts", account_id)
    begin = _as_utc(start, "planned_start")
    length = rules.visit_minutes(account["type"]) if minutes is None else minutes
    if not MIN_VISIT_MINUTES <= length <= MAX_VISIT_MINUTES:
        raise _minutes_error(length)
    if every_days is not None:
        set_visit_frequency(session, account_id, every_days)
    values: dict[str, Any] = {
        "account_id": account_id,
        "planned_start": begin,
        "planned_end": begin + timedelta(minutes=length),
        "contact_id": contact_id,
        "owner_id": owner_id,
        "route_plan_id": route_plan_id,
        "notes": notes,
    }
    return services.create(session, "visits", {k: v for k, v in values.items() if v is not None})


def set_visit_frequency(session: Session, account_id: str, days: int | str | None) -> None:
    """Visit this account every ``days`` days ("4w" and "30d" are understood); None
    ends the plan (the account is then due every 90 days, and nothing is planned)."""
    services.update(session, "accounts", account_id, {"visit_frequency_days": days})


@dataclass(frozen=True)
class Moved:
    visit_id: str
    old_start: datetime
    old_end: datetime
    start: datetime
    end: datetime


def move_visit(
    session: Session,
    visit_id: str,
    start: datetime | str,
    end: datetime | str | None = None,
    *,
    minutes: int | None = None,
) -> Moved:
    """Move a planned visit, keeping its length unless ``end`` or ``minutes`` says.

    What it returns holds the old times, for undo. A visit that has been checked in
    is history and is not moved.
    """
    visit = services.get(session, "visits", visit_id)
    old_start, old_end = visit["planned_start"], visit["planned_end"]
    if old_start is None:
        raise ValidationError([FieldError("planned_start", "this visit was never planned")])
    if visit["checkin_at"] is not None:
        raise ValidationError(
            [FieldError("planned_start", "this visit has been checked in and cannot be moved")]
        )
    old_end = old_end or old_start + timedelta(minutes=rules.DEFAULT_VISIT_MINUTES)
    begin = _as_utc(start, "planned_start")
    if end is not None:
        finish = _as_utc(end, "planned_end")
    elif minutes is not None:
        finish = begin + timedelta(minutes=minutes)
    else:
        finish = begin + (old_end - old_start)
    _check_span(begin, finish)
    services.update(session, "visits", visit_id, {"planned_start": begin, "planned_end": finish})
    return Moved(visit_id, old_start, old_end, begin, finish)


def cancel_visit(session: Session, visit_id: str) -> None:
    """Remove a planned visit (a tombstone: ``services.restore`` brings it back).

    A visit that has been checked in is history, not a plan, and stays.
    """
    visit = services.get(session, "visits", visit_id)
    if visit["checkin_at"] is not None:
        raise ValidationError(
            [FieldError("checkin_at", "this visit has been checked in; only plans are cancelled")]
        )
    services.delete(session, "visits", visit_id)


# --- checking in ------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckIn:
    """What :func:`check_in` did, and what :func:`undo_check_in` needs."""

    visit_id: str
    planned: bool  # the check-in turned a planned visit into the actual one
    planned_start: datetime | None
    next_visit_id: str | None  # the next visit of the account's plan, planned just now
    next_start: datetime | None


def open_visit_id(session: Session, account_id: str) -> str | None:
    """The account's visit checked in and not yet checked out, if any."""
    return session.scalar(
        select(Visit.id)
        .where(
            Visit.account_id == account_id,
            Visit.checkin_at.is_not(None),
            Visit.checkout_at.is_(None),
            Visit.deleted_at.is_(None),
        )
        .order_by(Visit.checkin_at.desc())
        .limit(1)
    )


def planned_visit_on(session: Session, account_id: str, day: date) -> str | None:
    """The account's first planned, not yet checked-in visit on local ``day``."""
    start, end = day_bounds(day)
    return session.scalar(
        select(Visit.id)
        .where(
            Visit.account_id == account_id,
            Visit.checkin_at.is_(None),
            Visit.planned_start >= start,
            Visit.planned_start < end,
            Visit.deleted_at.is_(None),
        )
        .order_by(Visit.planned_start)
        .limit(1)
    )


def check_in(
    session: Session,
    account_id: str,
    *,
    visit_id: str | None = None,
    at: datetime | None = None,
) -> CheckIn:
    """Check in at an account now (or ``at``).

    With ``visit_id`` (a planned visit of this account), or when the account has a
    visit planned for today, that visit becomes the actual one; otherwise a new
    visit starts. The visit says "no fix" until :func:`record_position` adds the
    position. If the account has a visit plan, the next visit is planned.
    """
    moment = at or utcnow()
    services.get(session, "accounts", account_id)
    already = open_visit_id(session, account_id)
    if already is not None:
        raise ValidationError(
            [FieldError("checkin_at", "already checked in at this account; check out first")]
        )
    if visit_id is None:
        visit_id = planned_visit_on(session, account_id, moment.astimezone().date())
    if visit_id is None:
        new = services.create(
            session,
            "visits",
            {"account_id": account_id, "checkin_at": moment, "checkin_flag": "no_fix"},
        )
        return CheckIn(new, False, None, None, None)
    visit = services.get(session, "visits", visit_id)
    if visit["account_id"] != account_id:
        raise ValidationError([FieldError("visit_id", "that visit is planned at another account")])
    if visit["checkin_at"] is not None:
        raise ValidationError([FieldError("checkin_at", "that visit has been checked in already")])
    services.update(session, "visits", visit_id, {"checkin_at": moment, "checkin_flag": "no_fix"})
    next_id, next_start = _plan_next(session, visit, moment)
    return CheckIn(visit_id, True, visit["planned_start"], next_id, next_start)


def _plan_next(
    session: Session, visit: dict[str, Any], moment: datetime
) -> tuple[str | None, datetime | None]:
    """Plan the account's next visit after checking in to ``visit``, if it has a plan
    and nothing is planned after this visit already."""
    account = services.get(session, "accounts", visit["account_id"])
    frequency = account["visit_frequency_days"]
    start = visit["planned_start"]
    if frequency is None or start is None:
        return None, None
    later = session.scalar(
        select(
            exists().where(
                Visit.account_id == visit["account_id"],
                Visit.checkin_at.is_(None),
                Visit.planned_start > start,
                Visit.deleted_at.is_(None),
            )
        )
    )
    if later:
        return None, None
    end = visit["planned_end"] or start + timedelta(minutes=rules.visit_minutes(account["type"]))
    begin = rules.next_recurrence(start, frequency, moment)
    values = {
        "account_id": visit["account_id"],
        "planned_start": begin,
        "planned_end": begin + (end - start),
        "contact_id": visit["contact_id"],
        "owner_id": visit["owner_id"],
    }
    new = services.create(session, "visits", {k: v for k, v in values.items() if v is not None})
    return new, begin


@dataclass(frozen=True)
class PositionCheck:
    """Where a check-in stood against its account."""

    flag: str  # one of domain.visits.CHECKIN_FLAGS
    distance_m: float | None
    accuracy_m: float | None

    def describe(self) -> str:
        """ "180 m from the account (± 25 m)", "1.2 km from the account — far", "no fix"."""
        return describe_check(self.flag, self.distance_m, self.accuracy_m)


def describe_check(flag: str | None, distance_m: float | None, accuracy_m: float | None) -> str:
    """A check-in's verdict in words; empty for visits that were never measured.

    "195 m from the account (± 15 m)", "far — 1.2 km from the account", "no fix".
    The verdict comes first, so a narrow column never hides it.
    """
    if flag is None:
        return ""
    if flag in ("no_fix", "no_location") or distance_m is None:
        return rules.FLAG_TEXT.get(flag, flag)
    text = f"{rules.describe_distance(distance_m)} from the account"
    if accuracy_m is not None:
        text += f" (± {rules.describe_distance(accuracy_m)})"
    return f"far — {text}" if flag == "far" else text


def record_position(
    session: Session,
    visit_id: str,
    latitude: float | None,
    longitude: float | None,
    accuracy_m: float | None,
    *,
    far_m: float = rules.FAR_FROM_ACCOUNT_M,
) -> PositionCheck | None:
    """Store a check-in's fix with its distance from the account and the verdict.

    No fix (latitude None) marks the visit "no fix". Nothing else ever stores a
    position: it is taken only for a check-in. A visit that is no longer checked in
    (the check-in was undone while the fix was on its way) is left alone: None.
    """
    try:
        visit = services.get(session, "visits", visit_id)
    except NotFoundError:
        return None
    if visit["checkin_at"] is None:
        return None
    if latitude is None or longitude is None:
        services.update(session, "visits", visit_id, {"checkin_flag": "no_fix"})
        return PositionCheck("no_fix", None, None)
    account = services.get(session, "accounts", visit["account_id"])
    distance = None
    if account["latitude"] is not None and account["longitude"] is not None:
        distance = haversine_m((latitude, longitude), (account["latitude"], account["longitude"]))
    flag = rules.checkin_flag(distance, accuracy_m, far_m)
    services.update(
        session,
        "visits",
        visit_id,
        {
            "checkin_latitude": latitude,
            "checkin_longitude": longitude,
            "checkin_accuracy_m": accuracy_m,
            "checkin_distance_m": None if distance is None else round(distance, 1),
            "checkin_flag": flag,
        },
    )
    return PositionCheck(flag, distance, accuracy_m)


def undo_check_in(session: Session, done: CheckIn) -> None:
    """Take back a check-in: a planned visit is planned again, a new one goes, and
    the next visit its plan added is removed."""
    if done.next_visit_id is not None:
        services.delete(session, "visits", done.next_visit_id)
    if not done.planned:
        services.delete(session, "visits", done.visit_id)
        return
    services.update(
        session,
        "visits",
        done.visit_id,
        {
            "checkin_at": None,
            "checkout_at": None,
            "checkin_latitude": None,
            "checkin_longitude": None,
            "checkin_accuracy_m": None,
            "checkin_distance_m": None,
            "checkin_flag": None,
        },
    )
