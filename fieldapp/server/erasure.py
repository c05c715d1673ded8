"""Erasure on request (GDPR art. 17): a contact or lead removed for good.

``erase`` runs in one transaction: the record's row and the conflicts about it are
deleted from the server, its audit-trail entries are redacted (values and salt
dropped, digests and hashes kept, see :mod:`fieldapp.server.history`) and a redaction
entry naming them is appended, and the id goes on the purge list (``erasures``) with a
sequence number. A pull hands every client the purges numbered in its range, whatever
its scope (they carry ids only), and the client deletes the record, its outbox entries
and conflicts and its search index entries (:mod:`fieldapp.sync.purge`). An erased id
cannot be written again: a push that changes or re-creates it is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from fieldapp.server import history
from fieldapp.server.auth import ForbiddenError, Principal, utcnow
from fieldapp.server.db import Database, ServerError, next_seqs
from fieldapp.server.models import Conflict, Erasure, HistoryEntry, Record

ERASABLE = {"contact": "contacts", "contacts": "contacts", "lead": "leads", "leads": "leads"}


class NothingToErase(ServerError):
    """No such record (HTTP 404)."""


@dataclass(frozen=True)
class Erased:
    entity: str
    id: str
    redacted: int  # history entries redacted
    already: bool = False  # it had been erased before


def erase(db: Database, who: Principal, kind: str, record_id: str) -> Erased:
    """Erase a contact or lead everywhere; only admins may (and the server's operator)."""
    if who.role != "admin":
        raise ForbiddenError("only an admin erases records")
    entity = ERASABLE.get(kind)
    if entity is None:
        raise ServerError(f"only contacts and leads can be erased, not {kind!r}")

    def work(session: Session) -> Erased:
        before = session.get(Erasure, record_id)
        if before is not None and before.entity == entity:
            return Erased(entity, record_id, 0, already=True)
        rec = session.scalar(select(Record).where(Record.id == record_id).with_for_update())
        if rec is None or rec.entity != entity:
            raise NothingToErase(f"no {entity[:-1]} {record_id} on the server")
        session.delete(rec)
        session.execute(delete(Conflict).where(Conflict.row_id == record_id))
        seqs = list(
            session.scalars(
                select(HistoryEntry.seq).where(
                    HistoryEntry.entity == entity, HistoryEntry.record_id == record_id
                )
            )
        )
        now = utcnow()
        if seqs:
            session.execute(
                update(HistoryEntry)
                .where(HistoryEntry.seq.in_(seqs))
                .values(changes=None, salt=None, redacted_at=now)
            )
        session.flush()
        # The purge's number: taken last but one (the history counter's lock comes after
        # the sequence's, as in every writing transaction).
        seq = next_seqs(session, 1)
        session.add(
            Erasure(entity=entity, record_id=record_id, seq=seq, erased_at=now, erased_by=who.id)
        )
        history.append_entries(
            session, who, None, [(entity, record_id, "redact", None, {"redacted": [None, seqs]})]
        )
        return Erased(entity, record_id, len(seqs))

    return db.transaction(work)


def erased_among(session: Session, ids: Iterable[str]) -> set[str]:
    """Which of ``ids`` were erased (a push may not write them again)."""
    wanted = sorted(set(ids))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        part = wanted[start : start + 500]
        found.update(session.scalars(select(Erasure.record_id).where(Erasure.record_id.in_(part))))
    return found


def purges_json(session: Session, low: int, high: int) -> str:
    """The purges numbered in (low, high] as a JSON array of {entity, id}."""
    rows = session.execute(
        select(Erasure.entity, Erasure.record_id)
        .where(Erasure.seq > low, Erasure.seq <= high)
        .order_by(Erasure.seq)
    ).all()
    return "[" + ",".join(f'{{"entity":"{e}","id":"{i}"}}' for e, i in rows) + "]"
