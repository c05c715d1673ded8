"""Records from older clients or scripts are owned and placed by the server, by the same
rule the client uses; a lead in a territory is seen by that territory's reps."""

from __future__ import annotations

import json
import uuid

from fieldapp.server import admin, sync
from fieldapp.server.db import Database
from fieldapp.server.models import Record
from tests.server.test_authorization import _insert, _setup, _who


def stored(db: Database, row_id: str) -> dict[str, object]:
    with db.session() as s:
        rec = s.get(Record, row_id)
        assert rec is not None
        return dict(json.loads(rec.data), _territory=rec.territory_id, _owner=rec.owner_id)


def test_push_without_owner_or_territory_is_placed_like_an_import(db: Database) -> None:
    _setup(db)  # alice (rep) has North (postcodes N...), bob South
    alice = _who(db, "alice")
    north = territory_id(db, "North")
    by_postcode, no_address, lead = (str(uuid.uuid4()) for _ in range(3))
    results = sync.push(
        db,
        alice,
        [
            _insert("accounts", by_postcode, name="Old Client Ltd", postcode="N4 1AA"),
            _insert("accounts", no_address, name="Nowhere Ltd"),
            _insert("leads", lead, last_name="Lead", postcode="N7"),
        ],
    )
    assert [r.status for r in results] == ["merged"] * 3  # sent back with what was added
    for row_id in (by_postcode, no_address, lead):
        assert stored(db, row_id)["owner_id"] == alice.id
        assert stored(db, row_id)["_territory"] == north
    # The lead is bob's to see once North is his; alice still sees it as its owner.
    admin.assign_territory(db, "North", "bob")
    bob_reads = json.loads(sync.pull(db, _who(db, "bob"), 0, 1000, 0, False))["changes"]
    assert lead in {c["id"] for c in bob_reads}
    alice_reads = json.loads(sync.pull(db, alice, 0, 1000, 0, False))["changes"]
    assert lead in {c["id"] for c in alice_reads}
    assert no_address not in {c["id"] for c in alice_reads}  # moved with North


def territory_id(db: Database, name: str) -> str:
    with db.session() as s:
        for rec in s.query(Record).filter(Record.entity == "territories"):
            if json.loads(rec.data)["name"] == name:
                return rec.id
    raise AssertionError(f"no territory {name}")


def test_a_reps_new_account_placed_in_another_territory_goes_there(db: Database) -> None:
    # Issue 11 items 1-3: alice (North) records a customer whose postcode is South's.
    # The rule every side applies puts it in South: the server keeps it there with
    # what alice made under it, and tells alice's next pull that it moved to bob.
    _setup(db)
    alice = _who(db, "alice")
    north, south = territory_id(db, "North"), territory_id(db, "South")
    alice_seq = json.loads(sync.pull(db, alice, 0, 1000, 0, False))["scope_seq"]
    southern, contact, claimed, wrong = (str(uuid.uuid4()) for _ in range(4))
    results = sync.push(
        db,
        alice,
        [
            _insert("accounts", southern, name="Southern Co", postcode="S1 2AB"),
            _insert("contacts", contact, account_id=southern, last_name="Kern"),
            # A territory named by hand that the address does not back stays refused.
            _insert("accounts", claimed, name="Claimed", territory_id=south),
            _insert("accounts", wrong, name="Wrong", postcode="N1 1AA", territory_id=south),
        ],
    )
    assert [r.status for r in results[:2]] == ["merged", "merged"]  # the owner was added
    assert [(r.status, "outside your scope" in (r.reason or "")) for r in results[2:]] == [
        ("rejected", True),
        ("rejected", True),
    ]
    assert stored(db, southern)["_territory"] == south  # the contact goes with it
    assert stored(db, contact)["account_id"] == southern
    for row_id in (southern, contact):
        assert stored(db, row_id)["owner_id"] == alice.id  # still who made it
    with db.session() as s:
        assert s.get(Record, claimed) is None and s.get(Record, wrong) is None

    pulled = json.loads(sync.pull(db, alice, 0, 1000, alice_seq, False))
    assert pulled["scope_changed"] and southern not in pulled["scope_accounts"]
    [moved] = pulled["scope_moves"]
    bob = _who(db, "bob")
    assert (moved["account_id"], moved["territory_id"], moved["to_users"]) == (
        southern,
        south,
        [bob.id],
    )
    assert pulled["territory_reps"] == {north: [alice.id], south: [bob.id]}
    bob_reads = {c["id"] for c in json.loads(sync.pull(db, bob, 0, 1000, 0, False))["changes"]}
    assert {southern, contact} <= bob_reads
