"""``fieldapp-server accounts import``: a CRM export into the server's records.

The rules are the ones the laptop's ``fieldapp import accounts`` runs
(:mod:`fieldapp.domain.imports`): the same header names, picklist values, checks,
matching and report. What is the server's own: which records exist (scanned once
from ``records``), territory placement, and the writes, in transactions of
``chunk`` records so that syncing reps are never held up for long.

Nothing is written when a row is invalid (unless ``skip_invalid``): a first pass
checks the whole file, a second one writes it. Both stream the file.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.domain import imports
from fieldapp.domain.csvfile import open_csv
from fieldapp.domain.fields import SPECS
from fieldapp.domain.imports import Row, RowReader
from fieldapp.domain.report import ImportReport
from fieldapp.domain.wire import to_wire
from fieldapp.server.admin import SYSTEM, territory_for
from fieldapp.server.auth import utcnow
from fieldapp.server.db import Database
from fieldapp.server.models import Record
from fieldapp.server.records import Batch  # the writer admin.py uses too

ENTITY = "accounts"
_IN_CHUNK = 500
_BATCH = 5000  # rows checked against the earlier ones and the records at a time


def import_accounts(
    db: Database,
    path: Path,
    *,
    encoding: str | None = None,
    mapping: dict[str, str] | None = None,
    value_maps: Iterable[str] = (),
    dry_run: bool = False,
    skip_invalid: bool = False,
    chunk: int = 5000,
) -> ImportReport:
    """Check ``path`` and load its accounts (new ones placed in territories); the report."""
    existing = _ServerRecords(db)
    try:
        report = _pass(db, existing, path, encoding, mapping, value_maps, write=None)
        if dry_run or (report.invalid_rows and not skip_invalid):
            return report
        writer = _Writer(db, existing, chunk)
        report = _pass(db, existing, path, encoding, mapping, value_maps, write=writer)
        writer.finish(report)
        return report
    finally:
        existing.keys.close()


def _pass(
    db: Database,
    existing: _ServerRecords,
    path: Path,
    encoding: str | None,
    mapping: dict[str, str] | None,
    value_maps: Iterable[str],
    write: _Writer | None,
) -> ImportReport:
    report = imports.new_report(ENTITY)
    with open_csv(path, encoding) as source:
        report.encoding, report.delimiter = source.encoding, source.delimiter
        reader = RowReader(ENTITY, source.header, report, mapping=mapping, value_maps=value_maps)
        repeats = imports.Repeats(ENTITY, report)
        batch: list[tuple[Row, bytes]] = []
        try:
            for row in _known_territories(reader.rows(source.records()), existing, report):
                batch.append((row, imports.key_digest(ENTITY, row.values)))
                if len(batch) >= _BATCH:
                    _matched(repeats.screen(batch), existing, report, write)
                    batch = []
            _matched(repeats.screen(batch), existing, report, write)
        finally:
            repeats.close()
    report.finish()
    return report


def _matched(
    batch: list[tuple[Row, bytes]],
    existing: _ServerRecords,
    report: ImportReport,
    write: _Writer | None,
) -> None:
    if batch:
        pairs = imports.match_rows(ENTITY, batch, existing, report)
        if write is not None:
            write.add(pairs, report)


def _known_territories(
    rows: Iterator[Row], existing: _ServerRecords, report: ImportReport
) -> Iterator[Row]:
    for row in rows:
        given = row.values.get("territory_id")
        if given is not None and given not in existing.territories:
            report.refuse(row.number, row.line, [("territory_id", f"no territory with id {given}")])
            continue
        yield row


class _ServerRecords:
    """:class:`imports.Existing` for the server: its accounts, scanned once."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.sources: dict[str, str] = {}
        self.keys = imports.KeyIndex(ENTITY)
        records: list[tuple[str, str | None, dict[str, Any]]] = []
        self.live: set[str] = set()
        self.territories: dict[str, dict[str, Any]] = {}
        with db.session() as session:
            query = select(Record.id, Record.entity, Record.data, Record.deleted).where(
                Record.entity.in_((ENTITY, "territories"))
            )
            for rec_id, entity, data, deleted in session.execute(query):
                doc = json.loads(data)
                if entity == "territories":
                    if not deleted:
                        self.territories[rec_id] = doc
                    continue
                if deleted:
                    continue
                self.live.add(rec_id)
                source = doc.get("source_id")
                if source:
                    self.sources.setdefault(source, rec_id)
                records.append(
                    (rec_id, source, {k: doc.get(k) for k in imports.KEY_FIELDS[ENTITY]})
                )
                if len(records) >= _BATCH:
                    self.keys.add(records)
                    records = []
        self.keys.add(records)

    def present_ids(self, ids: list[str]) -> dict[str, bool]:
        found = {i: True for i in ids if i in self.live}
        rest = [i for i in ids if i not in found]
        with self.db.session() as session:
            for start in range(0, len(rest), _IN_CHUNK):
                part = rest[start : start + _IN_CHUNK]
                # Any record of any kind holds its id for good (tombstones too).
                found.update(
                    (i, False)
                    for i in session.scalars(select(Record.id).where(Record.id.in_(part)))
                )
        return found

    def present_sources(self, source_ids: list[str]) -> dict[str, str]:
        return {s: self.sources[s] for s in source_ids if s in self.sources}

    def by_keys(self, digests: list[bytes]) -> dict[bytes, tuple[str, str | None]]:
        return self.keys.by_keys(digests)


