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
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from fieldapp.errors import FieldappError
from fieldapp.maps.feed_cache import Cached, FeedCache
from fieldapp.maps.geo import Place
from fieldapp.maps.legend import COLUMNS, Legend
from fieldapp.maps.page import (
    find_territory,
    marker_row,
    page_data,
    rep_names,
    territory_names,
    territory_shapes,
)
from fieldapp.maps.planner import iter_account_points
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
        self.places: list[Place] = []  # the positions of the markers so far (for the lasso)
        self.from_cache = False

    # --- the worker's side ----------------------------------------------------------------

    def put_meta(self, meta: dict[str, Any]) -> None:
        with self._lock:
            self._meta = json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode()
        self._notify()

    def put_batch(self, encoded: bytes, places: list[Place]) -> None:
        """One batch, already a JSON array of marker rows, and the rows' positions."""
        with self._lock:
            self._batches.append(encoded)
            self.places = self.places + places  # a new list: a reader may hold the old one
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
            feed.put_batch(encoded, [Place(r[0], r[1], r[2]) for r in json.loads(encoded)])
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

    batches: list[bytes] = []
    rows: list[list[Any]] = []
    places: list[Place] = []

    def flush() -> None:
        encoded = json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()
        batches.append(encoded)
        feed.put_batch(encoded, list(places))
        rows.clear()
        places.clear()

    for point in iter_account_points(
        session, territory_id=territory_id, located_only=True, ordered=False
    ):
        if point.territory_id in rep_of:
            point = replace(point, owner_id=rep_of[point.territory_id])
        rows.append(marker_row(point, legend.index(point)))
        places.append(Place(point.id, point.lat or 0.0, point.lon or 0.0))
        if len(rows) >= (request.batch if batches else min(request.batch, FIRST_BATCH)):
            if feed.cancelled:
                return  # a newer page is on its way; nothing of this one is kept
            flush()
    if rows:
        flush()
    feed.finish()
    if cache is not None and key is not None:
        cache.save(key, Cached(legend.categories, box, int(total), batches))


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
