"""Rules about visits that the replica, the reports and the server all apply alike.

- **Visit frequency**: an account is visited every ``visit_frequency_days`` days; an
  account without one is due every :data:`DEFAULT_FREQUENCY_DAYS` days. An account is
  *due for a visit* once that many days have passed since its last visit (or, never
  visited, since it was created) — "not visited within its frequency".
- **Recurring plans**: when a planned visit of an account with a frequency is checked
  in, the next one is planned that many days after the planned one (same local time of
  day), and later still if that moment has passed already.
- **Check-in verification**: a check-in is "far from the account" when the fix lies
  more than :data:`FAR_FROM_ACCOUNT_M` beyond its own accuracy from the account's pin.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

from fieldapp.domain.values import CHECKIN_FLAGS as CHECKIN_FLAGS
from fieldapp.domain.values import CheckinFlag

DEFAULT_FREQUENCY_DAYS = 90
# Once a year at the least, once a day at the most.
MIN_FREQUENCY_DAYS = 1
MAX_FREQUENCY_DAYS = 366

FAR_FROM_ACCOUNT_M = 300.0

# How long a visit takes by account type, in minutes (the route planner's default too).
VISIT_MINUTES = {"customer": 45, "prospect": 30, "partner": 60}
DEFAULT_VISIT_MINUTES = 30

FLAG_TEXT: dict[str, str] = {
    "ok": "at the account",
    "far": "far from the account",
    "no_fix": "no fix",
    "no_location": "account has no location",
}

_EVERY = re.compile(r"^\s*(\d+)\s*(d|day|days|w|wk|week|weeks)?\s*$", re.IGNORECASE)


def parse_frequency(text: str) -> int:
    """``"4w"``, ``"4 weeks"``, ``"30d"`` or ``"30"`` (days) as a number of days.

    Raises ValueError with a sentence for a person.
    """
    match = _EVERY.match(text)
    if match is None:
        raise ValueError(f"expected a number of weeks or days such as 4w or 30d, got {text!r}")
    number = int(match.group(1))
    days = number * 7 if (match.group(2) or "d").lower().startswith("w") else number
    if not MIN_FREQUENCY_DAYS <= days <= MAX_FREQUENCY_DAYS:
        raise ValueError(
            f"a visit frequency must be between {MIN_FREQUENCY_DAYS} and "
            f"{MAX_FREQUENCY_DAYS} days, got {days}"
        )
    return days


def describe_frequency(days: int | None) -> str:
    """``28`` -> "every 4 weeks"; None -> the default, said as such."""
    if days is None:
        return f"every {DEFAULT_FREQUENCY_DAYS} days (default)"
    if days % 7 == 0:
        weeks = days // 7
        return "every week" if weeks == 1 else f"every {weeks} weeks"
    return "every day" if days == 1 else f"every {days} days"


def frequency_days(value: int | None) -> int:
    """The frequency that applies: the account's own, or the default."""
    return DEFAULT_FREQUENCY_DAYS if value is None else value


def visit_due_at(
    last_visit_at: datetime | None, created_at: datetime, frequency: int | None
) -> datetime:
    """When an account falls due for its next visit."""
    since = last_visit_at if last_visit_at is not None else created_at
    return since + timedelta(days=frequency_days(frequency))


def visit_minutes(account_type: str | None) -> int:
    """The usual length of a visit to an account of this type."""
    return VISIT_MINUTES.get(account_type or "", DEFAULT_VISIT_MINUTES)


def _add_local_days(moment: datetime, days: int) -> datetime:
    """``moment`` plus ``days`` calendar days at the same local wall-clock time.

    Across a daylight-saving change the UTC offset differs; the visit stays at 10:00.
    """
    local = moment.astimezone().replace(tzinfo=None) + timedelta(days=days)
    return local.astimezone().astimezone(moment.tzinfo)


def next_recurrence(planned_start: datetime, frequency: int, after: datetime) -> datetime:
    """The next visit of a plan: ``frequency`` days after ``planned_start``, past ``after``."""
    steps = 1
    if after > planned_start:
        # Skip whole periods at once (a plan checked in months late).
        steps = max(1, math.ceil((after - planned_start) / timedelta(days=frequency)))
    moment = _add_local_days(planned_start, steps * frequency)
    while moment <= after:
        steps += 1
        moment = _add_local_days(planned_start, steps * frequency)
    return moment


def checkin_flag(
    distance_m: float | None, accuracy_m: float | None, far_m: float = FAR_FROM_ACCOUNT_M
) -> CheckinFlag:
    """What a check-in's position says: at the account, far from it, or unknown.

    ``distance_m`` is None when the account has no location. A fix without an accuracy
    is taken at its word (accuracy 0).
    """
    if distance_m is None:
        return "no_location"
    return "far" if distance_m > (accuracy_m or 0.0) + far_m else "ok"


def describe_distance(distance_m: float) -> str:
    """``180`` -> "180 m"; ``1234`` -> "1.2 km"."""
    if round(distance_m) < 1000:
        return f"{distance_m:.0f} m"
    return f"{distance_m / 1000:.1f} km"
