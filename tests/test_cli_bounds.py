"""Issue 14 item 10: numbers out of range on the command line are one clear line, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldapp.cli.main import main
from fieldapp.store import services
from fieldapp.store.db import open_replica

HUGE = "99999999999999999999999"  # past SQLite's 64-bit integers


def _lead(data_dir: Path) -> str:
    replica = open_replica(data_dir)
    try:
        with replica.session() as s:
            return services.create(s, "leads", {"last_name": "Lee", "company": "Lee & Co"})
    finally:
        replica.close()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["leads", "convert", "LEAD", "--amount", "1e17"], "less than 1,000,000,000,000"),
        (["leads", "convert", "LEAD", "--amount", "1e30"], "less than 1,000,000,000,000"),
        (["leads", "convert", "LEAD", "--amount", "lots"], "is not an amount"),
        (["accounts", "list", "--limit", HUGE], "--limit: must be between 1 and 1,000,000"),
        (["accounts", "list", "--limit", "0"], "--limit: must be between 1"),
        (["accounts", "list", "--offset", HUGE], "--offset: must be between 0"),
        (["visits", "list", "LEAD", "--limit", HUGE], "--limit: must be between"),
        (["report", "activity", "--limit", HUGE], "--limit: must be between"),
        (["geocode", "--missing", "--limit", HUGE], "--limit: must be between"),
        (["demo", "--accounts", HUGE], "--accounts: must be between 1 and 10,000,000"),
        (["tasks", "list", "--limit", "many"], "expected a whole number, got 'many'"),
    ],
)
def test_out_of_range_numbers_are_one_line_and_exit_2(
    data_dir: Path, capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    lead = _lead(data_dir)
    with pytest.raises(SystemExit) as stopped:
        main(["--data-dir", str(data_dir), *[lead if a == "LEAD" else a for a in args]])
    assert stopped.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    [line] = err.splitlines()
    assert says in line and "Traceback" not in line
    # Nothing ran: the lead is still a lead.
    replica = open_replica(data_dir)
    try:
        with replica.read_session() as s:
            assert services.get(s, "leads", lead)["converted_at"] is None
    finally:
        replica.close()
