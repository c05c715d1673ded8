"""The audit trail: every applied change, append-only, in a hash chain.

Every writing transaction goes through ``records.Batch.finish`` (push, conflict resolution,
admin writes, imports); it hands :func:`append` each record's document before and after,
and one entry per changed record is added: who, when, from which device (the client
id), entity, record, operation, and ``{field: [old, new]}`` for every field that
changed. Entries are numbered 1, 2, 3 … without gaps by the ``history`` counter, whose
row lock (held until commit) also orders the appends of concurrent transactions, so
each entry can carry the hash of the one before it.

Hashing. An entry's ``hash`` is SHA-256 over the previous entry's hash and the entry's
fields, but the changed values enter it only through ``digest`` = SHA-256(salt ‖
changes), with a random salt per entry. Erasure (:mod:`fieldapp.server.erasure`)
redacts an entry by deleting its values and its salt and keeps its digest: the chain
still verifies, the digest no longer says anything (without the salt a phone number
cannot be found by trying them all), and a redaction entry appended to the chain says
who erased what and which entries it redacted. ``verify`` checks the links, each kept
value against its digest, that every redacted entry is named by a later redaction
entry, and that the chain ends where the counter says (no entries cut off the end).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from fieldapp.server import bulk
from fieldapp.server.auth import Principal, utcnow
from fieldapp.server.db import Database, ServerError
from fieldapp.server.models import Counter, HistoryEntry, Record
from fieldapp.server.scope import scope_of
from fieldapp.sync.protocol import HistoryItem

GENESIS = "0" * 64
COUNTER = "history"
# What the server keeps about a record but is no change a person made.
_NOT_CHANGES = frozenset({"server_version"})


@dataclass(frozen=True)
class Change:
    """One record's change in a transaction, for the trail."""

    entity: str
    record_id: str
    version: int | None
    before: dict[str, Any] | None  # None: the record is new
    after: dict[str, Any]


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every field whose value differs."""
    old = before or {}
    return {
        k: [old.get(k), after.get(k)]
        for k in sorted(old.keys() | after.keys())
        if k not in _NOT_CHANGES and old.get(k) != after.get(k)
    }


def operation(before: dict[str, Any] | None, after: dict[str, Any]) -> str:
    if before is None:
        return "insert"
    if after.get("deleted_at") and not before.get("deleted_at"):
        return "delete"
    if before.get("deleted_at") and not after.get("deleted_at"):
        return "restore"
    return "update"


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def digest(salt: str, changes: str) -> str:
    return hashlib.sha256(f"{salt}\n{changes}".encode()).hexdigest()


def _iso(value: datetime) -> str:
    # SQLite hands back naive datetimes for timezone columns; both sides hash UTC text.
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()


def entry_hash(e: HistoryEntry | dict[str, Any]) -> str:
    """The entry's link in the chain (a stored entry, or the values of one to insert)."""
    v = e if isinstance(e, dict) else {k: getattr(e, k) for k in _HASHED}
    fields = [v[k] if k != "at" else _iso(v[k]) for k in _HASHED]
    return hashlib.sha256(_dumps(fields).encode()).hexdigest()


# What an entry's hash covers, in this order (the values only through the digest).
_HASHED = (
    "prev_hash", "seq", "at", "user_id", "username", "device", "entity", "record_id", "op",
    "version", "digest",
)  # fmt: skip


def _reserve(session: Session, n: int) -> tuple[int, str]:
    """Take ``n`` positions at the chain's end; return the first and the hash before it.

    The counter's row lock is held until commit: the next transaction to append waits
    here, then (a new statement, a new snapshot) reads the entry this one committed.
    """
    top = session.execute(
        update(Counter)
        .where(Counter.name == COUNTER)
        .values(value=Counter.value + n)
        .returning(Counter.value)
    ).scalar_one()
    first = int(top) - n + 1
    prev = session.scalar(select(HistoryEntry.hash).where(HistoryEntry.seq == first - 1))
    return first, prev or GENESIS


