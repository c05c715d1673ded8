"""CSV import of accounts, on files shaped like real CRM exports."""

from __future__ import annotations

import csv
import gc
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fieldapp.errors import FieldappError
from fieldapp.store import csv_import, csv_io, services
from fieldapp.store.db import Replica
from fieldapp.store.models import Account, Outbox

DATA = Path(__file__).parent.parent / "data" / "csv"


def accounts(replica: Replica) -> list[dict]:  # type: ignore[type-arg]
    with replica.read_session() as session:
        return services.list_records(session, "accounts", limit=None)


def outbox_count(replica: Replica) -> int:
    with replica.read_session() as session:
        return session.scalar(select(func.count()).select_from(Outbox)) or 0


def test_named_encoding_and_wrong_encoding(replica: Replica) -> None:
    path = DATA / "hubspot_companies_cp1252.csv"
    with replica.session() as session:
        report = csv_io.import_accounts(session, path, encoding="cp1252", dry_run=True)
        assert report.encoding == "cp1252" and report.imported == 0
        with pytest.raises(FieldappError, match=r"not valid utf-8 \(byte 99\)"):
            csv_io.import_accounts(session, path, encoding="utf-8")
        with pytest.raises(FieldappError, match="unknown encoding"):
            csv_io.import_accounts(session, path, encoding="klingon")


def test_invalid_rows_block_the_whole_import_by_default(replica: Replica) -> None:
    with replica.session() as session:
        report = csv_io.import_accounts(session, DATA / "invalid_rows.tsv")
    assert report.delimiter == "\t"
    assert report.imported == 0 and report.invalid_rows == 3
    problems = {(e.row, e.line, e.field) for e in report.invalid}
    assert problems == {(2, 3, "email"), (3, 4, "latitude"), (4, 5, "name")}
    assert any("between -90 and 90" in e.message for e in report.invalid)
    assert accounts(replica) == [] and outbox_count(replica) == 0


def test_skip_invalid_imports_the_valid_rows(replica: Replica) -> None:
    with replica.session() as session:
        report = csv_io.import_accounts(session, DATA / "invalid_rows.tsv", skip_invalid=True)
    assert report.imported == 1
    assert [a["name"] for a in accounts(replica)] == ["Good One GmbH"]


