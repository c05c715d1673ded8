"""A real server process on loopback with signed-in users, spoken to as raw HTTP.

The hardening tests send what a careless or hostile client would: nothing here goes
through fieldapp's own transport, which never sends such requests.
"""

from __future__ import annotations

import uuid
from typing import Any

import requests

from fieldapp.server import admin
from fieldapp.server.db import Database
from fieldapp.sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION, SCHEMA_HEADER, SCHEMA_VERSION
from tests.syncutil import PASSWORD, ServerProcess

VERSIONS = {PROTOCOL_HEADER: str(PROTOCOL_VERSION), SCHEMA_HEADER: str(SCHEMA_VERSION)}


class Api:
    """The server, its database (for the admin's direct actions) and a token per user."""

    def __init__(self, url: str) -> None:
        self.db = Database.open(url)
        self.server = ServerProcess(url)
        self.base = self.server.base
        self.http = requests.Session()
        self.tokens: dict[str, str] = {}

    def user(self, name: str, role: str = "rep", manager: str | None = None) -> str:
        user_id = admin.add_user(self.db, name, PASSWORD, role, manager)
        reply = self.http.post(
            self.base + "/auth/login", json={"username": name, "password": PASSWORD}, timeout=30
        )
        reply.raise_for_status()
        self.tokens[name] = reply.json()["token"]
        return user_id

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", **VERSIONS}

    def post(self, who: str, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.http.post(
            self.base + path, json=body, headers=self.headers(who), timeout=60, **kw
        )

    def get(self, who: str, path: str, **params: Any) -> requests.Response:
        return self.http.get(self.base + path, params=params, headers=self.headers(who), timeout=60)

    def push(self, who: str, *mutations: dict[str, Any]) -> list[dict[str, Any]]:
        reply = self.post(who, "/sync/push", {"mutations": list(mutations)})
        assert reply.status_code == 200, reply.text
        results: list[dict[str, Any]] = reply.json()["results"]
        return results

    def pulled(self, who: str) -> dict[str, dict[str, Any]]:
        """Every record the user pulls from the start: id → data."""
        reply = self.get(who, "/sync/pull", cursor=0, limit=20000)
        assert reply.status_code == 200, reply.text
        return {c["id"]: c["data"] for c in reply.json()["changes"]}

    def close(self) -> None:
        self.http.close()
        self.server.stop()
        self.db.close()


# A new record's answer: "merged" when the server filled in its owner or territory.
STORED = ("applied", "merged")


def insert(entity: str, row_id: str | None = None, **values: Any) -> dict[str, Any]:
    return {
        "mutation_id": str(uuid.uuid4()),
        "entity": entity,
        "row_id": row_id or str(uuid.uuid4()),
        "op": "insert",
        "changes": {k: [None, v] for k, v in values.items()},
    }


def change(
    entity: str, row_id: str, op: str = "update", base: int | None = None, **pairs: Any
) -> dict[str, Any]:
    return {
        "mutation_id": str(uuid.uuid4()),
        "entity": entity,
        "row_id": row_id,
        "op": op,
        "changes": {k: list(v) for k, v in pairs.items()},
        "base_version": base,
    }