def append_entries(
    session: Session,
    who: Principal,
    device: str | None,
    items: Iterable[tuple[str, str, str, int | None, dict[str, Any]]],
) -> int:
    """Add entries (entity, record id, op, version, changes) at the chain's end.

    One INSERT of plain values (server/bulk.py): a reassignment appends an entry per moved
    account, tens of thousands in one transaction. Returns how many were added.
    """
    rows = list(items)
    if not rows:
        return 0
    first, prev = _reserve(session, len(rows))
    now = utcnow()
    user_id = None if who.id == "system" else who.id
    values = []
    for i, (entity, record_id, op, version, changes) in enumerate(rows):
        salt = secrets.token_hex(16)
        text = _dumps(changes)
        entry: dict[str, Any] = {
            "seq": first + i,
            "at": now,
            "user_id": user_id,
            "username": who.username,
            "device": device,
            "entity": entity,
            "record_id": record_id,
            "op": op,
            "version": version,
            "changes": text,
            "salt": salt,
            "digest": digest(salt, text),
            "prev_hash": prev,
            "redacted_at": None,
        }
        entry["hash"] = prev = entry_hash(entry)
        values.append(entry)
    bulk.insert(session, cast(Table, HistoryEntry.__table__), values)
    return len(values)


def append(session: Session, who: Principal, device: str | None, changes: list[Change]) -> None:
    """Record the changes of one writing transaction (called by ``records.Batch.finish``)."""
    items = []
    for c in changes:
        fields = diff(c.before, c.after)
        if fields:
            items.append((c.entity, c.record_id, operation(c.before, c.after), c.version, fields))
    append_entries(session, who, device, items)


# --- reading ---------------------------------------------------------------------


class HistoryNotFound(ServerError):
    """No such record in the caller's scope (HTTP 404)."""


def item(e: HistoryEntry) -> HistoryItem:
    return HistoryItem(
        seq=e.seq,
        at=_iso(e.at),
        user=e.username,
        device=e.device,
        op=e.op,
        version=e.version,
        changes=json.loads(e.changes) if e.changes is not None else None,
        redacted=e.redacted_at is not None,
    )


def of_record(db: Database, who: Principal, entity: str, record_id: str) -> list[HistoryItem]:
    """A record's entries, oldest first, if the record is in ``who``'s scope."""
    with db.session() as session:
        scope = scope_of(session, who)
        visible = session.scalar(
            select(Record.id).where(
                Record.id == record_id, Record.entity == entity, scope.condition()
            )
        )
        if visible is None:
            what = entity[:-1] if entity.endswith("s") else entity
            raise HistoryNotFound(f"no {what.replace('_', ' ')} {record_id} that you may see")
        rows = session.scalars(
            select(HistoryEntry)
            .where(HistoryEntry.entity == entity, HistoryEntry.record_id == record_id)
            .order_by(HistoryEntry.seq)
        )
        return [item(e) for e in rows]


# --- verifying -------------------------------------------------------------------


@dataclass
class Verdict:
    entries: int = 0
    redacted: int = 0
    problems: list[str] | None = None

    @property
    def intact(self) -> bool:
        return not self.problems


def _chunks(session: Session, size: int = 5000) -> Iterator[list[HistoryEntry]]:
    last = 0
    while True:
        part = list(
            session.scalars(
                select(HistoryEntry)
                .where(HistoryEntry.seq > last)
                .order_by(HistoryEntry.seq)
                .limit(size)
            )
        )
        if not part:
            return
        yield part
        last = part[-1].seq
        session.expunge_all()


def verify(db: Database, limit: int = 20) -> Verdict:
    """Walk the whole chain; name the first ``limit`` problems."""
    verdict = Verdict(problems=[])
    problems = verdict.problems
    assert problems is not None
    redacted: set[int] = set()
    named: set[int] = set()
    with db.session() as session:
        expected_end = session.scalar(select(Counter.value).where(Counter.name == COUNTER)) or 0
        prev, position = GENESIS, 0
        for part in _chunks(session):
            for e in part:
                position += 1
                verdict.entries += 1
                if e.seq != position:
                    problems.append(f"entry {position} is missing (the next one is {e.seq})")
                    position = e.seq
                if e.prev_hash != prev:
                    problems.append(f"entry {e.seq} does not follow from entry {e.seq - 1}")
                if entry_hash(e) != e.hash:
                    problems.append(f"entry {e.seq} was changed after it was written")
                if e.redacted_at is not None:
                    verdict.redacted += 1
                    redacted.add(e.seq)
                elif e.changes is None or e.salt is None:
                    problems.append(f"entry {e.seq} lost its values without a redaction")
                elif digest(e.salt, e.changes) != e.digest:
                    problems.append(f"the values of entry {e.seq} were changed")
                if e.op == "redact" and e.changes is not None:
                    named.update(json.loads(e.changes).get("redacted", [None, []])[1])
                prev = e.hash
        if position != expected_end:
            problems.append(f"the history ends at entry {position} but {expected_end} were written")
    for seq in sorted(redacted - named)[:limit]:
        problems.append(f"entry {seq} was redacted without a redaction entry")
    del problems[limit:]
    return verdict
