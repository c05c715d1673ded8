"""Randomized scenarios: replicas with offline edits, deletes, visits and reassignments."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from fieldapp.server import admin, auth
from fieldapp.server.db import Database
from fieldapp.server.models import Conflict, Record
from fieldapp.server.scope import scope_of
from fieldapp.store import services
from fieldapp.store.db import Replica, open_replica
from fieldapp.sync.engine import SyncEngine, rejection_rows
from fieldapp.sync.transport import Transport
from tests.syncutil import PASSWORD, ServerProcess

REPS = ("r0", "r1", "r2")
TERRITORIES = ("T0", "T1", "T2")

op = st.one_of(
    st.tuples(st.just("create"), st.integers(0, 2), st.integers(0, 2)),
    st.tuples(st.just("edit"), st.integers(0, 2), st.integers(0, 50), st.sampled_from(
        ["city", "industry", "description"]
    )),
    st.tuples(st.just("delete"), st.integers(0, 2), st.integers(0, 50)),
    st.tuples(st.just("visit"), st.integers(0, 2), st.integers(0, 50)),
    st.tuples(st.just("reassign"), st.integers(0, 2), st.integers(0, 2)),
    st.tuples(st.just("sync"), st.integers(0, 2)),
)  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, ServerProcess]]:
    path = tmp_path_factory.mktemp("random") / "server.sqlite3"
    db = Database.open(f"sqlite:///{path}")
    proc = ServerProcess(f"sqlite:///{path}")
    yield db, proc
    proc.stop()
    db.close()


def _accounts(replica: Replica) -> list[str]:
    with replica.read_session() as s:
        return sorted(r["id"] for r in services.list_records(s, "accounts", limit=None))


def _server_view(db: Database, user: str) -> set[str]:
    token = auth.login(db, user, PASSWORD).token
    with db.session() as s:
        who = auth.authenticate(s, token)
        scope = scope_of(s, who)
        rows = s.scalars(
            select(Record.id).where(
                Record.entity == "accounts", Record.deleted.is_(False), scope.condition()
            )
        )
        return set(rows)


@pytest.mark.slow
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(op, min_size=5, max_size=25))
def test_replicas_converge_and_no_acknowledged_edit_is_lost(
    server: tuple[Database, ServerProcess], tmp_path: Path, ops: list[tuple[Any, ...]]
) -> None:
    db, proc = server
    tag = uuid.uuid4().hex[:6]
    names = [f"{r}-{tag}" for r in REPS]
    territory_names = [f"{t}-{tag}" for t in TERRITORIES]
    territory_ids = []
    for name, terr in zip(names, territory_names, strict=True):
        admin.add_user(db, name, PASSWORD, "rep")
        territory_ids.append(admin.add_territory(db, terr, None, []))
        admin.assign_territory(db, terr, name)
    replicas: list[Replica] = []
    engines: list[SyncEngine] = []
    for name in names:
        replica = open_replica(tmp_path / f"{name}-{uuid.uuid4().hex[:4]}")
        transport = Transport(proc.base)
        transport.login(name, PASSWORD)
        replicas.append(replica)
        engines.append(SyncEngine(replica, transport, chunk_size=5))
    # Every edit a server acknowledged: (account, field, value).
    edits: list[tuple[int, str, str, str]] = []
    try:
        for step in ops:
            kind, who = step[0], step[1]
            replica = replicas[who]
            local = _accounts(replica)
            if kind == "create":
                with replica.session() as s:
                    services.create(
                        s,
                        "accounts",
                        {"name": f"A{len(local)}", "territory_id": territory_ids[who]},
                    )
            elif kind in ("edit", "delete", "visit") and local:
                acc = local[step[2] % len(local)]
                with replica.session() as s:
                    if kind == "edit":
                        value = f"{step[3]}-{uuid.uuid4().hex[:4]}"
                        services.update(s, "accounts", acc, {step[3]: value})
                        edits.append((who, acc, step[3], value))
                    elif kind == "delete":
                        services.delete(s, "accounts", acc)
                    else:
                        services.log_visit(s, acc, outcome="successful")
            elif kind == "reassign":
                admin.assign_territory(db, territory_names[step[2]], names[who])
            elif kind == "sync":
                engines[who].sync()
        for _ in range(2):
            for engine in engines:
                engine.sync()
        for name, replica in zip(names, replicas, strict=True):
            # A change the server refused stays on the device, shown as refused (and is
            # kept there even when its account left the scope).
            refused = {r["row_id"] for r in rejection_rows(replica)}
            assert set(_accounts(replica)) - refused == _server_view(db, name)
            # Field by field too: nobody keeps a value the server does not have.
            with replica.read_session() as rs, db.session() as s:
                for acc in set(_accounts(replica)) - refused:
                    mine = services.get(rs, "accounts", acc)
                    rec = s.get(Record, acc)
                    assert rec is not None
                    theirs = json.loads(rec.data)
                    for fld in ("name", "city", "industry", "description"):
                        assert mine[fld] == theirs.get(fld), (acc, fld)
        rejected = {r["row_id"] for replica in replicas for r in rejection_rows(replica)}
        with db.session() as s:
            for i, (_, acc, fld, value) in enumerate(edits):
                rec = s.get(Record, acc)
                if rec is None and acc in rejected:
                    continue  # its creation was refused, visibly
                assert rec is not None, "an edited account vanished from the server"
                data = json.loads(rec.data)
                mines = [
                    json.loads(c.mine)
                    for c in s.scalars(select(Conflict).where(Conflict.row_id == acc))
                ]
                recorded = any(m == value or (isinstance(m, dict) and m.get(fld) == value)
                               for m in mines)  # fmt: skip
                later = any(e[1] == acc and e[2] == fld for e in edits[i + 1 :])
                assert (
                    data.get(fld) == value
                    or recorded
                    or later
                    or data["deleted_at"] is not None
                    or acc in rejected
                ), f"edit {fld}={value} of {acc} was lost"
    finally:
        for engine in engines:
            engine.transport.close()
        for replica in replicas:
            replica.close()


# --- created offline by each role ------------------------------------------------------

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
made = st.one_of(
    st.tuples(st.just("create"), st.integers(0, 2), st.sampled_from(KINDS), st.integers(0, 2)),
    st.tuples(st.just("sync"), st.integers(0, 2)),
    st.tuples(st.just("reassign"), st.integers(0, 1), st.integers(0, 1)),
)


def _create(replica: Replica, kind: str, postcode: str | None) -> str | None:
    with replica.session() as s:
        accounts = [r["id"] for r in services.list_records(s, "accounts", limit=None)]
        if kind == "accounts":
            return services.create(s, kind, {"name": "Made offline", "postcode": postcode})
        if kind == "leads":
            return services.create(s, kind, {"last_name": "Lead", "postcode": postcode})
        if kind == "route_plans":
            return services.create(s, kind, {"plan_date": "2026-12-03"})
        if not accounts:
            return None
        acc = accounts[-1]
        if kind == "visits":
            return services.log_visit(s, acc, outcome="successful")
        values: dict[str, Any] = {
            "contacts": {"last_name": "Offline"},
            "opportunities": {"name": "Deal", "stage": "Proposal"},
            "tasks": {"title": "Follow up"},
            "notes": {"body": "Met them"},
        }[kind]
        return services.create(s, kind, {**values, "account_id": acc})


@pytest.mark.slow
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(made, min_size=4, max_size=16))
def test_records_created_offline_by_each_role_reach_the_server_owned_and_placed(
    server: tuple[Database, ServerProcess], tmp_path: Path, ops: list[tuple[Any, ...]]
) -> None:
    """Two reps and their manager create every kind of record offline, with syncs and
    reassignments between: each record ends on the server owned by its creator (an
    account or lead in the territory its postcode names), or stays visibly refused on the
    creator's laptop; the manager's replica holds what the server says the team sees."""
    db, proc = server
    tag = uuid.uuid4().hex[:6]
    manager = f"m-{tag}"
    reps = [f"r{i}-{tag}" for i in range(2)]
    admin.add_user(db, manager, PASSWORD, "manager")
    territory_names = [f"T{i}-{tag}" for i in range(2)]
    prefixes = [f"{tag}{i}" for i in range(2)]  # one postcode prefix per territory
    territory_ids = []
    for rep, terr, prefix in zip(reps, territory_names, prefixes, strict=True):
        admin.add_user(db, rep, PASSWORD, "rep", manager)
        territory_ids.append(admin.add_territory(db, terr, None, [prefix]))
        admin.assign_territory(db, terr, rep)
    people = [*reps, manager]
    replicas: list[Replica] = []
    engines: list[SyncEngine] = []
    user_ids: list[str] = []
    for name in people:
        replica = open_replica(tmp_path / f"{name}-{uuid.uuid4().hex[:4]}")
        transport = Transport(proc.base)
        user_ids.append(transport.login(name, PASSWORD).user.id)
        replicas.append(replica)
        engines.append(SyncEngine(replica, transport, chunk_size=5))
        engines[-1].sync()  # signed in: the replica knows its user and the territories
    created: list[tuple[int, str, str, int | None]] = []  # (who, entity, id, territory)
    try:
        for step in ops:
            if step[0] == "create":
                _, who, kind, where = step
                territory = where if where < 2 else None
                postcode = f"{prefixes[territory]} 1AA" if territory is not None else None
                row_id = _create(replicas[who], kind, postcode)
                if row_id is not None:
                    created.append((who, kind, row_id, territory))
            elif step[0] == "sync":
                engines[step[1]].sync()
            else:
                admin.assign_territory(db, territory_names[step[1]], reps[step[2]])
        for _ in range(2):
            for engine in engines:
                engine.sync()
        refused = [{r["row_id"] for r in rejection_rows(replica)} for replica in replicas]
        with db.session() as s:
            for who, kind, row_id, territory in created:
                rec = s.get(Record, row_id)
                if rec is None:
                    # Never silently lost: refused, and still on the creator's laptop.
                    assert row_id in refused[who], (kind, row_id)
                    with replicas[who].read_session() as rs:
                        assert services.get(rs, kind, row_id)["id"] == row_id
                    continue
                data = json.loads(rec.data)
                assert data["owner_id"] == user_ids[who], (kind, row_id)
                if kind in ("accounts", "leads") and territory is not None:
                    assert data["territory_id"] == territory_ids[territory], (kind, row_id)
        manager_replica = replicas[-1]
        assert set(_accounts(manager_replica)) - refused[-1] == _server_view(db, manager)
    finally:
        for engine in engines:
            engine.transport.close()
        for replica in replicas:
            replica.close()
