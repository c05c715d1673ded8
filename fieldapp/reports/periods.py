"""Named periods (this week, last month, ...) as first and last day, both included.

Weeks start on Monday (ISO 8601), quarters in January, April, July and October.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from fieldapp.errors import FieldappError
from fieldapp.reports.filtering import next_month

# Name -> label, in the order a period picker lists them.
PRESETS = {
    "this_week": "This week",
    "last_week": "Last week",
    "this_month": "This month",
    "last_month": "Last month",
    "this_quarter": "This quarter",
    "last_quarter": "Last quarter",
    "this_year": "This year",
    "last_30_days": "Last 30 days",
}


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def period(name: str, today: date) -> tuple[date, date]:
    """The days of the period called ``name`` around ``today``."""
    if name == "this_week":
        monday = today - timedelta(days=today.weekday())
        return monday, monday + timedelta(days=6)
    if name == "last_week":
        monday = today - timedelta(days=today.weekday() + 7)
        return monday, monday + timedelta(days=6)
    if name == "this_month":
        first = _month_start(today)
        return first, next_month(first) - timedelta(days=1)
    if name == "last_month":
        end = _month_start(today) - timedelta(days=1)
        return _month_start(end), end
    if name == "this_quarter":
        first = _quarter_start(today)
        return first, _quarter_start(first + timedelta(days=95)) - timedelta(days=1)
    if name == "last_quarter":
        end = _quarter_start(today) - timedelta(days=1)
        return _quarter_start(end), end
    if name == "this_year":
        return date(today.year, 1, 1), date(today.year, 12, 31)
    if name == "last_30_days":
        return today - timedelta(days=29), today
    raise FieldappError(f"no period called {name!r} (periods: {', '.join(PRESETS)})")


def local_utc_offset_minutes() -> int:
    """This computer's offset from UTC now: where the reader's days and weeks begin."""
    offset = datetime.now().astimezone().utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0
