"""The map's markers streamed in batches: made by a worker thread, taken by the page.

A page over 100k accounts cannot wait for all of them: reading, colouring and encoding
them takes seconds, and the page would then parse one 8 MB array and cluster it in
one go. Instead the page opens with the base map and asks for its data in parts:

1. ``meta``: the legend, territories, route, where to open and how many markers
   will come (two cheap aggregate queries, so it is there at once);
2. batches of :data:`BATCH` markers, each sent as soon as the worker has read and
   encoded it; the page adds one to the map and asks for the next.

:class:`MarkerFeed` holds one page's parts; :func:`fill` is the worker's job. Nothing
here knows Qt: the feed's ``notify`` (a Qt signal's ``emit`` in the app) tells the
reader that a part has arrived. The last complete feed is kept on disk
(:mod:`fieldapp.maps.feed_cache`) so that the next start shows the markers without
reading them again, as long as the replica has not changed.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from fieldapp.errors import FieldappError
from fieldapp.maps.feed_cache import Cached, FeedCache
from fieldapp.maps.legend import COLUMNS, Legend
from fieldapp.maps.page import (
    find_territory,
    page_data,
    rep_names,
    territory_names,
    territory_shapes,
)
from fieldapp.maps.routing import DayPlan
from fieldapp.store.territory_reps import sole_reps

# Markers per batch: ~0.4 MB of JSON, which the page parses and clusters in a few
# frames; fewer, larger batches make the first markers wait longer. The first batch
# is smaller still: it is what the user waits for.
BATCH = 5_000
FIRST_BATCH = 1_000
LOCATED = "a.deleted_at IS NULL AND a.latitude IS NOT NULL AND a.longitude IS NOT NULL"


@dataclass(frozen=True)
class FeedRequest:
    """Which markers a page shows and how (what :func:`fill` needs besides a session)."""

    color_by: str = "last_visit"
    territory: str | None = None
    plan: DayPlan | None = None
    draggable: bool = False
    view: dict[str, Any] = field(default_factory=dict)
    batch: int = BATCH


class MarkerFeed:
    """One page's meta and marker batches; filled by a worker, read on the GUI thread."""

    def __init__(self, generation: int, notify: Callable[[], None] | None = None) -> None:
        self.generation = generation
        self._notify = notify or (lambda: None)
        self._lock = threading.Lock()
        self._meta: bytes | None = None
        self._batches: list[bytes] = []
        self._done = False
        self._cancelled = threading.Event()
        self.error: str | None = None
        self.from_cache = False

    # --- the worker's side ----------------------------------------------------------------

    def put_meta(self, meta: dict[str, Any]) -> None:
        with self._lock:
            self._meta = json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode()
        self._notify()

    def put_batch(self, encoded: bytes) -> None:
        """One batch, already a JSON array of marker rows."""
        with self._lock:
            self._batches.append(encoded)
        self._notify()

    def finish(self) -> None:
        with self._lock:
            self._done = True
        self._notify()

    def fail(self, message: str) -> None:
        with self._lock:
            self.error = message
            self._done = True
        self._notify()

    def cancel(self) -> None:
        """A newer page replaced this one: the worker stops at its next batch."""
        self._cancelled.set()

    def release(self) -> None:
        """The page has every batch: drop them (the cache on disk keeps them)."""
        with self._lock:
            if self._done:
                self._batches = [b"[]"] * len(self._batches)

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    # --- the page's side ------------------------------------------------------------------

    @property
    def done(self) -> bool:
        with self._lock:
            return self._done

    @property
    def batch_count(self) -> int:
        with self._lock:
            return len(self._batches)

    def part(self, name: str) -> bytes | None:
        """``meta`` or batch ``<n>`` as the page gets it; None while it is not there yet.

        A batch is ``{"more": bool, "rows": [...]}``: the page asks for the next one
        while ``more`` holds. A failed feed answers ``{"error": message}``.
        """
        with self._lock:
            if self.error is not None:
                return json.dumps({"error": self.error, "more": False, "rows": []}).encode()
            if name == "meta":
                return self._meta
            index = int(name)
            if index < len(self._batches):
                more = index < len(self._batches) - 1 or not self._done
                return b'{"more":%s,"rows":' % (b"true" if more else b"false") + (
                    self._batches[index] + b"}"
                )
            if self._done:
                return b'{"more":false,"rows":[]}'
            return None


def fill(session: Session, feed: MarkerFeed, request: FeedRequest, cache: FeedCache | None) -> None:
    """The worker's job: ``feed``'s meta, then its batches (from ``cache`` when valid)."""
    try:
        _fill(session, feed, request, cache)
    except FieldappError as exc:
        feed.fail(exc.plain)
        raise
    except Exception:
        # A bug: the page says so instead of waiting for ever (the worker logs it).
        feed.fail("The accounts could not be read; the details are in fieldapp.log.")
        raise


