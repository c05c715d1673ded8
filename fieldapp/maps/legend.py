"""What colour an account's marker wears: the legend's categories and each account's one.

A legend is made from the labels it must show before any marker is coloured, so that
a map streamed in batches (see :mod:`fieldapp.maps.feed`) can colour its first batch
with the same indices as its last: from the points themselves for a page built in one
go, from one ``SELECT DISTINCT`` for a streamed one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fieldapp.maps.planner import AccountPoint
from fieldapp.maps.settings import COLOR_FIELDS

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"]
VISIT_BUCKETS = [
    (30, "≤ 30 days", "#2ca02c"),
    (90, "31–90 days", "#bcbd22"),
    (180, "91–180 days", "#ff7f0e"),
    (None, "> 180 days", "#d62728"),
]
NEVER = ("never visited", "#7f7f7f")
FIXED_COLORS = {
    "active": "#2ca02c",
    "inactive": "#7f7f7f",
    "customer": "#1f77b4",
    "prospect": "#ff7f0e",
    "partner": "#9467bd",
    "house": "#2ca02c",
    "street": "#bcbd22",
    "postcode": "#ff7f0e",
    "town": "#d62728",
    "approximate": "#d62728",
    "manual": "#1f77b4",
}
# The accounts column behind each colouring but the last visit (a join).
COLUMNS = {
    "status": "status",
    "type": "type",
    "precision": "geocode_precision",
    "rep": "owner_id",
    "territory": "territory_id",
}


def check_color_by(color_by: str) -> None:
    if color_by not in COLOR_FIELDS:
        raise ValueError(f"cannot colour by {color_by!r}; choose one of {', '.join(COLOR_FIELDS)}")


def raw_value(point: AccountPoint, color_by: str) -> str | None:
    """The account's value of the colouring's column (an id for ``rep``, ``territory``)."""
    if color_by == "rep":
        return point.owner_id
    if color_by == "territory":
        return point.territory_id
    return getattr(point, color_by)


@dataclass(frozen=True)
class Legend:
    """The categories of one colouring, in legend order, and how to pick one."""

    color_by: str
    now: datetime
    categories: list[dict[str, str]]
    # Names of the ids a colouring by rep (users) or by territory shows.
    names: dict[str, str] = field(default_factory=dict)
    _where: dict[str, int] = field(default_factory=dict)

    @classmethod
    def make(
        cls,
        color_by: str,
        now: datetime,
        values: Iterable[str | None] = (),
        names: dict[str, str] | None = None,
    ) -> Legend:
        """The legend over these raw column values (ignored when colouring by last visit);
        ``names`` names the users or territories when colouring by rep or territory."""
        check_color_by(color_by)
        names = names or {}
        if color_by == "last_visit":
            cats = [{"label": label, "color": color} for _, label, color in VISIT_BUCKETS]
            cats.append({"label": NEVER[0], "color": NEVER[1]})
            return cls(color_by, now, cats, names)
        labels = sorted({_label(color_by, v, names) for v in values})
        cats = [
            {"label": v, "color": FIXED_COLORS.get(v, PALETTE[i % len(PALETTE)])}
            for i, v in enumerate(labels)
        ]
        return cls(color_by, now, cats, names, {v: i for i, v in enumerate(labels)})

    def index(self, point: AccountPoint) -> int:
        """The account's category (a position in :attr:`categories`)."""
        if self.color_by != "last_visit":
            return self.index_of(raw_value(point, self.color_by))
        if point.last_visit is None:
            return len(VISIT_BUCKETS)
        # Calendar days: the colouring then changes only at midnight (UTC), which is
        # what lets the cached markers of a day stay valid (see feed_cache).
        days = (self.now.date() - point.last_visit.date()).days
        return next(
            i for i, (limit, _, _) in enumerate(VISIT_BUCKETS) if limit is None or days <= limit
        )

    def index_of(self, value: str | None) -> int:
        """The category of a raw column value (any colouring but the last visit)."""
        return self._where[_label(self.color_by, value, self.names)]

    def category_sql(
        self, value_sql: str, last_visit_sql: str, values: Iterable[str | None]
    ) -> tuple[str, dict[str, Any]]:
        """The category as an SQL expression, and its parameters, so that SQLite can
        colour every marker (see :mod:`fieldapp.maps.feed`).

        ``value_sql`` is the colouring's raw value and ``values`` every value it takes
        (the legend's); ``last_visit_sql`` the account's last check-in, for the
        colouring by last visit, counted in calendar days as :meth:`index` does.
        """
        params: dict[str, Any] = {}
        if self.color_by == "last_visit":
            days = f"CAST(julianday(:legend_today) - julianday(date({last_visit_sql})) AS INTEGER)"
            params["legend_today"] = self.now.date().isoformat()
            whens = [f"WHEN {last_visit_sql} IS NULL THEN {len(VISIT_BUCKETS)}"]
            whens += [
                f"WHEN {days} <= {limit} THEN {i}"
                for i, (limit, _, _) in enumerate(VISIT_BUCKETS)
                if limit is not None
            ]
            return f"CASE {' '.join(whens)} ELSE {len(VISIT_BUCKETS) - 1} END", params
        whens, otherwise = [], 0
        for n, value in enumerate(dict.fromkeys(values)):
            if value is None:
                otherwise = self.index_of(None)  # NULL matches no WHEN
                continue
            params[f"legend_v{n}"] = value
            whens.append(f"WHEN :legend_v{n} THEN {self.index_of(value)}")
        if not whens:
            return str(otherwise), params
        return f"CASE {value_sql} {' '.join(whens)} ELSE {otherwise} END", params


def _label(color_by: str, value: str | None, names: dict[str, str]) -> str:
    if color_by == "rep":
        # The account's owner, by name; an owner this replica does not know, by id.
        return (names.get(value) or f"user {value[:8]}") if value else "no rep"
    if color_by == "territory":
        return names.get(value or "", "no territory")
    return value or "unknown"
