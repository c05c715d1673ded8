"""Issue 14 item 1, defence in depth: a pulled record the client cannot store is kept aside.

The server refuses such records now; these were written into its database directly,
as records stored before it checked them would be.
"""

from __future__ import annotations

import json
import uuid

from fieldapp.server.models import Record
from fieldapp.sync import quarantine
from fieldapp.sync.protocol import Mutation
from tests.sync.conftest import World
from tests.sync.test_sync_flow import create, get, ids_of, setup_two_territories


def _corrupt(world: World, row_id: str, **values: object) -> None:
    with world.db.session() as s:
        rec = s.get(Record, row_id)
        assert rec is not None
        rec.data = json.dumps({**json.loads(rec.data), **values})


def test_records_the_client_cannot_store_are_quarantined_and_the_rest_applied(
    world: World,
) -> None:
    t = setup_two_territories(world)
    boss, boss_sync = world.client("boss")
    acc = create(boss, "accounts", name="Nordwerk", territory_id=t["north"])
    good = create(boss, "contacts", account_id=acc, last_name="Berg")
    named = create(boss, "contacts", account_id=acc, last_name="Roe")
    deal = create(boss, "opportunities", account_id=acc, name="Big", stage="Prospecting")
    visit = create(boss, "visits", account_id=acc, outcome="no_show")
    assert not boss_sync.sync().rejections
    _corrupt(world, named, last_name={"first": "Ina"})  # an object for a name
    _corrupt(world, deal, amount="lots")
    _corrupt(world, visit, checkin_at="not a time")

    alice, alice_sync = world.client("alice")
    report = alice_sync.sync()
    assert {q.row_id for q in report.quarantined} == {named, deal, visit}
    assert ids_of(alice, "contacts") == {good} and ids_of(alice, "accounts") == {acc}
    assert any("could not be stored" in line for line in report.sentences())
    assert report.as_dict()["quarantined"] == 3
    with alice.engine.connect() as conn:
        kept = {row["row_id"]: row for row in quarantine.quarantined(conn)}
    assert set(kept) == {named, deal, visit}
    assert "lots" in kept[deal]["data"] and kept[deal]["reason"]
    # The next sync goes on as usual.
    assert alice_sync.sync().quarantined == []

    # Fixed on the server, the record arrives and leaves the quarantine.
    admin = world.transports[0]
    [fixed] = admin.push(
        [
            Mutation(
                mutation_id=str(uuid.uuid4()),
                entity="contacts",
                row_id=named,
                op="update",
                changes={"last_name": [{"first": "Ina"}, "Roe"]},
            )
        ]
    )
    assert fixed.status in ("applied", "merged")
    alice_sync.sync()
    assert get(alice, "contacts", named)["last_name"] == "Roe"
    with alice.engine.connect() as conn:
        assert {row["row_id"] for row in quarantine.quarantined(conn)} == {deal, visit}
