"""Erasure on request (GDPR) through the real server, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys

import requests
from sqlalchemy import func, select, text

from fieldapp.server import history
from fieldapp.server.models import HistoryEntry, Record
from fieldapp.store import search
from fieldapp.store.db import Replica
from fieldapp.store.models import Outbox
from tests.sync.conftest import World
from tests.sync.test_sync_flow import create, ids_of, setup_two_territories, update


def server_cli(world: World, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fieldapp.server.cli", "--database-url", world.url, *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def outbox_rows(replica: Replica, row_id: str) -> int:
    with replica.read_session() as s:
        return (
            s.scalar(select(func.count()).select_from(Outbox).where(Outbox.row_id == row_id)) or 0
        )


def found(replica: Replica, entity: str, words: str) -> list[str]:
    with replica.read_session() as s:
        return search.search_ids(s, entity, words)


def test_an_erased_contact_leaves_the_server_its_history_and_every_replica(world: World) -> None:
    t = setup_two_territories(world)
    boss, boss_sync = world.client("boss")
    acc = create(boss, "accounts", name="Acme", territory_id=t["north"])
    erin = create(boss, "contacts", account_id=acc, first_name="Erin", last_name="Quorndon")
    kept = create(boss, "contacts", account_id=acc, first_name="Kim", last_name="Stays")
    boss_sync.sync()
    alice, alice_sync = world.client("alice")
    alice_sync.sync()
    update(boss, "contacts", erin, title="Buyer")
    boss_sync.sync()
    alice_sync.sync()
    assert found(alice, "contacts", "Quorndon") == [erin]
    update(alice, "contacts", erin, title="Head buyer")  # offline, not pushed yet
    base = world.server.base
    boss_t, alice_t = world.transports

    # Only an admin may erase.
    refused = requests.post(
        f"{base}/admin/erase/contact/{erin}",
        headers={"Authorization": f"Bearer {alice_t.token}"},
        timeout=30,
    )
    assert refused.status_code == 403
    done = requests.post(
        f"{base}/admin/erase/contact/{erin}",
        headers={"Authorization": f"Bearer {boss_t.token}"},
        timeout=30,
    )
    assert done.status_code == 200, done.text
    assert done.json() == {"entity": "contacts", "id": erin, "redacted": 2, "already": False}

    # The server keeps nothing of it but redacted entries whose chain still verifies.
    with world.db.session() as s:
        assert s.get(Record, erin) is None
        entries = s.scalars(select(HistoryEntry).where(HistoryEntry.record_id == erin)).all()
        stored = " ".join(str(e.changes) for e in entries)
    assert "Quorndon" not in stored and "Buyer" not in stored
    assert [e.op for e in entries] == ["insert", "update", "redact"]
    assert all(e.redacted_at is not None for e in entries[:2])
    verdict = history.verify(world.db)
    assert verdict.intact, verdict.problems
    assert verdict.redacted == 2
    gone = requests.get(
        f"{base}/history/contacts/{erin}",
        headers={"Authorization": f"Bearer {boss_t.token}"},
        timeout=30,
    )
    assert gone.status_code == 404

    # Alice's pending edit cannot bring it back; her replica drops it, edit and index too.
    report = alice_sync.sync()
    assert [r.row_id for r in report.rejections] == [erin]
    assert "erased on request" in report.rejections[0].reason
    assert erin not in ids_of(alice, "contacts")
    assert kept in ids_of(alice, "contacts")
    assert outbox_rows(alice, erin) == 0
    assert found(alice, "contacts", "Quorndon") == []
    with alice.read_session() as s:
        leftovers = s.execute(
            text("SELECT count(*) FROM contacts_fts WHERE contacts_fts MATCH 'Quorndon'")
        ).scalar()
    assert leftovers == 0
    boss_sync.sync()
    assert ids_of(boss, "contacts") == {kept}
    with world.db.session() as s:
        assert s.get(Record, erin) is None  # the refused edit did not re-create it


def test_erasing_a_lead_from_the_command_line(world: World) -> None:
    setup_two_territories(world)
    boss, boss_sync = world.client("boss")
    lead = create(boss, "leads", first_name="Lee", last_name="Prospect", company="Leads Ltd")
    boss_sync.sync()

    unconfirmed = server_cli(world, "erase", "lead", lead)
    assert unconfirmed.returncode == 1
    assert "add --yes" in unconfirmed.stderr and "Traceback" not in unconfirmed.stderr
    done = server_cli(world, "erase", "lead", lead, "--yes")
    assert done.returncode == 0, done.stderr
    assert f"erased lead {lead}: 1 history entries redacted" in done.stdout
    again = server_cli(world, "erase", "lead", lead, "--yes")
    assert "was erased before" in again.stdout
    missing = server_cli(world, "erase", "contact", lead, "--yes")  # a lead's id, not a contact's
    assert missing.returncode == 1 and "no contact" in missing.stderr

    boss_sync.sync()
    assert ids_of(boss, "leads") == set()
    verified = server_cli(world, "history", "verify")
    assert verified.returncode == 0, verified.stderr
    assert "1 redacted on request" in verified.stdout
