"""Reading CSV files as CRMs and spreadsheets write them, a record at a time.

Exports differ in encoding (UTF-8 with or without a BOM, UTF-16, Windows-1252),
delimiter (a German Excel writes semicolons) and put line breaks inside quoted
cells. :func:`open_csv` finds the encoding and the delimiter, and then streams the
records: a file of a million rows is never held in memory. Every problem with the
file itself is one :class:`~fieldapp.errors.FieldappError` sentence.

Also here: the OWASP rule against CSV injection, applied on export and undone on
import so that a round trip gives back what was exported.
"""

from __future__ import annotations

import codecs
import csv
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import charset_normalizer

from fieldapp.errors import FieldappError

DELIMITERS = (",", ";", "\t", "|")
_CHUNK = 1 << 20
_SNIFF_BYTES = 200_000  # what charset_normalizer reads to guess an encoding
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Longest cell the csv module takes (its default is 128 KiB); a territory polygon or a
# long description fits, a runaway quote does not eat the whole file.
MAX_CELL = 1 << 21
csv.field_size_limit(MAX_CELL)


@dataclass
class CsvFile:
    """An open CSV file: its header, and its records as they are read."""

    path: Path
    encoding: str
    delimiter: str
    header: list[str]
    _handle: TextIO
    _reader: Iterator[list[str]]

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """Yield (first physical line, cells) for every record after the header."""
        reader = self._reader
        line = reader.line_num + 1  # type: ignore[attr-defined]
        try:
            for record in reader:
                yield line, record
                line = reader.line_num + 1  # type: ignore[attr-defined]
        except csv.Error as exc:
            raise FieldappError(f"line {line}: {_csv_problem(exc)}") from None
        except UnicodeDecodeError:
            raise FieldappError(
                f"line {line}: the file is not valid {self.encoding} (did it change meanwhile?)"
            ) from None


@contextmanager
def open_csv(path: str | os.PathLike[str], encoding: str | None = None) -> Iterator[CsvFile]:
    """Open ``path`` for reading records; the encoding is detected unless named."""
    target = Path(path)
    head = _head(target)
    if b"\x00" in head and not head.startswith(_UTF16_BOMS):
        raise FieldappError(f"{target} is not a text file (is it a spreadsheet? save it as CSV)")
    used = _encoding(target, head, encoding)
    try:
        handle = target.open(encoding=used, newline="")
    except LookupError:
        raise FieldappError(f"unknown encoding {encoding!r}") from None
    with handle:
        first = handle.readline()
        if not first.strip():
            raise FieldappError(f"{target} is empty (the first line should name the columns)")
        delimiter = sniff_delimiter(first)
        handle.seek(0)
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        try:
            header = [column.strip() for column in next(reader)]
        except csv.Error as exc:
            raise FieldappError(f"line 1: {_csv_problem(exc)}") from None
        yield CsvFile(target, used, delimiter, header, handle, reader)


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as raw:
            return raw.read(4096)
    except FileNotFoundError:
        raise FieldappError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise FieldappError(f"{path} is a folder, not a CSV file") from None
    except PermissionError:
        raise FieldappError(f"{path} cannot be read (permission denied)") from None


def _encoding(path: Path, head: bytes, named: str | None) -> str:
    """The named encoding if the whole file decodes with it, else the one detected."""
    if named:
        try:
            codecs.lookup(named)
        except LookupError:
            raise FieldappError(f"unknown encoding {named!r}") from None
        problem = _undecodable(path, named)
        if problem is not None:
            raise FieldappError(
                f"the file is not valid {named} (byte {problem}); leave out --encoding to detect it"
            )
        return named
    if head.startswith(codecs.BOM_UTF8):
        used = "utf-8-sig"
    elif head.startswith(_UTF16_BOMS):
        used = "utf-16"
    elif _undecodable(path, "utf-8") is None:
        return "utf-8"
    else:
        with path.open("rb") as raw:
            best = charset_normalizer.from_bytes(raw.read(_SNIFF_BYTES)).best()
        if best is None:
            raise FieldappError(
                "cannot tell the file's encoding (is it a CSV file?); name it with --encoding"
            )
        used = best.encoding
    if _undecodable(path, used) is not None:
        raise FieldappError(
            f"the file looks like {used} but does not decode; name it with --encoding"
        )
    return used


def _undecodable(path: Path, encoding: str) -> int | None:
    """The offset of the first byte ``encoding`` cannot decode, or None if all decode."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    with path.open("rb") as raw:
        while chunk := raw.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return offset + max(exc.start, 0)
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return offset
    return None


def sniff_delimiter(line: str) -> str:
    """The delimiter of the header line: the candidate it contains most often, outside quotes."""
    first = re.sub(r'"[^"]*"', "", line)
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


_CSV_PROBLEMS = (
    ("field larger than field limit", f"a cell is longer than {MAX_CELL:,} characters"),
    ("unexpected end of data", "a quoted cell is not closed"),
    ("expected after", "a quote inside a quoted cell must be doubled"),
    ("line contains nul", "the file holds NUL bytes (is it a spreadsheet? save it as CSV)"),
    ("new-line character seen in unquoted field", "a line break outside quotes"),
)


def _csv_problem(exc: csv.Error) -> str:
    text = str(exc).lower()
    for clue, sentence in _CSV_PROBLEMS:
        if clue in text:
            return f"the file is not valid CSV ({sentence})"
    return "the file is not valid CSV"


# OWASP's CSV injection rule: a spreadsheet runs a cell that starts with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(cell: str) -> str:
    """``cell`` with a ``'`` in front if a spreadsheet would run it as a formula.

    Cells that already start with quotes before such a character get one more, so
    that :func:`unescape_formula` gives back exactly what was written.
    """
    if cell.lstrip("'").startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def unescape_formula(cell: str) -> str:
    """Undo :func:`escape_formula` (a cell it did not change stays as it is)."""
    if cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_STARTS):
        return cell[1:]
    return cell
