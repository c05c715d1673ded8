"""Mutation ids are a namespace per user (issue 14 item 5), through the real server."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from fieldapp.server.models import Record
from fieldapp.sync.protocol import Mutation
from tests.sync.conftest import World
from tests.sync.test_sync_flow import setup_two_territories


def _insert(mutation_id: str, name: str, territory: str) -> tuple[str, Mutation]:
    row_id = str(uuid.uuid4())
    changes = {"name": [None, name], "territory_id": [None, territory]}
    return row_id, Mutation(
        mutation_id=mutation_id, entity="accounts", row_id=row_id, op="insert", changes=changes
    )


def test_another_users_mutation_id_neither_answers_nor_drops_the_change(world: World) -> None:
    t = setup_two_territories(world)
    world.client("alice")
    world.client("bob")
    alice, bob = world.transports
    shared = str(uuid.uuid4())

    alice_row, alice_m = _insert(shared, "Alice's account", t["north"])
    [first] = alice.push([alice_m])
    # "merged" when the server adds what the client left out (the record's owner).
    assert first.status in ("applied", "merged")
    # Bob's device happens to send (or replays on purpose) the same mutation id.
    bob_row, bob_m = _insert(shared, "Bob's account", t["south"])
    [answer] = bob.push([bob_m])
    assert answer.status in ("applied", "merged")
    assert answer.version != first.version  # not Alice's stored answer

    with world.db.session() as s:
        names = dict(s.execute(select(Record.id, Record.data)).all())
    assert "Bob's account" in names[bob_row]  # Bob's change is kept
    assert "Alice's account" in names[alice_row]
    # A replay by the same user still gets that user's first answer.
    [again] = bob.push([bob_m])
    assert again == answer
    [alice_again] = alice.push([alice_m])
    assert alice_again == first