def test_an_invalid_row_after_written_batches_undoes_them(
    replica: Replica, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows are written a batch at a time; a refused file keeps none of them."""
    monkeypatch.setattr(csv_import, "BATCH", 4)
    with replica.session() as session:
        services.create(session, "accounts", {"name": "Before GmbH", "city": "Bonn"})
    path = tmp_path / "late.csv"
    lines = ["name,city"] + [f"Firm {i},Köln" for i in range(10)] + ["Before GmbH,Bonn", ",Bonn"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = outbox_count(replica)
    with replica.session() as session:
        report = csv_io.import_accounts(session, path)
    assert (report.total_rows, report.invalid_rows, report.imported) == (12, 1, 0)
    assert [a["name"] for a in accounts(replica)] == ["Before GmbH"]
    assert outbox_count(replica) == before
    with replica.session() as session:
        report = csv_io.import_accounts(session, path, skip_invalid=True)
    assert (report.imported, report.matched["name and address"]) == (10, 1)
    assert len(accounts(replica)) == 11


def test_line_numbers_count_physical_lines_inside_quoted_fields(
    replica: Replica, tmp_path: Path
) -> None:
    path = tmp_path / "multi.csv"
    path.write_text(
        'name,street,email\n"A","line 1\nline 2\nline 3",a@a.de\n"B","x",broken\n',
        encoding="utf-8",
    )
    with replica.session() as session:
        report = csv_io.import_accounts(session, path)
    assert [(e.row, e.line, e.field) for e in report.invalid] == [(2, 5, "email")]


def test_duplicates_within_the_file_are_reported_and_imported(replica: Replica) -> None:
    with replica.session() as session:
        report = csv_io.import_accounts(session, DATA / "duplicates.csv")
    assert report.imported == 3
    assert report.duplicates == [
        "row 3 (line 4): 'ACME GmbH' has the same name and address as row 1"
    ]


def test_map_override_and_its_errors(replica: Replica, tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("Firma,Ort,Kennung\nAcme,Köln,K-1\n", encoding="utf-8")
    with replica.session() as session:
        with pytest.raises(FieldappError, match="no column holds the account name"):
            csv_io.import_accounts(session, path)
        with pytest.raises(FieldappError, match="not in the file: Nope"):
            csv_io.import_accounts(session, path, mapping={"Nope": "name"})
        with pytest.raises(FieldappError, match="unknown field: colour"):
            csv_io.import_accounts(session, path, mapping={"Firma": "colour"})
        report = csv_io.import_accounts(
            session, path, mapping={"Firma": "name", "Ort": "city", "Kennung": "-"}
        )
    assert report.column_map == {"Firma": "name", "Ort": "city"}
    assert report.unmapped == ["Kennung"]
    assert [(a["name"], a["city"]) for a in accounts(replica)] == [("Acme", "Köln")]


def test_billing_address_wins_over_shipping_address_in_any_column_order(
    replica: Replica, tmp_path: Path
) -> None:
    path = tmp_path / "both.csv"
    path.write_text(
        "Account Name,Shipping City,Billing City\nAcme,Lager-Stadt,Köln\n", encoding="utf-8"
    )
    with replica.session() as session:
        report = csv_io.import_accounts(session, path)
    assert report.column_map == {"Account Name": "name", "Billing City": "city"}
    assert report.unmapped == ["Shipping City"]
    assert accounts(replica)[0]["city"] == "Köln"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"PK\x03\x04\x00\x00binary", "not a text file"),
        (b'name,city\n"unclosed,Koeln\n', r"line 2: the file is not valid CSV \(a quoted cell"),
        (b'name,city\n"a"b,Koeln\n', "a quote inside a quoted cell must be doubled"),
    ],
)
def test_broken_files_give_a_clear_error(
    replica: Replica, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(content)
    with replica.session() as session, pytest.raises(FieldappError, match=message):
        csv_io.import_accounts(session, path)


def test_missing_file_and_folder(replica: Replica, tmp_path: Path) -> None:
    with replica.session() as session:
        with pytest.raises(FieldappError, match="no such file"):
            csv_io.import_accounts(session, tmp_path / "nope.csv")
        with pytest.raises(FieldappError, match="is a folder"):
            csv_io.import_accounts(session, tmp_path)


def test_utf16_with_bom_as_excel_writes_unicode_text(replica: Replica, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("Account Name\tBilling City\nWeiß AG\tKöln\n".encode("utf-16"))
    with replica.session() as session:
        report = csv_io.import_accounts(session, path)
    assert (report.encoding, report.delimiter, report.imported) == ("utf-16", "\t", 1)
    assert (accounts(replica)[0]["name"], accounts(replica)[0]["city"]) == ("Weiß AG", "Köln")


def test_ragged_rows_blank_lines_and_a_single_column(replica: Replica, tmp_path: Path) -> None:
    """Short rows keep what they have, whitespace-only rows are skipped, one column works."""
    ragged = tmp_path / "ragged.csv"
    ragged.write_text(
        "name,city,postcode\r\n"
        "Short GmbH,Ulm\r\n"
        " , \t,\r\n"
        '"Crlf\r\nAG",Bonn,53111\r\n'
        "Full KG,Köln,50667\r\n",
        encoding="utf-8",
    )
    single = tmp_path / "single.csv"
    single.write_text("Account Name\nOnly Name\n\n", encoding="utf-8")
    with replica.session() as session:
        report = csv_io.import_accounts(session, ragged)
        assert (report.total_rows, report.imported, report.invalid) == (3, 3, [])
        assert csv_io.import_accounts(session, single).imported == 1
    got = {a["name"]: (a["city"], a["postcode"]) for a in accounts(replica)}
    assert got == {
        "Short GmbH": ("Ulm", None),
        "Crlf\nAG": ("Bonn", "53111"),
        "Full KG": ("Köln", "50667"),
        "Only Name": (None, None),
    }


def test_too_many_values_in_a_row(replica: Replica, tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("name,city\nAcme,Köln,extra\nOk AG,Bonn,\n", encoding="utf-8")
    with replica.session() as session:
        report = csv_io.import_accounts(session, path, skip_invalid=True)
    assert [(e.row, e.message) for e in report.invalid] == [
        (1, "3 values but the header has 2 columns")
    ]
    assert report.imported == 1


def test_ids_in_other_spellings_are_canonicalised(replica: Replica, tmp_path: Path) -> None:
    """{GUID}, urn:uuid: and upper case name the same record; stored as fieldapp writes ids."""
    path = tmp_path / "ids.csv"
    path.write_text(
        "id,name\n"
        "{0190B4C2-7A3E-7D3C-9F00-0123456789AB},Braces GmbH\n"
        "urn:uuid:0190b4c2-7a3e-7d3c-9f00-0123456789ac,Urn AG\n"
        "0190B4C27A3E7D3C9F000123456789AD,Upper KG\n",
        encoding="utf-8",
    )
    with replica.session() as session:
        report = csv_io.import_accounts(session, path)
    assert report.imported == 3 and report.invalid == []
    assert sorted(a["id"] for a in accounts(replica)) == [
        "0190b4c2-7a3e-7d3c-9f00-0123456789ab",
        "0190b4c2-7a3e-7d3c-9f00-0123456789ac",
        "0190b4c2-7a3e-7d3c-9f00-0123456789ad",
    ]
    with replica.read_session() as session:
        rows = {o.row_id for o in session.scalars(select(Outbox))}
    assert rows == {a["id"] for a in accounts(replica)}


def test_what_is_not_a_uuid_is_refused_with_the_row(replica: Replica, tmp_path: Path) -> None:
    path = tmp_path / "bad-ids.csv"
    path.write_text(
        "id,name\nnot-an-id,Nope GmbH\n0190b4c2-7a3e-7d3c-9f00-0123456789a,Short AG\n,No Id KG\n",
        encoding="utf-8",
    )
    with replica.session() as session:
        report = csv_io.import_accounts(session, path)
    assert [(e.row, e.field) for e in report.invalid] == [(1, "id"), (2, "id")]
    assert all(e.message.startswith("is not a record id (a UUID") for e in report.invalid)
    assert "not-an-id" in report.invalid[0].message
    assert accounts(replica) == []


def test_the_same_id_twice_in_a_file_is_refused(replica: Replica, tmp_path: Path) -> None:
    path = tmp_path / "twice.csv"
    same = "0190b4c2-7a3e-7d3c-9f00-0123456789ab"
    path.write_text(f"id,name\n{same},One\n{same.upper()},Two\n", encoding="utf-8")
    with replica.session() as session:
        report = csv_io.import_accounts(session, path, skip_invalid=True)
    assert [(e.row, e.field, e.message) for e in report.invalid] == [
        (2, "id", "is the same as row 1's")
    ]
    assert [a["name"] for a in accounts(replica)] == ["One"]


def test_text_over_a_fields_limit_is_refused_with_the_limit(
    replica: Replica, tmp_path: Path
) -> None:
    path = tmp_path / "long.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["name", "postcode", "description"])
        writer.writerow(["N" * 256, "50667", "fine"])
        writer.writerow(["Ok GmbH", "5" * 21, "x" * 20_001])
        writer.writerow(["Fits AG", "5" * 20, "x" * 20_000])
    with replica.session() as session:
        report = csv_io.import_accounts(session, path, skip_invalid=True)
    assert [(e.row, e.field, e.message) for e in report.invalid] == [
        (1, "name", "is too long: 256 characters, at most 255"),
        (2, "postcode", "is too long: 21 characters, at most 20"),
        (2, "description", "is too long: 20,001 characters, at most 20,000"),
    ]
    assert [a["name"] for a in accounts(replica)] == ["Fits AG"]


def test_an_id_of_a_deleted_account_is_refused(replica: Replica, tmp_path: Path) -> None:
    with replica.session() as session:
        gone = services.create(session, "accounts", {"name": "Gone GmbH"})
        services.delete(session, "accounts", gone)
    path = tmp_path / "again.csv"
    path.write_text(f"id,name\n{gone},Gone GmbH\n", encoding="utf-8")
    with replica.session() as session:
        report = csv_io.import_accounts(session, path)
    assert [e.message for e in report.invalid] == [
        "this id belongs to a deleted account or to another kind of record"
    ]


def test_an_import_keeps_the_cyclic_gc_out_and_hands_it_back(
    replica: Replica, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    real_bulk_create = services.bulk_create

    def watching(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return real_bulk_create(*args, **kwargs)

    monkeypatch.setattr(services, "bulk_create", watching)
    with replica.session() as session:
        report = csv_io.import_accounts(session, DATA / "salesforce_accounts.csv")
    assert report.imported == 6 and seen == [False]
    assert gc.isenabled()
    broken = tmp_path / "broken.csv"
    broken.write_text('name,city\n"Acme,Bonn\n', encoding="utf-8")
    with pytest.raises(FieldappError), replica.session() as session:
        csv_io.import_accounts(session, broken)
    assert gc.isenabled()  # back on after a refused file too


def test_source_ids_are_indexed(replica: Replica) -> None:
    assert Account.__table__.c.source_id.index  # type: ignore[attr-defined]
    with replica.engine.connect() as conn:
        plan = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT id FROM accounts WHERE source_id = 'x'"
        ).fetchall()
    assert "ix_accounts_source_id" in str(plan)
