"""Issue 14 item 3: crafted requests get a 4xx in plain words, never a 5xx (PostgreSQL too)."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from fieldapp.server import admin
from tests.server.rawapi import STORED, Api, change, insert

HUGE = 2**63  # one past the databases' BIGINT
GOOD_ID = "0b9e2a4e-8f67-4a63-9d0c-6b3f1f0e7a11"


def _requests(api: Api, account: str) -> dict[str, Any]:
    """Name → a function sending one crafted request as the admin."""
    dup = insert("contacts", account_id=account, last_name="Twice")

    def push(*mutations: dict[str, Any], **extra: Any) -> requests.Response:
        return api.post("boss", "/sync/push", {"mutations": list(mutations), **extra})

    def pull(**params: Any) -> requests.Response:
        return api.get("boss", "/sync/pull", **params)

    return {
        "cursor ≥ 2^63": lambda: pull(cursor=HUGE),
        "negative cursor": lambda: pull(cursor=-1),
        "scope_seq ≥ 2^63 (pull)": lambda: pull(scope_seq=HUGE),
        "scope_seq ≥ 2^63 (push)": lambda: push(scope_seq=HUGE),
        "base_version ≥ 2^63": lambda: push(
            change("accounts", account, base=HUGE, phone=[None, "+44 20 7946 0000"])
        ),
        "huge limit": lambda: pull(limit=HUGE),
        "client id with NUL": lambda: pull(client_id="a\x00b"),
        "client id too long": lambda: push(client_id="c" * 37),
        "same mutation twice": lambda: push(dup, dup),
        "mutation id a number": lambda: push({**dup, "mutation_id": 12}),
        "mutation id too long": lambda: push({**dup, "mutation_id": "m" * 40}),
        "mutation id with NUL": lambda: push({**dup, "mutation_id": GOOD_ID[:-1] + "\x00"}),
        "row id a number": lambda: push({**dup, "row_id": 5}),
        "row id an object": lambda: push({**dup, "row_id": {"id": GOOD_ID}}),
        "entity a list": lambda: push({**dup, "entity": ["contacts"]}),
        "changes a list": lambda: push({**dup, "changes": [["last_name", None, "X"]]}),
        "fetch ids with NUL": lambda: api.post("boss", "/sync/fetch", {"account_ids": ["\x00"]}),
        "fetch ids too long": lambda: api.post("boss", "/sync/fetch", {"account_ids": ["f" * 99]}),
        "conflict id with NUL": lambda: api.post(
            "boss", "/conflicts/a%00b/resolve", {"keep": "mine"}
        ),
        "conflict id too long": lambda: api.post(
            "boss", f"/conflicts/{'c' * 64}/resolve", {"keep": "mine"}
        ),
        "unknown conflict": lambda: api.post(
            "boss", f"/conflicts/{GOOD_ID}/resolve", {"keep": "x"}
        ),
        "login name with NUL": lambda: api.http.post(
            api.base + "/auth/login", json={"username": "bo\x00ss", "password": "x"}, timeout=30
        ),
        "login name huge": lambda: api.http.post(
            api.base + "/auth/login", json={"username": "b" * 10_000, "password": "x"}, timeout=30
        ),
        "body not JSON": lambda: api.http.post(
            api.base + "/sync/push", data=b"{nope", headers=api.headers("boss"), timeout=30
        ),
    }


# Crafted mutations inside an otherwise fine push: refused one by one, the push answers 200.
def _mutations(account: str) -> dict[str, dict[str, Any]]:
    def base(**crafted: Any) -> dict[str, Any]:
        return {**insert("contacts", account_id=account, last_name="Crafted"), **crafted}

    return {
        "row id too long": base(row_id=GOOD_ID + "-extra"),
        "row id with NUL": base(row_id=GOOD_ID[:-1] + "\x00"),
        "row id {GUID}": base(row_id="{" + GOOD_ID.upper() + "}"),
        "entity with NUL": base(entity="con\x00tacts"),
        "long field name": insert("contacts", account_id=account, **{"f" * 5000: "x"}),
        "NUL in a name": insert("contacts", account_id=account, last_name="Ro\x00e"),
        "id field a number": insert("contacts", account_id=12345, last_name="Num"),
        "id field with NUL": insert("contacts", account_id=account[:-1] + "\x00", last_name="N"),
        "huge text": insert("contacts", account_id=account, last_name="R", description="d" * 10**6),
        "base of another type": change("accounts", account, name=[{"x": 1}, "Renamed\x00"]),
    }  # fmt: skip


def test_crafted_requests_are_answered_with_a_4xx(api: Api) -> None:
    api.user("boss", "admin")
    north = admin.add_territory(api.db, "North", None, ["N"])
    account = str(uuid.uuid4())
    [made] = api.push("boss", insert("accounts", account, name="Target", territory_id=north))
    assert made["status"] in STORED
    answers = {name: send() for name, send in _requests(api, account).items()}
    for name, reply in answers.items():
        assert 400 <= reply.status_code < 500, (name, reply.status_code, reply.text[:300])
        detail = reply.json()["detail"]
        assert detail, name  # a reason (FastAPI's 422 lists the fields)
    assert answers["same mutation twice"].status_code == 400
    assert "twice" in answers["same mutation twice"].json()["detail"]

    mutations = _mutations(account)
    results = api.push("boss", *mutations.values())
    for (name, m), result in zip(mutations.items(), results, strict=True):
        assert result["mutation_id"] == m["mutation_id"]
        assert result["status"] == "rejected", (name, result)
        assert result["reason"], name

    # Nothing crafted was stored, and the server still answers every pull.
    pulled = api.pulled("boss")
    assert not [data for data in pulled.values() if "last_name" in data]  # no contact
    assert pulled[account]["name"] == "Target"
