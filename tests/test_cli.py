"""The command line, run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from fieldapp.cli.main import main
from fieldapp.store import encryption, services
from fieldapp.store.db import open_replica


@pytest.fixture
def cli(data_dir: Path, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--data-dir", str(data_dir), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_add_list_show_update_delete_restore(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli(
        "accounts",
        "add",
        "--name",
        "Acme GmbH",
        "--city",
        "Köln",
        "--lat",
        "50.94",
        "--lon",
        "6.96",
        "--email",
        "info@acme.de",
    )
    assert code == 0
    acc = out.strip()
    code, out, _ = cli("accounts", "list", "--search", "acm", "--json")
    assert [r["id"] for r in json.loads(out)] == [acc]
    code, out, _ = cli(
        "accounts", "update", acc, "--set", "city=Bonn", "--set", "phone=0228 123456"
    )
    assert (code, out.strip()) == (0, "updated 2 field(s)")
    code, out, _ = cli("accounts", "show", acc, "--json")
    record = json.loads(out)
    assert (record["city"], record["phone"], record["latitude"]) == ("Bonn", "0228 123456", 50.94)
    code, out, _ = cli("accounts", "list")
    assert "Acme GmbH" in out and "Bonn" in out
    code, out, _ = cli("accounts", "delete", acc)
    assert code == 0 and "restore" in out
    assert json.loads(cli("accounts", "list", "--json")[1]) == []
    assert cli("accounts", "restore", acc)[0] == 0
    assert len(json.loads(cli("accounts", "list", "--json")[1])) == 1


def test_contacts_and_visits(cli) -> None:  # type: ignore[no-untyped-def]
    acc = cli("accounts", "add", "--name", "Acme")[1].strip()
    code, out, _ = cli(
        "contacts",
        "add",
        "--account-id",
        acc,
        "--first-name",
        "Jana",
        "--last-name",
        "Novak",
        "--email",
        "jana@acme.de",
    )
    assert code == 0
    contacts = json.loads(cli("contacts", "list", "--search", "nov", "--json")[1])
    assert contacts[0]["account_id"] == acc
    code, out, _ = cli(
        "visits",
        "log",
        acc,
        "--outcome",
        "follow_up",
        "--notes",
        "Quote wanted",
        "--follow-up",
        "2030-01-10T09:00",
        "--json",
    )
    visit = json.loads(out)
    assert visit["outcome"] == "follow_up" and visit["notes"] == "Quote wanted"
    listed = json.loads(cli("visits", "list", acc, "--json")[1])
    assert [v["id"] for v in listed] == [visit["id"]]
    tasks = json.loads(cli("tasks", "list", "--json")[1])
    assert tasks[0]["visit_id"] == visit["id"]


def test_lead_conversion(cli) -> None:  # type: ignore[no-untyped-def]
    lead = cli(
        "leads",
        "add",
        "--last-name",
        "Yilmaz",
        "--company",
        "Yildiz Bau",
        "--rating",
        "hot",
        "--score",
        "85",
    )[1].strip()
    code, out, _ = cli("leads", "convert", lead, "--amount", "5000", "--json")
    result = json.loads(out)
    assert code == 0
    opp = json.loads(cli("opportunities", "show", result["opportunity_id"], "--json")[1])
    assert opp["account_id"] == result["account_id"] and opp["amount"] == "5000.00"
    code, _, err = cli("leads", "convert", lead)
    assert code == 1 and "already been converted" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("accounts", "add", "--name", "X", "--email", "nope"),
            "Email must look like name@example.com (got nope)",
        ),
        (("accounts", "add", "--name", "X", "--lat", "123", "--lon", "1"), "between -90 and 90"),
        (("accounts", "show", "nope"), "no account with id nope"),
        (("accounts", "update", "x", "--set", "novalue"), "--set expects FIELD=VALUE"),
        (
            ("visits", "log", "00000000-0000-4000-8000-000000000000", "--outcome", "successful"),
            "no account with id",
        ),
        (("import", "accounts", "/nonexistent/file.csv"), "file.csv"),
    ],
)
def test_errors_are_one_line_without_traceback(cli, args: tuple[str, ...], message: str) -> None:  # type: ignore[no-untyped-def]
    code, _out, err = cli(*args)
    assert code == 1
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_console_script_and_env_data_dir(tmp_path: Path) -> None:
    env = {**os.environ, "FIELDAPP_DATA_DIR": str(tmp_path / "envdir")}
    exe = Path(sys.executable).parent / "fieldapp"
    done = subprocess.run(
        [str(exe), "accounts", "add", "--name", "Env Firm"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert len(done.stdout.strip()) == 36
    # The command made an encrypted replica and kept its key in the keyring the test
    # suite shares with its subprocesses, so this process can open it.
    assert encryption.file_state(tmp_path / "envdir" / "replica.sqlite3") == "encrypted"
    replica = open_replica(tmp_path / "envdir")
    with replica.read_session() as session:
        assert services.get(session, "accounts", done.stdout.strip())["name"] == "Env Firm"
    replica.close()
    bad = subprocess.run(
        [str(exe), "accounts", "add", "--name", "X", "--website", "::"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert (
        bad.returncode == 1
        and "Website must look like https://example.com" in bad.stderr
        and "Traceback" not in bad.stderr
    )


def test_locked_data_dir_is_reported(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    from fieldapp.store.encryption import connect_file

    cli("accounts", "add", "--name", "Acme")
    db = next(tmp_path.glob("data/replica.sqlite3"))
    holder = connect_file(db, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        env = {**os.environ, "FIELDAPP_DATA_DIR": str(db.parent)}
        exe = Path(sys.executable).parent / "fieldapp"
        done = subprocess.run(
            [str(exe), "accounts", "add", "--name", "Y"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        holder.rollback()
        holder.close()
    assert done.returncode == 1
    assert "locked" in done.stderr and "Traceback" not in done.stderr


def test_import_export_and_demo_commands(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = Path(__file__).parent / "data" / "csv"
    code, out, _ = cli("import", "accounts", str(data / "invalid_rows.tsv"), "--json")
    report = json.loads(out)
    assert code == 1 and report["imported"] == 0 and len(report["invalid"]) == 3
    code, out, _ = cli("import", "accounts", str(data / "invalid_rows.tsv"), "--dry-run")
    assert code == 0 and "row 2 (line 3): Email must look like" in out
    assert "1 new account would be imported; 3 invalid rows would be refused" in out
    code, out, _ = cli("import", "accounts", str(data / "salesforce_accounts.csv"))
    assert code == 0 and "imported 6 new accounts" in out
    code, out, _ = cli(
        "import", "accounts", str(data / "invalid_rows.tsv"), "--skip-invalid", "--map", "x=y"
    )
    assert code == 1
    code, out, _ = cli("export", "accounts", str(tmp_path / "a.csv"))
    assert code == 0 and "exported 6 accounts" in out
    assert "Müller Bau GmbH" in (tmp_path / "a.csv").read_text(encoding="utf-8")
    code, _, err = cli("demo", "--accounts", "50")
    assert code == 1 and "already holds 6 accounts" in err
    code, out, _ = cli("demo", "--accounts", "50", "--replace", "--seed", "3")
    assert code == 0 and "50 accounts" in out
    code, out, _ = cli("export", "contacts", str(tmp_path / "c.vcf"))
    assert code == 0 and (tmp_path / "c.vcf").read_text(encoding="utf-8").count("BEGIN:VCARD") > 50


def test_import_and_export_every_entity_from_the_command_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = Path(__file__).parent / "data" / "csv"
    assert cli("import", "accounts", str(data / "salesforce_accounts.csv"))[0] == 0
    code, out, _ = cli("import", "contacts", str(data / "salesforce_contacts.csv"), "--dry-run")
    assert code == 0 and out.strip().endswith("dry run: 4 new contacts would be imported")
    for kind, name in (("contacts", "salesforce_contacts.csv"), ("leads", "salesforce_leads.csv"),
                       ("opportunities", "salesforce_opportunities.csv")):  # fmt: skip
        code, out, _ = cli("import", kind, str(data / name))
        assert code == 0 and f"imported {'4' if kind != 'leads' else '3'} new {kind}" in out
    code, out, _ = cli("import", "accounts", str(data / "salesforce_accounts.csv"), "--json")
    assert json.loads(out)["matched"]["source id"] == 6

    other = tmp_path / "other.csv"
    other.write_text("Account Name,Type\nNew One,Other\n", encoding="utf-8")
    code, out, _ = cli("import", "accounts", str(other))
    assert code == 1 and "add --map-value Type:Other=prospect" in out
    code, out, _ = cli("import", "accounts", str(other), "--map-value", "Type:Other=prospect")
    assert code == 0 and "imported 1 new account" in out

    code, out, _ = cli("export", "opportunities", str(tmp_path / "o.csv"), "--search", "müller")
    assert (code, out.strip()) == (0, f"exported 1 opportunities to {tmp_path / 'o.csv'}")
    cli("export", "accounts", str(tmp_path / "a.csv"), "--search", "bau")
    code, out, _ = cli(
        "export", "contacts", str(tmp_path / "c.vcf"), "--ids-from", str(tmp_path / "a.csv")
    )
    assert code == 0 and "exported 0 contacts" in out  # the file holds account ids
    code, out, _ = cli("export", "contacts", str(tmp_path / "c.vcf"), "--search", "anna")
    assert (tmp_path / "c.vcf").read_text(encoding="utf-8").count("BEGIN:VCARD") == 1
    for kind in ("leads", "visits", "tasks"):
        code, out, _ = cli("export", kind, str(tmp_path / f"{kind}.csv"))
        assert code == 0, kind
    code, _, err = cli("export", "accounts", str(tmp_path / "x.csv"), "--territory", "Nowhere")
    assert code == 1 and err.strip() == "fieldapp: no territory named 'Nowhere' in this replica"


# --- fieldapp rules ---------------------------------------------------------------


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
