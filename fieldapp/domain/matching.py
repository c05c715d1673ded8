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
    """What identifies a record when it has no id in common with the file.

    Compared folded: case and runs of white space do not count ("Hauptstr.  1" is
    "hauptstr. 1"; "Straße" is "strasse").
    """
    return tuple(_fold(part) for part in _key_parts(entity, values))


def key_digest(entity: str, values: Mapping[str, Any]) -> bytes:
    """:func:`natural_key` in 16 bytes: what an index of a million keys holds."""
    # Folded once, joined: the parts are stripped values, so a NUL between two of
    # them never has white space beside it and folding the whole equals folding each.
    text = "\x00".join(_key_parts(entity, values))
    folded = " ".join(text.casefold().split())
    return hashlib.blake2b(folded.encode(), digest_size=16).digest()


def _key_parts(entity: str, values: Mapping[str, Any]) -> tuple[str, ...]:
    get = values.get
    if entity == "contacts" and get("email"):
        names = ("first_name", "last_name", "email")
        return (*(str(get(n) or "") for n in names), "@")
    return tuple(str(get(name) or "") for name in KEY_FIELDS[entity])


def _fold(value: Any) -> str:
    return " ".join(str(value or "").casefold().split())


class ValueIndex:
    """Values seen so far, each with the row (and record) it came with, held compactly.

    A million-row import remembers a million ids, source ids and natural keys; as
    Python dicts they take ~230 bytes a row, most of the 400 MB such an import may
    use. So a dict holds the first :data:`SPILL` values (a 100k-row file never
    leaves it: the fast case), and beyond that they move to a private in-memory
    SQLite table, ~40-100 bytes a value, looked up a batch at a time. Exact: nothing
    is hashed away. A value keeps the first row it was added with.
    """

    SPILL = 131_072

    def __init__(self) -> None:
        self._recent: dict[Any, tuple[int, str | None, str | None]] = {}
        self._db: sqlite3.Connection | None = None

    def find(self, values: Iterable[Any]) -> dict[Any, tuple[int, str | None, str | None]]:
        """``{value: (row, a, b)}`` for those of ``values`` added before."""
        recent = self._recent
        wanted = {v for v in values if v is not None}
        found = {v: recent[v] for v in wanted if v in recent}
        rest = [v for v in wanted if v not in found] if self._db is not None else []
        for start in range(0, len(rest), _IN_CHUNK):
            part = rest[start : start + _IN_CHUNK]
            marks = ",".join("?" * len(part))
            for value, row, a, b in self._db.execute(  # type: ignore[union-attr]
                f"SELECT value, row, a, b FROM seen WHERE value IN ({marks})", part
            ):
                found[value] = (row, a, b)
        return found

    def add(self, items: Iterable[tuple[Any, int, str | None, str | None]]) -> None:
        """Remember ``(value, row, a, b)`` for values not added before."""
        recent = self._recent
        for value, row, a, b in items:
            recent.setdefault(value, (row, a, b))
        if len(recent) >= self.SPILL:
            self._spill()

    def _spill(self) -> None:
        if self._db is None:
            self._db = sqlite3.connect(":memory:")
            self._db.execute(
                "CREATE TABLE seen (value BLOB PRIMARY KEY, row INTEGER, a TEXT, b TEXT) "
                "WITHOUT ROWID"
            )
        self._db.executemany(
            "INSERT OR IGNORE INTO seen VALUES (?, ?, ?, ?)",
            ((value, *rest) for value, rest in self._recent.items()),
        )
        self._recent = {}

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
        self._recent = {}


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
        earlier_keys = set(keys)
        kept: list[tuple[Row, bytes]] = []
        for row, digest in rows:
            source = row.values.get("source_id")
            errors = []
            if row.record_id is not None and row.record_id in ids:
                errors.append((ID, f"is the same as row {ids[row.record_id]}'s"))
            if source is not None and source in sources:
                errors.append(("source_id", f"is the same as row {sources[source]}'s"))
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
        self.keys.add(
            (d, number, None, None) for d, number in keys.items() if d not in earlier_keys
        )
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