def _fill(
    session: Session, feed: MarkerFeed, request: FeedRequest, cache: FeedCache | None
) -> None:
    now = datetime.now(UTC)
    territory_id = find_territory(session, request.territory) if request.territory else None
    shapes = territory_shapes(session, territory_id)
    key = cache.key(session, request.color_by, territory_id, now) if cache else None
    cached = cache.load(key) if cache is not None and key is not None else None
    if cached is not None:
        legend = Legend(request.color_by, now, cached.categories)
        feed.from_cache = True
        feed.put_meta(_meta(legend, cached.box, cached.total, shapes, request))
        for encoded in cached.batches:
            feed.put_batch(encoded)
        feed.finish()
        return

    where, params = LOCATED, {}
    if territory_id is not None:
        where += " AND a.territory_id = :territory_id"
        params["territory_id"] = territory_id
    total, south, west, north, east = session.execute(
        text(
            "SELECT count(*), min(a.latitude), min(a.longitude), max(a.latitude),"
            f" max(a.longitude) FROM accounts AS a WHERE {where}"
        ),
        params,
    ).one()
    box = None if not total else (float(south), float(west), float(north), float(east))
    values: list[str | None] = []
    # By rep, an account is its territory's only rep's, whoever made it (as in the Team
    # table and the reports); elsewhere its owner's.
    rep_of = sole_reps(session) if request.color_by == "rep" else {}
    if rep_of:
        pairs = text(f"SELECT DISTINCT a.territory_id, a.owner_id FROM accounts AS a WHERE {where}")
        values = list({rep_of.get(t, o) for t, o in session.execute(pairs, params)})
    elif request.color_by in COLUMNS:
        column = COLUMNS[request.color_by]
        distinct = text(f"SELECT DISTINCT a.{column} FROM accounts AS a WHERE {where}")
        values = list(session.scalars(distinct, params))
    names = None
    if request.color_by == "rep":
        names = rep_names(session)
    elif request.color_by == "territory":
        names = territory_names(session)
    legend = Legend.make(request.color_by, now, values, names)
    feed.put_meta(_meta(legend, box, int(total), shapes, request))

    rows, row_params = _rows_sql(legend, values, rep_of, where)
    batches: list[bytes] = []
    after, sent = -1, 0
    # The count and the batches are read in one transaction: the last batch is known
    # as such, and the page is told so with it.
    while sent < total:
        size = request.batch if batches else min(request.batch, FIRST_BATCH)
        after, count, encoded = session.execute(
            text(rows), {**params, **row_params, "after": after, "size": size}
        ).one()
        if not count:
            break
        if feed.cancelled:
            return  # a newer page is on its way; nothing of this one is kept
        batches.append(encoded.encode())
        sent += count
        feed.put_batch(batches[-1])
    feed.finish()
    if cache is not None and key is not None:
        cache.save(key, Cached(legend.categories, box, int(total), batches))


def _rows_sql(
    legend: Legend, values: list[str | None], rep_of: dict[str, str], where: str
) -> tuple[str, dict[str, Any]]:
    """One batch's query: the next ``:size`` markers after rowid ``:after``, and the last
    rowid. Each marker is ``[id, lat, lon, name, category, approximate]``, as
    :func:`~fieldapp.maps.page.marker_row` makes it, but coloured and encoded by SQLite,
    which lets go of Python's lock meanwhile: 90k rows built in Python kept the GUI
    thread waiting for the lock."""
    value = f"a.{COLUMNS[legend.color_by]}" if legend.color_by in COLUMNS else "NULL"
    params: dict[str, Any] = {}
    if rep_of:
        # An account is its territory's only rep's (see _fill).
        whens = []
        for n, (territory_id, user_id) in enumerate(rep_of.items()):
            params[f"rep_t{n}"], params[f"rep_u{n}"] = territory_id, user_id
            whens.append(f"WHEN :rep_t{n} THEN :rep_u{n}")
        value = f"CASE a.territory_id {' '.join(whens)} ELSE a.owner_id END"
    category, legend_params = legend.category_sql("value", "last", values)
    params.update(legend_params)
    # The inner query has a LIMIT, so SQLite does not flatten it into the aggregate:
    # each account's last visit is looked up once (ix_visits_account_checkin).
    sql = (
        "SELECT max(r), count(*), '[' || group_concat(json_array(id, round(latitude, 6),"
        f" round(longitude, 6), name, {category}, geocode_precision IS 'approximate'), ',')"
        " || ']' FROM (SELECT a.rowid AS r, a.id, a.latitude, a.longitude, a.name,"
        f" a.geocode_precision, {value} AS value, (SELECT max(v.checkin_at) FROM visits AS v"
        " WHERE v.account_id = a.id AND v.deleted_at IS NULL) AS last"
        f" FROM accounts AS a WHERE {where} AND a.rowid > :after ORDER BY a.rowid LIMIT :size)"
    )
    return sql, params


def _meta(
    legend: Legend,
    box: tuple[float, float, float, float] | None,
    total: int,
    shapes: Any,
    request: FeedRequest,
) -> dict[str, Any]:
    meta = page_data(
        legend,
        box,
        territories=shapes,
        plan=request.plan,
        draggable=request.draggable,
        view=request.view,
    )
    meta["total"] = total
    return meta
