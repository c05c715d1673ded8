"""Versioned assignment proposals: the diff is what applying moves; rollback is exact."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from fieldapp.server import admin, auth, proposals, sync, territories
from fieldapp.server.db import Database, ServerError
from fieldapp.server.models import Assignment, Record, ScopeExit, User
from fieldapp.sync.protocol import Mutation
from tests.syncutil import PASSWORD

BOSS = auth.Principal("boss-id", "boss", "admin", None)


def _insert(entity: str, **values: object) -> Mutation:
    row_id = str(uuid.uuid4())
    return Mutation(
        mutation_id=str(uuid.uuid4()),
        entity=entity,
        row_id=row_id,
        op="insert",
        changes={k: [None, v] for k, v in values.items()},
    )


def _world(db: Database) -> dict[str, list[str]]:
    """Ben holds North (6 accounts, a deal on each of the first two), Cleo South (3)."""
    for name in ("ben", "cleo", "dan"):
        admin.add_user(db, name, PASSWORD, "rep")
    north = admin.add_territory(db, "North", None, ["N"])
    south = admin.add_territory(db, "South", None, ["S"])
    admin.add_territory(db, "Rhine", None, [], regions=["NRW"])
    admin.assign_territory(db, "North", "ben")
    admin.assign_territory(db, "South", "cleo")
    accounts = [_insert("accounts", name=f"N{i}", territory_id=north) for i in range(6)]
    accounts += [
        _insert("accounts", name=f"S{i}", territory_id=south, region="NRW" if i == 0 else "BY")
        for i in range(3)
    ]
    deals = [
        _insert("opportunities", account_id=accounts[0].row_id, name="big", stage="Proposal",
                amount="1000.00", currency="EUR"),
        _insert("opportunities", account_id=accounts[1].row_id, name="won", stage="Closed Won",
                amount="500.00", currency="EUR"),
    ]  # fmt: skip
    results = sync.push(db, BOSS, accounts + deals)
    assert {r.status for r in results} <= {"applied", "merged"}  # the server may place them
    ids = [m.row_id for m in accounts]
    return {"north": ids[:6], "south": ids[6:], "deals": [d.row_id for d in deals]}


def _state(db: Database) -> tuple[dict[str, str | None], set[tuple[str, str]]]:
    """(account → territory name, {(territory name, rep)}): the whole assignment."""
    with db.session() as s:
        names = {
            r.id: json.loads(r.data)["name"]
            for r in s.query(Record).filter(Record.entity == "territories")
        }
        users = {u.id: u.username for u in s.query(User)}
        accounts = {}
        for r in s.query(Record).filter(Record.entity == "accounts"):
            assert json.loads(r.data)["territory_id"] == r.territory_id
            accounts[r.id] = names.get(r.territory_id or "")
        reps = {(names[a.territory_id], users[a.user_id]) for a in s.query(Assignment)}
    return accounts, reps


def _rep(diff: dict[str, Any], name: str) -> dict[str, Any]:
    [row] = [r for r in diff["per_rep"] if r["rep"] == name]
    return row


def test_a_proposals_diff_is_what_applying_it_moves(db: Database) -> None:
    ids = _world(db)
    moving = ids["north"][:3]
    before, reps_before = _state(db)
    version = proposals.create(db, BOSS, proposals.Request("South", accounts=moving))["version"]
    diff = proposals.diff(db, version)
    assert _state(db) == (before, reps_before)  # a proposal alone moves nothing
    assert diff["state"] == "proposed"
    assert {a["id"] for a in diff["accounts_moving"]} == set(moving)
    assert {(a["from_territory"], a["to_territory"]) for a in diff["accounts_moving"]} == {
        ("North", "South")
    }
    ben, cleo = _rep(diff, "ben"), _rep(diff, "cleo")
    assert (ben["gained"], ben["lost"], cleo["gained"], cleo["lost"]) == (0, 3, 3, 0)
    assert ben["before"] == {"accounts": 6, "open_pipeline": {"EUR": "1000.00"}}
    assert ben["after"] == {"accounts": 3, "open_pipeline": {}}  # the won deal is not open
    assert cleo["after"] == {"accounts": 6, "open_pipeline": {"EUR": "1000.00"}}

    applied = proposals.apply(db, BOSS, version)
    after, _ = _state(db)
    changed = {a for a in after if after[a] != before[a]}
    assert changed == {a["id"] for a in diff["accounts_moving"]}
    assert applied["per_rep"] == diff["per_rep"]
    with db.session() as s:
        people = {u.username: auth.Principal(u.id, u.username, u.role, None) for u in s.query(User)}
        ben_id = people["ben"].id

    # The deal hangs off a moved account: it follows the account into Cleo's scope and
    # out of Ben's (the account's row is the only one rewritten).
    def deal_seen_by(name: str) -> bool:
        body = json.loads(sync.fetch(db, people[name], [moving[0]], []))
        return ids["deals"][0] in {c["id"] for c in body["changes"]}

    assert deal_seen_by("cleo") and not deal_seen_by("ben")
    with db.session() as s:
        exits = {e.account_id for e in s.query(ScopeExit).filter(ScopeExit.user_id == ben_id)}
    assert set(moving) <= exits  # Ben's offline edits made before the move stay accepted
    with pytest.raises(ServerError, match="applied already"):
        proposals.apply(db, BOSS, version)
    assert proposals.diff(db, version)["accounts_moving"] == diff["accounts_moving"]


def test_a_territory_to_a_rep_moves_all_its_accounts_between_reps(db: Database) -> None:
    ids = _world(db)
    version = proposals.create(db, BOSS, proposals.Request("North", reps=["dan"]))["version"]
    diff = proposals.diff(db, version)
    assert diff["reps_changes"] == [{"territory": "North", "before": ["ben"], "after": ["dan"]}]
    assert {a["id"] for a in diff["accounts_moving"]} == set(ids["north"])
    ben, dan = _rep(diff, "ben"), _rep(diff, "dan")
    assert (ben["lost"], dan["gained"], dan["after"]["accounts"]) == (6, 6, 6)
    proposals.apply(db, BOSS, version)
    assert ("North", "dan") in _state(db)[1] and ("North", "ben") not in _state(db)[1]


def test_several_reps_and_accounts_by_region(db: Database) -> None:
    ids = _world(db)
    done = proposals.set_reps(db, BOSS, "North", ["ben", "dan"])
    assert done["state"] == "applied" and _rep(done, "dan")["gained"] == 6
    assert {r.name: r.reps for r in territories.list_territories(db)}["North"] == ["ben", "dan"]
    version = proposals.create(db, BOSS, proposals.Request("Rhine", match=True))["version"]
    diff = proposals.diff(db, version)
    assert [a["id"] for a in diff["accounts_moving"]] == [ids["south"][0]]  # region NRW
    # Applied later, the accounts its shape holds are read (and locked) then.
    done = proposals.apply(db, BOSS, version)
    assert done["state"] == "applied"
    assert _state(db)[0][ids["south"][0]] == "Rhine" and _state(db)[0][ids["south"][1]] == "South"


def test_rollback_restores_the_exact_earlier_assignment(db: Database) -> None:
    ids = _world(db)
    original = _state(db)
    v1 = proposals.create(db, BOSS, proposals.Request("South", accounts=ids["north"][:2]))
    proposals.apply(db, BOSS, v1["version"])
    after_v1 = _state(db)
    v2 = proposals.create(
        db,
        BOSS,
        proposals.Request("North", reps=["dan"], accounts=[ids["north"][0], *ids["south"]]),
    )
    proposals.apply(db, BOSS, v2["version"])
    assert _state(db) != after_v1

    preview = proposals.rollback(db, BOSS, v1["version"], dry_run=True)
    assert preview["moving_count"] > 0 and _state(db) != after_v1  # a dry run moves nothing
    back = proposals.rollback(db, BOSS, v1["version"])
    assert _state(db) == after_v1
    assert back["kind"] == "rollback" and back["rollback_to"] == v1["version"]
    proposals.rollback(db, BOSS, 0)
    assert _state(db) == original
    proposals.rollback(db, BOSS, back["version"])  # a rollback is a version too
    assert _state(db) == after_v1
    listed = proposals.list_proposals(db)
    assert [p["kind"] for p in listed] == ["rollback", "rollback", "rollback", "assign", "assign"]


def test_proposal_mistakes_are_sentences(db: Database) -> None:
    ids = _world(db)
    with pytest.raises(ServerError, match="no territory named West"):
        proposals.create(db, BOSS, proposals.Request("West", reps=["ben"]))
    with pytest.raises(ServerError, match="no user named zed"):
        proposals.create(db, BOSS, proposals.Request("North", reps=["zed"]))
    with pytest.raises(ServerError, match="1 of the accounts are not on the server"):
        proposals.create(db, BOSS, proposals.Request("North", accounts=[ids["south"][0], "x"]))
    with pytest.raises(ServerError, match="moves something"):
        proposals.create(db, BOSS, proposals.Request("North"))
    pending = proposals.create(db, BOSS, proposals.Request("North", reps=["dan"]))["version"]
    with pytest.raises(ServerError, match="never applied"):
        proposals.rollback(db, BOSS, pending)
    with pytest.raises(ServerError, match="nothing to roll back"):
        proposals.rollback(db, BOSS, 0)
    with pytest.raises(proposals.NoSuchProposal, match="no proposal 99"):
        proposals.diff(db, 99)
    with pytest.raises(ServerError, match="still holds 6 accounts"):
        territories.remove(db, BOSS, "North")
