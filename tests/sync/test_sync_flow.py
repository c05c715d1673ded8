"""Push, pull, merge, conflicts and tombstones against a real server process."""

from __future__ import annotations

from typing import Any

import pytest

from fieldapp.server import admin
from fieldapp.store import services
from fieldapp.store.db import Replica
from fieldapp.sync.engine import SyncEngine, conflict_rows, rejection_rows
from fieldapp.sync.errors import IncompatibleServer
from fieldapp.sync.transport import Transport
from tests.sync.conftest import World


def setup_two_territories(world: World) -> dict[str, str]:
    world.user("boss", "admin")
    world.user("mgr", "manager")
    world.user("alice", "rep", "mgr")
    world.user("bob", "rep")
    ids = {
        "north": admin.add_territory(world.db, "North", None, ["N"]),
        "south": admin.add_territory(world.db, "South", None, ["S"]),
    }
    admin.assign_territory(world.db, "North", "alice")
    admin.assign_territory(world.db, "South", "bob")
    return ids


def create(replica: Replica, entity: str, **values: Any) -> str:
    with replica.session() as s:
        return services.create(s, entity, values)


def get(replica: Replica, entity: str, row_id: str) -> dict[str, Any]:
    with replica.read_session() as s:
        return services.get(s, entity, row_id)


def update(replica: Replica, entity: str, row_id: str, **values: Any) -> None:
    with replica.session() as s:
        services.update(s, entity, row_id, values)


def ids_of(replica: Replica, entity: str) -> set[str]:
    with replica.read_session() as s:
        return {r["id"] for r in services.list_records(s, entity, limit=None)}


def test_records_flow_to_the_reps_of_their_territory(world: World) -> None:
    t = setup_two_territories(world)
    boss, boss_sync = world.client("boss")
    north = create(boss, "accounts", name="Nordwerk", territory_id=t["north"])
    south = create(boss, "accounts", name="Suedhaus", territory_id=t["south"])
    contact = create(boss, "contacts", account_id=north, last_name="Berg")
    report = boss_sync.sync()
    assert report.pushed == 3 and not report.rejections

    alice, alice_sync = world.client("alice")
    alice_sync.sync()
    assert ids_of(alice, "accounts") == {north}
    assert ids_of(alice, "contacts") == {contact}
    assert get(alice, "accounts", north)["server_version"] is not None
    bob, bob_sync = world.client("bob")
    bob_sync.sync()
    assert ids_of(bob, "accounts") == {south}
    mgr, mgr_sync = world.client("mgr")
    mgr_sync.sync()
    assert ids_of(mgr, "accounts") == {north}  # alice is in mgr's team, bob is not


def test_different_fields_merge_and_same_field_conflicts(world: World) -> None:
    t = setup_two_territories(world)
    boss, boss_sync = world.client("boss")
    acc = create(boss, "accounts", name="Acme", city="Leeds", territory_id=t["north"])
    boss_sync.sync()
    alice, alice_sync = world.client("alice")
    alice_sync.sync()

    update(alice, "accounts", acc, phone="+44 113 496 0000", city="York")
    update(boss, "accounts", acc, website="https://acme.example", city="Hull")
    boss_sync.sync()
    report = alice_sync.sync()
    assert report.conflicts == 1
    boss_sync.sync()
    for replica in (alice, boss):
        row = get(replica, "accounts", acc)
        assert row["phone"] == "+441134960000" or row["phone"].startswith("+44")
        assert row["website"] == "https://acme.example"
        assert row["city"] == "Hull"  # theirs stays until a person decides
    [conflict] = conflict_rows(alice)
    assert (conflict["field"], conflict["base"], conflict["mine"], conflict["theirs"]) == (
        "city",
        "Leeds",
        "York",
        "Hull",
    )
    [seen_by_boss] = conflict_rows(boss)
    assert seen_by_boss["id"] == conflict["id"]

    # Resolved from another client than the one that made it.
    info = world.transports[0].resolve(conflict["id"], "mine")
    assert info.resolution == "mine"
    boss_sync.sync()
    alice_sync.sync()
    assert get(alice, "accounts", acc)["city"] == "York"
    assert get(boss, "accounts", acc)["city"] == "York"
    assert conflict_rows(alice) == [] and conflict_rows(boss) == []


