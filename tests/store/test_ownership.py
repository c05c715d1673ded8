"""New records get the signed-in owner and an account its territory, in one place."""

from __future__ import annotations

from sqlalchemy import select, text

from fieldapp.store import services
from fieldapp.store.db import Replica
from fieldapp.store.models import Outbox
from fieldapp.store.ownership import adopt_unowned

USER = "0190a000-0000-7000-8000-00000000aaaa"


def sign_in(replica: Replica, territories: str = "[]") -> None:
    # What the sync layer's remember_user writes (tested through the server in tests/sync).
    with replica.engine.begin() as conn:
        for key, value in (("user_id", USER), ("territories", territories)):
            conn.execute(
                text("INSERT INTO sync_state (key, value) VALUES (:k, :v)"), {"k": key, "v": value}
            )


def insert_entry(replica: Replica, row_id: str) -> dict[str, list[object]]:
    with replica.read_session() as s:
        entry = s.scalar(select(Outbox).where(Outbox.row_id == row_id, Outbox.op == "insert"))
        assert entry is not None
        return entry.changes


def test_records_made_before_sign_in_are_adopted_with_their_outbox(replica: Replica) -> None:
    with replica.session() as s:
        acc = services.create(s, "accounts", {"name": "Before"})
        task = services.create(s, "tasks", {"title": "Call", "account_id": acc})
    assert "owner_id" not in insert_entry(replica, acc)
    sign_in(replica)
    with replica.session() as s:
        assert adopt_unowned(s, USER) == 2
    with replica.read_session() as s:
        assert services.get(s, "accounts", acc)["owner_id"] == USER
        assert services.get(s, "tasks", task)["owner_id"] == USER
    assert insert_entry(replica, acc)["owner_id"] == [None, USER]
    assert insert_entry(replica, task)["owner_id"] == [None, USER]


def test_every_kind_of_record_gets_the_owner_and_accounts_a_territory(replica: Replica) -> None:
    with replica.session() as s:
        north = services.create(s, "territories", {"name": "North", "postcodes": "N"})
    sign_in(replica, f'["{north}"]')
    with replica.session() as s:
        placed = services.create(s, "accounts", {"name": "By postcode", "postcode": "N1 1AA"})
        fallback = services.create(s, "accounts", {"name": "No address"})
        lead = services.create(s, "leads", {"last_name": "Lee", "postcode": "N4"})
        far_lead = services.create(s, "leads", {"last_name": "Far", "postcode": "S4"})
        note = services.create(s, "notes", {"body": "met", "account_id": placed})
        plan = services.create(s, "route_plans", {"plan_date": "2026-12-02"})
        [bulk] = services.bulk_create(s, "accounts", [{"name": "Imported", "postcode": "N9"}])
    with replica.read_session() as s:
        for entity, row_id in (
            ("accounts", placed), ("accounts", fallback), ("leads", lead),
            ("notes", note), ("route_plans", plan), ("accounts", bulk),
        ):  # fmt: skip
            assert services.get(s, entity, row_id)["owner_id"] == USER, entity
        assert services.get(s, "accounts", placed)["territory_id"] == north
        assert services.get(s, "accounts", fallback)["territory_id"] == north  # the one
        assert services.get(s, "accounts", bulk)["territory_id"] == north
        assert services.get(s, "leads", lead)["territory_id"] == north
        assert services.get(s, "leads", far_lead)["territory_id"] is None  # no fallback
    assert insert_entry(replica, placed)["territory_id"] == [None, north]