class _Writer:
    """Writes new and matched accounts, ``chunk`` at a time, each chunk one transaction."""

    def __init__(self, db: Database, existing: _ServerRecords, chunk: int) -> None:
        self.db = db
        self.territories = list(existing.territories.items())
        self.chunk = chunk
        self.new: list[dict[str, Any]] = []
        self.updates: list[tuple[str, dict[str, Any]]] = []
        self.unassigned = 0

    def add(self, pairs: list[tuple[Row, str | None]], report: ImportReport) -> None:
        for row, target in pairs:
            wire = {name: to_wire(value) for name, value in row.values.items()}
            if target is None:
                self.new.append(self._new_document(row.record_id, wire))
            else:
                self.updates.append((target, wire))
        if len(self.new) + len(self.updates) >= self.chunk:
            self._write(report)

    def finish(self, report: ImportReport) -> None:
        self._write(report)
        report.written = True
        if self.unassigned:
            one = self.unassigned == 1
            report.notes.append(
                f"{self.unassigned:,} of the new accounts {'is' if one else 'are'} in no "
                f"territory (no polygon or postcode of a territory holds {'it' if one else 'them'})"
            )

    def _new_document(self, record_id: str | None, wire: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {
            name: wire.get(name, rule.default) for name, rule in SPECS[ENTITY].items()
        }
        data["id"] = record_id or str(uuid.uuid4())
        if data["geocode_precision"] is None and data["latitude"] is not None:
            data["geocode_precision"] = "manual"
        if data["territory_id"] is None:
            data["territory_id"] = territory_for(
                self.territories, data["postcode"], data["latitude"], data["longitude"]
            )
            self.unassigned += data["territory_id"] is None
        now = utcnow().isoformat()
        return {"created_at": now, "updated_at": now, "deleted_at": None, **data}

    def _write(self, report: ImportReport) -> None:
        new, updates = self.new, self.updates
        self.new, self.updates = [], []
        if not new and not updates:
            return

        def work(session: Session) -> tuple[int, int]:
            batch = Batch(SYSTEM, None)  # type: ignore[arg-type]
            for data in new:
                rec = Record(id=data["id"], entity=ENTITY, version=0, deleted=False)
                batch.new[rec.id] = rec
                batch.data[rec.id] = data
                batch.set_anchors(session, rec, data)
                batch.touch(rec)
            changed = 0
            for rec_id, wire in updates:
                found = batch.load(session, rec_id)
                if found is None:
                    continue
                data = batch.data_of(found)
                diff = imports.changes(data, wire)
                if not diff:
                    continue
                data.update(diff)
                data["updated_at"] = utcnow().isoformat()
                if data.get("territory_id") is None:
                    data["territory_id"] = territory_for(
                        self.territories,
                        data.get("postcode"),
                        data.get("latitude"),
                        data.get("longitude"),
                    )
                batch.set_anchors(session, found, data)
                batch.touch(found)
                changed += 1
            batch.scope_changed = True
            batch.finish(session)
            return len(new), changed

        inserted, changed = self.db.transaction(work, attempts=1)
        report.imported += inserted
        report.updated += changed
        report.unchanged += len(updates) - changed
