"""The rules of a CSV import, the same on the laptop and on the server.

:class:`RowReader` turns the records of a file (:mod:`fieldapp.domain.csvfile`) into
checked rows: columns mapped by :mod:`fieldapp.domain.headers`, picklist values read
through ``--map-value`` and :mod:`fieldapp.domain.picklists`, every field checked by
:mod:`fieldapp.domain.fields`. What is wrong goes into the :class:`ImportReport`,
once per row (and once per unknown picklist value).

Which rows then update an existing record is :mod:`fieldapp.domain.matching`; the
writing is each side's own.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator, Mapping

from fieldapp.domain import parse as p
from fieldapp.domain.cleaning import row_cleaner
from fieldapp.domain.csvfile import unescape_formula
from fieldapp.domain.fields import SPECS
from fieldapp.domain.headers import ALIASES, ID, LINKS, map_columns
from fieldapp.domain.matching import (
    KEY_FIELDS,
    KEY_WORDS,
    Existing,
    KeyIndex,
    Repeats,
    Row,
    changes,
    key_digest,
    match_rows,
    natural_key,
)
from fieldapp.domain.picklists import SUGGESTIONS, crm_value, normalise
from fieldapp.domain.report import ImportReport, UnknownValue, flag, singular
from fieldapp.errors import FieldappError, ValidationError

# Columns a file must have: a record cannot be made without them.
REQUIRED_COLUMNS = {
    "accounts": ("name",),
    "contacts": ("last_name",),
    "leads": ("last_name",),
    "opportunities": ("name", "stage"),
}


def new_report(entity: str) -> ImportReport:
    return ImportReport(
        entity=entity, matched=dict.fromkeys(("id", "source id", KEY_WORDS[entity]), 0)
    )


# Finds the account a contact or opportunity row names: gets the row's cells of
# ``account_id``, ``account`` (fieldapp's or the CRM's id) and ``account_name``, returns
# the account's id ("" when the row names none) or raises ValueError saying why not.
LinkResolver = Callable[[dict[str, str]], str]


def parse_mappings(items: Iterable[str]) -> dict[str, str]:
    """``--map COLUMN=FIELD`` options as ``{column: field}``."""
    mapping = {}
    for item in items:
        column, sep, target = item.rpartition("=")
        if not sep or not column or not target:
            raise FieldappError(f"--map expects COLUMN=FIELD, got {item!r}")
        mapping[column] = target.strip()
    return mapping


def parse_value_maps(items: Iterable[str], header: list[str]) -> dict[str, dict[str, str]]:
    """``--map-value COLUMN:VALUE=MEANING`` options as ``{column: {normalised value: meaning}}``.

    A column name may itself hold a colon (Dynamics' "Address 1: City"): the longest
    column of the file that the option starts with is taken.
    """
    maps: dict[str, dict[str, str]] = {}
    for item in items:
        left, sep, meaning = item.rpartition("=")
        columns = [c for c in header if left.startswith(c + ":")]
        if not sep or not columns:
            raise FieldappError(
                f"--map-value expects COLUMN:VALUE=MEANING with a column of the file, got "
                f"{item!r} (columns: {', '.join(header)})"
            )
        column = max(columns, key=len)
        maps.setdefault(column, {})[normalise(left[len(column) + 1 :])] = meaning.strip()
    return maps


class _Unknown(Exception):
    pass


class RowReader:
    """Checks the rows of one file of ``entity``; see the module doc."""

    def __init__(
        self,
        entity: str,
        header: list[str],
        report: ImportReport,
        *,
        mapping: Mapping[str, str] | None = None,
        value_maps: Iterable[str] = (),
        stages: Iterable[str] | None = None,
        links: LinkResolver | None = None,
    ) -> None:
        self.entity = entity
        self.report = report
        self.width = len(header)
        by_index, report.column_map, report.unmapped = map_columns(
            entity, header, dict(mapping or {})
        )
        _check_required(entity, set(report.column_map.values()))
        self.by_index = by_index
        self.targets = tuple(by_index.values())
        indices = tuple(by_index)
        self.needed = max(indices, default=-1) + 1
        self.cells: Callable[[list[str]], tuple[str, ...]] = (
            operator.itemgetter(*indices) if len(indices) > 1
            else (lambda r: (r[indices[0]],)) if indices else (lambda r: ())
        )  # fmt: skip
        link_names = (*LINKS.get(entity, ()), "account_id") if entity in LINKS else ()
        self.links = tuple(t for t in self.targets if t in link_names)
        if self.links and links is None:
            raise FieldappError(f"{entity} cannot be linked to accounts here")
        self.resolve_links = links
        fields = [t for t in self.targets if t != ID and t not in self.links]
        if self.links:
            fields.append("account_id")
        self.clean = row_cleaner(entity, fields)
        self.stages = {s.casefold(): s for s in stages} if stages is not None else None
        column_of = {target: column for column, target in report.column_map.items()}
        self.resolvers = [
            (target, column_of[target], self._resolver(target, column_of[target], meanings))
            for column, meanings in parse_value_maps(value_maps, header).items()
            if (target := report.column_map.get(column)) is not None
        ]
        mapped = {target for target, _, _ in self.resolvers}
        for target in fields:
            if target not in mapped and self._is_picklist(target):
                self.resolvers.append(
                    (target, column_of[target], self._resolver(target, column_of[target], {}))
                )
        self._unknown: dict[tuple[str, str], UnknownValue] = {}

    def _is_picklist(self, target: str) -> bool:
        return SPECS[self.entity][target].kind == "choice" or (
            target == "stage" and self.stages is not None
        )

    def _choices(self, target: str) -> list[str]:
        if target == "stage" and self.stages is not None:
            return list(self.stages.values())
        return list(SPECS[self.entity][target].choices)

    def _resolver(self, target: str, column: str, meanings: dict[str, str]) -> Callable[[str], str]:
        """A cell of ``column`` → what ``target`` gets; raises _Unknown for a picklist miss."""
        picklist = self._is_picklist(target)
        choices = self._choices(target)
        by_key = {c.casefold().replace(" ", "_"): c for c in choices}
        for meaning in meanings.values():
            if picklist and meaning.casefold().replace(" ", "_") not in by_key:
                raise FieldappError(
                    f"--map-value {column}:…={meaning}: {meaning!r} is not a "
                    f"{target.replace('_', ' ')} (one of {', '.join(choices)})"
                )
        cache: dict[str, str | None] = {}

        def resolve(cell: str) -> str:
            if cell in cache:
                found = cache[cell]
            else:
                found = cache[cell] = self._meaning(target, cell, meanings, by_key, picklist)
            if found is None:
                raise _Unknown
            return found

        return resolve

    def _meaning(
        self,
        target: str,
        cell: str,
        meanings: dict[str, str],
        by_key: dict[str, str],
        picklist: bool,
    ) -> str | None:
        text = cell.strip()
        if not text:
            return cell
        mapped = meanings.get(normalise(text))
        if mapped is not None:
            return by_key.get(mapped.casefold().replace(" ", "_"), mapped) if picklist else mapped
        if not picklist:
            return cell
        direct = by_key.get(text.casefold().replace(" ", "_"))
        if direct is not None:
            return direct
        known = crm_value(self.entity, target, text)
        if known is not None:
            return by_key.get(known.casefold().replace(" ", "_"))
        return None

    def rows(self, records: Iterable[tuple[int, list[str]]]) -> Iterator[Row]:
        """Yield every valid row of ``records``; the rest go into the report."""
        report, width = self.report, self.width
        number = 0
        for line, record in records:
            joined = "".join(record)
            if not joined.strip():
                continue  # blank lines, e.g. a trailing one
            number += 1
            report.total_rows = number
            if len(record) > width and any(cell.strip() for cell in record[width:]):
                report.refuse(
                    number,
                    line,
                    [("-", f"{len(record)} values but the header has {width} columns")],
                )
                continue
            raw = self._pick(record, "\r" in joined, "'" in joined)
            row = self._row(number, line, raw)
            if row is not None:
                yield row
        self.report.unknown_values.sort(key=lambda u: (-u.rows, u.column, u.value))

    def _pick(self, record: list[str], has_cr: bool, has_quote: bool) -> dict[str, str]:
        if len(record) >= self.needed and not has_cr:
            raw = dict(zip(self.targets, self.cells(record), strict=True))
        else:
            # Excel and Salesforce write CRLF inside quoted fields too; keep plain newlines.
            raw = {
                target: record[i].replace("\r\n", "\n") if "\r" in record[i] else record[i]
                for i, target in self.by_index.items()
                if i < len(record)
            }
        if has_quote:  # undo the formula escaping of an export (most rows have none)
            for target, cell in raw.items():
                if cell.startswith("'"):
                    raw[target] = unescape_formula(cell)
        return raw

    def _row(self, number: int, line: int, raw: dict[str, str]) -> Row | None:
        errors: list[tuple[str, str]] = []
        record_id = None
        if ID in raw:
            try:
                record_id = p.record_id(raw.pop(ID))
            except ValueError as exc:
                errors.append((ID, str(exc)))
        if self.resolve_links is not None:
            links = {name: raw.pop(name).strip() for name in self.links if name in raw}
            try:
                raw["account_id"] = self.resolve_links(links)
            except ValueError as exc:
                errors.append(("account", str(exc)))
                raw["account_id"] = ""
        unknown = False
        for target, column, resolve in self.resolvers:
            if target in raw:
                try:
                    raw[target] = resolve(raw[target])
                except _Unknown:
                    self._note_unknown(target, column, raw[target].strip(), number, line)
                    raw[target] = ""  # reported once per value, not once per row
                    unknown = True
        try:
            values = self.clean(raw)
        except ValidationError as exc:
            errors += [(e.field, e.message) for e in exc.errors]
            values = {}
        if errors:
            self.report.refuse(number, line, errors)
            return None
        if unknown:
            self.report.refuse(number, line, [])
            return None
        return Row(number, line, values, record_id)

    def _note_unknown(self, target: str, column: str, value: str, number: int, line: int) -> None:
        key = (column, normalise(value))  # the spellings one --map-value covers
        seen = self._unknown.get(key)
        if seen is not None:
            seen.rows += 1
            return
        choices = self._choices(target)
        suggestion = SUGGESTIONS.get((self.entity, target), choices[0] if choices else "")
        if suggestion not in choices and choices:
            suggestion = choices[0]
        entry = UnknownValue(
            column,
            target.replace("_", " "),
            value,
            1,
            number,
            line,
            flag(column, value, suggestion),
            choices,
        )
        self._unknown[key] = entry
        self.report.unknown_values.append(entry)


def _check_required(entity: str, mapped: set[str]) -> None:
    for target in REQUIRED_COLUMNS[entity]:
        if target not in mapped:
            examples = " or ".join(repr(a.title()) for a in ALIASES[entity].get(target, ())[:2])
            raise FieldappError(
                f"no column holds the {singular(entity)} {target.replace('_', ' ')} "
                f"(expected e.g. {examples or repr(target)} or {target!r}); "
                f"name it with --map COLUMN={target}"
            )
    if entity == "opportunities" and not mapped & {"account_id", "account", "account_name"}:
        raise FieldappError(
            "no column says which account each opportunity belongs to (expected e.g. "
            "'Account ID' or 'Account Name'); name it with --map COLUMN=account_name"
        )


__all__ = [
    "KEY_FIELDS",
    "KEY_WORDS",
    "REQUIRED_COLUMNS",
    "Existing",
    "KeyIndex",
    "LinkResolver",
    "Repeats",
    "Row",
    "RowReader",
    "changes",
    "key_digest",
    "match_rows",
    "natural_key",
    "new_report",
    "parse_mappings",
    "parse_value_maps",
]
