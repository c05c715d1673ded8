"""A report's table as a CSV file (the PDF, which draws the chart, is made by the UI layer).

The file holds the detail rows with plain values (amounts as exact decimal text,
shares as fractions, times in ISO 8601), so a spreadsheet can compute with them;
totals are left out, as a spreadsheet sums them itself. UTF-8 with a BOM, which
Excel needs to read non-ASCII names.
"""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

from fieldapp.reports.tables import Table, plain


def write_csv(t: Table, path: Path) -> int:
    """Write ``t`` to ``path`` (replacing it only once complete); how many rows."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow([c.header for c in t.columns])
            writer.writerows([plain(v) for v in row] for row in t.rows)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(t.rows)
