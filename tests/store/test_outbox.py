"""Every write leaves exactly one outbox entry per changed record, in the same transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fieldapp.store import bulk_outbox, fields, services
from fieldapp.store.db import Replica
from fieldapp.store.models import Account, Outbox
from fieldapp.store.outbox import remote_apply


def entries(replica: Replica) -> list[Outbox]:
    with replica.read_session() as s:
        return list(s.scalars(select(Outbox).order_by(Outbox.seq)))


def test_create_writes_one_insert_entry_with_all_fields(replica: Replica) -> None:
    with replica.session() as s:
        acc = services.create(
            s, "accounts", {"name": "Acme", "city": "Köln", "latitude": 50.9, "longitude": 6.9}
        )
    [entry] = entries(replica)
    assert (entry.entity, entry.row_id, entry.op) == ("accounts", acc, "insert")
    assert entry.changes["name"] == [None, "Acme"]
    assert entry.changes["city"] == [None, "Köln"]
    assert entry.changes["latitude"] == [None, 50.9]
    assert entry.base_version is None
    assert len(entry.mutation_id) == 36


def test_update_records_old_and_new_values_and_base_version(replica: Replica) -> None:
    with replica.session() as s:
        acc = services.create(s, "accounts", {"name": "Acme", "city": "Köln"})
    with replica.session() as s:
        # As if the server had acknowledged version 7 of this row.
        remote_apply(s)
        row = s.get(Account, acc)
        assert row is not None
        row.server_version = 7
    with replica.session() as s:
        changed = services.update(s, "accounts", acc, {"city": "Bonn", "name": "Acme"})
    assert changed == {"city": "Bonn"}
    last = entries(replica)[-1]
    assert last.op == "update"
    assert last.changes == {"city": ["Köln", "Bonn"]}
    assert last.base_version == 7
    assert len(entries(replica)) == 2


def test_two_updates_in_one_transaction_fold_into_one_entry(replica: Replica) -> None:
    with replica.session() as s:
        acc = services.create(s, "accounts", {"name": "Acme", "city": "Köln"})
    with replica.session() as s:
        services.update(s, "accounts", acc, {"city": "Bonn"})
        services.update(s, "accounts", acc, {"city": "Essen", "phone": "+49 201 123456"})
    last = entries(replica)[-1]
    assert len(entries(replica)) == 2
    assert last.changes == {"city": ["Köln", "Essen"], "phone": [None, "+49 201 123456"]}


def test_unchanged_update_writes_nothing(replica: Replica) -> None:
    with replica.session() as s:
        acc = services.create(s, "accounts", {"name": "Acme"})
    with replica.session() as s:
        assert services.update(s, "accounts", acc, {"name": "Acme"}) == {}
    assert len(entries(replica)) == 1


def test_delete_cascades_one_entry_per_record(replica: Replica) -> None:
    with replica.session() as s:
        acc = services.create(s, "accounts", {"name": "Acme"})
        services.create(s, "contacts", {"account_id": acc, "last_name": "Meier"})
        services.create(s, "contacts", {"account_id": acc, "last_name": "Schulz"})
    with replica.session() as s:
        gone = services.delete(s, "accounts", acc)
    assert len(gone) == 3
    deletes = [e for e in entries(replica) if e.op == "delete"]
    assert sorted((e.entity, e.row_id) for e in deletes) == sorted(gone)
    assert all(e.changes["deleted_at"][0] is None for e in deletes)
    with replica.session() as s:
        back = services.restore(s, "accounts", acc)
    assert sorted(back) == sorted(gone)
    assert len([e for e in entries(replica) if e.op == "restore"]) == 3


def test_rolled_back_write_leaves_neither_row_nor_entry(replica: Replica) -> None:
    with pytest.raises(RuntimeError), replica.session() as s:
        services.create(s, "accounts", {"name": "Acme"})
        raise RuntimeError("crash after the write")
    assert entries(replica) == []
    with replica.read_session() as s:
        assert services.count(s, "accounts") == 0


def test_hard_delete_is_refused(replica: Replica) -> None:
    with replica.session() as s:
        acc = services.create(s, "accounts", {"name": "Acme"})
    with pytest.raises(RuntimeError, match="tombstone"), replica.session() as s:
        row = s.get(Account, acc)
        s.delete(row)
        s.flush()


def test_remote_apply_writes_no_entry(replica: Replica) -> None:
    with replica.session() as s:
        remote_apply(s)
        s.add(Account(name="From the server", server_version=3))
    assert entries(replica) == []


def test_convert_lead_is_one_transaction_with_one_entry_per_record(replica: Replica) -> None:
    with replica.session() as s:
        lead = services.create(
            s,
            "leads",
            {
                "first_name": "Jana",
                "last_name": "Novak",
                "company": "Novak Bau",
                "email": "jana@novak-bau.de",
                "rating": "hot",
                "score": 80,
            },
        )
    with replica.session() as s:
        result = services.convert_lead(s, lead, amount="12500.50")
    after = entries(replica)[1:]
    assert sorted(e.entity for e in after) == ["accounts", "contacts", "leads", "opportunities"]
    assert len({(e.entity, e.row_id) for e in after}) == 4
    with replica.read_session() as s:
        account = services.get(s, "accounts", result.account_id)
        contact = services.get(s, "contacts", result.contact_id)
        assert result.opportunity_id is not None
        opp = services.get(s, "opportunities", result.opportunity_id)
        converted = services.get(s, "leads", lead)
    assert account["name"] == "Novak Bau"
    assert contact["account_id"] == result.account_id and contact["email"] == "jana@novak-bau.de"
    assert opp["stage"] == "Prospecting" and opp["probability"] == 10
    assert str(opp["amount"]) == "12500.50"
    assert converted["status"] == "converted"
    assert converted["converted_account_id"] == result.account_id


def test_failed_conversion_leaves_nothing(replica: Replica) -> None:
    with replica.session() as s:
        lead = services.create(s, "leads", {"last_name": "Novak"})
    with pytest.raises(Exception, match="no account"), replica.session() as s:
        services.convert_lead(s, lead, account_id="00000000-0000-4000-8000-000000000000")
    assert len(entries(replica)) == 1
    with replica.read_session() as s:
        assert services.get(s, "leads", lead)["status"] == "new"
        assert services.count(s, "contacts") == 0


def test_bulk_create_writes_one_entry_per_row(replica: Replica) -> None:
    rows = [{"name": f"Firm {i}", "city": "Ulm"} for i in range(250)]
    with replica.session() as s:
        ids = services.bulk_create(s, "accounts", rows)
    got = entries(replica)
    assert len(got) == 250
    assert [e.row_id for e in got] == ids
    assert got[0].changes["name"] == [None, "Firm 0"]
    assert got[0].changes["type"] == [None, "prospect"]


def test_bulk_entries_leave_out_what_is_none_row_by_row(replica: Replica) -> None:
    """Columns empty in some rows, all rows or none: each entry still equals the hook's."""
    variants = [
        {"name": "Full", "city": "Ulm", "tags": "a", "latitude": 48.4, "longitude": 10.0},
        {"name": "No tags", "city": "Ulm", "latitude": 48.4, "longitude": 10.0},
        {"name": "Bare", "city": "Ulm"},
        {"name": "Only tags", "tags": "b,c", "city": "Ulm"},
    ]
    with replica.session() as s:
        expected = {v["name"]: services.create(s, "accounts", dict(v)) for v in variants}
        bulk = services.bulk_create(s, "accounts", [dict(v) for v in variants * 60])
    by_row = {e.row_id: e for e in entries(replica)}
    for row_id, values in zip(bulk, variants * 60, strict=True):
        assert by_row[row_id].changes == by_row[expected[values["name"]]].changes
    assert "tags" not in by_row[bulk[1]].changes
    assert by_row[bulk[3]].changes["tags"] == [None, "b,c"]


