"""Reassignment moves accounts between reps: pending edits go up first, nothing is lost."""

from __future__ import annotations

from fieldapp.server import admin
from tests.sync.conftest import World
from tests.sync.test_sync_flow import create, get, ids_of, setup_two_territories, update


def test_territory_reassignment_pushes_pending_edits_then_evicts(world: World) -> None:
    t = setup_two_territories(world)
    boss, boss_sync = world.client("boss")
    acc = create(boss, "accounts", name="Moving Co", territory_id=t["north"])
    contact = create(boss, "contacts", account_id=acc, last_name="Roe")
    boss_sync.sync()
    alice, alice_sync = world.client("alice")
    alice_sync.sync()
    bob, bob_sync = world.client("bob")
    bob_sync.sync()
    assert acc not in ids_of(bob, "accounts")

    update(alice, "accounts", acc, description="edited offline before the move")
    admin.assign_territory(world.db, "North", "bob")
    report = alice_sync.sync()
    assert not report.rejections
    assert report.evicted >= 2
    assert (
        "1 account moved to bob's territory (North) and was removed from this laptop: Moving Co"
        in report.sentences()
    )
    assert ids_of(alice, "accounts") == set() and ids_of(alice, "contacts") == set()
    report = bob_sync.sync()
    assert acc in ids_of(bob, "accounts") and contact in ids_of(bob, "contacts")
    # Told from the server's own state: what came, and from whom (issue 13 item 6).
    assert "1 account you gained from alice's territory (North): Moving Co" in report.sentences()
    assert report.as_dict()["entered_scope"] == 1
    assert get(bob, "accounts", acc)["description"] == "edited offline before the move"


def test_account_moved_to_another_territory_arrives_in_full(world: World) -> None:
    t = setup_two_territories(world)
    boss, boss_sync = world.client("boss")
    acc = create(boss, "accounts", name="Drifter", territory_id=t["north"])
    contacts = {create(boss, "contacts", account_id=acc, last_name=f"C{i}") for i in range(3)}
    boss_sync.sync()
    alice, alice_sync = world.client("alice")
    bob, bob_sync = world.client("bob")
    alice_sync.sync()
    bob_sync.sync()
    moved = admin.assign_accounts(world.db, "South", [acc])
    assert moved == 1
    alice_sync.sync()
    report = bob_sync.sync()
    assert ids_of(alice, "accounts") == set()
    assert ids_of(bob, "accounts") == {acc}
    assert ids_of(bob, "contacts") == contacts
    assert report.fetched >= 4
    # Still no ghosts after a further sync, and bob can edit what he received.
    update(bob, "contacts", next(iter(contacts)), title="New owner")
    assert not bob_sync.sync().rejections
