"""Accounts in and out of CSV, surviving what real CRM exports look like.

Salesforce and HubSpot exports differ in encoding (UTF-8 with a BOM, Windows-1252),
delimiter (a German Excel writes semicolons) and header names ("Billing Zip/Postal
Code"), and put multi-line streets inside one quoted field. Import reads the whole
file, validates every row with the same rules as every other entry point
(:mod:`fieldapp.store.fields`), and inserts in one transaction through
:func:`services.bulk_create` — never one commit per row.
"""

from __future__ import annotations

import csv
import io
import operator
import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import charset_normalizer
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.errors import FieldappError, ValidationError
from fieldapp.store import fields, services
from fieldapp.store.files import atomic_text
from fieldapp.store.models import Account
from fieldapp.store.types import to_wire

ENTITY = "accounts"
ACCOUNT_FIELDS: tuple[str, ...] = ("id", *fields.SPECS[ENTITY])
IGNORE = "-"  # `--map "Column=-"` drops a column
DELIMITERS = (",", ";", "\t", "|")

# Header names as CRM exports write them, normalised by `_normalise_header`.
# Billing address wins over shipping address: it is the one reps visit.
_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("account name", "company name", "company", "organization", "organisation"),
    "type": ("account type",),
    "industry": ("industry",),
    "phone": ("phone number", "account phone", "company phone", "telephone", "phone"),
    "email": ("e mail", "email address", "account email", "email"),
    "website": ("website url", "web site", "website", "company domain name", "url"),
    "street": (
        "billing street",
        "billing address",
        "street address",
        "address",
        "address line 1",
        "shipping street",
    ),
    "city": ("billing city", "town", "shipping city"),
    "region": (
        "billing state province",
        "state region",
        "state province",
        "state",
        "province",
        "shipping state province",
    ),
    "postcode": (
        "billing zip postal code",
        "zip postal code",
        "postal code",
        "zip code",
        "zip",
        "post code",
        "shipping zip postal code",
    ),
    "country": ("billing country", "country region", "shipping country"),
    "latitude": ("billing latitude", "lat", "shipping latitude"),
    "longitude": ("billing longitude", "lon", "lng", "long", "shipping longitude"),
    "status": ("account status",),
    "tags": ("labels", "keywords"),
    "description": ("about us", "notes", "account description"),
}


@dataclass
class RowError:
    row: int  # 1 = the first data row
    line: int  # physical line in the file where the row starts
    field: str
    message: str


@dataclass
class ImportReport:
    total_rows: int = 0
    imported: int = 0
    invalid: list[RowError] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    encoding: str = "utf-8"
    delimiter: str = ","
    column_map: dict[str, str] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)


