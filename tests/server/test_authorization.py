"""Authorization matrix: role × in/out of scope × read/write, checked on the server."""

from __future__ import annotations

import json
import uuid

import pytest

from fieldapp.server import admin, auth, sync
from fieldapp.server.db import Database
from fieldapp.sync.protocol import Mutation
from tests.syncutil import PASSWORD


def _setup(db: Database) -> dict[str, str]:
    admin.add_user(db, "boss", PASSWORD, "admin")
    admin.add_user(db, "mgr", PASSWORD, "manager")
    admin.add_user(db, "alice", PASSWORD, "rep", "mgr")
    admin.add_user(db, "bob", PASSWORD, "rep")
    north = admin.add_territory(db, "North", None, ["N"])
    south = admin.add_territory(db, "South", None, ["S"])
    admin.assign_territory(db, "North", "alice")
    admin.assign_territory(db, "South", "bob")
    boss = _who(db, "boss")
    ids = {"north": str(uuid.uuid4()), "south": str(uuid.uuid4())}
    ids["north-visit"], ids["south-visit"] = str(uuid.uuid4()), str(uuid.uuid4())
    results = sync.push(
        db,
        boss,
        [
            _insert("accounts", ids["north"], name="N Ltd", territory_id=north),
            _insert("accounts", ids["south"], name="S Ltd", territory_id=south),
            _insert("visits", ids["north-visit"], account_id=ids["north"], outcome="no_show"),
            _insert("visits", ids["south-visit"], account_id=ids["south"], outcome="no_show"),
        ],
    )
    # Pushed without an owner (as an older client would): the server adds the pusher,
    # so the client's copy differs and the answer is "merged" (it is sent back).
    assert [r.status for r in results] == ["merged"] * 4
    return ids


def _who(db: Database, name: str) -> auth.Principal:
    token = auth.login(db, name, PASSWORD).token
    with db.session() as s:
        return auth.authenticate(s, token)


def _insert(entity: str, row_id: str, **values: object) -> Mutation:
    return Mutation(
        mutation_id=str(uuid.uuid4()),
        entity=entity,
        row_id=row_id,
        op="insert",
        changes={k: [None, v] for k, v in values.items()},
    )


def _reads(db: Database, who: auth.Principal) -> set[str]:
    body = json.loads(sync.pull(db, who, 0, 1000, 0, False))
    return {c["id"] for c in body["changes"] if c["entity"] in ("accounts", "visits")}


MATRIX = [
    # role     user     account  read   write
    ("rep", "alice", "north", True, True),
    ("rep", "alice", "south", False, False),
    ("manager", "mgr", "north", True, True),
    ("manager", "mgr", "south", False, False),
    ("admin", "boss", "north", True, True),
    ("admin", "boss", "south", True, True),
]


@pytest.mark.parametrize(("role", "user", "account", "can_read", "can_write"), MATRIX)
def test_authorization_matrix(
    db: Database, role: str, user: str, account: str, can_read: bool, can_write: bool
) -> None:
    ids = _setup(db)
    who = _who(db, user)
    assert who.role == role
    seen = _reads(db, who)
    assert (ids[account] in seen) is can_read
    assert (ids[f"{account}-visit"] in seen) is can_read  # what hangs off it goes along
    edit = Mutation(
        mutation_id=str(uuid.uuid4()),
        entity="accounts",
        row_id=ids[account],
        op="update",
        changes={"phone": [None, "+44 20 7946 0000"]},
        base_version=None,
    )
    contact = _insert("contacts", str(uuid.uuid4()), account_id=ids[account], last_name="X")
    results = sync.push(db, who, [edit, contact])
    statuses = {r.status for r in results}
    if can_write:
        assert statuses <= {"applied", "merged"}
    else:
        assert statuses == {"rejected"}
        assert all("outside your scope" in (r.reason or "") for r in results)


@pytest.mark.parametrize("user", ["alice", "mgr"])
def test_only_admins_write_reference_data(db: Database, user: str) -> None:
    _setup(db)
    who = _who(db, user)
    [result] = sync.push(db, who, [_insert("territories", str(uuid.uuid4()), name="Mine")])
    assert result.status == "rejected" and "only an admin" in (result.reason or "")
    [result] = sync.push(
        db, _who(db, "boss"), [_insert("territories", str(uuid.uuid4()), name="X")]
    )
    assert result.status == "applied"


def test_rep_cannot_move_an_account_to_another_territory(db: Database) -> None:
    ids = _setup(db)
    alice = _who(db, "alice")
    with db.session() as s:
        from fieldapp.server.models import Record

        rec = s.get(Record, ids["north"])
        assert rec is not None
        north = rec.territory_id
    [result] = sync.push(
        db,
        alice,
        [
            Mutation(
                mutation_id=str(uuid.uuid4()), entity="accounts", row_id=ids["north"],
                op="update", changes={"territory_id": [north, None]},
            )
        ],
    )  # fmt: skip
    assert result.status == "rejected"


RULE_MATRIX = [
    # user     territory  may write (rules are a manager's or an admin's)
    ("alice", None, False),
    ("alice", "North", False),
    ("mgr", None, True),
    ("mgr", "North", True),
    ("mgr", "South", False),  # not a territory of the manager's team
    ("boss", None, True),
    ("boss", "South", True),
]


@pytest.mark.parametrize(("user", "territory", "can_write"), RULE_MATRIX)
def test_rule_writes_by_role(
    db: Database, user: str, territory: str | None, can_write: bool
) -> None:
    _setup(db)
    with db.session() as s:
        from fieldapp.server.models import Record

        names = {
            json.loads(r.data)["name"]: r.id
            for r in s.query(Record).filter(Record.entity == "territories")
        }
    rule_id = str(uuid.uuid4())
    values: dict[str, object] = {"name": "Flag overdue", "kind": "overdue_flag"}
    if territory:
        values["territory_id"] = names[territory]
    [result] = sync.push(db, _who(db, user), [_insert("rules", rule_id, **values)])
    if can_write:
        assert result.status in ("applied", "merged")
        # A follow-up rule without its outcome is refused in words, whoever writes it.
        [bad] = sync.push(db, _who(db, user), [_insert("rules", str(uuid.uuid4()), name="x",
                                                       kind="follow_up")])  # fmt: skip
        assert bad.status == "rejected" and "outcome" in (bad.reason or "")
    else:
        assert result.status == "rejected"
        assert "only a manager or an admin" in (
            result.reason or ""
        ) or "territories of their team" in (result.reason or "")


def test_rules_reach_the_team_and_the_territorys_reps(db: Database) -> None:
    _setup(db)
    team_rule, boss_rule = str(uuid.uuid4()), str(uuid.uuid4())
    sync.push(db, _who(db, "mgr"), [_insert("rules", team_rule, name="Team", kind="overdue_flag")])
    sync.push(db, _who(db, "boss"), [_insert("rules", boss_rule, name="All", kind="overdue_flag")])

    def rules_seen(user: str) -> set[str]:
        body = json.loads(sync.pull(db, _who(db, user), 0, 1000, 0, False))
        return {c["id"] for c in body["changes"] if c["entity"] == "rules"}

    assert rules_seen("alice") == {team_rule, boss_rule}  # her manager's and the admin's
    assert rules_seen("bob") == {boss_rule}  # not in mgr's team
