"""What a rep and a manager create offline reaches the server owned and placed, and the
team: nothing is refused, later syncs and a reassignment lose none of it."""

from __future__ import annotations

import json
from collections import Counter

from sqlalchemy import select

from fieldapp.server import admin
from fieldapp.server.models import Record, User
from fieldapp.store import services
from fieldapp.store.db import Replica
from tests.sync.conftest import World
from tests.sync.test_sync_flow import ids_of, setup_two_territories

KINDS = (
    "accounts",
    "contacts",
    "leads",
    "opportunities",
    "visits",
    "tasks",
    "notes",
    "route_plans",
)


def make_everything(replica: Replica, tag: str, postcode: str | None) -> dict[str, str]:
    """One record of every kind a person creates, as the CLI and the panels do."""
    with replica.session() as s:
        acc = services.create(s, "accounts", {"name": f"{tag} account", "postcode": postcode})
        return {
            "accounts": acc,
            "contacts": services.create(
                s, "contacts", {"account_id": acc, "last_name": f"{tag} contact"}
            ),
            "leads": services.create(
                s, "leads", {"last_name": f"{tag} lead", "postcode": postcode}
            ),
            "opportunities": services.create(
                s, "opportunities", {"account_id": acc, "name": f"{tag} deal", "stage": "Proposal"}
            ),
            "visits": services.log_visit(s, acc, outcome="successful"),
            "tasks": services.create(s, "tasks", {"title": f"{tag} task", "account_id": acc}),
            "notes": services.create(s, "notes", {"body": f"{tag} note", "account_id": acc}),
            "route_plans": services.create(
                s, "route_plans", {"plan_date": "2026-12-02", "name": f"{tag} route"}
            ),
        }


def on_server(world: World) -> dict[str, dict[str, object]]:
    with world.db.session() as s:
        return {
            r.id: {**json.loads(r.data), "_entity": r.entity, "_deleted": r.deleted}
            for r in s.scalars(select(Record))
        }


def user_id(world: World, name: str) -> str:
    with world.db.session() as s:
        found = s.scalar(select(User.id).where(User.username == name))
        assert found is not None
        return found


def test_rep_and_manager_offline_work_reaches_the_team_and_survives_reassignment(
    world: World,
) -> None:
    t = setup_two_territories(world)  # alice (rep, North) reports to mgr; bob has South
    alice, alice_sync = world.client("alice")
    mgr, mgr_sync = world.client("mgr")
    alice_sync.sync()
    mgr_sync.sync()
    # Offline: alice at a North postcode, the manager with no address at all.
    by_alice = make_everything(alice, "Alice", "N1 2AB")
    by_mgr = make_everything(mgr, "Mgr", None)

    for sync in (alice_sync, mgr_sync):
        report = sync.sync()
        assert not report.rejections, report.rejections
    server = on_server(world)
    for made, who in ((by_alice, "alice"), (by_mgr, "mgr")):
        for kind, row_id in made.items():
            assert server[row_id]["owner_id"] == user_id(world, who), (who, kind)
        # Polygon / postcode for alice; the manager's one territory for an address-less
        # account. A lead takes a territory only from its address.
        assert server[made["accounts"]]["territory_id"] == t["north"], who
    assert server[by_alice["leads"]]["territory_id"] == t["north"]
    assert server[by_mgr["leads"]].get("territory_id") is None

    # The manager's replica shows everything alice made, and alice sees the manager's
    # account in her territory.
    mgr_sync.sync()
    alice_sync.sync()
    for kind in KINDS:
        assert by_alice[kind] in ids_of(mgr, kind), kind
    assert by_mgr["accounts"] in ids_of(alice, "accounts")
    before = Counter(str(r["_entity"]) for r in on_server(world).values() if not r["_deleted"])

    # Later syncs and a reassignment lose nothing: North goes to bob, with all of it.
    admin.assign_territory(world.db, "North", "bob")
    report = alice_sync.sync()
    assert not report.rejections
    assert any(
        "moved to bob's territory (North)" in line and "Alice account" in line
        for line in report.sentences()
    ), report.sentences()
    assert by_alice["accounts"] not in ids_of(alice, "accounts")
    assert by_alice["leads"] in ids_of(alice, "leads")  # her own lead stays hers
    assert by_alice["route_plans"] in ids_of(alice, "route_plans")
    bob, bob_sync = world.client("bob")
    bob_sync.sync()
    mgr_sync.sync()
    for made in (by_alice, by_mgr):
        for kind in ("accounts", "contacts", "opportunities", "visits", "tasks", "notes"):
            assert made[kind] in ids_of(bob, kind), kind
    assert by_alice["leads"] in ids_of(bob, "leads")  # in North: bob's territory now
    assert by_mgr["route_plans"] in ids_of(mgr, "route_plans")
    after = Counter(str(r["_entity"]) for r in on_server(world).values() if not r["_deleted"])
    assert after == before
    assert all(after[kind] >= 2 for kind in KINDS)
