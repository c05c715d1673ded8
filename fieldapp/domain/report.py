"""What an import found and did, and the sentences both command lines print for it.

The laptop (``fieldapp import``) and the server (``fieldapp-server accounts import``)
take the same options (:func:`add_import_options`), fill the same
:class:`ImportReport` and print it with :func:`report_lines`, so a file gets the
same verdict and the same words on either side.
"""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from fieldapp.errors import sentence

# Row errors and duplicates listed one by one; beyond this they are counted. A
# broken million-row file must not print (or hold) a million messages.
MAX_DETAILS = 1000
MATCHED_BY = ("id", "source id", "name and address")


@dataclass
class RowError:
    row: int  # 1 = the first data row
    line: int  # physical line in the file where the row starts
    field: str
    message: str


@dataclass
class UnknownValue:
    """A picklist value that neither fieldapp nor the CRM table knows."""

    column: str
    field: str
    value: str
    rows: int
    first_row: int
    first_line: int
    suggestion: str  # the flag that maps it, e.g. --map-value Type:Other=prospect
    choices: list[str]


@dataclass
class ImportReport:
    entity: str = "accounts"
    total_rows: int = 0
    imported: int = 0  # new records written
    updated: int = 0  # matched records that changed
    unchanged: int = 0  # matched records the file holds nothing new for
    matched: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MATCHED_BY, 0))
    invalid: list[RowError] = field(default_factory=list)
    invalid_rows: int = 0
    errors: int = 0  # row errors in all, listed or not
    unknown_values: list[UnknownValue] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    duplicate_rows: int = 0
    encoding: str = "utf-8"
    delimiter: str = ","
    column_map: dict[str, str] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)
    written: bool = False
    notes: list[str] = field(default_factory=list)  # what one side adds (territories)

    def refuse(self, row: int, line: int, errors: list[tuple[str, str]]) -> None:
        """Count a row as invalid, listing its ``(field, message)`` errors."""
        self.invalid_rows += 1
        for name, message in errors:
            self.errors += 1
            if len(self.invalid) < MAX_DETAILS:
                self.invalid.append(RowError(row, line, name, message))

    def duplicate(self, message: str) -> None:
        self.duplicate_rows += 1
        if len(self.duplicates) < MAX_DETAILS:
            self.duplicates.append(message)

    def finish(self) -> None:
        """Put the listed errors in file order (repeats are found a batch later)."""
        self.invalid.sort(key=lambda e: e.row)

    @property
    def matched_rows(self) -> int:
        return sum(self.matched.values())

    @property
    def valid_rows(self) -> int:
        return self.total_rows - self.invalid_rows


def flag(column: str, value: str, target: str) -> str:
    """The ``--map-value`` option mapping ``value`` of ``column``, quoted for a shell."""
    return f"--map-value {shlex.quote(f'{column}:{value}={target}')}"


def singular(entity: str) -> str:
    """ "accounts" -> "account", "opportunities" -> "opportunity"."""
    return entity[:-3] + "y" if entity.endswith("ies") else entity.removesuffix("s")


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count:,} {singular if count == 1 else plural or singular + 's'}"


def report_lines(report: ImportReport, *, dry_run: bool, skip_invalid: bool) -> list[str]:
    """The report as a person reads it: mapping, problems, then what was (or would be) done."""
    kind = report.entity.replace("_", " ")
    lines = [
        f"read {_plural(report.total_rows, 'row')} "
        f"({report.encoding}, delimiter {report.delimiter!r})",
        "columns: " + ", ".join(f"{col} -> {target}" for col, target in report.column_map.items()),
    ]
    if report.unmapped:
        lines.append(f"ignored columns: {', '.join(report.unmapped)} (use --map COLUMN=FIELD)")
    for error in report.invalid:
        lines.append(f"row {error.row} (line {error.line}): {sentence(error.field, error.message)}")
    if report.errors > len(report.invalid):
        lines.append(
            f"… and {report.errors - len(report.invalid):,} more row errors "
            f"(the first {len(report.invalid):,} are listed)"
        )
    for unknown in report.unknown_values:
        others = [c for c in unknown.choices if c != unknown.suggestion.rsplit("=", 1)[-1]]
        rows = _plural(unknown.rows, "row")
        lines.append(
            f"{unknown.column}: {unknown.value!r} is not a known {unknown.field} "
            f"({rows}, first row {unknown.first_row}); add {unknown.suggestion}"
            + (f" (or {', '.join(others)})" if others else "")
        )
    for dup in report.duplicates:
        lines.append(f"possible duplicate: {dup}")
    if report.duplicate_rows > len(report.duplicates):
        lines.append(f"… and {report.duplicate_rows - len(report.duplicates):,} more duplicates")
    lines.extend(_outcome(report, kind, dry_run=dry_run, skip_invalid=skip_invalid))
    lines.extend(report.notes)
    return lines


def _matched(report: ImportReport) -> str:
    parts = [f"{n:,} by {how}" for how, n in report.matched.items() if n]
    return ", ".join(parts)


def _outcome(report: ImportReport, kind: str, *, dry_run: bool, skip_invalid: bool) -> list[str]:
    bad = report.invalid_rows
    new = report.valid_rows - report.matched_rows
    if dry_run:
        said = f"dry run: {_plural(new, 'new ' + singular(kind), 'new ' + kind)} would be imported"
        if report.matched_rows:
            said += (
                f"; {_plural(report.matched_rows, 'row matches', 'rows match')} existing "
                f"{kind} ({_matched(report)}) and would update them"
            )
        if bad:
            said += f"; {_plural(bad, 'invalid row')} would be " + (
                "skipped" if skip_invalid else "refused (and with them the whole file)"
            )
        return [said]
    if bad and not skip_invalid:
        return [
            f"nothing imported: {_plural(bad, 'invalid row')}; fix them"
            + (", map the values above with --map-value" if report.unknown_values else "")
            + ", or add --skip-invalid to import the valid rows"
        ]
    said = f"imported {_plural(report.imported, 'new ' + singular(kind), 'new ' + kind)}"
    if report.matched_rows:
        said += (
            f"; {report.matched_rows:,} matched existing {kind} ({_matched(report)}): "
            f"{report.updated:,} updated, {report.unchanged:,} already up to date"
        )
    lines = [said]
    if bad:
        lines.append(f"skipped {_plural(bad, 'invalid row')}")
    return lines


def add_import_options(parser: argparse.ArgumentParser) -> None:
    """The options of a CSV import: the same flags on the laptop and on the server."""
    parser.add_argument("file", type=Path)
    parser.add_argument("--dry-run", action="store_true", help="check and report; write nothing")
    parser.add_argument(
        "--skip-invalid", action="store_true", help="import the valid rows, skip the rest"
    )
    parser.add_argument("--encoding", help="file encoding (default: detected)")
    parser.add_argument(
        "--map",
        dest="mappings",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="fill FIELD from COLUMN (FIELD '-' drops the column); repeatable",
    )
    parser.add_argument(
        "--map-value",
        dest="value_maps",
        action="append",
        default=[],
        metavar="COLUMN:VALUE=MEANING",
        help="read VALUE in COLUMN as MEANING, e.g. 'Type:Other=prospect'; repeatable",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
