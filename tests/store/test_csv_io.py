"""CSV import and export of accounts, on files shaped like real CRM exports."""

from __future__ import annotations

import csv
import gc
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fieldapp.errors import FieldappError
from fieldapp.store import csv_io, services
from fieldapp.store.db import Replica, open_replica
from fieldapp.store.models import Outbox

DATA = Path(__file__).parent.parent / "data" / "csv"


def _accounts(replica: Replica) -> list[dict]:  # type: ignore[type-arg]
    with replica.read_session() as session:
        return services.list_records(session, "accounts", limit=None)


def _outbox_count(replica: Replica) -> int:
    with replica.read_session() as session:
        return session.scalar(select(func.count()).select_from(Outbox)) or 0


def test_salesforce_export_with_bom_and_multiline_street(replica: Replica) -> None:
    with replica.session() as session:
        report = csv_io.import_accounts(session, DATA / "salesforce_accounts.csv")
    assert report.encoding == "utf-8-sig"
    assert (report.total_rows, report.imported, report.invalid) == (3, 3, [])
    assert report.column_map["Billing Zip/Postal Code"] == "postcode"
    assert report.column_map["Account Name"] == "name"
    assert "Account ID" in report.unmapped and "Account Owner" in report.unmapped
    by_name = {a["name"]: a for a in _accounts(replica)}
    mueller = by_name["Müller Bau GmbH"]
    assert mueller["street"] == "Hauptstraße 5\nHinterhaus, 2. OG"
    assert (mueller["city"], mueller["postcode"], mueller["region"]) == ("Köln", "50667", "NRW")
    assert (mueller["latitude"], mueller["longitude"]) == (50.9375, 6.9603)
    assert mueller["type"] == "customer"
    assert by_name["Café Zoë KG"]["latitude"] is None
    # One outbox entry per imported record.
    assert _outbox_count(replica) == 3


def test_hubspot_export_in_windows_1252_with_semicolons(replica: Replica) -> None:
    with replica.session() as session:
        report = csv_io.import_accounts(session, DATA / "hubspot_companies_cp1252.csv")
    assert report.delimiter == ";"
    assert report.imported == 2
    assert report.encoding.lower().replace("_", "") in {
        "cp1252",
        "windows1252",
        "latin1",
        "iso88591",
        "cp1250",
    }
    names = sorted(a["name"] for a in _accounts(replica))
    assert names == ["Bäckerei Weiß", "Größer & Söhne OHG"]
    assert {a["city"] for a in _accounts(replica)} == {"Münster", "Aachen"}
    assert "Lifecycle Stage" in report.unmapped


def test_named_encoding_and_wrong_encoding(replica: Replica) -> None:
    path = DATA / "hubspot_companies_cp1252.csv"
    with replica.session() as session:
        report = csv_io.import_accounts(session, path, encoding="cp1252", dry_run=True)
        assert report.encoding == "cp1252" and report.imported == 0
        with pytest.raises(FieldappError, match="not valid utf-8"):
            csv_io.import_accounts(session, path, encoding="utf-8")
        with pytest.raises(FieldappError, match="unknown encoding"):
            csv_io.import_accounts(session, path, encoding="klingon")


def test_invalid_rows_block_the_whole_import_by_default(replica: Replica) -> None:
    with replica.session() as session:
        report = csv_io.import_accounts(session, DATA / "invalid_rows.tsv")
    assert report.delimiter == "\t"
    assert report.imported == 0
    problems = {(e.row, e.line, e.field) for e in report.invalid}
    assert problems == {(2, 3, "email"), (3, 4, "latitude"), (4, 5, "name")}
    assert any("between -90 and 90" in e.message for e in report.invalid)
    assert _accounts(replica) == [] and _outbox_count(replica) == 0


def test_skip_invalid_imports_the_valid_rows(replica: Replica) -> None:
    with replica.session() as session:
        report = csv_io.import_accounts(session, DATA / "invalid_rows.tsv", skip_invalid=True)
    assert report.imported == 1
    assert [a["name"] for a in _accounts(replica)] == ["Good One GmbH"]


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


def test_duplicates_are_reported_within_the_file_and_against_the_replica(
    replica: Replica,
) -> None:
    with replica.session() as session:
        services.create(
            session,
            "accounts",
            {"name": "Other AG", "street": "Weg 2", "postcode": "53111", "city": "Bonn"},
        )
    with replica.session() as session:
        report = csv_io.import_accounts(session, DATA / "duplicates.csv", dry_run=True)
    assert len(report.duplicates) == 2
    assert "row 3" in report.duplicates[1] and "as row 1" in report.duplicates[1]
    assert "row 2" in report.duplicates[0] and "as account" in report.duplicates[0]


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
    assert [(a["name"], a["city"]) for a in _accounts(replica)] == [("Acme", "Köln")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"PK\x03\x04\x00\x00binary", "not a text file"),
        (b'name,city\n"unclosed,Koeln\n', "not valid CSV"),
    ],
)
def test_broken_files_give_a_clear_error(
    replica: Replica, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(content)
    with replica.session() as session, pytest.raises(FieldappError, match=message):
        csv_io.import_accounts(session, path)


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
    }
    with replica.session() as session:
        services.create(session, "accounts", full)
        services.create(session, "accounts", {"name": "Minimal"})
    out = tmp_path / "export.csv"
    with replica.read_session() as session:
        assert csv_io.export_accounts(session, out) == 2
    with out.open(encoding="utf-8", newline="") as fh:
        assert next(csv.reader(fh))[0] == "id"

    other = open_replica(tmp_path / "other")
    try:
        with other.session() as session:
            report = csv_io.import_accounts(session, out)
        assert report.invalid == [] and report.imported == 2
        assert _accounts(other) == [
            {k: v for k, v in a.items() if k not in ("created_at", "updated_at")}
            | {k: b[k] for k in ("created_at", "updated_at")}
            for a, b in zip(_accounts(replica), _accounts(other), strict=True)
        ]
        # Importing the same export again is refused row by row: the ids exist.
        with other.session() as session:
            again = csv_io.import_accounts(session, out)
        assert again.imported == 0
        assert {e.message for e in again.invalid} == {"an account with this id already exists"}
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
    got = {a["name"]: (a["city"], a["postcode"]) for a in _accounts(replica)}
    assert got == {
        "Short GmbH": ("Ulm", None),
        "Crlf\nAG": ("Bonn", "53111"),
        "Full KG": ("Köln", "50667"),
        "Only Name": (None, None),
    }


@pytest.mark.parametrize(
    ("given", "ok"),
    [
        ("0190b4c2-7a3e-7d3c-9f00-0123456789ab", True),
        ("0190B4C2-7A3E-7D3C-9F00-0123456789AB", True),
        ("{0190b4c2-7a3e-7d3c-9f00-0123456789ab}", True),  # uuid.UUID's other spellings
        ("0190b4c27a3e7d3c9f000123456789ab", True),
        ("0190b4c2-7a3e-7d3c-9f00-0123456789a", False),
        ("not-an-id", False),
    ],
)
def test_id_column_accepts_what_uuid_accepts(given: str, ok: bool) -> None:
    assert csv_io._is_uuid(given.lower()) is ok


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
    assert report.imported == 3 and seen == [False]
    assert gc.isenabled()
    broken = tmp_path / "broken.csv"
    broken.write_text('name,city\n"Acme,Bonn\n', encoding="utf-8")
    with pytest.raises(FieldappError), replica.session() as session:
        csv_io.import_accounts(session, broken)
    assert gc.isenabled()  # back on after a refused file too
