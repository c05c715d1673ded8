"""CSV files into the replica: accounts, contacts, leads and opportunities.

The rules (header names, picklist values, checks, matching, the report) are the
shared ones of :mod:`fieldapp.domain.imports`; what is particular to the replica is
here: which records exist, the accounts a contact or deal names, and the writes.

The file is streamed: rows are checked as they are read and written in batches of
:data:`BATCH` (new ones through :func:`services.bulk_create`, matched ones as ORM
updates, so the outbox hook writes their entries), all inside one savepoint of the
caller's transaction. When a row is invalid and ``skip_invalid`` is not given,
writing stops, the rest of the file is still checked for the report, and the
savepoint is rolled back: nothing of the file is kept. A million-row file takes
what one batch takes, not what the file takes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from fieldapp.domain import imports, values
from fieldapp.domain.csvfile import open_csv
from fieldapp.domain.fields import SPECS
from fieldapp.domain.imports import Row, RowReader
from fieldapp.domain.parse import record_id
from fieldapp.domain.picklists import normalise
from fieldapp.domain.report import ImportReport, singular
from fieldapp.errors import FieldappError
from fieldapp.store import services
from fieldapp.store.models import Account, Synced

BATCH = 10_000
_IN_CHUNK = 500  # ids per "IN (...)" query
IMPORTABLE = values.IMPORTABLE
# Referenced records the replica may not hold (see models): not checked.
_UNCHECKED_REFERENCES = ("users", "territories")


@services.gc_paused()
def import_file(
    session: Session,
    entity: str,
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    mapping: dict[str, str] | None = None,
    value_maps: Iterable[str] = (),
    dry_run: bool = False,
    skip_invalid: bool = False,
) -> ImportReport:
    """Check every row of ``path`` and write the ``entity`` records in ``session``'s transaction.

    Rows that match an existing record (by id, source id or natural key) update it;
    the others are inserted. With any invalid row nothing is written unless
    ``skip_invalid``; ``dry_run`` checks and reports without writing.
    """
    if entity not in IMPORTABLE:
        raise FieldappError(f"cannot import {entity} (only {', '.join(IMPORTABLE)})")
    report = imports.new_report(entity)
    with open_csv(path, encoding) as source:
        report.encoding, report.delimiter = source.encoding, source.delimiter
        links = _AccountLinks(session) if entity in ("contacts", "opportunities") else None
        stages = services.pipeline(session) if entity == "opportunities" else []
        reader = RowReader(
            entity,
            source.header,
            report,
            mapping=mapping,
            value_maps=value_maps,
            stages=[s.name for s in stages] if entity == "opportunities" else None,
            links=links.resolve if links is not None else None,
        )
        writer = _Writer(session, entity, report, write=not dry_run, skip_invalid=skip_invalid)
        writer.probabilities = {s.name: s.probability for s in stages}
        savepoint = session.begin_nested()
        try:
            writer.run(reader.rows(source.records()))
        except BaseException:
            savepoint.rollback()
            raise
        if writer.wrote and report.invalid_rows and not skip_invalid:
            # The outbox hook's per-transaction entries of the rolled-back updates are
            # not reused: nothing else is written in this transaction after a refusal.
            savepoint.rollback()
            report.imported = report.updated = report.unchanged = 0
        else:
            savepoint.commit()
            report.written = writer.wrote
    return report


class _Writer:
    """Matches and writes the rows of one import, a batch at a time."""

    def __init__(
        self,
        session: Session,
        entity: str,
        report: ImportReport,
        *,
        write: bool,
        skip_invalid: bool,
    ) -> None:
        self.session = session
        self.entity = entity
        self.report = report
        self.write = write
        self.skip_invalid = skip_invalid
        self.model = services.model_for(entity)
        self.existing = _ReplicaRecords(session, entity)
        self.repeats = imports.Repeats(entity, report)
        self.references = _References(session, entity)
        self.probabilities: dict[str, int] = {}
        self.wrote = False

    def run(self, rows: Iterator[Row]) -> None:
        batch: list[tuple[Row, bytes]] = []
        try:
            for row in rows:
                if self.references.check(row, self.report):
                    batch.append((row, imports.key_digest(self.entity, row.values)))
                if len(batch) >= BATCH:
                    self._flush(batch)
                    batch = []
            self._flush(batch)
        finally:
            self.repeats.close()
            self.existing.close()
        self.report.finish()

    def _flush(self, batch: list[tuple[Row, bytes]]) -> None:
        batch = self.repeats.screen(batch)
        if not batch:
            return
        matched = imports.match_rows(self.entity, batch, self.existing, self.report)
        if not self.write or (self.report.invalid_rows and not self.skip_invalid):
            return  # checking only: a dry run, or a file that will be refused
        new = [self._new_values(row) for row, target in matched if target is None]
        updates = [(row, target) for row, target in matched if target is not None]
        if new:
            self.report.imported += len(services.bulk_create(self.session, self.entity, new))
        if updates:
            self._update(updates)
        self.wrote = True

    def _new_values(self, row: Row) -> dict[str, Any]:
        values = row.values
        if row.record_id is not None:
            values["id"] = row.record_id
        if self.entity == "opportunities" and values.get("probability") is None:
            values["probability"] = self.probabilities.get(values.get("stage") or "")
        return values

    def _update(self, updates: list[tuple[Row, str]]) -> None:
        """Change the matched records, one query to load them and one flush."""
        model = self.model
        objects: dict[str, Synced] = {}
        ids = sorted({target for _, target in updates})
        for start in range(0, len(ids), _IN_CHUNK):
            chunk = ids[start : start + _IN_CHUNK]
            objects.update(
                (o.id, o) for o in self.session.scalars(select(model).where(model.id.in_(chunk)))
            )
        for row, target in updates:
            obj = objects[target]
            current = {name: getattr(obj, name) for name in row.values}
            changed = imports.changes(current, row.values)
            if (
                self.entity == "opportunities"
                and "stage" in changed
                and row.values.get("probability") is None
                and changed["stage"] in self.probabilities
            ):
                changed["probability"] = self.probabilities[changed["stage"]]
            for name, value in changed.items():
                setattr(obj, name, value)
            if changed:
                self.report.updated += 1
            else:
                self.report.unchanged += 1
        self.session.flush()


class _ReplicaRecords:
    """:class:`imports.Existing` for the replica: ids and source ids by query, keys in memory."""

    def __init__(self, session: Session, entity: str) -> None:
        self.session = session
        self.table: Table = services.model_for(entity).__table__  # type: ignore[attr-defined]
        c = self.table.c
        query = select(c.id, c.source_id, *[c[name] for name in imports.KEY_FIELDS[entity]]).where(
            c.deleted_at.is_(None)
        )
        self.keys = imports.KeyIndex(entity)
        names = imports.KEY_FIELDS[entity]
        self.keys.add(
            (row[0], row[1], dict(zip(names, row[2:], strict=True)))
            for row in session.execute(query.execution_options(yield_per=10_000))
        )

    def _rows(self, query: Callable[[list[str]], Any], values: list[str]) -> Iterator[Any]:
        for start in range(0, len(values), _IN_CHUNK):
            yield from self.session.execute(query(values[start : start + _IN_CHUNK]))

    def present_ids(self, ids: list[str]) -> dict[str, bool]:
        c = self.table.c
        rows = self._rows(
            lambda part: select(c.id, c.deleted_at.is_(None)).where(c.id.in_(part)), ids
        )
        return {row[0]: bool(row[1]) for row in rows}

    def present_sources(self, source_ids: list[str]) -> dict[str, str]:
        c = self.table.c
        rows = self._rows(
            lambda part: select(c.source_id, c.id).where(
                c.source_id.in_(part), c.deleted_at.is_(None)
            ),
            source_ids,
        )
        return {row[0]: row[1] for row in rows}

    def by_keys(self, digests: list[bytes]) -> dict[bytes, tuple[str, str | None]]:
        return self.keys.by_keys(digests)

    def close(self) -> None:
        self.keys.close()


class _AccountLinks:
    """The account a contact or opportunity row names, by id, source id or name."""

    def __init__(self, session: Session) -> None:
        self.ids: set[str] = set()
        self.by_source: dict[str, str] = {}
        self.by_name: dict[str, str | None] = {}  # None: more than one account has it
        query = select(Account.id, Account.source_id, Account.name).where(
            Account.deleted_at.is_(None)
        )
        for account_id, source_id, name in session.execute(query):
            self.ids.add(account_id)
            if source_id:
                self.by_source.setdefault(source_id, account_id)
            key = normalise(name)
            self.by_name[key] = None if key in self.by_name else account_id

    def resolve(self, cells: dict[str, str]) -> str:
        given = cells.get("account_id") or cells.get("account")
        if given:
            try:
                canonical = record_id(given)
            except ValueError:
                canonical = None
            if canonical in self.ids:
                return canonical
            if given in self.by_source:
                return self.by_source[given]
            raise ValueError(
                f"no account with id or source id {given!r} (import the accounts first)"
            )
        name = cells.get("account_name")
        if not name:
            return ""
        key = normalise(name)
        if key not in self.by_name:
            raise ValueError(f"no account named {name!r} (import the accounts first)")
        found = self.by_name[key]
        if found is None:
            raise ValueError(f"more than one account is named {name!r}; give the account's id")
        return found


class _References:
    """Checks that the records a row points at (besides its account) are in the replica.

    bulk_create writes exactly what it is given: a contact id that is not there
    would fail the insert's foreign key.
    """

    def __init__(self, session: Session, entity: str) -> None:
        self.session = session
        linked = ("account_id",) if entity in ("contacts", "opportunities") else ()
        self.fields = {
            name: rule.references
            for name, rule in SPECS[entity].items()
            if rule.references is not None
            and rule.references not in _UNCHECKED_REFERENCES
            and name not in linked
        }
        self.known: dict[str, set[str]] = {}

    def check(self, row: Row, report: ImportReport) -> bool:
        errors = []
        for name, target in self.fields.items():
            value = row.values.get(name)
            if value is None:
                continue
            if target not in self.known:
                model = services.model_for(target)
                self.known[target] = set(
                    self.session.scalars(select(model.id).where(model.deleted_at.is_(None)))
                )
            if value not in self.known[target]:
                errors.append((name, f"no {singular(target)} with id {value}"))
        if errors:
            report.refuse(row.number, row.line, errors)
            return False
        return True
