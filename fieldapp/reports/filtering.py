"""What every report shares: checking its filter, the period's bounds, weeks and months.

Times are stored in UTC as text (``YYYY-MM-DD HH:MM:SS.ffffff``); a period is a run
of calendar days in the reader's time zone, given as one UTC offset for the whole
report (across a daylight-saving change, a visit within an hour of midnight may land
on the neighbouring day).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, literal
from sqlalchemy.orm import InstrumentedAttribute

from fieldapp.domain.report_dates import (
    day_start,
    local_today,
    month_label,
    months,
    next_month,
    week_label,
    weeks,
)
from fieldapp.domain.reports import GROUPINGS, ReportFilter
from fieldapp.errors import FieldappError
from fieldapp.store.types import UTCDateTime

__all__ = [
    "between",
    "check",
    "day_start",
    "instant",
    "local_date",
    "local_today",
    "month_label",
    "months",
    "next_month",
    "week_label",
    "weeks",
]

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