def _normalise_header(name: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", name.lower()).split())


def _alias_index() -> dict[str, str]:
    index = {name: name for name in ACCOUNT_FIELDS}
    index.update({_normalise_header(name): name for name in ACCOUNT_FIELDS})
    for target, aliases in _ALIASES.items():
        for alias in aliases:
            index.setdefault(alias, target)
    return index


ALIAS_INDEX = _alias_index()


def map_columns(
    header: list[str], overrides: dict[str, str] | None = None
) -> tuple[dict[int, str], dict[str, str], list[str]]:
    """Decide which field each column fills.

    Returns (column index → field, column name → field, ignored column names). The
    first column that claims a field wins; a later one is ignored and reported.
    """
    overrides = overrides or {}
    unknown = [column for column in overrides if column not in header]
    if unknown:
        raise FieldappError(
            f"--map names a column that is not in the file: {', '.join(unknown)} "
            f"(columns: {', '.join(header)})"
        )
    bad = [f for f in overrides.values() if f != IGNORE and f not in ACCOUNT_FIELDS]
    if bad:
        raise FieldappError(
            f"--map names an unknown field: {', '.join(bad)} (fields: {', '.join(ACCOUNT_FIELDS)})"
        )
    by_index: dict[int, str] = {}
    taken: set[str] = set()
    # Explicit mappings first, so they win over automatic matches.
    order = sorted(range(len(header)), key=lambda i: header[i] not in overrides)
    for i in order:
        column = header[i]
        target = overrides.get(column) or ALIAS_INDEX.get(_normalise_header(column))
        if target and target != IGNORE and target not in taken:
            by_index[i] = target
            taken.add(target)
    by_index = dict(sorted(by_index.items()))
    column_map = {header[i]: target for i, target in by_index.items()}
    unmapped = [column for i, column in enumerate(header) if i not in by_index and column]
    return by_index, column_map, unmapped


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Return (text, encoding name), detecting the encoding unless one is given."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except LookupError as exc:
            raise FieldappError(f"unknown encoding {encoding!r}") from exc
        except UnicodeDecodeError as exc:
            raise FieldappError(
                f"the file is not valid {encoding} (byte {exc.start}); "
                "leave out --encoding to detect it"
            ) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data[:200_000]).best()
    if best is None:
        raise FieldappError(
            "cannot tell the file's encoding (is it a CSV file?); name it with --encoding"
        )
    try:
        return data.decode(best.encoding), best.encoding
    except UnicodeDecodeError as exc:
        raise FieldappError(
            f"the file looks like {best.encoding} but does not decode; name it with --encoding"
        ) from exc


def sniff_delimiter(text: str) -> str:
    """The delimiter of the header line: the candidate it contains most often, outside quotes."""
    first = re.sub(r'"[^"]*"', "", text.split("\n", 1)[0])
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (first physical line, fields) for every record, quoted line breaks included."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    line = 1
    try:
        for record in reader:
            yield line, record
            line = reader.line_num + 1
    except csv.Error as exc:
        raise FieldappError(f"line {reader.line_num}: the file is not valid CSV ({exc})") from exc


def _fold(value: Any) -> str:
    return " ".join(str(value or "").lower().split())


def _address_key(values: dict[str, Any]) -> tuple[str, ...]:
    get = values.get
    return (_fold(get("name")), _fold(get("street")), _fold(get("postcode")), _fold(get("city")))


class _CellPicker:
    """Turns a record into ``{field: cell}`` for the mapped columns.

    The common record (every mapped column present, no carriage return) takes one
    C-level itemgetter and zip instead of a per-cell comprehension.
    """

    def __init__(self, by_index: dict[int, str]) -> None:
        self.by_index = by_index
        self.targets = tuple(by_index.values())
        self.width = max(by_index) + 1
        indices = tuple(by_index)
        self.cells: Callable[[list[str]], tuple[str, ...]] = (
            operator.itemgetter(*indices) if len(indices) > 1 else lambda r: (r[indices[0]],)
        )

    def pick(self, record: list[str], has_cr: bool) -> dict[str, str]:
        if len(record) >= self.width and not has_cr:
            return dict(zip(self.targets, self.cells(record), strict=True))
        # Excel and Salesforce write CRLF inside quoted fields too; keep plain newlines.
        return {
            target: record[i].replace("\r\n", "\n") if "\r" in record[i] else record[i]
            for i, target in self.by_index.items()
            if i < len(record)
        }


