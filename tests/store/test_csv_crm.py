"""Exports of real CRMs import with no flags; re-importing updates instead of duplicating."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from fieldapp.domain.report import report_lines
from fieldapp.errors import FieldappError
from fieldapp.store import csv_import, csv_io, services
from fieldapp.store.db import Replica
from tests.store.test_csv_io import DATA, accounts, outbox_count


def by_name(replica: Replica, entity: str = "accounts") -> dict[str, dict]:  # type: ignore[type-arg]
    key = "name" if entity in ("accounts", "opportunities") else "last_name"
    with replica.read_session() as session:
        return {r[key]: r for r in services.list_records(session, entity, limit=None)}


def imported(replica: Replica, entity: str, path: Path, **options):  # type: ignore[no-untyped-def]
    with replica.session() as session:
        return csv_import.import_file(session, entity, path, **options)


def test_a_salesforce_account_export_imports_with_no_flags(replica: Replica) -> None:
    report = imported(replica, "accounts", DATA / "salesforce_accounts.csv")
    assert report.encoding == "utf-8-sig"
    assert (report.total_rows, report.imported, report.invalid_rows) == (6, 6, 0)
    assert report.unknown_values == []
    assert report.column_map["Account ID"] == "source_id"
    assert report.column_map["Billing Zip/Postal Code"] == "postcode"
    assert report.unmapped == ["Account Owner", "Last Modified Date"]
    got = by_name(replica)
    assert {name: a["type"] for name, a in got.items()} == {
        "Müller Bau GmbH": "customer",  # Customer - Direct
        "Rheinhandel GmbH & Co. KG": "customer",  # Customer - Channel
        "Café Zoë KG": "prospect",
        "Schröder Elektro": "partner",  # Channel Partner / Reseller
        "Kraus Haustechnik": "partner",  # Installation Partner
        "Datawerk AG": "partner",  # Technology Partner
    }
    mueller = got["Müller Bau GmbH"]
    assert mueller["street"] == "Hauptstraße 5\nHinterhaus, 2. OG"  # CRLF inside the quotes
    assert (mueller["city"], mueller["postcode"], mueller["region"]) == ("Köln", "50667", "NRW")
    assert (mueller["latitude"], mueller["longitude"]) == (50.9375, 6.9603)
    assert mueller["source_id"] == "0015g00000AbCdEAAV"
    assert got["Datawerk AG"]["industry"] == "Technology"  # industry labels kept as text
    assert outbox_count(replica) == 6


def test_hubspot_companies_use_type_before_lifecycle_stage(replica: Replica) -> None:
    report = imported(replica, "accounts", DATA / "hubspot_companies.csv")
    assert report.imported == 3 and report.column_map["Record ID"] == "source_id"
    assert "Lifecycle Stage" in report.unmapped  # "Type" says it better
    assert {n: a["type"] for n, a in by_name(replica).items()} == {
        "Nordlicht Solar GmbH": "prospect",
        "Hansa Partner Vertrieb": "partner",
        "Weser Reseller KG": "partner",
    }


def test_hubspot_lifecycle_stages_in_windows_1252_with_semicolons(replica: Replica) -> None:
    report = imported(replica, "accounts", DATA / "hubspot_companies_cp1252.csv")
    assert report.delimiter == ";" and report.imported == 2
    assert report.encoding.lower().replace("_", "") in {
        "cp1252", "windows1252", "latin1", "iso88591", "cp1250",
    }  # fmt: skip
    assert report.column_map["Lifecycle Stage"] == "type"
    assert {n: (a["type"], a["city"]) for n, a in by_name(replica).items()} == {
        "Bäckerei Weiß": ("customer", "Münster"),
        "Größer & Söhne OHG": ("prospect", "Aachen"),  # a lead
    }


def test_a_dynamics_export_with_its_do_not_modify_columns(replica: Replica) -> None:
    report = imported(replica, "accounts", DATA / "dynamics_accounts.csv")
    assert report.imported == 3
    assert report.column_map["(Do Not Modify) Account"] == "source_id"
    assert report.column_map["Address 1: ZIP/Postal Code"] == "postcode"
    assert "(Do Not Modify) Row Checksum" in report.unmapped
    got = by_name(replica)
    assert {n: a["type"] for n, a in got.items()} == {
        "Bayern Brau AG": "customer",
        "Alpen Consulting GmbH": "prospect",
        "Franken Vertrieb OHG": "partner",  # Reseller
    }
    assert got["Bayern Brau AG"]["source_id"] == "7a6d3e8f-1c2b-ed11-9db0-000d3a4f1234"
    assert (got["Bayern Brau AG"]["city"], got["Bayern Brau AG"]["phone"]) == (
        "München",
        "+49 89 123456",
    )


def other_types(tmp_path: Path) -> Path:
    path = tmp_path / "other.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Account Name", "Type", "Billing City"])
        writer.writerows(
            [
                ["Acme", "Other", "Köln"],
                ["Beta", "Customer - Direct", "Bonn"],
                ["Gamma", "Other", "Ulm"],
                ["Delta", "Competitor", "Essen"],
                ["Epsilon", "other", "Jena"],
            ]
        )
    return path


def test_an_unknown_picklist_value_is_reported_once_with_the_flag_to_add(
    replica: Replica, tmp_path: Path
) -> None:
    report = imported(replica, "accounts", other_types(tmp_path))
    assert report.imported == 0 and report.invalid_rows == 4 and report.invalid == []
    assert [(u.value, u.rows, u.first_row, u.suggestion) for u in report.unknown_values] == [
        ("Other", 3, 1, "--map-value Type:Other=prospect"),  # "other" too
        ("Competitor", 1, 4, "--map-value Type:Competitor=prospect"),
    ]
    lines = report_lines(report, dry_run=False, skip_invalid=False)
    assert (
        "Type: 'Other' is not a known type (3 rows, first row 1); "
        "add --map-value Type:Other=prospect (or customer, partner)"
    ) in lines
    assert sum("'Other'" in line for line in lines) == 1
    assert lines[-1].startswith("nothing imported: 4 invalid rows; fix them, map the values")


def test_the_suggested_flag_makes_the_file_import(replica: Replica, tmp_path: Path) -> None:
    report = imported(
        replica,
        "accounts",
        other_types(tmp_path),
        value_maps=["Type:Other=prospect", "Type:Competitor=partner"],
    )
    assert report.imported == 5 and report.unknown_values == []
    assert {n: a["type"] for n, a in by_name(replica).items()} == {
        "Acme": "prospect",
        "Beta": "customer",
        "Gamma": "prospect",
        "Delta": "partner",
        "Epsilon": "prospect",  # values are matched whatever their case
    }


def test_map_value_mistakes_are_one_sentence(replica: Replica, tmp_path: Path) -> None:
    path = other_types(tmp_path)
    with pytest.raises(FieldappError, match=r"'friend' is not a type \(one of customer, prospect"):
        imported(replica, "accounts", path, value_maps=["Type:Other=friend"])
    with pytest.raises(FieldappError, match="with a column of the file, got 'Kind:Other=partner'"):
        imported(replica, "accounts", path, value_maps=["Kind:Other=partner"])


def test_map_value_takes_column_names_with_colons(replica: Replica, tmp_path: Path) -> None:
    path = tmp_path / "dyn.csv"
    path.write_text("Account Name,Address 1: City\nAcme,Koeln\n", encoding="utf-8")
    report = imported(replica, "accounts", path, value_maps=["Address 1: City:Koeln=Köln"])
    assert report.imported == 1 and accounts(replica)[0]["city"] == "Köln"


def test_importing_the_same_export_twice_updates_instead_of_duplicating(
    replica: Replica, tmp_path: Path
) -> None:
    first = imported(replica, "accounts", DATA / "salesforce_accounts.csv")
    assert first.imported == 6
    # A rep corrects a phone number meanwhile; the CRM's next export changes a town.
    with replica.session() as session:
        cafe = by_name(replica)["Café Zoë KG"]["id"]
        services.update(session, "accounts", cafe, {"phone": "0211 111111"})
    changed = tmp_path / "changed.csv"
    text = (DATA / "salesforce_accounts.csv").read_text(encoding="utf-8-sig")
    changed.write_text(text.replace('"Aachen"', '"Aachen-Brand"'), encoding="utf-8-sig")
    before = outbox_count(replica)

    dry = imported(replica, "accounts", changed, dry_run=True)
    assert dry.matched["source id"] == 6 and dry.imported == 0
    assert report_lines(dry, dry_run=True, skip_invalid=False)[-1] == (
        "dry run: 0 new accounts would be imported; 6 rows match existing accounts "
        "(6 by source id) and would update them"
    )
    second = imported(replica, "accounts", changed)
    assert (second.imported, second.updated, second.unchanged) == (0, 2, 4)
    assert report_lines(second, dry_run=False, skip_invalid=False)[-1] == (
        "imported 0 new accounts; 6 matched existing accounts (6 by source id): "
        "2 updated, 4 already up to date"
    )
    got = by_name(replica)
    assert len(got) == 6
    assert got["Kraus Haustechnik"]["city"] == "Aachen-Brand"
    assert got["Café Zoë KG"]["phone"] == "0211 987654"  # the file's value wins
    assert outbox_count(replica) == before + 2  # one update entry per changed record


def test_without_source_ids_rows_match_on_name_and_address(
    replica: Replica, tmp_path: Path
) -> None:
    with replica.session() as session:
        mine = services.create(
            session,
            "accounts",
            {"name": "Acme GmbH", "street": "Hauptstr. 1", "postcode": "50667", "city": "Köln",
             "phone": "0221 1234567"},
        )  # fmt: skip
        services.create(
            session,
            "accounts",
            {"name": "Other AG", "street": "Weg 2", "postcode": "53111", "city": "Bonn",
             "source_id": "SF-OTHER"},
        )  # fmt: skip
    path = tmp_path / "plain.csv"
    path.write_text(
        "Account ID,Account Name,Billing Street,Billing Zip/Postal Code,Billing City,Phone\n"
        "SF-1,ACME GmbH,Hauptstr.  1,50667,köln,\n"  # same account, spelt loosely
        "SF-2,Other AG,Weg 2,53111,Bonn,\n"  # same name and address, another CRM record
        "SF-3,New KG,Allee 3,50667,Köln,\n",
        encoding="utf-8",
    )
    report = imported(replica, "accounts", path)
    assert report.matched == {"id": 0, "source id": 0, "name and address": 1}
    assert (report.imported, report.updated) == (2, 1)
    got = {a["id"]: a for a in accounts(replica)}
    assert got[mine]["source_id"] == "SF-1"  # found by name and address: now by source id
    assert got[mine]["phone"] == "0221 1234567"  # an empty cell keeps what is there
    assert got[mine]["name"] == "ACME GmbH"
    assert len(got) == 4
    again = imported(replica, "accounts", path)
    assert again.matched == {"id": 0, "source id": 3, "name and address": 0}
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 3)


def test_export_then_import_again_matches_by_id(replica: Replica, tmp_path: Path) -> None:
    imported(replica, "accounts", DATA / "salesforce_accounts.csv")
    out = tmp_path / "export.csv"
    with replica.read_session() as session:
        assert csv_io.export_accounts(session, out) == 6
    report = imported(replica, "accounts", out)
    assert report.matched["id"] == 6 and (report.imported, report.unchanged) == (0, 6)
    assert len(accounts(replica)) == 6
