"""What a report says: its filter, its rows, and the rules behind its figures.

The replica computes reports with SQL over its SQLite file (:mod:`fieldapp.reports`);
the server computes the same reports over its own tables (``fieldapp.server.reporting``,
``GET /reports/{kind}``) for the caller's whole scope.
Both return these types, so the CLI, the Reports panel and the Team panel read a
report the same way wherever it was made, and a report travels as JSON
(:func:`to_wire` / :func:`from_wire`). Pure Python: no database, no Qt.

Money is never summed across currencies: every row that holds an amount names its
currency, and a grouping with deals in two currencies gives two rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

import msgspec

from fieldapp.domain.visits import DEFAULT_FREQUENCY_DAYS

# Report -> the groupings it offers, the default first.
GROUPINGS: dict[str, tuple[str, ...]] = {
    "visits": ("rep", "week", "month", "territory"),
    "coverage": ("territory", "rep"),
    "pipeline": ("stage", "rep", "month", "territory"),
    "forecast": ("month", "rep", "territory"),
    "wins": ("reason", "rep", "month", "territory"),
    "activity": ("time",),
}
KINDS = tuple(GROUPINGS)

# Labels of rows whose key is missing (a record with no owner, territory, close date...).
NO_REP = "(no rep)"
NO_TERRITORY = "(no territory)"
NO_DATE = "(no close date)"
NO_REASON = "(no reason given)"
TOTAL = "Total"

CENT = Decimal("0.01")


@dataclass(frozen=True)
class ReportFilter:
    """Which records a report counts.

    ``start`` and ``end`` are calendar days in the reader's time zone, both included
    (None: unbounded). Times are stored in UTC; ``utc_offset_minutes`` is the reader's
    offset, used for the period's bounds and for day, week and month buckets.
    """

    start: date | None = None
    end: date | None = None
    territory_id: str | None = None
    rep_id: str | None = None
    utc_offset_minutes: int = 0


# --- rules -----------------------------------------------------------------------------


def weighted_amount(cents_times_percent: int) -> Decimal:
    """An amount from a sum of ``amount in cents × probability in percent``.

    The weighted forecast is Σ amount × probability; summing the exact integer
    products and dividing once means no per-deal rounding adds up.
    """
    return (Decimal(cents_times_percent) / 10_000).quantize(CENT, rounding=ROUND_HALF_UP)


def amount(cents: int | None) -> Decimal:
    return (Decimal(cents or 0) / 100).quantize(CENT)


def win_rate(won: int, lost: int) -> float | None:
    """Share of closed deals that were won (by count); None when none closed."""
    closed = won + lost
    return won / closed if closed else None


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --- visits ----------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitsRow:
    """Visits done (checked in) in one group.

    ``timed`` visits have a check-out after their check-in; ``minutes`` is their
    total length, so the average is ``minutes / timed``.
    """

    key: str | None
    label: str
    visits: int
    timed: int
    minutes: int
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def average_minutes(self) -> float | None:
        return self.minutes / self.timed if self.timed else None


@dataclass(frozen=True)
class VisitsReport:
    filter: ReportFilter
    by: str
    outcomes: tuple[str, ...]  # the outcome columns, in this order
    rows: list[VisitsRow]
    total: VisitsRow
    kind: str = "visits"


# --- coverage --------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageRow:
    """Active accounts of one group and whether each was visited within its frequency."""

    key: str | None
    label: str
    accounts: int
    overdue: int  # not visited within their frequency (never visited included)
    never_visited: int

    @property
    def covered(self) -> int:
        return self.accounts - self.overdue

    @property
    def coverage(self) -> float | None:
        return share(self.covered, self.accounts)


@dataclass(frozen=True)
class CoverageReport:
    filter: ReportFilter
    by: str
    as_of: date
    rows: list[CoverageRow]
    total: CoverageRow
    # What an account without a visit frequency of its own is due by.
    default_frequency_days: int = DEFAULT_FREQUENCY_DAYS
    kind: str = "coverage"


# --- deals -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PipelineRow:
    """Open deals of one group in one currency; ``by_stage`` splits ``amount`` by stage."""

    key: str | None
    label: str
    currency: str
    deals: int
    amount: Decimal
    weighted: Decimal
    by_stage: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class PipelineReport:
    filter: ReportFilter
    by: str
    stages: tuple[str, ...]  # open stages, in pipeline order
    rows: list[PipelineRow]
    totals: list[PipelineRow]  # one per currency
    kind: str = "pipeline"


@dataclass(frozen=True)
class ForecastRow:
    """What one group (by default a close month) is expected to bring, in one currency.

    ``expected`` is what was won plus the weighted forecast of what is still open.
    """

    key: str | None
    label: str
    currency: str
    open_deals: int
    pipeline: Decimal
    weighted: Decimal
    won_deals: int
    won: Decimal

    @property
    def expected(self) -> Decimal:
        return self.won + self.weighted


@dataclass(frozen=True)
class ForecastReport:
    filter: ReportFilter
    by: str
    rows: list[ForecastRow]
    totals: list[ForecastRow]
    kind: str = "forecast"


@dataclass(frozen=True)
class WinsRow:
    """Deals won and lost in one group, in one currency."""

    key: str | None
    label: str
    currency: str
    won: int
    won_amount: Decimal
    lost: int
    lost_amount: Decimal

    @property
    def win_rate(self) -> float | None:
        return win_rate(self.won, self.lost)


@dataclass(frozen=True)
class WinsReport:
    filter: ReportFilter
    by: str
    rows: list[WinsRow]
    totals: list[WinsRow]
    kind: str = "wins"


# --- activity --------------------------------------------------------------------------

ACTIVITY_KINDS = ("visit", "note", "task", "deal")


@dataclass(frozen=True)
class ActivityItem:
    """One thing a rep did, for the feed (newest first)."""

    at: datetime
    kind: str  # one of ACTIVITY_KINDS
    record_id: str
    rep_id: str | None
    rep: str
    account_id: str | None
    account: str
    text: str


@dataclass(frozen=True)
class ActivityReport:
    filter: ReportFilter
    items: list[ActivityItem]
    limit: int
    more: bool  # there were more items than ``limit``
    by: str = "time"
    kind: str = "activity"


# --- team ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepSummary:
    """One rep's line in a manager's Team view (see ``fieldapp.reports.team``)."""

    rep_id: str | None
    label: str
    visits_this_week: int
    visits_last_week: int
    visits_30_days: int
    accounts: int  # active accounts they own
    overdue: int  # ... not visited within their frequency
    pipeline: dict[str, Decimal]  # open deals' amount, per currency
    weighted: dict[str, Decimal]  # ... times their probability
    won: int  # deals closed in the last 90 days
    lost: int
    win_rate: float | None


Report = (
    VisitsReport | CoverageReport | PipelineReport | ForecastReport | WinsReport | ActivityReport
)
R = TypeVar("R")


def to_wire(report: Report) -> dict[str, Any]:
    """A report as JSON-ready values (amounts as strings, dates in ISO 8601)."""
    data: dict[str, Any] = msgspec.to_builtins(report)
    return data


def from_wire(data: dict[str, Any], kind: type[R]) -> R:
    """Rebuild a report of type ``kind`` from :func:`to_wire`'s values."""
    return msgspec.convert(data, kind, strict=False)