@services.gc_paused()
def import_accounts(
    session: Session,
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
) -> ImportReport:
    """Validate every row of ``path`` and insert the accounts in ``session``'s transaction.

    With any invalid row nothing is inserted unless ``skip_invalid``; ``dry_run``
    validates and reports without writing.
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise FieldappError(f"no such file: {path}") from exc
    except IsADirectoryError as exc:
        raise FieldappError(f"{path} is a folder, not a CSV file") from exc
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FieldappError(f"{path} is not a text file (is it a spreadsheet? save it as CSV)")
    text, used_encoding = decode(data, encoding)
    delimiter = sniff_delimiter(text)
    report = ImportReport(encoding=used_encoding, delimiter=delimiter)

    records = _records(text, delimiter)
    header_line = next(records, None)
    if header_line is None:
        raise FieldappError(f"{path} is empty")
    header = [column.strip() for column in header_line[1]]
    by_index, report.column_map, report.unmapped = map_columns(header, mapping)
    if "name" not in report.column_map.values():
        raise FieldappError(
            "no column holds the account name (expected e.g. 'Account Name' or 'name'); "
            "name it with --map COLUMN=name"
        )

    existing_ids: set[str] = set()
    if "id" in report.column_map.values():
        existing_ids = set(session.scalars(select(Account.id)))
    existing = {
        _address_key(row._asdict()): row.id
        for row in session.execute(
            select(Account.id, Account.name, Account.street, Account.postcode, Account.city).where(
                Account.deleted_at.is_(None)
            )
        )
    }
    seen: dict[tuple[str, ...], int] = {}
    good: list[dict[str, Any]] = []
    row_number = 0
    cells = _CellPicker(by_index)
    clean_row = fields.row_cleaner(ENTITY, [name for name in cells.targets if name != "id"])
    for line, record in records:
        joined = "".join(record)
        if not joined.strip():
            continue  # blank lines, e.g. a trailing one
        row_number += 1
        if len(record) > len(header) and any(cell.strip() for cell in record[len(header) :]):
            report.invalid.append(
                RowError(
                    row_number,
                    line,
                    "-",
                    f"{len(record)} values but the header has {len(header)} columns",
                )
            )
            continue
        raw = cells.pick(record, "\r" in joined)
        row_id = raw.pop("id", "").strip().lower() or None
        errors: list[RowError] = []
        if row_id is not None:
            if not _is_uuid(row_id):
                errors.append(RowError(row_number, line, "id", f"not a record id: {row_id!r}"))
            elif row_id in existing_ids:
                errors.append(
                    RowError(row_number, line, "id", "an account with this id already exists")
                )
        try:
            cleaned = clean_row(raw)
        except ValidationError as exc:
            errors += [RowError(row_number, line, e.field, e.message) for e in exc.errors]
        if errors:
            report.invalid.extend(errors)
            continue
        if row_id is not None:
            cleaned["id"] = row_id
            existing_ids.add(row_id)
        key = _address_key(cleaned)
        if key in existing:
            report.duplicates.append(
                f"row {row_number} (line {line}): {cleaned['name']!r} has the same name and "
                f"address as account {existing[key]}"
            )
        elif key in seen:
            report.duplicates.append(
                f"row {row_number} (line {line}): {cleaned['name']!r} has the same name and "
                f"address as row {seen[key]}"
            )
        else:
            seen[key] = row_number
        good.append(cleaned)
    report.total_rows = row_number
    if dry_run or (report.invalid and not skip_invalid):
        return report
    report.imported = len(services.bulk_create(session, ENTITY, good))
    return report


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _is_uuid(text: str) -> bool:
    # The regex answers for the usual lower-case text in a fraction of uuid.UUID's
    # time; anything else gets uuid.UUID's verdict, as before.
    if _CANONICAL_UUID.fullmatch(text):
        return True
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back as the same float
    return str(to_wire(value))


def export_accounts(session: Session, path: str | os.PathLike[str]) -> int:
    """Write every live account to ``path`` as UTF-8 CSV; return how many.

    The file appears complete or not at all: it is written next to the target and
    renamed into place, so a full disk never leaves half an export behind.
    """
    columns = [getattr(Account, name) for name in ACCOUNT_FIELDS]
    query = (
        select(*columns)
        .where(Account.deleted_at.is_(None))
        .order_by(Account.name, Account.id)
        .execution_options(yield_per=5000)
    )
    count = 0
    with atomic_text(path) as out:
        writer = csv.writer(out)
        writer.writerow(ACCOUNT_FIELDS)
        for row in session.execute(query):
            writer.writerow([_cell(value) for value in row])
            count += 1
    return count
