"""Keeping the report tables in step with ``records``, in the writer's transaction.

:func:`keep` is called by ``records.Batch.finish`` with every document a transaction
writes (push, conflict resolution, imports, admin changes, proposals and rollbacks,
user deletion, the rule pass): every path that writes ``records`` goes through that
writer, so none can leave the report tables behind. Erasure deletes contacts and
leads only, which no report table holds. :func:`backfill` fills the tables from
``records`` (server migration s0009) and is what the tests compare the kept tables to.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.orm import Session

from fieldapp.server import bulk
from fieldapp.server.models import Record
from fieldapp.server.reporting.tables import report_accounts, report_deals, report_visits

# Ids per IN (...) list: well under SQLite's bound-parameter limit.
CHUNK = 5000
KEPT = ("accounts", "visits", "opportunities")

TABLE_OF = {
    "accounts": report_accounts,
    "visits": report_visits,
    "opportunities": report_deals,
}

# (entity, record id, document before, document after); None: no such record.
Change = tuple[str, str, dict[str, Any] | None, dict[str, Any] | None]


def moment(value: Any) -> datetime | None:
    """A wire timestamp as an aware UTC datetime; None when missing or not a time."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # the server keeps times in UTC
    return parsed.astimezone(UTC)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def account_row(record_id: str, doc: dict[str, Any]) -> dict[str, Any]:
    frequency = doc.get("visit_frequency_days")
    live = doc.get("deleted_at") is None
    return {
        "id": record_id,
        "territory_id": _text(doc.get("territory_id")),
        "owner_id": _text(doc.get("owner_id")),
        "active": live and doc.get("status", "active") == "active",
        "frequency_days": frequency if isinstance(frequency, int) else None,
        "last_visit_at": None,  # set by _refresh_last_visits from report_visits
    }


def visit_row(record_id: str, doc: dict[str, Any]) -> dict[str, Any] | None:
    """The visit's report row, or None when no report counts it (deleted or planned)."""
    checkin = moment(doc.get("checkin_at"))
    if doc.get("deleted_at") is not None or checkin is None:
        return None
    checkout = moment(doc.get("checkout_at"))
    timed = checkout is not None and checkout > checkin
    return {
        "id": record_id,
        "account_id": _text(doc.get("account_id")),
        "owner_id": _text(doc.get("owner_id")),
        "checkin_at": checkin,
        "minutes": (checkout - checkin).total_seconds() / 60 if timed and checkout else None,
        "outcome": _text(doc.get("outcome")),
    }


def deal_row(record_id: str, doc: dict[str, Any]) -> dict[str, Any] | None:
    """The deal's report row (amount in cents), or None once it is deleted."""
    if doc.get("deleted_at") is not None:
        return None
    probability = doc.get("probability")
    return {
        "id": record_id,
        "account_id": _text(doc.get("account_id")),
        "owner_id": _text(doc.get("owner_id")),
        "stage": _text(doc.get("stage")),
        "cents": _cents(doc.get("amount")),
        "currency": _text(doc.get("currency")),
        "probability": probability if isinstance(probability, int) else None,
        "close_date": _day(doc.get("close_date")),
        "changed_at": moment(doc.get("updated_at")),
        "reason": _text(doc.get("won_lost_reason")),
    }


def _cents(value: Any) -> int | None:
    try:
        amount = Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None
    return (
        int((amount * 100).to_integral_value())
        if amount is not None and amount.is_finite()
        else None
    )


def _day(value: Any) -> str | None:
    """A wire date as ``YYYY-MM-DD`` (what the replica's reports compare), else None."""
    try:
        return date.fromisoformat(value[:10]).isoformat() if isinstance(value, str) else None
    except ValueError:
        return None


ROWS: dict[str, Any] = {"visits": visit_row, "opportunities": deal_row}


def keep(session: Session, changes: Iterable[Change]) -> None:
    """Rewrite the report rows of the records ``changes`` wrote (in their transaction)."""
    ids: dict[str, list[str]] = {entity: [] for entity in KEPT}
    found: dict[str, list[dict[str, Any]]] = {entity: [] for entity in KEPT}
    # Accounts whose last visit may have moved: those rewritten (their row is new),
    # and those a visit came to or left.
    refresh: set[str] = set()
    for entity, record_id, before, after in changes:
        if entity not in ids:
            continue
        ids[entity].append(record_id)
        if entity == "accounts":
            refresh.add(record_id)
            if after is not None:
                found[entity].append(account_row(record_id, after))
            continue
        if entity == "visits":
            for doc in (before, after):
                account = _text((doc or {}).get("account_id"))
                if account:
                    refresh.add(account)
        row = ROWS[entity](record_id, after) if after is not None else None
        if row is not None:
            found[entity].append(row)
    if not any(ids.values()):
        return
    for entity, table in TABLE_OF.items():
        _replace(session, table, ids[entity], found[entity])
    _refresh_last_visits(session, sorted(refresh))


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _replace(session: Session, table: Table, ids: list[str], rows: list[dict[str, Any]]) -> None:
    for part in _chunks(sorted(set(ids))):
        session.execute(delete(table).where(table.c.id.in_(part)))
    # A record written twice in one batch: its last document wins.
    latest = {row["id"]: row for row in rows}
    bulk.insert(session, table, list(latest.values()))


def _refresh_last_visits(session: Session, account_ids: list[str]) -> None:
    for part in _chunks(account_ids):
        session.execute(
            update(report_accounts)
            .where(report_accounts.c.id.in_(part))
            .values(last_visit_at=_latest_visit())
        )


def _latest_visit() -> Any:
    """SQL over ``report_accounts``: the account's latest check-in (one index seek)."""
    return (
        select(func.max(report_visits.c.checkin_at))
        .where(report_visits.c.account_id == report_accounts.c.id)
        .scalar_subquery()
    )


def backfill(session: Session, entities: tuple[str, ...] = KEPT, batch: int = 20_000) -> None:
    """Fill the (empty) report tables of ``entities`` from ``records``."""
    query = (
        select(Record.id, Record.entity, Record.data)
        .where(Record.entity.in_(entities))
        .execution_options(yield_per=batch)
    )
    found: dict[str, list[dict[str, Any]]] = {entity: [] for entity in entities}
    for record_id, entity, data in session.execute(query):
        doc = json.loads(data)
        row = account_row(record_id, doc) if entity == "accounts" else ROWS[entity](record_id, doc)
        if row is not None:
            found[entity].append(row)
        if sum(len(rows) for rows in found.values()) >= batch:
            for name, rows in found.items():
                bulk.insert(session, TABLE_OF[name], rows)
                rows.clear()
    for name, rows in found.items():
        bulk.insert(session, TABLE_OF[name], rows)
    if "accounts" in entities or "visits" in entities:
        session.execute(update(report_accounts).values(last_visit_at=_latest_visit()))
