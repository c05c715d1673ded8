"""Validation and the service functions the CLI and GUI build on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fieldapp.errors import NotFoundError, ValidationError
from fieldapp.store import services
from fieldapp.store.db import Replica


def test_every_bad_field_is_reported_at_once(replica: Replica) -> None:
    with pytest.raises(ValidationError) as err, replica.session() as s:
        services.create(
            s,
            "accounts",
            {
                "name": "",
                "email": "nope",
                "phone": "+49 1",
                "website": "not a url",
                "latitude": "91",
                "longitude": "abc",
                "type": "vendor",
            },
        )
    fields = err.value.fields
    assert set(fields) == {"name", "email", "phone", "website", "latitude", "longitude", "type"}
    assert "between -90 and 90" in fields["latitude"]
    assert "customer, prospect, partner" in fields["type"]
    with replica.read_session() as s:
        assert services.count(s, "accounts") == 0


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        ("phone", "+44 20 7946 0958", "+44 20 7946 0958"),
        ("phone", "030 1234567", "030 1234567"),
        ("website", "www.acme.de", "www.acme.de"),
        ("email", "Info@Acme.de", "Info@Acme.de"),
        ("latitude", "48,137", 48.137),
        ("type", "Customer", "customer"),
        ("tags", "VIP; Retail, vip", "vip,retail"),
    ],
)
def test_values_are_parsed(replica: Replica, field: str, value: str, stored: object) -> None:
    extra = {"longitude": 11.5} if field == "latitude" else {}
    with replica.session() as s:
        acc = services.create(s, "accounts", {"name": "Acme", field: value, **extra})
        assert services.get(s, "accounts", acc)[field] == stored


def test_latitude_without_longitude_is_refused(replica: Replica) -> None:
    with pytest.raises(ValidationError, match="go together"), replica.session() as s:
        services.create(s, "accounts", {"name": "Acme", "latitude": 48.1})


def test_unknown_field_and_missing_record(replica: Replica) -> None:
    with replica.session() as s:
        acc = services.create(s, "accounts", {"name": "Acme"})
    with pytest.raises(ValidationError, match="is not a field of"), replica.session() as s:
        services.update(s, "accounts", acc, {"colour": "red"})
    with pytest.raises(NotFoundError, match="no account with id"), replica.session() as s:
        services.update(s, "accounts", "0" * 36, {"name": "x"})
    with pytest.raises(ValidationError, match="is required"), replica.session() as s:
        services.update(s, "accounts", acc, {"name": ""})


def test_deleted_record_is_not_found_until_restored(replica: Replica) -> None:
    with replica.session() as s:
        acc = services.create(s, "accounts", {"name": "Acme"})
        services.delete(s, "accounts", acc)
    with pytest.raises(NotFoundError), replica.session() as s:
        services.get(s, "accounts", acc)
    with replica.session() as s:
        services.restore(s, "accounts", acc)
        assert services.get(s, "accounts", acc)["name"] == "Acme"


def test_references_must_exist(replica: Replica) -> None:
    with pytest.raises(ValidationError, match="account_id: no account"), replica.session() as s:
        services.create(
            s,
            "contacts",
            {"last_name": "Meier", "account_id": "11111111-1111-4111-8111-111111111111"},
        )


def test_opportunity_stage_comes_from_the_pipeline(replica: Replica) -> None:
    with replica.session() as s:
        acc = services.create(s, "accounts", {"name": "Acme"})
        opp = services.create(
            s,
            "opportunities",
            {"account_id": acc, "name": "Fleet deal", "stage": "proposal", "amount": "1000"},
        )
        record = services.get(s, "opportunities", opp)
        assert (record["stage"], record["probability"]) == ("Proposal", 60)
        services.update(s, "opportunities", opp, {"stage": "Closed Won"})
        assert services.get(s, "opportunities", opp)["probability"] == 100
        assert next(st.name for st in services.pipeline(s)) == "Prospecting"
    with pytest.raises(ValidationError, match="unknown stage"), replica.session() as s:
        services.update(s, "opportunities", opp, {"stage": "Dreaming"})


def test_log_visit_with_follow_up_task(replica: Replica) -> None:
    due = datetime.now(UTC) + timedelta(days=3)
    with replica.session() as s:
        acc = services.create(s, "accounts", {"name": "Acme"})
        visit = services.log_visit(
            s,
            acc,
            outcome="follow_up",
            notes="Wants a quote",
            next_step="Send quote",
            follow_up_due=due.isoformat(),
        )
    with replica.read_session() as s:
        record = services.get(s, "visits", visit)
        [task] = services.list_records(s, "tasks", where={"visit_id": visit})
        assert services.last_visit_at(s, acc) == record["checkin_at"]
    assert record["outcome"] == "follow_up"
    assert record["checkout_at"] >= record["checkin_at"]
    assert task["title"] == "Send quote" and task["account_id"] == acc
    assert abs((task["due_at"] - due).total_seconds()) < 1


def test_visit_checkout_before_checkin_is_refused(replica: Replica) -> None:
    with replica.session() as s:
        acc = services.create(s, "accounts", {"name": "Acme"})
    with pytest.raises(ValidationError, match="before check-in"), replica.session() as s:
        services.log_visit(
            s,
            acc,
            outcome="successful",
            checkin_at="2026-01-02T10:00:00+00:00",
            checkout_at="2026-01-02T09:00:00+00:00",
        )


def test_complete_task(replica: Replica) -> None:
    with replica.session() as s:
        task = services.create(s, "tasks", {"title": "Call back", "due_at": "2026-01-01T09:00"})
        services.complete_task(s, task)
        record = services.get(s, "tasks", task)
    assert record["done"] is True and record["done_at"] is not None
