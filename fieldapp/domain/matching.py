"""Which rows of an import update an existing record, and which repeat an earlier row.

A row updates the record it matches instead of adding one, looked for in this order:
fieldapp's own id, the CRM's record id (``source_id``), then the record's natural key
(an account's name and address, see :func:`natural_key`) unless the record found has
another CRM id. Each side says what exists through :class:`Existing`; the laptop
asks its replica, the server its records.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from fieldapp.domain.headers import ID
from fieldapp.domain.report import ImportReport, singular

_IN_CHUNK = 500  # values per "IN (...)": well below SQLite's parameter limit

# What each entity's natural key is called in a report.
KEY_WORDS = {
    "accounts": "name and address",
    "contacts": "name and email (or address)",
    "leads": "name, company and email",
    "opportunities": "name and account",
}


# The fields natural_key reads, per entity.
KEY_FIELDS = {
    "accounts": ("name", "street", "postcode", "city"),
    "contacts": ("first_name", "last_name", "email", "account_id", "street", "postcode"),
    "leads": ("first_name", "last_name", "company", "email"),
    "opportunities": ("name", "account_id"),
}


@dataclass
class Row:
    """One valid row: its values as the store keeps them, and how to find its record."""

    number: int
    line: int
    values: dict[str, Any]
    record_id: str | None  # fieldapp's own id, from an ``id`` column


def natural_key(entity: str, values: Mapping[str, Any]) -> tuple[str, ...]:
    """What identifies a record when it has no id in common with the file."""
    get = values.get
    if entity == "accounts":
        return (
            _fold(get("name")),
            _fold(get("street")),
            _fold(get("postcode")),
            _fold(get("city")),
        )
    if entity == "contacts":
        name = (_fold(get("first_name")), _fold(get("last_name")))
        if get("email"):
            return (*name, "@", _fold(get("email")))
        return (*name, _fold(get("account_id")), _fold(get("street")), _fold(get("postcode")))
    if entity == "leads":
        return (
            _fold(get("first_name")),
            _fold(get("last_name")),
            _fold(get("company")),
            _fold(get("email")),
        )
    return (_fold(get("name")), _fold(get("account_id")))


def key_digest(entity: str, values: Mapping[str, Any]) -> bytes:
    """:func:`natural_key` in 16 bytes: what an index of a million keys holds."""
    text = "\x1f".join(natural_key(entity, values))
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def _fold(value: Any) -> str:
    return " ".join(str(value or "").casefold().split())


class ValueIndex:
    """Values seen so far, each with the row (and record) it came with, held compactly.

    A million-row import remembers a million ids, source ids and natural keys; as
    Python dicts they took ~230 bytes a row, most of the 400 MB such an import may use.
    Here they live in a private in-memory SQLite table, ~40-100 bytes a row, looked
    up a batch at a time. Exact: nothing is hashed away.
    """

    def __init__(self) -> None:
        self._db = sqlite3.connect(":memory:")
        self._db.execute(
            "CREATE TABLE seen (value BLOB PRIMARY KEY, row INTEGER, a TEXT, b TEXT) WITHOUT ROWID"
        )

    def find(self, values: Iterable[Any]) -> dict[Any, tuple[int, str | None, str | None]]:
        """``{value: (row, a, b)}`` for those of ``values`` added before."""
        wanted = list({v for v in values if v is not None})
        found: dict[Any, tuple[int, str | None, str | None]] = {}
        for start in range(0, len(wanted), _IN_CHUNK):
            part = wanted[start : start + _IN_CHUNK]
            marks = ",".join("?" * len(part))
            for value, row, a, b in self._db.execute(
                f"SELECT value, row, a, b FROM seen WHERE value IN ({marks})", part
            ):
                found[value] = (row, a, b)
        return found

    def add(self, items: Iterable[tuple[Any, int, str | None, str | None]]) -> None:
        """Remember ``(value, row, a, b)``; a value added before keeps its first row."""
        self._db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?, ?, ?)", items)

    def close(self) -> None:
        self._db.close()


class Existing(Protocol):
    """What one side knows about the records already there."""

    def present_ids(self, ids: list[str]) -> dict[str, bool]:
        """``{id: True}`` for the live records among ``ids``, False for an id in use
        otherwise (a deleted record, or one of another kind): those cannot be written."""

    def present_sources(self, source_ids: list[str]) -> dict[str, str]:
        """``{source id: record id}`` for the live records with one of ``source_ids``."""

    def by_keys(self, digests: list[bytes]) -> dict[bytes, tuple[str, str | None]]:
        """``{digest: (record id, its source id)}`` of live records with these keys."""


class KeyIndex:
    """:meth:`Existing.by_keys` over records listed once: ``add`` them, then ask."""

    def __init__(self, entity: str) -> None:
        self.entity = entity
        self._index = ValueIndex()

    def add(self, records: Iterable[tuple[str, str | None, Mapping[str, Any]]]) -> None:
        """``(record id, source id, values)`` of live records."""
        self._index.add(
            (key_digest(self.entity, values), 0, record_id, source)
            for record_id, source, values in records
        )

    def by_keys(self, digests: list[bytes]) -> dict[bytes, tuple[str, str | None]]:
        return {d: (a or "", b) for d, (_, a, b) in self._index.find(digests).items()}

    def close(self) -> None:
        self._index.close()


class Repeats:
    """Rows that repeat an earlier row of the same file, found a batch at a time.

    The same fieldapp id or source id twice is an error (which row is right?); the
    same natural key twice is reported as a possible duplicate and imported.
    """

    def __init__(self, entity: str, report: ImportReport) -> None:
        self.entity = entity
        self.report = report
        self.ids = ValueIndex()
        self.sources = ValueIndex()
        self.keys = ValueIndex()

    def screen(self, rows: list[tuple[Row, bytes]]) -> list[tuple[Row, bytes]]:
        """``rows`` (in file order) without those whose id or source id came earlier."""
        ids = {k: v[0] for k, v in self.ids.find(r.record_id for r, _ in rows).items()}
        sources = {
            k: v[0]
            for k, v in self.sources.find(r.values.get("source_id") for r, _ in rows).items()
        }
        keys = {k: v[0] for k, v in self.keys.find(d for _, d in rows).items()}
        kept: list[tuple[Row, bytes]] = []
        for row, digest in rows:
            source = row.values.get("source_id")
            errors = []
            if row.record_id is not None and row.record_id in ids:
                errors.append((ID, f"the same id as row {ids[row.record_id]}"))
            if source is not None and source in sources:
                errors.append(("source_id", f"the same source id as row {sources[source]}"))
            if errors:
                self.report.refuse(row.number, row.line, errors)
                continue
            if row.record_id is not None:
                ids[row.record_id] = row.number
            if source is not None:
                sources[source] = row.number
            earlier = keys.setdefault(digest, row.number)
            if earlier != row.number:
                label = row.values.get("name") or row.values.get("last_name") or ""
                self.report.duplicate(
                    f"row {row.number} (line {row.line}): {label!r} has the same "
                    f"{KEY_WORDS[self.entity]} as row {earlier}"
                )
            kept.append((row, digest))
        self.ids.add((r.record_id, r.number, None, None) for r, _ in kept if r.record_id)
        self.sources.add(
            (s, r.number, None, None) for r, _ in kept if (s := r.values.get("source_id"))
        )
        self.keys.add((d, r.number, None, None) for r, d in kept)
        return kept

    def close(self) -> None:
        for index in (self.ids, self.sources, self.keys):
            index.close()


def match_rows(
    entity: str, rows: list[tuple[Row, bytes]], existing: Existing, report: ImportReport
) -> list[tuple[Row, str | None]]:
    """Each row with the id of the existing record it updates (None: a new record).

    A row whose id is taken by a record it cannot update is refused and left out.
    """
    ids = existing.present_ids([r.record_id for r, _ in rows if r.record_id is not None])
    what = singular(entity)
    sources = existing.present_sources(
        [s for r, _ in rows if (s := r.values.get("source_id")) is not None]
    )
    keys = existing.by_keys([d for _, d in rows])
    key_words = KEY_WORDS[entity]
    out: list[tuple[Row, str | None]] = []
    for row, digest in rows:
        source = row.values.get("source_id")
        target: str | None = None
        if row.record_id is not None and row.record_id in ids:
            if not ids[row.record_id]:
                report.refuse(
                    row.number,
                    row.line,
                    [(ID, f"this id belongs to a deleted {what} or to another kind of record")],
                )
                continue
            target, how = row.record_id, "id"
        elif source is not None and source in sources:
            target, how = sources[source], "source id"
        else:
            found = keys.get(digest)
            # A record with another CRM id is another record, whatever its name.
            if found is not None and (found[1] is None or source is None or found[1] == source):
                target, how = found[0], key_words
        if target is not None:
            report.matched[how] += 1
        out.append((row, target))
    return out


def changes(current: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """What a matched row changes in a record: its non-empty values that differ.

    An empty cell leaves the field as it is: a file that lacks a phone number never
    wipes the one a rep typed in.
    """
    return {
        name: value
        for name, value in values.items()
        if value is not None and current.get(name) != value
    }
