"""What one sync did, in numbers and in words, and the replica's history of syncs.

:class:`SyncReport` is filled by the engine as it goes; :meth:`SyncReport.sentences`
says it the way a person asks ("12 accounts moved to Ben's territory (North) and were
removed from this laptop"). Who got the accounts that left, and from whom the ones that
arrived came, is what the server said in the pull (from its own state), named with the
users and territories the replica holds. Every run, failed or not, adds a row to
``sync_history`` (store migration 0010): :func:`record_run`, :func:`sync_history`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    select,
)

from fieldapp.store.db import Replica
from fieldapp.store.models import Account, Territory, User
from fieldapp.store.types import utcnow
from fieldapp.sync import team
from fieldapp.sync.quarantine import Quarantined

metadata = MetaData()

history = Table(
    "sync_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", String(40), nullable=False),
    Column("finished_at", String(40), nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("counts", JSON, nullable=False),
    Column("sentences", JSON, nullable=False),
    Column("error", Text),
)


@dataclass
class Rejection:
    """A change the server refused in this sync (kept: fieldapp.store.refused)."""

    entity: str
    row_id: str
    op: str
    reason: str


@dataclass
class Moved:
    """An account that left or entered this replica's scope, and where it went or came from."""

    account_id: str
    name: str = ""
    territory: str | None = None  # where it is now (left) or was (entered): a name
    people: tuple[str, ...] = ()  # the users it went to (left) or came from (entered)


@dataclass
class SyncReport:
    pushed: int = 0  # changes the server accepted
    merged: int = 0  # of those, merged with edits made elsewhere
    pulled: int = 0
    fetched: int = 0  # records of accounts that entered the scope
    evicted: int = 0  # records removed because they left the scope
    conflicts: int = 0  # new conflicts received in this sync
    rejections: list[Rejection] = field(default_factory=list)
    left: list[Moved] = field(default_factory=list)
    entered: list[Moved] = field(default_factory=list)
    # (entity, id) of records that left the scope but stay: the server has not accepted them.
    kept: list[tuple[str, str]] = field(default_factory=list)
    kept_labels: list[str] = field(default_factory=list)
    # Pulled records this replica could not store, kept aside (fieldapp.sync.quarantine).
    quarantined: list[Quarantined] = field(default_factory=list)
    cursor: int = 0
    attachments_sent: int = 0  # blobs uploaded after the push (sync/blobs.py)

    @property
    def sent(self) -> int:
        return self.pushed

    @property
    def received(self) -> int:
        return self.pulled + self.fetched

    @property
    def refused(self) -> int:
        return len(self.rejections)

    def counts(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "received": self.received,
            "merged": self.merged,
            "conflicts": self.conflicts,
            "refused": self.refused,
            "left_scope": len(self.left),
            "entered_scope": len(self.entered),
            "kept_unsent": len(self.kept),
            "quarantined": len(self.quarantined),
            "removed": self.evicted,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.counts(),
            "pushed": self.pushed,
            "pulled": self.pulled,
            "fetched": self.fetched,
            "evicted": self.evicted,
            "rejections": [r.__dict__ for r in self.rejections],
            "left": [_moved_dict(m) for m in self.left],
            "entered": [_moved_dict(m) for m in self.entered],
            "kept": [{"entity": e, "id": i} for e, i in self.kept],
            "quarantined_records": [
                {"entity": q.entity, "id": q.row_id, "version": q.version, "reason": q.reason}
                for q in self.quarantined
            ],
            "cursor": self.cursor,
            "attachments_sent": self.attachments_sent,
            "sentences": self.sentences(),
        }

    def sentences(self) -> list[str]:
        """The sync in words, one sentence a line, most important news first."""
        out: list[str] = []
        if self.rejections:
            out.append(
                f"{_count(self.refused, 'change')} refused by the server and kept on this "
                "laptop to fix and resend or discard (fieldapp refused list)"
            )
        if self.conflicts:
            out.append(f"{_count(self.conflicts, 'conflict')} to resolve (fieldapp conflicts list)")
        for (territory, people), moved in _grouped(self.left):
            where = _where(territory, people)
            verb = "was" if len(moved) == 1 else "were"
            out.append(
                f"{_count(len(moved), 'account')} moved to {where} and {verb} removed from "
                f"this laptop: {_names(moved)}"
            )
        for (territory, people), moved in _grouped(self.entered):
            where = _where(territory, people)
            source = f" from {where}" if territory or people else ""
            out.append(f"{_count(len(moved), 'account')} you gained{source}: {_names(moved)}")
        if self.kept:
            verb = "is" if len(self.kept) == 1 else "are"
            out.append(
                f"{_count(len(self.kept), 'record')} left your scope but {verb} kept on this "
                f"laptop because the server has not accepted {'its' if verb == 'is' else 'their'} "
                f"changes: {_some(self.kept_labels or [i for _, i in self.kept])}"
            )
        if self.quarantined:
            out.append(
                f"{_count(len(self.quarantined), 'record')} from the server could not be "
                "stored on this laptop and {} kept aside: {}".format(
                    "was" if len(self.quarantined) == 1 else "were",
                    "; ".join(f"{q.entity} {q.row_id} ({q.reason})" for q in self.quarantined[:5]),
                )
            )
        sent = f"sent {_count(self.sent, 'change')}"
        if self.merged:
            sent += f" ({self.merged} merged with edits made elsewhere)"
        out.append(f"{sent[0].upper()}{sent[1:]}, received {_count(self.received, 'record')}")
        if self.attachments_sent:
            out.append(f"{_count(self.attachments_sent, 'attachment')} uploaded")
        return out


