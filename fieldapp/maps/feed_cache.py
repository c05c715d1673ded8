"""The last map's markers on disk, so that a restart on the Map panel skips reading them.

One file in the data dir (``map-markers.cache``), replaced by each complete feed, so
it never holds more than one map (~8 MB at 100k accounts). It is sealed with a key
derived from the replica's (:mod:`fieldapp.store.sealed`): it holds every account's
name and position, as private as the replica itself.

It is valid while its key matches. The key is made from what the markers are made of,
read with cheap aggregate queries: per table (accounts, visits, users, territories)
the row count, the latest ``updated_at``, the sum of ``server_version`` (every local
write stamps ``updated_at``; every pulled change raises a server version), and for
accounts the sums of the coordinates; then the colouring, the territory and, for the
last-visit colouring, the day (its buckets count calendar days). Any edit, pull,
deletion or moved pin gives another key, and the feed is read from the replica again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from fieldapp.store.sealed import Sealer

FILENAME = "map-markers.cache"
# Raised whenever the rows or the header change shape: an older file is then ignored.
FORMAT = 1
STAMPS = {
    "accounts": "count(*), max(updated_at), total(server_version),"
    " total(latitude), total(longitude)",
    "visits": "count(*), max(updated_at), total(server_version)",
    "users": "count(*), max(updated_at), total(server_version)",
    "territories": "count(*), max(updated_at), total(server_version)",
    # Who covers which territory decides the colour by rep (fieldapp.store.territory_reps).
    "territory_reps": "count(*), group_concat(territory_id || user_id)",
}


@dataclass(frozen=True)
class Cached:
    """A complete feed: the legend's categories, the accounts' box and the batches."""

    categories: list[dict[str, str]]
    box: tuple[float, float, float, float] | None
    total: int
    batches: list[bytes]


class FeedCache:
    def __init__(self, data_dir: Path, sealer: Sealer) -> None:
        self.path = data_dir / FILENAME
        self.sealer = sealer

    def key(self, session: Session, color_by: str, territory_id: str | None, now: datetime) -> str:
        stamps: list[Any] = [FORMAT, color_by, territory_id]
        if color_by == "last_visit":
            stamps.append(now.date().isoformat())
        for table, columns in STAMPS.items():
            row = session.execute(text(f"SELECT {columns} FROM {table}")).one()
            stamps.append([str(v) for v in row])
        return hashlib.sha256(json.dumps(stamps).encode()).hexdigest()

    def load(self, key: str) -> Cached | None:
        data = self.sealer.read(self.path)
        if data is None:
            return None
        head, _, body = data.partition(b"\n")
        try:
            header = json.loads(head)
        except ValueError:
            return None
        if header.get("key") != key:
            return None
        batches, at = [], 0
        for size in header["sizes"]:
            batches.append(body[at : at + size])
            at += size
        box = tuple(header["box"]) if header["box"] else None
        return Cached(header["categories"], box, header["total"], batches)

    def save(self, key: str, cached: Cached) -> None:
        header = {
            "key": key,
            "categories": cached.categories,
            "box": cached.box,
            "total": cached.total,
            "sizes": [len(b) for b in cached.batches],
        }
        self.sealer.write(self.path, json.dumps(header).encode() + b"\n" + b"".join(cached.batches))

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
