"""Issue 14 item 2: scope comes from the server's state, never from what a client claims.

A territory moves from alice to bob; alice then tries every write she could make
before, claiming versions and scope sequences from before the move. All are refused
with a reason and none is stored. A new customer whose own address lies in the
territory is the one thing that gets in: the server's rule hands it to bob (issue 11),
and alice can neither read nor write it afterwards.
"""

from __future__ import annotations

import uuid

from fieldapp.server import admin
from tests.server.rawapi import STORED, Api, change, insert

GONE = "2026-12-01T10:00:00+00:00"


def test_after_a_move_the_old_rep_can_write_nothing_in_the_territory(api: Api) -> None:
    api.user("boss", "admin")
    api.user("alice")
    api.user("bob")
    north = admin.add_territory(api.db, "North", None, ["N"])
    admin.assign_territory(api.db, "North", "alice")
    account, contact, visit = (str(uuid.uuid4()) for _ in range(3))
    made = api.push(
        "boss",
        insert("accounts", account, name="Nordwerk", postcode="N1 7GU", territory_id=north),
        insert("contacts", contact, account_id=account, last_name="Berg"),
        insert("visits", visit, account_id=account, outcome="no_show"),
    )
    assert {r["status"] for r in made} <= set(STORED)
    before = max(r["version"] for r in made)
    # Alice may write there now (the same kind of edit is refused after the move).
    [ok] = api.push("alice", change("contacts", contact, base=before, title=[None, "Buyer"]))
    assert ok["status"] in ("applied", "merged")
    version = ok["version"]

    admin.assign_territory(api.db, "North", "bob")
    # An account made after the move, in the territory: alice never saw it.
    later = str(uuid.uuid4())
    [new] = api.push("boss", insert("accounts", later, name="Late Ltd", territory_id=north))
    assert new["status"] in STORED

    attempts = {
        "update": change("accounts", account, base=before, phone=[None, "+44 20 7946 0000"]),
        "delete": change(
            "accounts", account, op="delete", base=before, deleted_at=[None, GONE]
        ),
        "edit a contact": change("contacts", contact, base=version, title=["Buyer", "Boss"]),
        "delete a contact": change(
            "contacts", contact, op="delete", base=version, deleted_at=[None, GONE]
        ),
        "contact under it": insert("contacts", account_id=account, last_name="New"),
        "visit": insert("visits", account_id=account, outcome="successful"),
        "edit a visit": change("visits", visit, base=before, notes=[None, "was there"]),
        "task under it": insert("tasks", account_id=account, title="Call back"),
        "deal under it": insert(
            "opportunities", account_id=account, name="Deal", stage="Prospecting"
        ),
        "new account in the territory, its address elsewhere": insert(
            "accounts", name="Mine now", territory_id=north
        ),
        "account made after the move": change(
            "accounts", later, base=before, name=["Late Ltd", "Alice's"]
        ),
        "contact under the later account": insert("contacts", account_id=later, last_name="X"),
    }  # fmt: skip
    # Whatever she claims: an old scope sequence, or one from far in the future.
    for claim in (0, before, 2**53 - 1):
        for mutation in attempts.values():
            mutation["mutation_id"] = str(uuid.uuid4())
        reply = api.post(
            "alice", "/sync/push", {"scope_seq": claim, "mutations": list(attempts.values())}
        )
        assert reply.status_code == 200, reply.text
        for what, result in zip(attempts, reply.json()["results"], strict=True):
            assert result["status"] == "rejected", (claim, what, result)
            assert "outside your scope" in result["reason"], (what, result["reason"])

    # A new customer whose address lies in North is North's (issue 11): the server's own
    # rule hands it to bob, and alice gets no hold on it. It is not hers to read, and a
    # second write of hers there, with any claim, is refused.
    handed = {
        "new account in the territory": insert(
            "accounts", name="Mine too", postcode="N1 9AA", territory_id=north
        ),
        "new account by its postcode": insert("accounts", name="Placed", postcode="N4 2BB"),
    }
    reply = api.post("alice", "/sync/push", {"scope_seq": 0, "mutations": list(handed.values())})
    assert [r["status"] for r in reply.json()["results"]] == ["merged", "merged"], reply.text
    assert not {m["row_id"] for m in handed.values()} & set(api.pulled("alice"))
    for claim in (0, before, 2**53 - 1):
        again = [
            change("accounts", m["row_id"], base=claim, name=[None, "Alice's"])
            for m in handed.values()
        ]
        for result in api.push("alice", *again):
            assert result["status"] == "rejected" and "outside your scope" in result["reason"]

    pulled = api.pulled("boss")
    for m in handed.values():
        assert pulled[m["row_id"]]["territory_id"] == north
        assert pulled[m["row_id"]]["name"] in ("Mine too", "Placed")
    assert pulled[account].get("phone") is None and pulled[account].get("deleted_at") is None
    assert pulled[contact]["title"] == "Buyer" and pulled[contact].get("deleted_at") is None
    assert pulled[visit].get("notes") is None
    assert pulled[later]["name"] == "Late Ltd"
    made_by_alice = {m["row_id"] for m in attempts.values() if m["op"] == "insert"}
    assert not made_by_alice & set(pulled)
    # Bob, the new rep, writes there.
    [bobs] = api.push("bob", change("accounts", account, phone=[None, "+44 20 7946 0001"]))
    assert bobs["status"] in ("applied", "merged")
