"""Planned visits in the store: schedule, move, check in, visit plans, the agenda."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from fieldapp.errors import ValidationError
from fieldapp.store import agenda, scheduling, services
from fieldapp.store.db import Replica
from fieldapp.store.models import Outbox
from fieldapp.store.types import utcnow

CATHEDRAL = (50.94130, 6.95829)
HBF = (50.94303, 6.95873)
ONE_KM_NORTH = (50.95029, 6.95829)


def add_account(replica: Replica, **values: Any) -> str:
    with replica.session() as s:
        return services.create(
            s,
            "accounts",
            {
                "name": "Dom Apotheke",
                "type": "customer",
                "latitude": CATHEDRAL[0],
                "longitude": CATHEDRAL[1],
                **values,
            },
        )


def visit(replica: Replica, visit_id: str) -> dict[str, Any]:
    with replica.read_session() as s:
        return services.get(s, "visits", visit_id)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute).astimezone()


def test_schedule_visit_stores_plan_with_default_length_and_outbox(replica: Replica) -> None:
    account = add_account(replica)
    start = local(date(2026, 12, 3), 10)
    with replica.session() as s:
        visit_id = scheduling.schedule_visit(s, account, start)
    row = visit(replica, visit_id)
    assert row["planned_start"] == start.astimezone(UTC)
    assert row["planned_end"] - row["planned_start"] == timedelta(minutes=45)  # a customer
    assert row["checkin_at"] is None
    with replica.read_session() as s:
        entry = s.scalars(select(Outbox).where(Outbox.row_id == visit_id)).one()
    assert entry.op == "insert" and "planned_start" in entry.changes


def test_schedule_with_recurrence_sets_the_account_frequency(replica: Replica) -> None:
    account = add_account(replica)
    with replica.session() as s:
        scheduling.schedule_visit(s, account, "2026-12-03T10:00", minutes=60, every_days="4w")
        assert services.get(s, "accounts", account)["visit_frequency_days"] == 28


@pytest.mark.parametrize("minutes", [0, 2, 13 * 60])
def test_schedule_refuses_a_senseless_length(replica: Replica, minutes: int) -> None:
    account = add_account(replica)
    refused = pytest.raises(ValidationError, match="between 5 minutes and 12 hours")
    with refused, replica.session() as s:
        scheduling.schedule_visit(s, account, "2026-12-03T10:00", minutes=minutes)


def test_move_keeps_the_length_and_reports_the_old_times(replica: Replica) -> None:
    account = add_account(replica)
    start = local(date(2026, 12, 3), 10)
    with replica.session() as s:
        visit_id = scheduling.schedule_visit(s, account, start, minutes=45)
    later = local(date(2026, 12, 4), 14, 15)
    with replica.session() as s:
        moved = scheduling.move_visit(s, visit_id, later)
    assert (moved.old_start, moved.start) == (start.astimezone(UTC), later.astimezone(UTC))
    row = visit(replica, visit_id)
    assert row["planned_start"] == later and row["planned_end"] == later + timedelta(minutes=45)
    with replica.session() as s:
        scheduling.move_visit(s, visit_id, later, later + timedelta(minutes=90))
    assert visit(replica, visit_id)["planned_end"] == later + timedelta(minutes=90)
    with pytest.raises(ValidationError, match="between 5 minutes"), replica.session() as s:
        scheduling.move_visit(s, visit_id, later, later)


def test_checked_in_visit_cannot_be_moved(replica: Replica) -> None:
    account = add_account(replica)
    with replica.session() as s:
        visit_id = scheduling.schedule_visit(s, account, utcnow())
        scheduling.check_in(s, account, visit_id=visit_id)
    refused = pytest.raises(ValidationError, match="checked in and cannot be moved")
    with refused, replica.session() as s:
        scheduling.move_visit(s, visit_id, utcnow() + timedelta(days=1))


def test_check_in_to_planned_visit_makes_it_the_actual_visit(replica: Replica) -> None:
    account = add_account(replica)
    start = utcnow().replace(microsecond=0) + timedelta(minutes=10)
    with replica.session() as s:
        planned = scheduling.schedule_visit(s, account, start, minutes=30)
    with replica.session() as s:
        done = scheduling.check_in(s, account)  # finds today's planned visit itself
    assert done.visit_id == planned and done.planned and done.next_visit_id is None
    with replica.read_session() as s:
        rows = services.list_records(s, "visits", where={"account_id": account})
    [row] = rows
    assert row["checkin_at"] is not None and row["planned_start"] == start
    assert row["checkin_flag"] == "no_fix"  # until a fix arrives


def test_check_in_to_recurring_account_plans_the_next_visit(replica: Replica) -> None:
    account = add_account(replica, visit_frequency_days="2w")
    start = local(agenda.local_today(), 10)
    with replica.session() as s:
        planned = scheduling.schedule_visit(s, account, start, minutes=40)
    with replica.session() as s:
        done = scheduling.check_in(s, account, visit_id=planned, at=start.astimezone(UTC))
    assert done.next_visit_id is not None
    nxt = visit(replica, done.next_visit_id)
    assert nxt["planned_start"].astimezone() == local(start.date() + timedelta(days=14), 10)
    assert nxt["planned_end"] - nxt["planned_start"] == timedelta(minutes=40)
    assert nxt["checkin_at"] is None
    # Checking in the next one plans the one after; undo takes both steps back.
    with replica.session() as s:
        services.update(s, "visits", planned, {"checkout_at": utcnow()})
        second = scheduling.check_in(s, account, visit_id=done.next_visit_id)
        assert second.next_start is not None
        assert second.next_start.astimezone() == local(start.date() + timedelta(days=28), 10)
        scheduling.undo_check_in(s, second)
    with replica.read_session() as s:
        rows = services.list_records(s, "visits", where={"account_id": account})
    assert len(rows) == 2  # the third one, planned by the second check-in, is gone
    assert visit(replica, done.next_visit_id)["checkin_at"] is None


def test_no_next_visit_when_one_is_planned_already_or_there_is_no_plan(
    replica: Replica,
) -> None:
    recurring = add_account(replica, visit_frequency_days=7)
    plain = add_account(replica, name="No Plan KG")
    now = utcnow()
    with replica.session() as s:
        first = scheduling.schedule_visit(s, recurring, now)
        scheduling.schedule_visit(s, recurring, now + timedelta(days=3))
        other = scheduling.schedule_visit(s, plain, now)
    with replica.session() as s:
        assert scheduling.check_in(s, recurring, visit_id=first).next_visit_id is None
        assert scheduling.check_in(s, plain, visit_id=other).next_visit_id is None


def test_check_in_without_plan_starts_a_visit_and_refuses_a_second(replica: Replica) -> None:
    account = add_account(replica)
    with replica.session() as s:
        done = scheduling.check_in(s, account)
    assert not done.planned and visit(replica, done.visit_id)["checkin_at"] is not None
    with pytest.raises(ValidationError, match="already checked in"), replica.session() as s:
        scheduling.check_in(s, account)
    with replica.session() as s:
        scheduling.undo_check_in(s, done)
    with replica.read_session() as s:
        assert services.list_records(s, "visits", where={"account_id": account}) == []


def test_check_in_distance_from_cathedral_to_central_station(replica: Replica) -> None:
    account = add_account(replica)
    with replica.session() as s:
        done = scheduling.check_in(s, account)
        check = scheduling.record_position(s, done.visit_id, *HBF, 15.0)
    assert check.flag == "ok" and check.distance_m == pytest.approx(195, abs=10)
    row = visit(replica, done.visit_id)
    assert row["checkin_distance_m"] == pytest.approx(0.2 * 1000, abs=10)
    assert (row["checkin_latitude"], row["checkin_accuracy_m"], row["checkin_flag"]) == (
        HBF[0],
        15.0,
        "ok",
    )
    assert check.describe() == "195 m from the account (± 15 m)"


def test_check_in_a_kilometre_away_is_far(replica: Replica) -> None:
    account = add_account(replica)
    with replica.session() as s:
        done = scheduling.check_in(s, account)
        check = scheduling.record_position(s, done.visit_id, *ONE_KM_NORTH, 25.0)
    assert check.flag == "far" and check.distance_m == pytest.approx(1000, abs=15)
    assert visit(replica, done.visit_id)["checkin_flag"] == "far"
    assert check.describe() == "far — 1.0 km from the account (± 25 m)"


def test_far_threshold_is_a_parameter(replica: Replica) -> None:
    account = add_account(replica)
    with replica.session() as s:
        done = scheduling.check_in(s, account)
        check = scheduling.record_position(s, done.visit_id, *HBF, 20.0, far_m=100)
    assert check.flag == "far"


def test_no_fix_and_account_without_location(replica: Replica) -> None:
    pinned = add_account(replica)
    unpinned = add_account(replica, name="Nowhere GmbH", latitude=None, longitude=None)
    with replica.session() as s:
        a = scheduling.check_in(s, pinned)
        b = scheduling.check_in(s, unpinned)
        assert scheduling.record_position(s, a.visit_id, None, None, None).flag == "no_fix"
        assert scheduling.record_position(s, b.visit_id, *HBF, 10.0).flag == "no_location"
    assert visit(replica, a.visit_id)["checkin_latitude"] is None
    assert visit(replica, a.visit_id)["checkin_flag"] == "no_fix"
    row = visit(replica, b.visit_id)
    assert row["checkin_flag"] == "no_location" and row["checkin_distance_m"] is None


def test_agenda_of_a_week_has_planned_and_unplanned_visits_and_tasks(replica: Replica) -> None:
    account = add_account(replica)
    monday = date(2026, 11, 30)
    with replica.session() as s:
        tue = scheduling.schedule_visit(s, account, local(monday + timedelta(days=1), 9))
        scheduling.schedule_visit(s, account, local(monday + timedelta(days=7), 9))  # next week
        walk_in = services.log_visit(
            s, account, outcome="successful", checkin_at=local(monday + timedelta(days=2), 15)
        )
        timed = services.create(
            s, "tasks", {"title": "Call back", "due_at": local(monday + timedelta(days=3), 11)}
        )
        whole_day = services.create(
            s, "tasks", {"title": "Send price list", "due_at": local(monday, 0)}
        )
        mine = scheduling.schedule_visit(
            s, account, local(monday, 8), owner_id="11111111-1111-4111-8111-111111111111"
        )
        theirs = scheduling.schedule_visit(
            s, account, local(monday, 8), owner_id="22222222-2222-4222-8222-222222222222"
        )
    with replica.read_session() as s:
        week = agenda.agenda_for(s, monday + timedelta(days=3), week=True)
        mine_only = agenda.agenda_for(
            s, monday, week=True, owner_id="11111111-1111-4111-8111-111111111111"
        )
        day = agenda.agenda_for(s, monday + timedelta(days=1))
    assert [v.id for v in week.visits] in (
        [mine, theirs, tue, walk_in],
        [theirs, mine, tue, walk_in],
    )
    by_id = {v.id: v for v in week.visits}
    assert by_id[tue].state == "planned" and by_id[tue].movable and by_id[tue].minutes == 45
    assert not by_id[walk_in].planned and by_id[walk_in].state == "done"
    assert not by_id[walk_in].movable
    assert [(t.id, t.all_day) for t in week.tasks] == [(whole_day, True), (timed, False)]
    assert theirs not in {v.id for v in mine_only.visits} and mine in {
        v.id for v in mine_only.visits
    }
    assert [v.id for v in day.visits] == [tue]


def query_plans(replica: Replica, run: Callable[[Session], object]) -> list[str]:
    """The SQLite query plan of every statement ``run`` executes, one string each."""
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append((statement, params))

    event.listen(replica.engine, "before_cursor_execute", capture)
    try:
        with replica.read_session() as s:
            run(s)
    finally:
        event.remove(replica.engine, "before_cursor_execute", capture)
    plans = []
    with replica.engine.connect() as conn:
        for statement, params in statements:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
            plans.append(" / ".join(r[-1] for r in rows))
    return plans


def test_agenda_week_is_a_range_scan_of_indexes(replica: Replica) -> None:
    plans = query_plans(replica, lambda s: agenda.agenda_for(s, date(2026, 11, 30), week=True))
    assert len(plans) == 3
    planned, unplanned, tasks = plans
    assert "USING INDEX ix_visits_planned_start (planned_start>? AND planned_start<?)" in planned
    # Visits done without a plan: a range of the reports' partial index of visits done
    # (store migration 0008), which holds only checked-in, live visits.
    assert "USING INDEX ix_visits_done (checkin_at>? AND checkin_at<?)" in unplanned
    assert "USING INDEX ix_tasks_due_at (due_at>? AND due_at<?)" in tasks
