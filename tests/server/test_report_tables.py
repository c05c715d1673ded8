"""Every path that writes ``records`` keeps the report tables in step, in its transaction.

After each write path (push: inserts, edits, moves between accounts, deletes; CSV import;
a proposal applied and rolled back; a user deleted with their records reassigned; an
erasure), the kept tables must equal what the back-fill of migration s0009 derives
from ``records`` afresh, and hold the figures the change implies.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from fieldapp.server import admin, auth, erasure, proposals, sync, users
from fieldapp.server.db import Database
from fieldapp.server.models import User
from fieldapp.server.reporting import rows
from fieldapp.server.reporting.tables import TABLES, report_accounts, report_visits
from fieldapp.sync.protocol import Mutation
from tests.syncutil import PASSWORD

BOSS = auth.Principal("boss-id", "boss", "admin", None)
DATA = Path(__file__).parent.parent / "data" / "csv"


def _m(entity: str, row_id: str, op: str = "insert", **pairs: Any) -> Mutation:
    return Mutation(
        mutation_id=str(uuid.uuid4()),
        entity=entity,
        row_id=row_id,
        op=op,
        changes={k: list(v) if op != "insert" else [None, v] for k, v in pairs.items()},
    )


def _push(db: Database, *mutations: Mutation) -> None:
    results = sync.push(db, BOSS, list(mutations))
    assert {r.status for r in results} <= {"applied", "merged"}, results


def _read(session: Session) -> dict[str, set[tuple[Any, ...]]]:
    return {t.name: {tuple(r) for r in session.execute(select(t))} for t in TABLES}


def in_step(db: Database) -> dict[str, set[tuple[Any, ...]]]:
    """The kept tables, checked against a fresh back-fill (rolled back after)."""
    with Session(db.engine) as session:
        kept = _read(session)
        for table in TABLES:
            session.execute(delete(table))
        rows.backfill(session)
        assert _read(session) == kept
        session.rollback()
    return kept


def _visits(db: Database) -> dict[str, tuple[Any, ...]]:
    with db.reading() as s:
        return {r.id: r for r in s.execute(select(report_visits))}


def _last(db: Database, account: str) -> Any:
    with db.reading() as s:
        return s.scalar(
            select(report_accounts.c.last_visit_at).where(report_accounts.c.id == account)
        )


def test_pushes_keep_the_report_tables_in_step(db: Database) -> None:
    admin.add_user(db, "ana", PASSWORD, "rep")
    north = admin.add_territory(db, "North", None, ["N"])
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    v1, v2, planned = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    _push(
        db,
        _m("accounts", a, name="A", territory_id=north, visit_frequency_days=30),
        _m("accounts", b, name="B", territory_id=north, status="inactive"),
        _m("visits", v1, account_id=a, checkin_at="2026-03-02T09:00:00+00:00",
           checkout_at="2026-03-02T09:45:00+00:00", outcome="successful"),
        _m("visits", v2, account_id=a, checkin_at="2026-03-10T10:00:00+00:00"),
        _m("visits", planned, account_id=b, planned_start="2026-04-02T09:00:00+00:00"),
    )  # fmt: skip
    deal = str(uuid.uuid4())
    _push(db, _m("opportunities", deal, account_id=a, name="D", stage="Proposal",
                 amount="2500.50", currency="EUR", close_date="2026-04-30"))  # fmt: skip
    kept = in_step(db)
    assert {r[0] for r in kept["report_visits"]} == {v1, v2}  # the planned one counts nowhere
    assert [(r[3], r[4], r[7]) for r in kept["report_deals"]] == [
        ("Proposal", 250050, "2026-04-30")
    ]
    assert _visits(db)[v1].minutes == 45 and _visits(db)[v2].minutes is None
    assert _last(db, a).day == 10 and _last(db, b) is None
    with db.reading() as s:
        found = s.execute(select(report_accounts.c.id, report_accounts.c.active))
        active = {account: flag for account, flag in found}
    assert active == {a: True, b: False}

    # A visit moved to another account, re-timed; the planned one checked in.
    _push(
        db,
        _m("visits", v2, "update", account_id=[a, b], checkin_at=["2026-03-10T10:00:00+00:00",
           "2026-03-12T08:00:00+00:00"]),
        _m("visits", planned, "update", checkin_at=[None, "2026-04-02T09:05:00+00:00"]),
        _m("accounts", b, "update", status=["inactive", "active"]),
    )  # fmt: skip
    in_step(db)
    assert _last(db, a).day == 2 and (_last(db, b).month, _last(db, b).day) == (4, 2)
    # Deletes: a visit's tombstone leaves the report; the account's last visit falls back.
    gone = [None, "2026-04-03T12:00:00+00:00"]
    _push(
        db,
        _m("visits", planned, "delete", deleted_at=gone),
        _m("accounts", a, "delete", deleted_at=gone),
        _m("opportunities", deal, "delete", deleted_at=gone),
    )
    kept = in_step(db)
    assert planned not in _visits(db) and _last(db, b).day == 12
    assert kept["report_deals"] == set()
    assert (a, north, "boss-id", False, 30) in {r[:5] for r in kept["report_accounts"]}


def test_imports_proposals_user_deletion_and_erasure_keep_them_in_step(db: Database) -> None:
    for name in ("ben", "cleo"):
        admin.add_user(db, name, PASSWORD, "rep")
    north = admin.add_territory(db, "North", None, ["N"])
    admin.add_territory(db, "South", None, ["S"])
    admin.assign_territory(db, "North", "ben")
    assert admin.import_accounts(db, DATA / "salesforce_accounts.csv").imported > 0
    imported = in_step(db)["report_accounts"]
    with db.reading() as s:
        ben = s.scalar(select(User.id).where(User.username == "ben"))
    a = str(uuid.uuid4())
    contact = str(uuid.uuid4())
    _push(
        db,
        _m("accounts", a, name="A", territory_id=north, owner_id=ben),
        _m("visits", str(uuid.uuid4()), account_id=a, owner_id=ben,
           checkin_at="2026-03-02T09:00:00+00:00"),
        _m("contacts", contact, account_id=a, last_name="Doe"),
        _m("opportunities", str(uuid.uuid4()), account_id=a, owner_id=ben, name="D",
           stage="Closed Won", amount="10", currency="EUR"),
    )  # fmt: skip
    assert len(in_step(db)["report_accounts"]) == len(imported) + 1

    version = proposals.create(db, BOSS, proposals.Request("South", accounts=[a]))["version"]
    proposals.apply(db, BOSS, version)
    with db.reading() as s:
        moved = s.scalar(select(report_accounts.c.territory_id).where(report_accounts.c.id == a))
    assert moved != north
    assert _last(db, a) is not None  # a move keeps the account's last visit
    in_step(db)
    proposals.rollback(db, BOSS, 0)
    assert (a, north) in {r[:2] for r in in_step(db)["report_accounts"]}

    users.delete_user(db, BOSS, "ben", "cleo")
    kept = in_step(db)
    owners = {r[0]: r[2] for r in kept["report_accounts"]}
    assert owners[a] != ben and {r[2] for r in kept["report_visits"]} != {ben}
    assert [r[2] for r in kept["report_deals"]] != [ben]
    erasure.erase(db, BOSS, "contact", contact)
    assert in_step(db) == kept  # contacts are in no report table