def test_edit_and_new_visit_for_a_deleted_record_become_conflicts(world: World) -> None:
    t = setup_two_territories(world)
    boss, boss_sync = world.client("boss")
    acc = create(boss, "accounts", name="Gone Ltd", territory_id=t["north"])
    contact = create(boss, "contacts", account_id=acc, last_name="Lee")
    boss_sync.sync()
    alice, alice_sync = world.client("alice")
    alice_sync.sync()

    with boss.session() as s:
        services.delete(s, "accounts", acc)
    boss_sync.sync()
    update(alice, "contacts", contact, title="Buyer")
    with alice.session() as s:
        visit = services.log_visit(s, acc, outcome="successful", notes="went well")
    report = alice_sync.sync()
    assert report.conflicts == 2
    kinds = sorted((c["entity"], c["kind"]) for c in conflict_rows(alice))
    assert kinds == [("contacts", "deleted"), ("visits", "deleted")]
    # Nothing was dropped: the visit is on the server (under the tombstoned account).
    boss_sync.sync()
    with boss.read_session() as s:
        assert s.get(services.model_for("visits"), visit) is not None

    # Keeping mine brings the account back, with the contact and the visit.
    visit_conflict = next(c for c in conflict_rows(alice) if c["entity"] == "visits")
    world.transports[-1].resolve(visit_conflict["id"], "mine")
    alice_sync.sync()
    assert acc in ids_of(alice, "accounts")
    assert visit in ids_of(alice, "visits")


def test_replayed_push_gets_the_first_answer(world: World) -> None:
    t = setup_two_territories(world)
    boss, boss_sync = world.client("boss")
    create(boss, "accounts", name="Once", territory_id=t["north"])
    from fieldapp.store.models import Outbox
    from fieldapp.sync.protocol import Mutation

    with boss.read_session() as s:
        [entry] = s.query(Outbox).all()
        m = Mutation(
            mutation_id=entry.mutation_id, entity=entry.entity, row_id=entry.row_id,
            op=entry.op, changes=entry.changes, base_version=entry.base_version,
        )  # fmt: skip
    transport = world.transports[0]
    transport.hello()
    first = transport.push([m])
    second = transport.push([m])
    assert first == second and first[0].status == "applied"
    report = boss_sync.sync()  # the outbox entry is still pending: a third send
    assert report.pushed == 1
    with world.db.session() as s:
        from fieldapp.server.models import Record

        assert s.query(Record).filter(Record.entity == "accounts").count() == 1


def test_out_of_scope_writes_are_rejected_one_by_one_and_kept(world: World) -> None:
    t = setup_two_territories(world)
    alice, alice_sync = world.client("alice")
    alice_sync.sync()
    ok = create(alice, "accounts", name="Mine", territory_id=t["north"])
    bad = create(alice, "accounts", name="Not mine", territory_id=t["south"])
    report = alice_sync.sync()
    assert report.pushed == 1
    assert [(r.row_id, "outside your scope" in r.reason) for r in report.rejections] == [
        (bad, True)
    ]
    assert [r["row_id"] for r in rejection_rows(alice)] == [bad]
    assert ok in ids_of(alice, "accounts")


def test_incompatible_client_gets_a_clear_message_and_replica_untouched(world: World) -> None:
    setup_two_territories(world)
    alice, _ = world.client("alice")
    old = Transport(world.server.base, world.transports[0].token, protocol=0)
    before = alice.db_path.read_bytes()
    with pytest.raises(IncompatibleServer, match="upgrade fieldapp"):
        SyncEngine(alice, old).sync()
    old.close()
    assert alice.db_path.read_bytes() == before


def test_own_clean_edit_is_not_echoed_but_reaches_the_others(world: World) -> None:
    t = setup_two_territories(world)
    boss, boss_sync = world.client("boss")
    acc = create(boss, "accounts", name="Echo", territory_id=t["north"])
    boss_sync.sync()
    alice, alice_sync = world.client("alice")
    alice_sync.sync()
    update(alice, "accounts", acc, description="ring on Monday")
    report = alice_sync.sync()
    assert (report.pushed, report.pulled) == (1, 0)  # nothing came back
    with world.db.session() as s:
        from fieldapp.server.models import Record

        rec = s.get(Record, acc)
        assert rec is not None
        server_version = rec.version
    assert get(alice, "accounts", acc)["server_version"] == server_version
    boss_sync.sync()
    assert get(boss, "accounts", acc)["description"] == "ring on Monday"
    # A later edit by someone else still reaches alice, merged with her own.
    update(boss, "accounts", acc, city="Leeds")
    boss_sync.sync()
    alice_sync.sync()
    row = get(alice, "accounts", acc)
    assert (row["city"], row["description"]) == ("Leeds", "ring on Monday")


