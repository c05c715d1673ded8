"""``fieldapp rules``: list, add, edit, enable/disable, delete with restore, run, undo."""

from __future__ import annotations

import json
from contextlib import closing
from pathlib import Path

import pytest

from fieldapp.cli.main import main
from fieldapp.store import services
from fieldapp.store.db import open_replica


@pytest.fixture
def cli(data_dir: Path, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--data-dir", str(data_dir), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_rules_from_the_command_line(cli, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli(
        "rules", "add", "--name", "Chase", "--kind", "follow_up",
        "--outcome", "no_decision", "--days", "3", "--json",
    )  # fmt: skip
    assert code == 0
    rule_id = json.loads(out)["id"]
    code, out, _ = cli("rules", "list", "--json")
    (listed,) = json.loads(out)
    assert listed["text"] == "Task 3 days after a visit with outcome “no decision”"
    assert listed["enabled"] is True

    # A visit with that outcome gets its task; undo deletes it for good.
    with closing(open_replica(data_dir)) as replica, replica.session() as s:
        account = services.create(s, "accounts", {"name": "Acme"})
        services.log_visit(s, account, outcome="no_decision")
    code, out, _ = cli("tasks", "list", "--json")
    (task,) = json.loads(out)
    assert task["rule_id"] == rule_id
    code, out, _ = cli("rules", "undo", "task", task["id"])
    assert code == 0 and out.startswith("task deleted")
    assert json.loads(cli("tasks", "list", "--json")[1]) == []

    assert cli("rules", "disable", rule_id[:6])[0] == 0
    assert json.loads(cli("rules", "list", "--json")[1])[0]["enabled"] is False
    code, out, _ = cli("rules", "delete", rule_id)
    assert code == 0 and f"fieldapp rules restore {rule_id}" in out
    assert json.loads(cli("rules", "list", "--json")[1]) == []
    assert cli("rules", "restore", rule_id)[0] == 0
    assert [r["id"] for r in json.loads(cli("rules", "list", "--json")[1])] == [rule_id]


def test_bad_rules_are_one_line(cli) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli("rules", "add", "--name", "Half", "--kind", "follow_up")
    assert code == 1
    assert "a follow-up rule needs the visit outcome" in err and "Traceback" not in err
    code, _, err = cli("rules", "disable", "nope")
    assert code == 1 and "no rule with id 'nope'" in err
    code, _, err = cli("rules", "undo", "flag", "123")
    assert code == 1 and "no flag with id 123" in err
    code, out, _ = cli("rules", "run", "--json")
    assert code == 0 and json.loads(out) == {"flags_added": 0}
