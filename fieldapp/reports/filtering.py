"""What every report shares: checking its filter, the period's bounds, weeks and months.

Times are stored in UTC as text (``YYYY-MM-DD HH:MM:SS.ffffff``); a period is a run
of calendar days in the reader's time zone, given as one UTC offset for the whole
report (across a daylight-saving change, a visit within an hour of midnight may land
on the neighbouring day).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, literal
from sqlalchemy.orm import InstrumentedAttribute

from fieldapp.domain.reports import GROUPINGS, ReportFilter
from fieldapp.errors import FieldappError
from fieldapp.store.types import UTCDateTime

# A column or an SQL expression over columns.
Expr = ColumnElement[Any] | InstrumentedAttribute[Any]


def check(kind: str, flt: ReportFilter, by: str) -> None:
    """Refuse a grouping the report does not offer, or a period that ends before it starts."""
    offered = GROUPINGS.get(kind)
    if offered is None:
        raise FieldappError(f"no report called {kind!r} (reports: {', '.join(GROUPINGS)})")
    if by not in offered:
        raise FieldappError(f"the {kind} report groups by {', '.join(offered)}, not by {by!r}")
    if flt.start and flt.end and flt.end < flt.start:
        raise FieldappError(
            f"the period ends ({flt.end.isoformat()}) before it starts ({flt.start.isoformat()})"
        )


def local_today(flt: ReportFilter) -> date:
    return (datetime.now(UTC) + timedelta(minutes=flt.utc_offset_minutes)).date()


def day_start(day: date, flt: ReportFilter) -> datetime:
    """The UTC instant the reader's ``day`` begins."""
    local = datetime.combine(day, time.min, tzinfo=UTC)
    return local - timedelta(minutes=flt.utc_offset_minutes)


def between(column: Any, flt: ReportFilter) -> list[ColumnElement[bool]]:
    """Conditions keeping a UTC timestamp ``column`` inside the period."""
    conds: list[ColumnElement[bool]] = []
    if flt.start is not None:
        conds.append(column >= day_start(flt.start, flt))
    if flt.end is not None:
        conds.append(column < day_start(flt.end + timedelta(days=1), flt))
    return conds


def instant(value: datetime) -> ColumnElement[Any]:
    """``value`` bound as the store keeps timestamps, for SQL date functions."""
    return literal(value, UTCDateTime())


def _shift(flt: ReportFilter) -> str:
    # An int formatted by us: safe to put in SQL text.
    return f"{int(flt.utc_offset_minutes):+d} minutes"


def local_date(column: Any, flt: ReportFilter) -> ColumnElement[str]:
    """The reader's calendar day of a UTC timestamp, ``YYYY-MM-DD``."""
    return func.date(column, _shift(flt))


def week_label(key: str) -> str:
    year, week, _ = date.fromisoformat(key).isocalendar()
    return f"{year}-W{week:02d}"


def month_label(key: str) -> str:
    return date.fromisoformat(f"{key}-01").strftime("%b %Y")


def weeks(first: date, last: date) -> list[str]:
    """Keys of every week from the one holding ``first`` to the one holding ``last``."""
    monday = first - timedelta(days=first.weekday())
    out = []
    while monday <= last:
        out.append(monday.isoformat())
        monday += timedelta(days=7)
    return out


def months(first: date, last: date) -> list[str]:
    """Keys (``YYYY-MM``) of every month from ``first``'s to ``last``'s."""
    out = []
    month = first.replace(day=1)
    while month <= last:
        out.append(month.isoformat()[:7])
        month = next_month(month)
    return out


def next_month(day: date) -> date:
    """The first day of the month after ``day``'s."""
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)
