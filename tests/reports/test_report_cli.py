"""``fieldapp report``: table, --json, --csv and --pdf, run as a user runs them."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from fieldapp.cli.main import main
from fieldapp.store import services
from fieldapp.store.db import Replica, open_replica
from tests.reports.fixture import Known, build

Cli = Callable[..., tuple[int, str, str]]
MARCH = ("--from", "2026-03-01", "--to", "2026-03-31")


@pytest.fixture
def known(replica: Replica) -> Known:
    known = build(replica)
    replica.close()
    return known


@pytest.fixture
def cli(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--data-dir", str(data_dir), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def pdf_text(path: Path) -> tuple[int, str]:
    """Pages and text of a PDF, read back by QtPdf, without whitespace.

    QtPdf's extraction (pdfium) sometimes takes a line of a Qt-written PDF apart into
    letters, one per line; without the whitespace the text reads as written.
    """
    from PySide6.QtPdf import QPdfDocument
    from PySide6.QtWidgets import QApplication

    assert QApplication.instance() is not None
    document = QPdfDocument(None)
    assert document.load(str(path)) == QPdfDocument.Error.None_
    pages = document.pageCount()
    text = "".join(document.getAllText(i).text() for i in range(pages))
    document.close()
    return pages, "".join(text.split())


def test_table_for_people(cli: Cli, known: Known) -> None:
    code, out, err = cli("report", "visits", *MARCH, "--rep", "Ben Braun")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "Visits by rep · 2026-03-01 – 2026-03-31 · rep Ben Braun"
    [ben] = [line for line in lines if line.startswith("Ben Braun")]
    # 3 visits, 2 timed for 70 minutes: 35 on average, 1.2 hours.
    assert ben.split()[2:] == ["3", "1", "1", "1", "35", "1.2"]


def test_json_is_the_report(cli: Cli, known: Known) -> None:
    code, out, _ = cli("report", "pipeline", "--by", "rep", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["kind"] == "pipeline" and data["by"] == "rep"
    rows = [(r["label"], r["currency"], r["deals"], r["amount"]) for r in data["rows"]]
    assert rows == [
        ("Ana Silva", "EUR", 3, "16234.56"),
        ("Ben Braun", "EUR", 1, "2500.50"),
        ("Ben Braun", "USD", 1, "8000.00"),
    ]
    assert {t["currency"]: t["weighted"] for t in data["totals"]} == {
        "EUR": "10247.21",
        "USD": "800.00",
    }


def test_csv_holds_plain_values(cli: Cli, known: Known, tmp_path: Path) -> None:
    target = tmp_path / "wins.csv"
    code, out, err = cli("report", "wins", *MARCH, "--csv", str(target))
    assert (code, out) == (0, "")
    assert "wrote 2 rows" in err
    with target.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == [
        "Reason",
        "Currency",
        "Won",
        "Won amount",
        "Lost",
        "Lost amount",
        "Win rate",
    ]
    assert rows[1] == ["Price", "EUR", "2", "10000.00", "1", "1000.00", "0.6667"]
    assert rows[2] == ["Competitor", "EUR", "0", "0.00", "1", "6000.00", "0.0"]


def test_pdf_has_the_chart_and_the_table(cli: Cli, known: Known, tmp_path: Path) -> None:
    target = tmp_path / "visits.pdf"
    code, _, err = cli("report", "visits", "--by", "week", *MARCH, "--pdf", str(target))
    assert code == 0 and "wrote 1 page(s)" in err
    assert target.read_bytes().startswith(b"%PDF-")
    pages, text = pdf_text(target)
    assert pages == 1
    # The title, the chart's title and legend (drawn as text), and the table's rows.
    for words in ("Visitsbyweek", "Visitsperweek", "Successful", "2026-W11", "Total"):
        assert words in text, words


def test_a_long_pdf_gets_more_pages(cli: Cli, known: Known, data_dir: Path, tmp_path: Path) -> None:
    replica = open_replica(data_dir)
    with replica.session() as s:
        for i in range(120):
            services.create(
                s, "notes", {"body": f"Note {i}", "account_id": known.accounts["Alpha"]}
            )
    replica.close()
    target = tmp_path / "feed.pdf"
    assert cli("report", "activity", "--limit", "150", "--pdf", str(target))[0] == 0
    pages, text = pdf_text(target)
    assert pages >= 3 and "page3" in text
    # Newest first, all 120 notes among the 150 items.
    assert text.index("Note:Note119") < text.index("Note:Note0")


def test_pdf_needs_no_display(known: Known, data_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "headless.pdf"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "fieldapp",
            "--data-dir",
            str(data_dir),
            "report",
            "coverage",
            "--to",
            "2026-03-31",
            "--pdf",
            str(target),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert target.read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--rep", "Zoe"),
            "fieldapp: no user called 'Zoe' on this replica (users: ana, ben, maria)",
        ),
        (("--territory", "East"), "fieldapp: no territory called 'East' on this replica"),
        (("--from", "March"), "fieldapp: --from expects a date like 2026-01-31, got 'March'"),
        (("--by", "stage"), "fieldapp: the visits report groups by rep, week, month, territory"),
        (("--from", "2026-03-02", "--to", "2026-03-01"), "fieldapp: the period ends"),
        (("--period", "last_month", "--from", "2026-03-01"), "fieldapp: give either --period"),
    ],
)
def test_bad_options_get_one_line(
    cli: Cli, known: Known, args: tuple[str, ...], message: str
) -> None:
    code, out, err = cli("report", "visits", *args)
    assert (code, out) == (1, "")
    assert err.startswith(message) and err.count("\n") == 1, err


def test_reps_are_found_by_user_name_or_display_name(cli: Cli, known: Known) -> None:
    for name in ("ben", "BEN", "ben braun", known.users["ben"]):
        code, out, _ = cli("report", "visits", *MARCH, "--rep", name, "--json")
        assert code == 0
        assert [r["label"] for r in json.loads(out)["rows"]] == ["Ben Braun"], name


def test_pdf_to_an_unwritable_place_is_one_line(cli: Cli, known: Known, tmp_path: Path) -> None:
    code, _, err = cli("report", "wins", "--pdf", str(tmp_path / "missing" / "wins.pdf"))
    assert code == 1
    assert err.startswith("fieldapp: cannot write") and err.count("\n") == 1, err
    assert not (tmp_path / "missing").exists()