def test_conflict_sends_the_kept_value_back_even_if_already_pulled(world: World) -> None:
    """A pull that lands while an edit is pending must not leave "mine" in the replica."""
    from fieldapp.sync.engine import SyncReport

    t = setup_two_territories(world)
    boss, boss_sync = world.client("boss")
    acc = create(boss, "accounts", name="Twice", city="Leeds", territory_id=t["north"])
    boss_sync.sync()
    alice, alice_sync = world.client("alice")
    alice_sync.sync()
    update(alice, "accounts", acc, city="York")
    update(boss, "accounts", acc, city="Hull")
    boss_sync.sync()
    alice_sync.pull(SyncReport())  # pending edit kept, server version taken
    assert get(alice, "accounts", acc)["city"] == "York"
    report = alice_sync.sync()
    assert report.conflicts == 1
    assert get(alice, "accounts", acc)["city"] == "Hull"  # the server's, until resolved
    [conflict] = conflict_rows(alice)
    assert (conflict["mine"], conflict["theirs"]) == ("York", "Hull")


def test_pull_over_a_pending_edit_writes_the_other_fields_in_stored_form(world: World) -> None:
    from fieldapp.sync.engine import SyncReport

    t = setup_two_territories(world)
    boss, boss_sync = world.client("boss")
    acc = create(boss, "accounts", name="Keep", territory_id=t["north"])
    opp = create(boss, "opportunities", account_id=acc, name="Deal", stage="Qualification",
                 amount="10.00", close_date="2030-01-01")  # fmt: skip
    task = create(boss, "tasks", title="Call", account_id=acc)
    boss_sync.sync()
    alice, alice_sync = world.client("alice")
    alice_sync.sync()
    update(alice, "opportunities", opp, name="Mine")
    update(alice, "tasks", task, title="Mine")
    update(boss, "opportunities", opp, amount="1234.56", close_date="2030-02-03",
           description="theirs")  # fmt: skip
    update(boss, "tasks", task, done=True, due_at="2030-01-02T09:30:00+01:00")
    boss_sync.sync()
    alice_sync.pull(SyncReport())  # the pending names are kept, the rest taken
    for entity, row_id, fields in (
        ("opportunities", opp, ("amount", "close_date", "description", "server_version")),
        ("tasks", task, ("done", "due_at", "server_version")),
    ):
        mine, theirs = get(alice, entity, row_id), get(boss, entity, row_id)
        assert mine["name" if entity == "opportunities" else "title"] == "Mine"
        for field in fields:
            assert mine[field] == theirs[field], (entity, field)


def test_every_column_type_survives_the_round_trip(world: World) -> None:
    t = setup_two_territories(world)
    boss, boss_sync = world.client("boss")
    acc = create(
        boss, "accounts", name="Types", territory_id=t["north"], latitude=53.8, longitude=-1.5
    )
    opp = create(
        boss, "opportunities", account_id=acc, name="Deal", stage="Qualification",
        amount="1234.56", close_date="2030-02-03",
    )  # fmt: skip
    task = create(boss, "tasks", title="Call", account_id=acc, done=True,
                  due_at="2030-01-02T09:30:00+01:00")  # fmt: skip
    plan = create(boss, "route_plans", plan_date="2030-01-02", settings={"speed_kmh": 40})
    boss_sync.sync()
    admin_twin, twin_sync = world.client("boss")
    twin_sync.sync()
    for entity, row_id in (("accounts", acc), ("opportunities", opp), ("tasks", task),
                           ("route_plans", plan)):  # fmt: skip
        mine, theirs = get(boss, entity, row_id), get(admin_twin, entity, row_id)
        for bookkeeping in ("server_version", "updated_at"):
            mine.pop(bookkeeping)
            theirs.pop(bookkeeping)
        assert theirs == mine, entity
