"""Printing records for people (aligned tables) and for scripts (``--json``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from fieldapp.store.types import to_wire


def print_json(data: Any, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    json.dump(_wire(data), out, ensure_ascii=False, indent=2)
    out.write("\n")


def _wire(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _wire(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_wire(v) for v in data]
    return to_wire(data)


def _cell(value: Any, width: int) -> str:
    text = "" if value is None else str(to_wire(value))
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def print_table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    out: TextIO | None = None,
    max_width: int = 40,
) -> None:
    out = out or sys.stdout
    if not rows:
        out.write("(none)\n")
        return
    cells = [[_cell(row.get(c), max_width) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    out.write("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    out.write("\n")
    for row_cells in cells:
        line = "  ".join(v.ljust(w) for v, w in zip(row_cells, widths, strict=True))
        out.write(line.rstrip() + "\n")


def print_record(record: dict[str, Any], out: TextIO | None = None) -> None:
    out = out or sys.stdout
    width = max(len(k) for k in record)
    for key, value in record.items():
        if value is None:
            continue
        text = str(to_wire(value)).replace("\n", "\n" + " " * (width + 2))
        out.write(f"{key.ljust(width)}  {text}\n")
