"""Issue 14 item 1: the server checks every pushed record; a bad one never reaches a replica."""

from __future__ import annotations

import uuid

from fieldapp.server import admin
from tests.server.rawapi import STORED, Api, change, insert


def _setup(api: Api) -> dict[str, str]:
    api.user("boss", "admin")
    alice = api.user("alice")
    north = admin.add_territory(api.db, "North", None, ["N"])
    admin.assign_territory(api.db, "North", "alice")
    account = str(uuid.uuid4())
    [result] = api.push("boss", insert("accounts", account, name="Nordwerk", territory_id=north))
    assert result["status"] in STORED
    return {"north": north, "account": account, "alice": alice}


def test_invalid_records_are_refused_with_their_reason_and_the_rest_goes_on(api: Api) -> None:
    ids = _setup(api)
    account = ids["account"]
    good_contact = insert("contacts", account_id=account, last_name="Berg", first_name="Ina")
    bad = {
        "amount": insert("opportunities", account_id=account, name="Big", stage="Prospecting",
                         amount="lots"),
        "checkin": insert("visits", account_id=account, checkin_at="not a time"),
        "no name": insert("contacts", account_id=account, first_name="Nameless"),
        "object": insert("contacts", account_id=account, last_name={"first": "Ina"}),
        "field": insert("contacts", account_id=account, last_name="Roe", shoe_size=44),
        "choice": insert("leads", last_name="Lee", status="maybe"),
        "length": insert("accounts", name="x" * 256, territory_id=ids["north"]),
        "zone": insert("visits", account_id=account, checkin_at="2026-11-30T09:00:00"),
        "reference": insert("contacts", account_id=str(uuid.uuid4()), last_name="Orphan"),
        "kind": insert("contacts", account_id=ids["north"], last_name="Wrong kind"),
        "id form": insert("contacts", row_id=str(uuid.uuid4()).upper(), last_name="Upper"),
        "pair": {**insert("contacts", last_name="Pair"), "changes": {"last_name": ["Pair"]}},
    }  # fmt: skip
    good_deal = insert(
        "opportunities", account_id=account, name="Fine", stage="Prospecting", amount="10.50"
    )
    results = api.push("alice", good_contact, *bad.values(), good_deal)
    by_id = {r["mutation_id"]: r for r in results}
    assert by_id[good_contact["mutation_id"]]["status"] in STORED
    assert by_id[good_deal["mutation_id"]]["status"] in STORED
    reasons = {what: by_id[m["mutation_id"]] for what, m in bad.items()}
    assert {r["status"] for r in reasons.values()} == {"rejected"}
    expected = {
        "amount": "Amount is not an amount",
        "checkin": "Check-in",
        "no name": "Last name is required",
        "object": "expected text, got an object",
        "field": "no field 'shoe_size'",
        "choice": "Status",
        "length": "too long: 256 characters, at most 255",
        "zone": "needs its time zone",
        "reference": "not on the server",
        "kind": "must name one of the accounts",
        "id form": "not a UUID in canonical form",
        "pair": "must be a pair [old, new]",
    }
    for what, needle in expected.items():
        assert needle in reasons[what]["reason"], (what, reasons[what]["reason"])

    # None of the refused records was stored; another replica's pull reads cleanly.
    pulled = api.pulled("boss")
    assert good_contact["row_id"] in pulled and good_deal["row_id"] in pulled
    assert not {m["row_id"] for m in bad.values()} & set(pulled)
    assert pulled[good_deal["row_id"]]["amount"] == "10.50"


def test_an_edit_that_breaks_a_record_is_refused_and_the_record_kept(api: Api) -> None:
    ids = _setup(api)
    account = ids["account"]
    edits = [
        change("accounts", account, name=["Nordwerk", None]),  # required
        change("accounts", account, latitude=[None, "north"]),
        change("accounts", account, email=[None, "not an address"]),
        change("accounts", account, territory_id=[ids["north"], 7]),
        change("accounts", account, id=[account, str(uuid.uuid4())]),
    ]
    results = api.push("boss", *edits)
    assert [r["status"] for r in results] == ["rejected"] * len(edits)
    assert "Name is required" in results[0]["reason"]
    assert "expected a number, got text" in results[1]["reason"]
    assert "id cannot be changed" in results[4]["reason"]
    assert api.pulled("boss")[account]["name"] == "Nordwerk"


def test_values_are_stored_in_canonical_form_and_sent_back(api: Api) -> None:
    ids = _setup(api)
    deal = insert(
        "opportunities", account_id=ids["account"], owner_id=ids["alice"], name="  Padded  ",
        stage="Won", amount=1200,
    )  # fmt: skip
    exact = insert(
        "opportunities", account_id=ids["account"], owner_id=ids["alice"], name="Exact",
        stage="Won", amount="1200.00",
    )  # fmt: skip
    assert api.push("alice", exact)[0]["status"] == "applied"  # as stored: nothing to send back
    [result] = api.push("alice", deal)
    # The server's copy differs from what the client holds: "merged" makes it pull it.
    assert result["status"] == "merged"
    stored = api.pulled("alice")[deal["row_id"]]
    assert stored["name"] == "Padded" and stored["amount"] == "1200.00"
