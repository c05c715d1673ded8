"""Which rows of an import update an existing record, and which repeat an earlier row.

A row updates the record it matches instead of adding one, looked for in this order:
fieldapp's own id, the CRM's record id (``source_id``), then the record's natural key
(an account's name and address, see :func:`natural_key`) unless the record found has
another CRM id. Each side says what exists through :class:`Existing`; the laptop
asks its replica, the server its records.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from fieldapp.domain.headers import ID
from fieldapp.domain.report import ImportReport, singular

# What each entity's natural key is called in a report.
KEY_WORDS = {
    "accounts": "name and address",
    "contacts": "name and email (or address)",
    "leads": "name, company and email",
    "opportunities": "name and account",
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


class Existing(Protocol):
    """What one side knows about the records already there."""

    def present_ids(self, ids: list[str]) -> dict[str, bool]:
        """``{id: True}`` for the live records among ``ids``, False for an id in use
        otherwise (a deleted record, or one of another kind): those cannot be written."""

    def present_sources(self, source_ids: list[str]) -> dict[str, str]:
        """``{source id: record id}`` for the live records with one of ``source_ids``."""

    def by_key(self, digest: bytes) -> tuple[str, str | None] | None:
        """(record id, its source id) of a live record with this :func:`key_digest`."""


class Repeats:
    """Rows that repeat an earlier row of the same file.

    The same fieldapp id or source id twice is an error (which row is right?); the
    same natural key twice is reported as a possible duplicate and imported.
    """

    def __init__(self, entity: str, report: ImportReport) -> None:
        self.entity = entity
        self.report = report
        self.ids: dict[str, int] = {}
        self.sources: dict[str, int] = {}
        self.keys: dict[bytes, int] = {}

    def check(self, row: Row, digest: bytes) -> bool:
        """False (and the row refused) if its id or source id repeats an earlier row."""
        source = row.values.get("source_id")
        errors = []
        if row.record_id is not None and row.record_id in self.ids:
            errors.append((ID, f"the same id as row {self.ids[row.record_id]}"))
        if source is not None and source in self.sources:
            errors.append(("source_id", f"the same source id as row {self.sources[source]}"))
        if errors:
            self.report.refuse(row.number, row.line, errors)
            return False
        if row.record_id is not None:
            self.ids[row.record_id] = row.number
        if source is not None:
            self.sources[source] = row.number
        earlier = self.keys.setdefault(digest, row.number)
        if earlier != row.number:
            label = row.values.get("name") or row.values.get("last_name") or ""
            self.report.duplicate(
                f"row {row.number} (line {row.line}): {label!r} has the same "
                f"{KEY_WORDS[self.entity]} as row {earlier}"
            )
        return True


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
            found = existing.by_key(digest)
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
