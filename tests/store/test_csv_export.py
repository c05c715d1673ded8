"""Every entity out to CSV: whole or a selection, formula cells escaped, round trips exact."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import text

from fieldapp.errors import FieldappError
from fieldapp.store import csv_export, csv_io, services
from fieldapp.store.db import Replica, open_replica
from tests.store.test_csv_io import accounts

FORMULAS = {
    "name": "=cmd|' /C calc'!A0",
    "industry": "@SUM(1+1)",
    "street": "+49 Hauptstraße",
    "city": "-Köln",
    "region": "\tTabbed",
    "country": "\rReturn",
    "description": "'=already quoted",
    "tags": "=hyperlink(x)",
}


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_formula_cells_are_escaped_and_come_back_on_import(
    replica: Replica, tmp_path: Path
) -> None:
    with replica.session() as session:
        services.create(session, "accounts", {**FORMULAS, "latitude": -33.9, "longitude": -0.5})
    out = tmp_path / "escaped.csv"
    with replica.read_session() as session:
        assert csv_export.export_records(session, "accounts", out) == 1
    [row] = rows_of(out)
    assert row["name"] == "'=cmd|' /C calc'!A0"
    assert row["industry"] == "'@SUM(1+1)"
    assert row["street"] == "'+49 Hauptstraße"
    assert row["city"] == "'-Köln"
    assert row["description"] == "''=already quoted"
    assert row["tags"] == "'=hyperlink(x)"
    assert (row["latitude"], row["longitude"]) == ("-33.9", "-0.5")  # numbers stay numbers
    other = open_replica(tmp_path / "other")
    try:
        with other.session() as session:
            report = csv_io.import_accounts(session, out)
        assert report.imported == 1 and report.invalid == []
        [back] = accounts(other)
        # Leading and trailing white space is trimmed on import, as for any cell.
        assert {k: back[k] for k in FORMULAS} == {k: v.strip() for k, v in FORMULAS.items()} | {
            "tags": "=hyperlink(x)"
        }
    finally:
        other.close()


def test_raw_export_leaves_formula_cells_as_they_are(replica: Replica, tmp_path: Path) -> None:
    with replica.session() as session:
        services.create(session, "accounts", {"name": "=1+2", "phone": "+49 30 1234567"})
    out = tmp_path / "raw.csv"
    with replica.read_session() as session:
        csv_export.export_records(session, "accounts", out, raw=True)
    [row] = rows_of(out)
    assert (row["name"], row["phone"]) == ("=1+2", "+49 30 1234567")


def test_export_then_import_into_an_empty_data_dir_reproduces_every_field(
    replica: Replica, tmp_path: Path
) -> None:
    full = {
        "name": 'Quote "Comma", Inc.',
        "type": "partner",
        "industry": "Retail",
        "phone": "+49 221 555 0100",
        "email": "hello@quote.example",
        "website": "https://quote.example/x?y=1",
        "street": "Line one\nLine two",
        "city": "Köln",
        "region": "NRW",
        "postcode": "50667",
        "country": "Germany",
        "latitude": 50.123456789,
        "longitude": -0.000001,
        "geocode_precision": "house",
        "status": "inactive",
        "tags": "key account,retail",
        "description": "Semi;colon\tand tab",
        "source_id": "0015g00000AbCdEAAV",
    }
    with replica.session() as session:
        services.create(session, "accounts", full)
        services.create(session, "accounts", {"name": "Minimal"})
    out = tmp_path / "export.csv"
    with replica.read_session() as session:
        assert csv_io.export_accounts(session, out) == 2
    with out.open(encoding="utf-8", newline="") as fh:
        assert next(csv.reader(fh))[:2] == ["id", "name"]

    other = open_replica(tmp_path / "other")
    try:
        with other.session() as session:
            report = csv_io.import_accounts(session, out)
        assert report.invalid == [] and report.imported == 2
        assert accounts(other) == [
            {k: v for k, v in a.items() if k not in ("created_at", "updated_at")}
            | {k: b[k] for k in ("created_at", "updated_at")}
            for a, b in zip(accounts(replica), accounts(other), strict=True)
        ]
    finally:
        other.close()


def test_export_is_atomic(replica: Replica, tmp_path: Path) -> None:
    with replica.session() as session:
        services.create(session, "accounts", {"name": "Acme"})
    target = tmp_path / "missing-dir" / "out.csv"
    with replica.read_session() as session, pytest.raises(FileNotFoundError):
        csv_io.export_accounts(session, target)
    assert not target.parent.exists()
    previous = tmp_path / "keep.csv"
    previous.write_text("old content", encoding="utf-8")
    with replica.read_session() as session:
        csv_io.export_accounts(session, previous)
    assert previous.read_text(encoding="utf-8").startswith("id,name")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.fixture
def territory(replica: Replica) -> dict[str, str]:
    """Two accounts in territory North (owned by alice), one outside; deals, visits, tasks."""
    north, alice = "7e000000-0000-4000-8000-000000000001", "a1000000-0000-4000-8000-000000000001"
    with replica.engine.begin() as conn:  # as a pull writes them: no outbox for server rows
        conn.execute(
            text(
                "INSERT INTO territories (id, name, server_version, created_at, updated_at) "
                "VALUES (:id, 'North', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            ),
            {"id": north},
        )
        conn.execute(
            text(
                "INSERT INTO users (id, username, display_name, role, server_version, "
                "created_at, updated_at) VALUES (:id, 'alice', 'Alice', 'rep', 1, "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            ),
            {"id": alice},
        )
    ids: dict[str, str] = {}
    with replica.session() as session:
        for name, where, owner in (
            ("Bäckerei Nord", north, alice),
            ("Nordmetall", north, None),
            ("Südhandel", None, alice),
        ):
            ids[name] = services.create(
                session, "accounts", {"name": name, "territory_id": where, "owner_id": owner}
            )
            services.create(
                session,
                "opportunities",
                {"account_id": ids[name], "name": f"Deal {name}", "stage": "Prospecting"},
            )
            services.log_visit(session, ids[name], outcome="successful", notes=f"at {name}")
            services.create(session, "tasks", {"title": f"Call {name}", "account_id": ids[name]})
            services.create(
                session, "contacts", {"last_name": f"Boss {name}", "account_id": ids[name]}
            )
    return ids


def exported(replica: Replica, entity: str, tmp_path: Path, **selection: object) -> list[str]:
    out = tmp_path / f"{entity}.csv"
    with replica.read_session() as session:
        n = csv_export.export_records(
            session,
            entity,
            out,
            csv_export.Selection(**selection),  # type: ignore[arg-type]
        )
    rows = rows_of(out)
    assert len(rows) == n
    key = {"contacts": "last_name", "tasks": "title", "visits": "notes"}.get(entity, "name")
    return sorted(r[key] for r in rows)


def test_every_entity_exports_whole_or_filtered(
    replica: Replica, territory: dict[str, str], tmp_path: Path
) -> None:
    assert exported(replica, "visits", tmp_path) == [
        "at Bäckerei Nord",
        "at Nordmetall",
        "at Südhandel",
    ]
    assert exported(replica, "accounts", tmp_path, territory="North") == [
        "Bäckerei Nord",
        "Nordmetall",
    ]
    assert exported(replica, "tasks", tmp_path, territory="North") == [
        "Call Bäckerei Nord",
        "Call Nordmetall",
    ]
    assert exported(replica, "accounts", tmp_path, owner="alice") == ["Bäckerei Nord", "Südhandel"]
    assert exported(replica, "accounts", tmp_path, search="nord") == ["Bäckerei Nord", "Nordmetall"]
    # Deals, visits and tasks have no search index: those of the accounts that match.
    assert exported(replica, "opportunities", tmp_path, search="bäck") == ["Deal Bäckerei Nord"]
    assert exported(replica, "contacts", tmp_path, search="boss süd") == ["Boss Südhandel"]
    assert exported(
        replica, "accounts", tmp_path, ids={territory["Südhandel"], territory["Nordmetall"]},
        territory="North",
    ) == ["Nordmetall"]  # fmt: skip
    with pytest.raises(FieldappError, match="no territory named 'West'"):
        exported(replica, "accounts", tmp_path, territory="West")
    with pytest.raises(FieldappError, match="leads belong to no territory"):
        exported(replica, "leads", tmp_path, territory="North")


def test_ids_from_a_list_or_from_an_export(
    replica: Replica, territory: dict[str, str], tmp_path: Path
) -> None:
    plain = tmp_path / "ids.txt"
    plain.write_text(f"{territory['Nordmetall'].upper()}\n\n{{{territory['Südhandel']}}}\n")
    assert csv_export.read_ids(plain) == {territory["Nordmetall"], territory["Südhandel"]}
    out = tmp_path / "north.csv"
    with replica.read_session() as session:
        csv_export.export_records(session, "accounts", out, csv_export.Selection(territory="North"))
    assert csv_export.read_ids(out) == {territory["Bäckerei Nord"], territory["Nordmetall"]}
    bad = tmp_path / "bad.txt"
    bad.write_text("not-an-id\n")
    with pytest.raises(FieldappError, match=r"bad.txt, line 1: is not a record id"):
        csv_export.read_ids(bad)