def test_bulk_entries_equal_the_flush_hooks_for_every_column_type(replica: Replica) -> None:
    """bulk_create builds its outbox JSON in SQL; it must match the hook's exactly."""
    from datetime import UTC, date, datetime
    from decimal import Decimal
    from uuid import UUID

    with replica.session() as s:
        acc = services.create(s, "accounts", {"name": "Base"})
    at = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    samples = {
        "accounts": {
            "name": 'Ünïcode "q" GmbH',
            "latitude": 50.93803497624588,  # 16 significant digits: all must survive
            "longitude": -6.123456789012345,
            "tags": "a,b",
            "description": None,
        },
        "opportunities": {
            "account_id": acc,
            "name": "Deal",
            "stage": "Proposal",
            "amount": Decimal("1234.05"),
            "probability": 60,
            "close_date": date(2027, 1, 31),
        },
        "tasks": {
            "title": "Call",
            "account_id": acc,
            "due_at": at,
            "done": True,
            "done_at": at.replace(microsecond=123456),
            "priority": "high",
        },
        "route_plans": {"plan_date": date(2026, 11, 24), "settings": {"speed": 50, "x": [1]}},
    }
    for entity, values in samples.items():
        cleaned = fields.clean(entity, values, creating=True)
        with replica.session() as s:
            one = services.create(s, entity, dict(values))
            many = services.bulk_create(s, entity, [dict(cleaned) for _ in range(3)])
        by_row = {e.row_id: e for e in entries(replica)}
        expected = by_row[one].changes
        for row_id in many:
            entry = by_row[row_id]
            assert (entry.entity, entry.op, entry.state) == (entity, "insert", "pending")
            assert entry.changes == expected, entity
            assert UUID(entry.mutation_id).version == 7
    assert len({e.mutation_id for e in entries(replica)}) == len(entries(replica))


