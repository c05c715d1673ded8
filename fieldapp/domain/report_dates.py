"""Calendar rules every report shares, wherever it is made (replica or server).

A period is a run of calendar days in the reader's time zone, given as one UTC offset
for the whole report; times are kept in UTC. Weeks start on Monday (ISO 8601).
Pure Python: no database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from fieldapp.domain.reports import ReportFilter


def local_today(flt: ReportFilter) -> date:
    return (datetime.now(UTC) + timedelta(minutes=flt.utc_offset_minutes)).date()


def day_start(day: date, flt: ReportFilter) -> datetime:
    """The UTC instant the reader's ``day`` begins."""
    local = datetime.combine(day, time.min, tzinfo=UTC)
    return local - timedelta(minutes=flt.utc_offset_minutes)


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


def buckets(
    first: date, last: date, by: str, flt: ReportFilter
) -> list[tuple[str, datetime, datetime]]:
    """(key, start, end) of each week or month from ``first`` to ``last``, in UTC.

    The first and last bucket are cut at the period's bounds: a month from the 15th
    counts from the 15th.
    """
    if by == "week":
        days = [date.fromisoformat(k) for k in weeks(first, last)]
        ends = [d + timedelta(days=7) for d in days]
    else:
        days = [date.fromisoformat(f"{k}-01") for k in months(first, last)]
        ends = [*days[1:], next_month(days[-1])] if days else []
    after = last + timedelta(days=1)
    return [
        (
            d.isoformat()[: 10 if by == "week" else 7],
            day_start(max(d, first), flt),
            day_start(min(e, after), flt),
        )
        for d, e in zip(days, ends, strict=True)
    ]
