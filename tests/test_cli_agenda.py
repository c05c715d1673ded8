"""``fieldapp visits schedule|move|cancel`` and ``fieldapp agenda``, run as a user runs them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from fieldapp.cli.main import main
from fieldapp.cli.visits_cmds import parse_duration
from fieldapp.errors import FieldappError
from fieldapp.store import scheduling, services
from fieldapp.store.db import open_replica
from fieldapp.store.types import utcnow

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--data-dir", str(data_dir), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def add_account(cli: Cli, name: str, *extra: str) -> str:
    code, out, err = cli("accounts", "add", "--name", name, "--type", "customer", *extra)
    assert code == 0, err
    return out.strip()


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone()


@pytest.mark.parametrize(("text", "minutes"), [("45m", 45), ("1h", 60), ("1h30m", 90), ("90", 90)])
def test_durations(text: str, minutes: int) -> None:
    assert parse_duration(text) == minutes


@pytest.mark.parametrize("text", ["", "soon", "1d"])
def test_bad_duration(text: str) -> None:
    with pytest.raises(FieldappError, match="45m, 1h or 1h30m"):
        parse_duration(text)


def test_schedule_by_name_with_duration_and_recurrence(cli: Cli, data_dir: Path) -> None:
    account = add_account(cli, "Bäckerei Schmitz", "--city", "Bonn")
    code, out, err = cli(
        "visits", "schedule", "bäcker", "--at", "2026-12-03T10:00", "--duration", "1h",
        "--every", "4w", "--json",
    )  # fmt: skip
    assert code == 0, err
    visit = json.loads(out)
    assert visit["account_id"] == account
    assert local(visit["planned_start"]) == local("2026-12-03T10:00")
    assert local(visit["planned_end"]) == local("2026-12-03T11:00")
    shown = json.loads(cli("accounts", "show", account, "--json")[1])
    assert shown["visit_frequency_days"] == 28
    code, out, _ = cli("visits", "schedule", account, "--at", "2026-12-10T09:00")
    assert code == 0 and "Bäckerei Schmitz" in out and "09:00–09:45" in out


def test_schedule_explains_bad_input(cli: Cli) -> None:
    add_account(cli, "Rhein Apotheke")
    add_account(cli, "Rhein Bau")
    cases = [
        (("rhein", "--at", "2026-12-03T10:00"), "matches several accounts"),
        (("nobody", "--at", "2026-12-03T10:00"), "no account matches 'nobody'"),
        (("rhein apo", "--at", "tomorrow"), "not a date and time"),
        (("rhein apo", "--at", "2026-12-03T10:00", "--every", "3x"), "--every: expected"),
        (("rhein apo", "--at", "2026-12-03T10:00", "--duration", "20h"), "between 5 minutes"),
    ]
    for args, message in cases:
        code, out, err = cli("visits", "schedule", *args)
        assert code == 1 and out == "", args
        assert err.startswith("fieldapp: ") and message in err and "Traceback" not in err, err


def test_move_cancel_and_restore(cli: Cli) -> None:
    account = add_account(cli, "Dom Apotheke")
    visit = json.loads(cli("visits", "schedule", account, "--at", "2026-12-03T10:00", "--json")[1])[
        "id"
    ]
    code, out, _ = cli("visits", "move", visit, "--at", "2026-12-04T14:15", "--duration", "30m")
    assert code == 0 and "14:15–14:45" in out
    code, out, _ = cli("visits", "cancel", visit)
    assert code == 0 and "restore" in out
    assert json.loads(cli("agenda", "--date", "2026-12-04", "--json")[1])["visits"] == []
    assert cli("visits", "restore", visit)[0] == 0
    [shown] = json.loads(cli("agenda", "--date", "2026-12-04", "--json")[1])["visits"]
    assert local(shown["start"]) == local("2026-12-04T14:15")


def test_agenda_week_as_text_and_json(cli: Cli, data_dir: Path) -> None:
    dom = add_account(cli, "Dom Apotheke", "--city", "Köln")
    cli("visits", "schedule", dom, "--at", "2026-12-01T09:00")  # Tuesday
    cli("visits", "schedule", dom, "--at", "2026-12-08T09:00")  # the week after
    cli("tasks", "add", "--title", "Send price list", "--due-at", "2026-12-02T00:00")
    cli("tasks", "add", "--title", "Call back", "--due-at", "2026-12-03T16:30")
    code, out, _ = cli("agenda", "--week", "--date", "2026-12-03")
    assert code == 0
    assert out.startswith("Week 49 · Mon 30 Nov – Sun 06 Dec 2026")
    lines = out.splitlines()
    tuesday = next(i for i, line in enumerate(lines) if line.startswith("Tue 01 Dec 2026"))
    assert lines[tuesday + 1].startswith("  09:00–09:45  Dom Apotheke (Köln)  planned")
    assert "  all day      ☐ Send price list" in lines
    assert "  16:30        ☐ Call back" in lines
    assert "Tue 08 Dec 2026" not in out and lines[1].startswith("Mon 30 Nov 2026")
    assert lines[2] == "  nothing planned"
    data = json.loads(cli("agenda", "--week", "--date", "2026-12-03", "--json")[1])
    assert [v["account"] for v in data["visits"]] == ["Dom Apotheke"]
    assert data["visits"][0]["state"] == "planned" and data["visits"][0]["planned"] is True
    assert [(t["title"], t["all_day"]) for t in data["tasks"]] == [
        ("Send price list", True),
        ("Call back", False),
    ]
    day = json.loads(cli("agenda", "--date", "2026-12-08", "--json")[1])
    assert len(day["visits"]) == 1 and local(day["start"]) == local("2026-12-08T00:00")


def test_agenda_due_list_and_bad_date(cli: Cli) -> None:
    old = add_account(cli, "Lange Her GmbH")
    # 120 days and an hour ago: 30 whole days overdue at any time of day (a fixed 10:00
    # was 29 days and some hours before ten in the morning).
    long_ago = (datetime.now() - timedelta(days=120, hours=1)).isoformat(timespec="minutes")
    cli("visits", "log", old, "--outcome", "successful", "--at", long_ago)
    add_account(cli, "Frisch KG")  # made today: not due for 90 days
    data = json.loads(cli("agenda", "--due", "--json")[1])
    assert data["due"]["total"] == 1
    [due] = data["due"]["accounts"]
    assert (due["name"], due["frequency_days"], due["days_overdue"]) == ("Lange Her GmbH", 90, 30)
    code, out, _ = cli("agenda", "--due")
    assert "Due for a visit: 1 accounts" in out and "30 days overdue" in out
    code, _, err = cli("agenda", "--date", "3.12.2026")
    assert code == 1 and err == "fieldapp: --date expects YYYY-MM-DD, got '3.12.2026'\n"


def test_visits_list_shows_the_check_in_verdict(cli: Cli, data_dir: Path) -> None:
    account = add_account(cli, "Dom Apotheke", "--lat", "50.94130", "--lon", "6.95829")
    replica = open_replica(data_dir)
    with replica.session() as s:
        near = scheduling.check_in(s, account)
        scheduling.record_position(s, near.visit_id, 50.94303, 6.95873, 12.0)
        services.update(s, "visits", near.visit_id, {"checkout_at": utcnow()})
        far = scheduling.check_in(s, account)
        scheduling.record_position(s, far.visit_id, 50.95029, 6.95829, 12.0)
    replica.close()
    code, out, _ = cli("visits", "list", account)
    assert code == 0
    assert "195 m from the account (± 12 m)" in out
    assert "far — 1.0 km from the account (± 12 m)" in out
    rows = json.loads(cli("visits", "list", account, "--json")[1])
    assert {r["checkin_flag"] for r in rows} == {"ok", "far"}