def _moved_dict(m: Moved) -> dict[str, Any]:
    return {"id": m.account_id, "name": m.name, "territory": m.territory, "people": list(m.people)}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


_Where = tuple[str | None, tuple[str, ...]]  # (territory, people)


def _grouped(moves: Iterable[Moved]) -> list[tuple[_Where, list[Moved]]]:
    groups: dict[_Where, list[Moved]] = {}
    for m in moves:
        groups.setdefault((m.territory, m.people), []).append(m)
    return sorted(groups.items(), key=lambda item: (-len(item[1]), str(item[0])))


def _where(territory: str | None, people: Sequence[str]) -> str:
    owners = " and ".join(people)
    if territory and owners:
        return f"{owners}'s territory ({territory})"
    if territory:
        return f"territory {territory}"
    return owners or "someone outside your scope"


def _names(moved: Sequence[Moved], shown: int = 5) -> str:
    return _some(sorted(m.name or m.account_id for m in moved), shown)


def _some(names: Sequence[str], shown: int = 5) -> str:
    """The first ``shown`` names, then how many more: a sentence stays a line."""
    if len(names) <= shown:
        return ", ".join(names)
    return ", ".join(names[:shown]) + f" and {len(names) - shown} more"


# --- naming what the server told ----------------------------------------------------


def account_names(conn: Connection, ids: Iterable[str]) -> dict[str, str]:
    """Account id → name, for those of ``ids`` the replica holds."""
    ids = sorted(ids)
    names: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        found = conn.execute(select(Account.id, Account.name).where(Account.id.in_(part)))
        names.update((row_id, name) for row_id, name in found)
    return names


def named(conn: Connection, moved: list[Moved]) -> list[Moved]:
    """``moved`` with the names of accounts that arrived after they were described
    (an entered account newer than the cursor comes with the pull, after the fetch)."""
    missing = [m.account_id for m in moved if not m.name]
    if not missing:
        return moved
    names = account_names(conn, missing)
    # Moved(...) rather than dataclasses.replace: 10k of those cost 0.15 s.
    return [
        m if m.name else Moved(m.account_id, names.get(m.account_id, ""), m.territory, m.people)
        for m in moved
    ]


def describe_moves(
    conn: Connection, ids: Iterable[str], moves: dict[str, dict[str, Any]], *, left: bool
) -> list[Moved]:
    """``Moved`` for each account id, named from the replica's accounts, territories, users.

    ``moves`` is the pull's ``scope_moves`` by account: for an account that left, the
    territory and users it went to; for one that entered, the users who lost it.
    """
    ids = sorted(ids)
    names = account_names(conn, ids)
    territories = {tid: name for tid, name in conn.execute(select(Territory.id, Territory.name))}
    users = {
        uid: display or username
        for uid, username, display in conn.execute(
            select(User.id, User.username, User.display_name)
        )
    }
    reps = team.reps_by_territory(conn)
    out = []
    for account_id in ids:
        move = moves.get(account_id, {})
        people_ids = move.get("to_users" if left else "from_users") or []
        territory_id = move.get("territory_id" if left else "from_territory_id")
        if not people_ids and territory_id:
            people_ids = reps.get(territory_id, [])  # as the server last said
        if left and not people_ids and not territory_id and move.get("owner_id"):
            # No territory to name: the person who has it now is its owner. (A
            # territory without reps is named alone: its accounts' owner, often the
            # admin who imported them, is not whose territory it is.)
            people_ids = [move["owner_id"]]
        out.append(
            Moved(
                account_id=account_id,
                name=names.get(account_id, ""),
                territory=territories.get(territory_id) if territory_id else None,
                people=tuple(sorted(users.get(u, "another user") for u in people_ids)),
            )
        )
    return out


# --- history -------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncRun:
    """One row of the sync history."""

    id: int
    started_at: str
    finished_at: str
    ok: bool
    counts: dict[str, int]
    sentences: list[str]
    error: str | None


def record_run(
    replica: Replica, started_at: str, report: SyncReport | None, error: str | None = None
) -> None:
    """Add a run to the history (a failed run: ``report`` so far and the error's words)."""
    counts = report.counts() if report is not None else {}
    sentences = report.sentences() if report is not None and error is None else []
    with replica.engine.begin() as conn:
        conn.execute(
            history.insert().values(
                started_at=started_at,
                finished_at=utcnow().isoformat(),
                ok=error is None,
                counts=counts,
                sentences=sentences,
                error=error,
            )
        )


def sync_history(replica: Replica, limit: int = 50) -> list[SyncRun]:
    """The last ``limit`` sync runs, newest first."""
    with replica.engine.connect() as conn:
        rows = conn.execute(select(history).order_by(history.c.id.desc()).limit(limit))
        return [
            SyncRun(
                id=r.id,
                started_at=r.started_at,
                finished_at=r.finished_at,
                ok=bool(r.ok),
                counts=_json(r.counts),
                sentences=_json(r.sentences),
                error=r.error,
            )
            for r in rows
        ]


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
