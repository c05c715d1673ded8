"""``accounts import`` on the server: the laptop's rules, messages and matching."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from fieldapp.domain.report import report_lines
from fieldapp.server import admin
from fieldapp.server.db import Database
from fieldapp.server.models import Record
from fieldapp.store import csv_import
from fieldapp.store.db import open_replica

DATA = Path(__file__).parent.parent / "data" / "csv"


def documents(db: Database) -> dict[str, dict]:  # type: ignore[type-arg]
    with db.session() as session:
        rows = session.scalars(select(Record).where(Record.entity == "accounts"))
        return {(doc := json.loads(r.data))["name"]: doc | {"_version": r.version} for r in rows}


def test_a_salesforce_export_imports_with_no_flags_and_lands_in_territories(
    db: Database,
) -> None:
    koeln = admin.add_territory(db, "Köln", None, ["50"])
    report = admin.import_accounts(db, DATA / "salesforce_accounts.csv")
    assert (report.total_rows, report.imported, report.invalid_rows) == (6, 6, 0)
    docs = documents(db)
    mueller = docs["Müller Bau GmbH"]
    assert mueller["type"] == "customer"  # Customer - Direct
    assert mueller["street"] == "Hauptstraße 5\nHinterhaus, 2. OG"
    assert mueller["source_id"] == "0015g00000AbCdEAAV"
    assert (mueller["latitude"], mueller["territory_id"]) == (50.9375, koeln)
    assert docs["Schröder Elektro"]["type"] == "partner"
    assert docs["Café Zoë KG"]["territory_id"] is None  # 40213: no territory's postcode
    assert report.notes == [
        "5 of the new accounts are in no territory (no polygon or postcode of a territory "
        "holds them)"
    ]


def test_hubspot_and_dynamics_exports_import_too(db: Database) -> None:
    assert admin.import_accounts(db, DATA / "hubspot_companies.csv").imported == 3
    assert admin.import_accounts(db, DATA / "dynamics_accounts.csv").imported == 3
    docs = documents(db)
    assert docs["Weser Reseller KG"]["type"] == "partner"
    assert docs["Bayern Brau AG"]["source_id"] == "7a6d3e8f-1c2b-ed11-9db0-000d3a4f1234"


def test_server_and_laptop_give_a_file_the_same_verdict_in_the_same_words(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text(
        "Account ID,Account Name,Type,Billing City,Phone,Billing Latitude,Billing Longitude\n"
        "SF-1,Acme GmbH,Customer - Direct,Köln,+49 221 1234567,50.9,6.9\n"
        "SF-2,Beta AG,Other,Bonn,,,\n"
        "SF-3,,Prospect,Ulm,,,\n"
        "SF-4,Gamma KG,Prospect,Jena,12,91,7\n"
        "SF-1,Acme again,Prospect,Köln,,,\n",
        encoding="utf-8",
    )
    replica = open_replica(tmp_path / "laptop")
    try:
        with replica.session() as session:
            laptop = csv_import.import_file(session, "accounts", path)
    finally:
        replica.close()
    server = admin.import_accounts(db, path)
    for dry_run in (False, True):
        assert report_lines(server, dry_run=dry_run, skip_invalid=False) == report_lines(
            laptop, dry_run=dry_run, skip_invalid=False
        )
    lines = report_lines(server, dry_run=False, skip_invalid=False)
    assert "row 3 (line 4): Name is required" in lines
    assert "row 4 (line 5): Latitude must be between -90 and 90 (got 91)" in lines
    assert "row 5 (line 6): Source id is the same as row 1's" in lines
    assert any("add --map-value Type:Other=prospect" in line for line in lines)
    assert lines[-1].startswith("nothing imported: 4 invalid rows")
    assert documents(db) == {}


def test_importing_the_same_file_twice_updates_instead_of_duplicating(
    db: Database, tmp_path: Path
) -> None:
    admin.import_accounts(db, DATA / "salesforce_accounts.csv")
    before = documents(db)
    changed = tmp_path / "changed.csv"
    text = (DATA / "salesforce_accounts.csv").read_text(encoding="utf-8-sig")
    changed.write_text(text.replace('"Aachen"', '"Aachen-Brand"'), encoding="utf-8-sig")
    report = admin.import_accounts(db, changed)
    assert report.matched["source id"] == 6
    assert (report.imported, report.updated, report.unchanged) == (0, 1, 5)
    assert report_lines(report, dry_run=False, skip_invalid=False)[-1] == (
        "imported 0 new accounts; 6 matched existing accounts (6 by source id): "
        "1 updated, 5 already up to date"
    )
    after = documents(db)
    assert len(after) == 6
    assert after["Kraus Haustechnik"]["city"] == "Aachen-Brand"
    assert after["Kraus Haustechnik"]["_version"] > before["Kraus Haustechnik"]["_version"]
    assert after["Müller Bau GmbH"]["_version"] == before["Müller Bau GmbH"]["_version"]


def test_name_and_address_match_an_account_the_file_has_no_id_for(
    db: Database, tmp_path: Path
) -> None:
    first = tmp_path / "first.csv"
    first.write_text("name,street,postcode,city\nAcme GmbH,Hauptstr. 1,50667,Köln\n", "utf-8")
    admin.import_accounts(db, first)
    second = tmp_path / "second.csv"
    second.write_text(
        "Account ID,Account Name,Billing Street,Billing Zip/Postal Code,Billing City,Phone\n"
        "SF-1,ACME GmbH,Hauptstr.  1,50667,köln,0221 555555\n",
        encoding="utf-8",
    )
    dry = admin.import_accounts(db, second, dry_run=True)
    assert dry.matched["name and address"] == 1 and documents(db)["Acme GmbH"].get("phone") is None
    report = admin.import_accounts(db, second)
    assert (report.imported, report.updated) == (0, 1)
    [doc] = documents(db).values()
    assert (doc["source_id"], doc["phone"]) == ("SF-1", "0221 555555")


def test_skip_invalid_loads_the_rest_and_guid_ids_are_canonical(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "ids.csv"
    path.write_text(
        "id,name\n{0190B4C2-7A3E-7D3C-9F00-0123456789AB},Braces GmbH\nnot-a-uuid,Broken AG\n",
        encoding="utf-8",
    )
    report = admin.import_accounts(db, path, skip_invalid=True)
    assert (report.imported, report.invalid_rows) == (1, 1)
    assert documents(db)["Braces GmbH"]["id"] == "0190b4c2-7a3e-7d3c-9f00-0123456789ab"
    again = admin.import_accounts(db, path, skip_invalid=True)
    assert (again.matched["id"], again.imported) == (1, 0)