@pytest.mark.parametrize(
    "odd",
    [None, 'Say "hi"', "back\\slash", "two\nlines", "tab\there", "bell\x07", "ctl\x1fend"],
)
def test_bulk_entries_equal_the_hooks_whether_text_needs_json_escapes_or_not(
    replica: Replica, odd: str | None
) -> None:
    """Text columns needing no escapes in the whole batch are copied into the JSON as
    they are; one value needing an escape (quote, backslash, control character) in any
    row sends that column through json_quote. Either way each entry equals the hook's."""
    plain = [
        {"name": "Müller & Söhne", "street": "Hauptstr. 1", "city": "Köln", "tags": "a,b"},
        {"name": "O'Brien Ltd", "street": "1 Main St", "city": "Cork"},
        {"name": "50% off", "street": "%s %d", "city": "Ulm", "tags": "x"},
    ]
    values = [dict(v) for v in plain]
    if odd is not None:
        values[1]["street"] = odd
        values.append({"name": f"Odd {odd}", "city": odd, "tags": odd})
    cleaned = [fields.clean("accounts", v, creating=True) for v in values]
    with replica.session() as s:
        expected = [services.create(s, "accounts", dict(v)) for v in values]
        bulk = services.bulk_create(s, "accounts", cleaned)
    by_row = {e.row_id: e.changes for e in entries(replica)}
    for one, many, v in zip(expected, bulk, values, strict=True):
        assert by_row[many] == by_row[one], v
    assert by_row[bulk[1]]["street"] == [None, cleaned[1]["street"]]


def test_bulk_entries_when_the_first_field_is_empty_in_some_rows(replica: Replica) -> None:
    with replica.session() as s:
        acc = services.create(s, "accounts", {"name": "Base"})
    values = [
        {"account_id": acc, "last_name": "Kim", "first_name": "Ana"},
        {"last_name": "Lee", "email": "lee@example.com"},
        {"account_id": acc, "last_name": 'Quote "Q"', "first_name": "Bo"},
    ]
    cleaned = [fields.clean("contacts", v, creating=True) for v in values]
    with replica.session() as s:
        expected = [services.create(s, "contacts", dict(v)) for v in values]
        bulk = services.bulk_create(s, "contacts", cleaned)
    by_row = {e.row_id: e.changes for e in entries(replica)}
    for one, many in zip(expected, bulk, strict=True):
        assert by_row[many] == by_row[one]
    assert "account_id" not in by_row[bulk[1]]


def test_bulk_rows_store_datetimes_as_the_orm_does(replica: Replica) -> None:
    """Same text in the column (SQLite compares datetimes as text), zero microseconds too."""
    from datetime import UTC, datetime

    from sqlalchemy import text

    values = {"title": "Call", "due_at": datetime(2026, 11, 23, 9, 30, tzinfo=UTC)}
    with replica.session() as s:
        one = services.create(s, "tasks", dict(values))
        [many] = services.bulk_create(s, "tasks", [fields.clean("tasks", values, creating=True)])
    with replica.read_session() as s:
        stored = dict(
            s.execute(
                text("SELECT id, due_at FROM tasks WHERE id IN (:a, :b)"), {"a": one, "b": many}
            ).all()
        )
        stamps = s.scalars(text("SELECT created_at FROM tasks")).all()
    assert stored[many] == stored[one] == "2026-11-23 09:30:00.000000"
    assert all(len(stamp) == len("2026-11-23 09:30:00.000000") for stamp in stamps)


