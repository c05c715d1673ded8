"""Reassignment moves accounts between reps: pending edits go up first, nothing is lost."""

from __future__ import annotations

import pytest

from fieldapp.server import admin
from fieldapp.store.db import DB_FILENAME
from fieldapp.sync import scope_change
from fieldapp.sync.engine import Progress, rejection_rows
from tests.sync.conftest import World
from tests.sync.test_sync_flow import create, get, ids_of, setup_two_territories, update
from tests.syncutil import index_names


def test_territory_reassignment_pushes_pending_edits_then_evicts(world: World) -> None:
    """The edit made before the move is pushed before the eviction, and refused: scope
    is the server's current state (issue 14). It is kept on the client, with its reason,
    and never reaches the new rep."""
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
    [refused] = report.rejections
    assert refused.row_id == acc and "outside your scope" in refused.reason
    [kept] = rejection_rows(alice)
    assert kept["row_id"] == acc and "outside your scope" in kept["error"]
    # The account with the refused edit stays (store/refused.py); what hangs off it goes.
    assert report.kept == [("accounts", acc)]
    assert report.evicted >= 1
    assert ids_of(alice, "contacts") == set()
    assert get(alice, "accounts", acc)["description"] == "edited offline before the move"
    report = bob_sync.sync()
    assert acc in ids_of(bob, "accounts") and contact in ids_of(bob, "contacts")
    # Told from the server's own state: what came, and from whom (issue 13 item 6).
    assert "1 account you gained from alice's territory (North): Moving Co" in report.sentences()
    assert report.as_dict()["entered_scope"] == 1
    assert get(bob, "accounts", acc)["description"] is None


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
    # The contacts came with the fetch, the moved account (newer than bob's cursor) with
    # the pull alone: nothing twice.
    assert (report.fetched, report.pulled) == (3, 1)
    # Still no ghosts after a further sync, and bob can edit what he received.
    update(bob, "contacts", next(iter(contacts)), title="New owner")
    assert not bob_sync.sync().rejections


def test_a_big_entry_arrives_in_parts_without_indexes_and_converges(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small numbers stand in for a reassignment of thousands of accounts: the entry is
    # fetched in parts, the next downloading while one is written, with the secondary
    # indexes dropped until the end; the gainer ends with what the server holds.
    monkeypatch.setattr(scope_change, "FETCH_ACCOUNTS", 3)
    monkeypatch.setattr(scope_change, "INDEX_LATER_FROM_ACCOUNTS", 4)
    t = setup_two_territories(world)
    boss, boss_sync = world.client("boss")
    accounts = [create(boss, "accounts", name=f"A{i}", territory_id=t["north"]) for i in range(8)]
    contacts = {create(boss, "contacts", account_id=a, last_name=f"C{a[:4]}") for a in accounts}
    boss_sync.sync()
    alice, alice_sync = world.client("alice")
    bob, bob_sync = world.client("bob")
    alice_sync.sync()
    bob_sync.sync()
    indexes = index_names(bob.data_dir / DB_FILENAME)
    assert ids_of(bob, "accounts") == set()
    assert admin.assign_accounts(world.db, "South", accounts) == len(accounts)
    alice_sync.sync()
    fetched: list[Progress] = []
    bob_sync.progress = lambda p: fetched.append(p) if p.phase == "fetch" else None
    report = bob_sync.sync()
    assert [p.done for p in fetched] == [3, 6, 8]  # three parts
    # The accounts moved after bob's cursor: the pull brings them, the fetch only what
    # hangs off them.
    assert report.fetched == len(contacts)
    assert report.pulled == len(accounts)
    assert ids_of(bob, "accounts") == set(accounts)
    assert ids_of(bob, "contacts") == contacts
    assert ids_of(alice, "accounts") == ids_of(alice, "contacts") == set()
    for contact in contacts:
        assert (
            get(bob, "contacts", contact)["last_name"]
            == get(boss, "contacts", contact)["last_name"]
        )
    assert index_names(bob.data_dir / DB_FILENAME) == indexes  # built again at the end
    # Converged: a further sync brings nothing and bob can edit what he received.
    update(bob, "contacts", next(iter(contacts)), title="New owner")
    again = bob_sync.sync()
    assert not again.rejections and again.fetched == 0


class Cut(Exception):
    """The sync stops here (as if the laptop were shut)."""


def test_a_fetch_cut_off_resumes_with_the_accounts_it_had_not_fetched(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The moved accounts come with the pull, after the fetch: the accounts held do not
    # say what was fetched, the note of each fetched part does.
    monkeypatch.setattr(scope_change, "FETCH_ACCOUNTS", 3)
    t = setup_two_territories(world)
    boss, boss_sync = world.client("boss")
    accounts = [create(boss, "accounts", name=f"A{i}", territory_id=t["north"]) for i in range(8)]
    contacts = {create(boss, "contacts", account_id=a, last_name=f"C{a[:4]}") for a in accounts}
    boss_sync.sync()
    bob, bob_sync = world.client("bob")
    bob_sync.sync()
    assert admin.assign_accounts(world.db, "South", accounts) == len(accounts)

    def cut_after_first_part(p: Progress) -> None:
        if p.phase == "fetch":
            raise Cut

    bob_sync.progress = cut_after_first_part
    with pytest.raises(Cut):
        bob_sync.sync()
    assert len(ids_of(bob, "contacts")) == 3 and ids_of(bob, "accounts") == set()
    fetched: list[Progress] = []
    bob_sync.progress = lambda p: fetched.append(p) if p.phase == "fetch" else None
    report = bob_sync.sync()
    assert [(p.done, p.total) for p in fetched] == [(3, 5), (5, 5)]  # the other five
    assert report.fetched == 5
    assert ids_of(bob, "accounts") == set(accounts)
    assert ids_of(bob, "contacts") == contacts
    assert len(report.entered) == 8 and all(m.name for m in report.entered)


def test_a_territory_left_without_reps_is_named_not_its_accounts_owner(world: World) -> None:
    """The admin who made the accounts owns them; when North loses its only rep, alice
    is told they went to territory North, not to "boss's territory"."""
    from fieldapp.server import auth, proposals

    t = setup_two_territories(world)
    boss, boss_sync = world.client("boss")
    create(boss, "accounts", name="Orphan Co", territory_id=t["north"])
    boss_sync.sync()
    alice, alice_sync = world.client("alice")
    alice_sync.sync()
    assert {get(alice, "accounts", a)["name"] for a in ids_of(alice, "accounts")} == {"Orphan Co"}
    actor = auth.Principal("boss-id", "boss", "admin", None)
    proposals.set_reps(world.db, actor, "North", [])
    report = alice_sync.sync()
    assert (
        "1 account moved to territory North and was removed from this laptop: Orphan Co"
        in report.sentences()
    ), report.sentences()
