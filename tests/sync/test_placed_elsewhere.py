"""Issue 11 items 1-4: a rep's new account that lies in another rep's territory.

The rule every side applies (polygon, then postcode) puts it in that territory, so the
server keeps it there, with what the rep made under it; the rep's sync says in words
that it moved to that territory's rep and left this laptop. Nothing is lost: the other
rep gets it. The replica keeps every territory's reps as the server last said, and
names people with them.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from fieldapp.server.models import Record
from fieldapp.sync import team
from fieldapp.sync.report import describe_moves
from tests.sync.conftest import World
from tests.sync.test_sync_flow import create, get, ids_of, setup_two_territories


def user_ids(world: World) -> dict[str, str]:
    with world.db.session() as s:
        rows = s.scalars(select(Record).where(Record.entity == "users"))
        return {json.loads(r.data)["username"]: r.id for r in rows}


def test_a_new_account_in_another_reps_territory_moves_there_and_says_so(world: World) -> None:
    t = setup_two_territories(world)  # alice: North (N…), bob: South (S…)
    users = user_ids(world)
    alice, alice_sync = world.client("alice")
    alice_sync.sync()
    with alice.engine.connect() as conn:
        assert team.reps_by_territory(conn) == {
            t["north"]: [users["alice"]],
            t["south"]: [users["bob"]],
        }
        assert team.rep_names(conn, t["south"]) == ["bob"]

    southern = create(alice, "accounts", name="Southern Co", postcode="S1 2AB")
    assert get(alice, "accounts", southern)["territory_id"] == t["south"]  # the shared rule
    contact = create(alice, "contacts", account_id=southern, last_name="Kern")
    visit = create(alice, "visits", account_id=southern, outcome="successful")
    mine = create(alice, "accounts", name="Nordhaus", postcode="N1 2AB")

    report = alice_sync.sync()
    assert report.rejections == []
    assert [(m.account_id, m.territory, m.people) for m in report.left] == [
        (southern, "South", ("bob",))
    ]
    assert (
        "1 account moved to bob's territory (South) and was removed from this laptop: "
        "Southern Co" in report.sentences()
    )
    assert ids_of(alice, "accounts") == {mine}
    assert ids_of(alice, "contacts") == set() and ids_of(alice, "visits") == set()

    # Nothing lost: the server keeps it all in South, made by alice; bob gets it.
    with world.db.session() as s:
        kept = {
            r.id: r
            for r in s.scalars(select(Record).where(Record.id.in_([southern, contact, visit])))
        }
    assert len(kept) == 3 and kept[southern].territory_id == t["south"]
    assert kept[contact].account_id == kept[visit].account_id == southern
    assert {r.owner_id for r in kept.values()} == {users["alice"]}
    bob, bob_sync = world.client("bob")
    bob_sync.sync()
    assert southern in ids_of(bob, "accounts") and contact in ids_of(bob, "contacts")

    # A later sync of alice's is quiet about it: it was said once.
    assert alice_sync.sync().left == []


def test_moves_are_named_with_the_territory_reps_the_replica_keeps(world: World) -> None:
    t = setup_two_territories(world)
    alice, alice_sync = world.client("alice")
    alice_sync.sync()
    account = create(alice, "accounts", name="Nordhaus", postcode="N1 2AB")
    with alice.engine.connect() as conn:
        # The server named no one (an older server): the replica's list of reps does.
        [moved] = describe_moves(
            conn, [account], {account: {"territory_id": t["south"]}}, left=True
        )
    assert (moved.name, moved.territory, moved.people) == ("Nordhaus", "South", ("bob",))


def test_a_replica_from_before_the_reps_list_learns_it_once_and_nothing_moves(
    world: World,
) -> None:
    """Upgraded from store migration 0014: it has a scope but was never told the reps.

    Its next sync asks for its scope again and so gets them, once; the scope it already
    had is kept as it is (nothing reported as gone or gained).
    """
    from fieldapp.sync import state
    from fieldapp.sync.engine import REPS_KNOWN

    t = setup_two_territories(world)
    boss, boss_sync = world.client("boss")
    north = [create(boss, "accounts", name=f"N{i}", territory_id=t["north"]) for i in range(3)]
    boss_sync.sync()
    alice, alice_sync = world.client("alice")
    alice_sync.sync()
    with alice.engine.begin() as conn:  # as the 0015 migration leaves an older replica
        conn.execute(team.territory_reps.delete())
        state.drop(conn, REPS_KNOWN)
        assert int(state.get(conn, "scope_seq") or 0) > 0
    report = alice_sync.sync()
    ids = user_ids(world)
    with alice.engine.connect() as conn:
        assert team.reps_by_territory(conn) == {
            t["north"]: [ids["alice"]],
            t["south"]: [ids["bob"]],
        }
        assert state.get(conn, REPS_KNOWN) == "1"
    assert ids_of(alice, "accounts") == set(north)
    assert not report.left and not report.entered and report.evicted == 0
    # Known now: the next sync asks for no scope it already has.
    again = alice_sync.sync()
    assert again.pulled == 0