def test_bulk_rows_with_repeated_values_store_each_as_the_orm_does(replica: Replica) -> None:
    """Values repeat in a batch (converted once each): every row still gets its own."""
    from datetime import UTC, datetime, timedelta, timezone
    from decimal import Decimal

    from sqlalchemy import text

    nine = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    # The same instant written in another zone, a later one, none; amounts alike.
    times = [nine, nine.astimezone(timezone(timedelta(hours=2))), nine + timedelta(hours=1), None]
    amounts = [Decimal("10.50"), Decimal("10.5"), Decimal("99"), None]
    with replica.session() as s:
        account = services.create(s, "accounts", {"name": "Repeat GmbH"})
        rows = [
            {"title": f"Call {i}", "due_at": times[i % 4], "account_id": account}
            for i in range(400)
        ]
        deals = [
            {"name": f"Deal {i}", "account_id": account, "stage": "Prospecting"}
            | {"amount": amounts[i % 4]}
            for i in range(400)
        ]
        tasks = services.bulk_create(
            s, "tasks", [fields.clean("tasks", r, creating=True) for r in rows]
        )
        deal_ids = services.bulk_create(
            s, "opportunities", [fields.clean("opportunities", d, creating=True) for d in deals]
        )
        expected_time = services.create(s, "tasks", dict(rows[2]))
        expected_amount = services.create(s, "opportunities", dict(deals[0]))
    with replica.read_session() as s:
        due = dict(s.execute(text("SELECT id, due_at FROM tasks")).all())
        cents = dict(s.execute(text("SELECT id, amount FROM opportunities")).all())
    assert [due[t] for t in tasks[:4]] == [
        "2026-11-23 09:30:00.000000",
        "2026-11-23 09:30:00.000000",
        due[expected_time],
        None,
    ]
    assert [due[t] for t in tasks[4:8]] == [due[t] for t in tasks[:4]]
    assert [cents[d] for d in deal_ids[:4]] == [cents[expected_amount], 1050, 9900, None]


def test_only_text_columns_without_json_escapes_are_copied_as_they_are() -> None:
    from fieldapp.store.models import Account

    columns = {
        "name": ["Müller & Söhne", "50% off", "O'Brien"],
        "street": ["Main St 1", None, 'The "Yard"'],
        "city": [None, "Ulm", None],
        "tags": [None, None, "a\\b"],
        "latitude": [50.1, 50.2, 50.3],
        "description": ["one", "two\nlines", "three"],
    }
    assert bulk_outbox.plain_text_columns(Account.__table__, columns) == {"name", "city"}


def test_bulk_rows_with_different_fields_and_whole_number_coordinates(replica: Replica) -> None:
    """Rows naming different columns, and coordinates given as ints, store as Core does."""
    from sqlalchemy import text

    rows = [{"name": f"Firm {i}", "latitude": 50, "longitude": 7} for i in range(3)]
    rows += [{"name": "No place", "status": "inactive"}, {"name": "Float", "latitude": 1.5}]
    rows[4]["longitude"] = 2.25
    with replica.session() as s:
        ids = services.bulk_create(s, "accounts", rows)
    with replica.read_session() as s:
        stored = s.execute(
            text("SELECT id, typeof(latitude), latitude, status, type FROM accounts ORDER BY rowid")
        ).all()
    assert [r[0] for r in stored] == ids
    assert [r[1:] for r in stored] == [("real", 50.0, "active", "prospect")] * 3 + [
        ("null", None, "inactive", "prospect"),
        ("real", 1.5, "active", "prospect"),
    ]
    by_row = {e.row_id: e.changes for e in entries(replica)}
    assert by_row[ids[3]] == {
        "name": [None, "No place"],
        "type": [None, "prospect"],
        "status": [None, "inactive"],
    }
