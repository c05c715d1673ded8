"""``fieldapp report visits|coverage|pipeline|forecast|wins|activity``.

Prints the report as a table, or writes it as JSON, CSV or PDF. With ``--server`` the
figures are the server's, over everything the signed-in user may see there (their
replica may not have synced all of it yet); the same document as the replica's. The PDF draws the
same Qt Charts chart as the Reports panel, so ``--pdf`` loads Qt (offscreen: no
display needed); nothing else here does.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import closing
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fieldapp import reports
from fieldapp.domain.reports import (
    GROUPINGS,
    CoverageReport,
    ForecastReport,
    PipelineReport,
    ReportFilter,
    VisitsReport,
    WinsReport,
    from_wire,
    to_wire,
)
from fieldapp.errors import FieldappError
from fieldapp.reports import export, people, periods, tables
from fieldapp.reports.charts import charts
from fieldapp.store.db import Replica

from . import bounds
from .output import print_json

COMMANDS = ("report",)
Opener = Callable[[argparse.Namespace], Replica]
# The reports the server computes (GET /reports/KIND), and their types.
SERVED: dict[str, type] = {
    "visits": VisitsReport,
    "coverage": CoverageReport,
    "pipeline": PipelineReport,
    "forecast": ForecastReport,
    "wins": WinsReport,
}


def add_parsers(sub: Any) -> None:
    report = sub.add_parser(
        "report",
        help="visits, coverage, pipeline, forecast, won/lost and activity reports",
        description="Reports over what this replica holds. Without a period: all time "
        "(coverage: as of today).",
    )
    report.add_argument("kind", choices=list(GROUPINGS), metavar="KIND", help=", ".join(GROUPINGS))
    report.add_argument(
        "--by",
        metavar="GROUP",
        help="rep, territory, week, month, stage or reason (what each report offers; "
        "default: its first)",
    )
    report.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="first day")
    report.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="last day (included)")
    report.add_argument(
        "--period", choices=list(periods.PRESETS), help="a named period instead of --from/--to"
    )
    report.add_argument("--territory", metavar="NAME", help="only this territory (name or id)")
    report.add_argument("--rep", metavar="USER", help="only this rep (user name or display name)")
    report.add_argument(
        "--limit", type=bounds.count(), default=200, help="activity: how many items"
    )
    report.add_argument(
        "--server",
        action="store_true",
        help="figures computed by the server over everything you may see there "
        f"(signed-in user; {', '.join(SERVED)})",
    )
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    report.add_argument("--csv", type=Path, metavar="FILE", help="write the table as CSV")
    report.add_argument("--pdf", type=Path, metavar="FILE", help="write chart and table as PDF")


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise FieldappError(f"{option} expects a date like 2026-01-31, got {text!r}") from None


def _filter(args: argparse.Namespace, replica: Replica) -> tuple[ReportFilter, dict[str, str]]:
    """The filter the options ask for, and the names of its territory and rep."""
    offset = periods.local_utc_offset_minutes()
    start, end = _day(args.start, "--from"), _day(args.end, "--to")
    if args.period:
        if start or end:
            raise FieldappError("give either --period or --from/--to, not both")
        start, end = periods.period(args.period, datetime.now().date())
    names: dict[str, str] = {}
    territory = rep = None
    with replica.read_session() as session:
        if args.territory:
            territory = people.find_territory(session, args.territory)
            names[territory] = people.territory_labels(session)[territory]
        if args.rep:
            rep = people.find_rep(session, args.rep)
            names[rep] = people.rep_labels(session)[rep]
    return ReportFilter(start, end, territory, rep, offset), names


def run(args: argparse.Namespace, open_replica: Opener) -> int:
    if args.limit < 1:
        raise FieldappError("--limit must be at least 1")
    with closing(open_replica(args)) as replica:
        flt, names = _filter(args, replica)
        if args.server:
            report = _from_server(args, replica, flt)
        else:
            report = _from_replica(args, replica, flt)
    table = tables.table(report, names)
    if args.csv:
        count = export.write_csv(table, args.csv)
        print(f"wrote {count} rows to {args.csv}", file=sys.stderr)
    if args.pdf:
        from fieldapp.ui import report_pdf  # Qt, loaded only for a PDF

        pages = report_pdf.export(table, charts(report), args.pdf)
        print(f"wrote {pages} page(s) to {args.pdf}", file=sys.stderr)
    if args.json:
        print_json(to_wire(report))
    elif not (args.csv or args.pdf):
        print_report(table)
    return 0


def _from_replica(args: argparse.Namespace, replica: Replica, flt: ReportFilter) -> Any:
    with replica.read_session() as session:
        if args.kind == "activity":
            if args.by and args.by != "time":
                raise FieldappError("the activity report is in time order; it has no --by")
            return reports.activity(session, flt, limit=args.limit)
        return reports.run(session, args.kind, flt, args.by)


def _from_server(args: argparse.Namespace, replica: Replica, flt: ReportFilter) -> Any:
    """The report as the server computes it for the signed-in user (GET /reports/KIND)."""
    from fieldapp.sync.account import signed_in_transport, signed_out
    from fieldapp.sync.errors import AuthRequired

    if args.kind not in SERVED:
        raise FieldappError(
            f"the server computes the {', '.join(SERVED)} reports; "
            f"leave out --server for the {args.kind} report"
        )
    params: dict[str, Any] = {"utc_offset": flt.utc_offset_minutes}
    for name, value in (
        ("by", args.by),
        ("from", flt.start.isoformat() if flt.start else None),
        ("to", flt.end.isoformat() if flt.end else None),
        ("territory", flt.territory_id),
        ("rep", flt.rep_id),
    ):
        if value is not None:
            params[name] = value
    transport = signed_in_transport(replica)
    try:
        answer = transport.call("GET", f"/reports/{args.kind}", **params)
    except AuthRequired:
        raise signed_out(replica) from None
    finally:
        transport.close()
    return from_wire(answer, SERVED[args.kind])


def print_report(t: tables.Table) -> None:
    """The table aligned for a terminal: title, filter, rows, totals, note."""
    out = sys.stdout
    out.write(f"{t.title} · {t.subtitle}\n\n")
    headers = tables.header_cells(t)
    body = tables.display_rows(t, t.rows)
    foot = tables.display_rows(t, t.totals)
    if not body:
        out.write("(nothing in this period)\n")
        return
    widths = [max(len(h), *(len(r[i]) for r in body + foot)) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        parts = [
            c.rjust(w) if col.numeric else c.ljust(w)
            for c, w, col in zip(cells, widths, t.columns, strict=True)
        ]
        return "  ".join(parts).rstrip() + "\n"

    out.write(line(headers))
    for row in body:
        out.write(line(row))
    if foot:
        out.write("  ".join("-" * w for w in widths) + "\n")
        for row in foot:
            out.write(line(row))
    if t.note:
        out.write(f"\n{t.note}\n")
