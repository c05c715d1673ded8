"""Reads through Core (store/reading.py) give what the ORM's reads give, and the
models are mapped onto the Core tables they are declared against (store/tables.py)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.schema import CreateIndex

from fieldapp.errors import NotFoundError
from fieldapp.store import reading, services, tables
from fieldapp.store.db import Replica
from fieldapp.store.models import ENTITIES, Base


def _fill(replica: Replica) -> dict[str, str]:
    with replica.session() as s:
        acme = services.create(s, "accounts", {"name": "Acme", "city": "Köln", "tags": "retail"})
        services.create(s, "accounts", {"name": "Zeta", "latitude": "50.9", "longitude": "6.9"})
        gone = services.create(s, "accounts", {"name": "Beta"})
        services.create(s, "accounts", {"name": "Acme"})  # same name: then by id
        contact = services.create(s, "contacts", {"last_name": "Roth", "account_id": acme})
        deal = services.create(
            s,
            "opportunities",
            {
                "name": "Big",
                "account_id": acme,
                "stage": "proposal",
                "amount": "1234.50",
                "close_date": "2026-03-01",
            },
        )
        task = services.create(s, "tasks", {"title": "Call", "due_at": "2026-01-02T09:30:00Z"})
        services.delete(s, "accounts", gone)
    return {"accounts": acme, "contacts": contact, "opportunities": deal, "tasks": task}


@pytest.mark.parametrize("limit, offset", [(100, 0), (2, 1), (None, 0)])
def test_lists_equal_the_orm_lists(replica: Replica, limit: int | None, offset: int) -> None:
    _fill(replica)
    for entity in ("accounts", "contacts", "leads", "opportunities", "tasks"):
        with replica.read_session() as session:
            expected = services.list_records(session, entity, limit=limit, offset=offset)
        with replica.connect() as conn:
            got = reading.list_rows(conn, entity, limit=limit, offset=offset)
        assert got == expected, entity
        # The same keys in the same order (--json prints them so), values of the same types.
        assert [list(r) for r in got] == [list(r) for r in expected]
        assert [[type(v) for v in r.values()] for r in got] == [
            [type(v) for v in r.values()] for r in expected
        ]
    with replica.connect() as conn:
        names = [r["name"] for r in reading.list_rows(conn, "accounts")]
    assert names == ["Acme", "Acme", "Zeta"]  # the deleted Beta left out


def test_get_equals_the_orm_get_and_refuses_the_same(replica: Replica) -> None:
    ids = _fill(replica)
    for entity, row_id in ids.items():
        with replica.read_session() as session:
            expected = services.get(session, entity, row_id)
        with replica.connect() as conn:
            assert reading.get(conn, entity, row_id) == expected
            assert list(reading.get(conn, entity, row_id)) == list(expected)
    with replica.connect() as conn, pytest.raises(NotFoundError) as core:
        reading.get(conn, "accounts", "no-such-id")
    with replica.read_session() as session, pytest.raises(NotFoundError) as orm:
        services.get(session, "accounts", "no-such-id")
    assert str(core.value) == str(orm.value) == "no account with id no-such-id"
    with replica.connect() as conn, pytest.raises(NotFoundError, match="no such kind"):
        reading.list_rows(conn, "gadgets")


def test_models_are_mapped_onto_the_core_tables() -> None:
    assert list(tables.SYNCED) == list(ENTITIES)
    assert Base.metadata is tables.metadata
    for mapper in Base.registry.mappers:
        model, table = mapper.class_, mapper.local_table
        assert table is tables.metadata.tables[table.name]  # type: ignore[attr-defined]
        # Each column has an annotation, None in it exactly when the column is nullable.
        hints: dict[str, str] = {}
        for klass in reversed(model.__mro__):
            hints.update(getattr(klass, "__annotations__", {}))
        for column in table.columns:
            assert type(column.key) is str  # msgspec's pull decoder needs plain field names
            hint = hints.get(column.key)
            assert hint is not None and hint.startswith("Mapped["), (model, column.key)
            nullable = column.nullable and not column.primary_key
            assert ("None" in hint) == nullable, (model, column.key, hint)
        mapped = {k for k, v in hints.items() if str(v).startswith("Mapped[")}
        assert mapped == set(table.columns.keys()), model


def test_accounts_list_reads_its_first_page_in_index_order(replica: Replica) -> None:
    """Migration 0018's index is the declared one, and the listing sorts nothing."""
    _fill(replica)
    with replica.connect() as conn:
        made = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'ix_accounts_name'"
        ).scalar()
        index = next(i for i in tables.accounts.indexes if i.name == "ix_accounts_name")
        declared = str(CreateIndex(index).compile(dialect=conn.dialect))
        assert made is not None and _squash(made) == _squash(declared)
        query = reading.list_query("accounts", limit=5, offset=0)
        compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
        plan = " ".join(r[-1] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
    assert "ix_accounts_name" in plan and "TEMP B-TREE" not in plan, plan


def _squash(sql: str) -> str:
    return re.sub(r'[\s"]+', "", sql).lower()
