"""What the replica knows about a day that a route should start from.

The day's planned visits become stops with their times as appointments, and the last
check-in of the day is where "here" is: the app takes no position outside a check-in
(fieldapp.ui.position), so the rep's current position is the one they last checked in at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.maps.geo import LatLon
from fieldapp.store.models import Account, Visit


@dataclass(frozen=True)
class DayVisit:
    visit_id: str
    account_id: str
    window: tuple[int, int]  # seconds of the day, local time


@dataclass(frozen=True)
class LastCheckIn:
    account_id: str
    point: LatLon
    at: datetime


def _bounds(day: date, timezone: str | None) -> tuple[datetime, datetime]:
    zone = ZoneInfo(timezone) if timezone else datetime.now().astimezone().tzinfo
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start, start + timedelta(days=1)


def planned_visits(session: Session, day: date, timezone: str | None = None) -> list[DayVisit]:
    """The day's planned visits not yet checked in, in time order."""
    start, end = _bounds(day, timezone)
    rows = session.execute(
        select(Visit.id, Visit.account_id, Visit.planned_start, Visit.planned_end)
        .where(
            Visit.deleted_at.is_(None),
            Visit.checkin_at.is_(None),
            Visit.planned_start >= start,
            Visit.planned_start < end,
        )
        .order_by(Visit.planned_start)
    )
    out = []
    for visit_id, account_id, begin, finish in rows:
        if begin is None:
            continue
        finish = finish or begin + timedelta(minutes=30)
        window = (
            int((begin.astimezone(start.tzinfo) - start).total_seconds()),
            int((finish.astimezone(start.tzinfo) - start).total_seconds()),
        )
        out.append(DayVisit(visit_id, account_id, window))
    return out


def last_check_in(session: Session, day: date, timezone: str | None = None) -> LastCheckIn | None:
    """The day's latest check-in: where it was taken, or the account's pin without a fix."""
    start, end = _bounds(day, timezone)
    row = session.execute(
        select(
            Visit.account_id,
            Visit.checkin_at,
            Visit.checkin_latitude,
            Visit.checkin_longitude,
            Account.latitude,
            Account.longitude,
        )
        .join(Account, Account.id == Visit.account_id)
        .where(Visit.deleted_at.is_(None), Visit.checkin_at >= start, Visit.checkin_at < end)
        .order_by(Visit.checkin_at.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    account_id, at, lat, lon, pin_lat, pin_lon = row
    if lat is None or lon is None:
        lat, lon = pin_lat, pin_lon
    if lat is None or lon is None or at is None:
        return None
    return LastCheckIn(account_id, (float(lat), float(lon)), at)
