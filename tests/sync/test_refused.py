"""A refused change is never lost and never silent: kept, named, fixed and resent."""

from __future__ import annotations

import json

from sqlalchemy import select

from fieldapp.server import admin
from fieldapp.server.models import Record
from fieldapp.store.models import Outbox
from fieldapp.store.refused import discard, refused_changes, refused_count, resend, resend_all
from tests.sync.conftest import World
from tests.sync.test_sync_flow import create, get, ids_of, setup_two_territories, update


def server_record(world: World, row_id: str) -> dict[str, object] | None:
    with world.db.session() as s:
        rec = s.scalar(select(Record).where(Record.id == row_id))
        return None if rec is None else json.loads(rec.data)


def outbox_states(replica: object) -> list[str]:
    with replica.read_session() as s:  # type: ignore[attr-defined]
        return [e.state for e in s.scalars(select(Outbox).order_by(Outbox.seq))]


def test_refused_record_survives_eviction_and_is_fixed_and_resent(world: World) -> None:
    t = setup_two_territories(world)
    alice, alice_sync = world.client("alice")
    alice_sync.sync()  # learns the territories
    outside = create(alice, "accounts", name="Outside GmbH", territory_id=t["south"])
    contact = create(alice, "contacts", account_id=outside, last_name="Kern")
    mine = create(alice, "accounts", name="Mine AG", postcode="N1 2AB")
    assert get(alice, "accounts", mine)["territory_id"] == t["north"]  # placed by postcode

    report = alice_sync.sync()
    assert {r.row_id for r in report.rejections} == {outside, contact}
    assert report.sentences()[0].startswith("2 changes refused by the server and kept")
    with alice.read_session() as s:
        changes = refused_changes(s)
        assert refused_count(s) == 2
    assert [(c.entity, c.record_id, c.label, c.operation) for c in changes] == [
        ("accounts", outside, "Outside GmbH", "insert"),
        ("contacts", contact, "Kern", "insert"),
    ]
    assert "outside your scope" in changes[0].reason and changes[0].refused_at
    assert changes[0].fields["name"] == "Outside GmbH"
    assert server_record(world, outside) is None

    # A later edit joins the refused insert instead of queueing an update the server
    # would refuse as "not on the server".
    update(alice, "accounts", outside, phone="+49 30 1234567")
    assert outbox_states(alice) == ["refused", "refused"]

    # North goes to bob: alice's accepted account leaves; the refused ones stay.
    admin.assign_territory(world.db, "North", "bob")
    report = alice_sync.sync()
    assert ids_of(alice, "accounts") == {outside}
    assert ids_of(alice, "contacts") == {contact}
    assert sorted(report.kept) == sorted([("accounts", outside), ("contacts", contact)])
    words = report.sentences()
    assert (
        "1 account moved to bob's territory (North) and was removed from this laptop: Mine AG"
        in words
    )
    assert any("kept on this laptop because the server has not accepted" in w for w in words)
    assert any("Outside GmbH" in w for w in words if "kept" in w)

    # Fixed (the account is alice's own now, in no territory) and resent.
    update(alice, "accounts", outside, territory_id=None)
    with alice.session() as s:
        assert resend_all(s) == 2
    report = alice_sync.sync()
    assert not report.rejections and report.pushed == 2
    stored = server_record(world, outside)
    assert stored is not None
    assert stored["owner_id"] == alice_sync.transport.hello().user.id
    assert stored.get("territory_id") is None and stored["phone"] == "+49 30 1234567"
    assert server_record(world, contact) is not None
    assert outbox_states(alice) == []


def test_discard_deletes_a_new_record_and_undoes_a_refused_edit(world: World) -> None:
    t = setup_two_territories(world)
    alice, alice_sync = world.client("alice")
    alice_sync.sync()
    kept = create(alice, "accounts", name="Nordlicht", territory_id=t["north"])
    alice_sync.sync()
    stray = create(alice, "accounts", name="Stray", territory_id=t["south"])
    # A rep may not take an account out of its territory: refused.
    update(alice, "accounts", kept, territory_id=None, description="moved out")
    report = alice_sync.sync()
    assert {r.row_id for r in report.rejections} == {stray, kept}
    with alice.read_session() as s:
        by_record = {c.record_id: c.outbox_id for c in refused_changes(s)}
    with alice.session() as s:
        discard(s, by_record[stray])
        discard(s, by_record[kept])
    assert ids_of(alice, "accounts") == {kept}
    assert get(alice, "accounts", kept)["territory_id"] == t["north"]
    assert get(alice, "accounts", kept)["description"] is None
    assert outbox_states(alice) == []
    assert not alice_sync.sync().rejections


def test_resend_sends_the_current_values_under_a_new_mutation_id(world: World) -> None:
    t = setup_two_territories(world)
    alice, alice_sync = world.client("alice")
    alice_sync.sync()
    acc = create(alice, "accounts", name="Wrong Place", territory_id=t["south"])
    alice_sync.sync()
    with alice.read_session() as s:
        [change] = refused_changes(s)
        first_id = s.scalar(select(Outbox.mutation_id))
    with alice.session() as s:
        resend(s, change.outbox_id)  # unchanged: refused again, with the same reason
    report = alice_sync.sync()
    assert [r.row_id for r in report.rejections] == [acc]
    with alice.read_session() as s:
        assert s.scalar(select(Outbox.mutation_id)) != first_id
    update(alice, "accounts", acc, territory_id=t["north"])
    with alice.session() as s:
        resend(s, refused_changes(s)[0].outbox_id)
    assert not alice_sync.sync().rejections
    assert server_record(world, acc)["territory_id"] == t["north"]  # type: ignore[index]
