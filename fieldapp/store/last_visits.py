"""Each account's last visit, kept by SQLite itself as visits change.

``account_last_visits`` (store migration 0016) holds, per account with a visit done,
the latest check-in of its live visits, written by triggers on ``visits`` in the
same statement as the visit: an insert raises it, an update or delete of a visit's
check-in, account or tombstone recomputes it for the accounts concerned. Nothing in
Python writes it, so every writer (the ORM, bulk loads, sync's upserts) keeps it.

Reports and the due-for-a-visit list ask "when was this account last visited" of
100k accounts at once. One seek in this table of 100k short rows costs about half a
seek in ``ix_visits_account_checkin`` (1M entries), and the table is a tenth the size
of that index in the page cache.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    Select,
    String,
    Table,
    case,
    func,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from fieldapp.store import triggers
from fieldapp.store.models import Account, Visit
from fieldapp.store.types import UTCDateTime

metadata = MetaData()

account_last_visits = Table(
    "account_last_visits",
    metadata,
    Column("account_id", String(36), primary_key=True),
    Column("checkin_at", UTCDateTime, nullable=False),
    sqlite_with_rowid=False,
)


def last_visit_at() -> Any:
    """SQL over ``accounts``: the account's last check-in (a datetime, or NULL)."""
    return (
        select(account_last_visits.c.checkin_at)
        .where(account_last_visits.c.account_id == Account.id)
        .scalar_subquery()
    )


def with_last_visits(query: Select) -> Select:
    """``query`` over accounts, joined to each account's kept last visit (if any)."""
    return query.outerjoin(account_last_visits, account_last_visits.c.account_id == Account.id)


def last_visit_before(until: datetime) -> Any:
    """SQL over accounts joined by :func:`with_last_visits`: the account's last check-in
    before ``until``, as the stored text (or NULL).

    The kept last visit is the answer whenever it lies before ``until`` (for "today",
    every account but one checked in after midnight UTC); otherwise, for a day in the
    past, the visits are searched, one seek in ``ix_visits_account_checkin``. Text,
    not a datetime, so that SQL compares it with cutoffs as stored.
    """
    kept = account_last_visits.c.checkin_at
    searched = (
        select(func.max(type_coerce(Visit.checkin_at, String)))
        .where(
            Visit.account_id == Account.id,
            Visit.deleted_at.is_(None),
            Visit.checkin_at.is_not(None),
            Visit.checkin_at < until,
        )
        .scalar_subquery()
    )
    return case(
        (kept.is_(None), None),
        (kept < until, type_coerce(kept, String)),
        else_=searched,
    )


# Below this many visits the per-row trigger is cheaper than dropping it.
BULK_THRESHOLD = 200
_INSERT_TRIGGER = "visits_last_ai"
_CATCH_UP = (
    "INSERT INTO account_last_visits (account_id, checkin_at) "
    "SELECT account_id, max(checkin_at) FROM visits WHERE rowid > :before "
    "AND deleted_at IS NULL AND checkin_at IS NOT NULL GROUP BY account_id "
    "ON CONFLICT (account_id) DO UPDATE SET checkin_at = excluded.checkin_at "
    "WHERE excluded.checkin_at > account_last_visits.checkin_at"
)


@contextmanager
def deferred(session: Session | Connection, table: str, rows: int) -> Iterator[None]:
    """Keep the last visits of visits inserted inside the block in one statement.

    The insert trigger's upsert per row doubled the cost of a 100k-visit bulk insert
    (6.5-7.6 s of CPU against 3.4 s). For big batches it is dropped, the new visits
    (rowids above the current maximum) raise their accounts' last visits with one
    INSERT ... SELECT, and the trigger is put back, all inside the caller's
    transaction, as :func:`fieldapp.store.search.deferred_index` does for the search
    index. Upserts of visits already there go through the update triggers, which stay.
    """
    if table != "visits" or rows < BULK_THRESHOLD:
        yield
        return
    with triggers.insert_trigger_deferred(session, "visits", _INSERT_TRIGGER, _CATCH_UP):
        yield


# Accounts whose visits a bulk delete removes, from this many on: the delete trigger
# works each one's last visit out again per deleted visit (~10 a account).
BULK_DELETE_ACCOUNTS = 20
_DELETE_TRIGGER = "visits_last_ad"


@contextmanager
def deletes_deferred(conn: Connection, accounts: Sequence[str]) -> Iterator[None]:
    """Delete visits of ``accounts`` inside the block; their last visits are worked
    out once after.

    The delete trigger recomputes an account's last visit for every visit deleted:
    an eviction of 10k accounts and their 100k visits spent ~4 s of its 5 s there.
    For many accounts it is set aside (as :func:`deferred` does for inserts) and the
    accounts' rows are recomputed from the visits left, in the caller's transaction.
    Only visits of ``accounts`` (or of no account) may be deleted in the block.
    """
    if len(accounts) < BULK_DELETE_ACCOUNTS:
        yield
        return
    with triggers.set_aside(conn, _DELETE_TRIGGER) as there:
        yield
        if there:
            ids = sorted(accounts)
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500]
                conn.execute(
                    account_last_visits.delete().where(account_last_visits.c.account_id.in_(part))
                )
                conn.execute(
                    account_last_visits.insert().from_select(
                        ["account_id", "checkin_at"], _latest(part)
                    )
                )


def _latest(accounts: Sequence[str]) -> Select:
    """Each of ``accounts``' latest check-in of a live visit (as the triggers keep it)."""
    return (
        select(Visit.account_id, func.max(Visit.checkin_at))
        .where(
            Visit.account_id.in_(accounts),
            Visit.deleted_at.is_(None),
            Visit.checkin_at.is_not(None),
        )
        .group_by(Visit.account_id)
    )
