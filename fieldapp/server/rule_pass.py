"""The server's pass of the overdue-flag rules over every account.

Accounts fall overdue as days go by, not when something is pushed, so this pass runs
when a flag rule is added or switched on (inside that push, for that rule), every
``serve --rules-every`` hours in the server (24 by default) and from ``fieldapp-server
rules run``. It makes the flags a
replica would make offline (:func:`fieldapp.domain.rules.flag_values`, same ids), and
leaves alone a flag a person cleared: its tombstone keeps the id taken.

An account's last visit is read from the visits' documents; one that was never visited
counts from its first entry in the audit trail (the replica does not push its creation
time).
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldapp.domain import rules as shared
from fieldapp.domain.rules import Rule
from fieldapp.server import audit
from fieldapp.server.auth import utcnow
from fieldapp.server.db import Database
from fieldapp.server.models import HistoryEntry, Record
from fieldapp.server.records import Batch
from fieldapp.server.rules import Rules, add_record
from fieldapp.server.scope import Scope

log = logging.getLogger(__name__)


def _last_visits(session: Session) -> dict[str, tuple[datetime, str]]:
    last: dict[str, tuple[datetime, str]] = {}
    rows = session.execute(
        select(Record.account_id, Record.id, Record.data).where(
            Record.entity == "visits", Record.deleted.is_(False)
        )
    )
    for account_id, visit_id, data in rows:
        checkin = json.loads(data).get("checkin_at")
        if account_id is None or not checkin:
            continue
        moment = datetime.fromisoformat(checkin)
        if account_id not in last or moment > last[account_id][0]:
            last[account_id] = (moment, visit_id)
    return last


def _first_seen(session: Session) -> dict[str, datetime]:
    rows = session.execute(
        select(HistoryEntry.record_id, func.min(HistoryEntry.at))
        .where(HistoryEntry.entity == "accounts")
        .group_by(HistoryEntry.record_id)
    )
    return {record_id: at for record_id, at in rows}


def flag_overdue(
    session: Session, batch: Batch, rules: Rules, only: list[Rule], now: datetime
) -> int:
    """Add the missing flags of rules ``only``; return how many (numbered by the batch)."""
    if not only:
        return 0
    last = _last_visits(session)
    first = _first_seen(session)
    taken = set(session.scalars(select(Record.id).where(Record.entity == "flags")))
    added = 0
    accounts = session.execute(
        select(Record.id, Record.owner_id, Record.territory_id, Record.data).where(
            Record.entity == "accounts", Record.deleted.is_(False)
        )
    )
    for account_id, owner_id, territory_id, data in accounts:
        doc = json.loads(data)
        if doc.get("status", "active") != "active":
            continue
        seen = last.get(account_id)
        created = doc.get("created_at")
        since = datetime.fromisoformat(created) if created else first.get(account_id, now)
        if since.tzinfo is None:
            since = since.replace(tzinfo=now.tzinfo)
        frequency = doc.get("visit_frequency_days")
        if not shared.is_overdue(seen[0] if seen else None, since, frequency, now):
            continue
        reaching = {r.id for r in rules.reaching("overdue_flag", owner_id, territory_id)}
        for rule in only:
            if rule.id not in reaching:
                continue
            flag = shared.flag_values(rule, account_id, seen[1] if seen else None, frequency)
            if flag["id"] not in taken and flag["id"] not in batch.new:
                taken.add(flag["id"])
                add_record(session, batch, "flags", flag)
                added += 1
    return added


def run(db: Database, *, now: datetime | None = None, dry_run: bool = False) -> int:
    """The whole pass, as one audited transaction; return the number of flags added.

    Without an enabled flag rule there is nothing to do, and nothing is audited.
    """
    from fieldapp.server.admin import SYSTEM

    with db.session() as session:
        if not Rules(session, Batch(SYSTEM, Scope(None, ()))).of_kind("overdue_flag"):
            return 0

    def work(session: Session) -> int:
        batch = Batch(SYSTEM, Scope(None, ()))
        rules = Rules(session, batch)
        added = flag_overdue(session, batch, rules, rules.of_kind("overdue_flag"), now or utcnow())
        batch.finish(session)
        return added

    return audit.change(db, audit.OPERATOR, "rules.run", None, work, dry_run=dry_run)


def every(url: str, seconds: float) -> threading.Event:
    """Run the pass every ``seconds`` in a thread of this process (``serve --rules-every``).

    The first pass runs one interval after the start; set the returned event to stop.
    A failure is logged and the next interval tries again.
    """
    stop = threading.Event()

    def loop() -> None:
        db = Database.open(url)
        try:
            while not stop.wait(seconds):
                try:
                    added = run(db)
                    if added:
                        log.info("rules: flagged %d accounts", added)
                except Exception:
                    log.exception("the rules' flag pass failed; trying again next time")
        finally:
            db.close()

    threading.Thread(target=loop, name="fieldapp-rules", daemon=True).start()
    return stop
