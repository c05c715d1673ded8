"""``GET /reports/{kind}``: a report over the caller's scope, as ``fieldapp report --json``.

Parameters as the command line's: ``by``, ``from``, ``to`` (calendar days, both
included), ``territory`` and ``rep`` (an id or a name), and ``utc_offset`` (the
reader's offset in minutes: where their days begin). The scope is the token's user's
(server/reporting/common.py); a rep or territory outside it is a 403.
"""

import json
from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from fieldapp.domain.reports import GROUPINGS, Report, ReportFilter, to_wire
from fieldapp.server.answers import answers
from fieldapp.server.auth import Principal
from fieldapp.server.db import Database, ServerError
from fieldapp.server.reporting import common
from fieldapp.server.reporting.coverage import coverage
from fieldapp.server.reporting.deals import forecast, pipeline, wins
from fieldapp.server.reporting.visits import visits
from fieldapp.server.scope import scope_of

# The reports the server computes (the activity feed is the replica's only, for now).
SERVED = ("visits", "coverage", "pipeline", "forecast", "wins")
COMPUTE: dict[str, Callable[..., Report]] = {
    "visits": visits,
    "coverage": coverage,
    "pipeline": pipeline,
    "forecast": forecast,
    "wins": wins,
}
# Days the period may name: their UTC bounds stay inside what a datetime holds.
EARLIEST, LATEST = date(1900, 1, 1), date(9998, 12, 31)
Name = Annotated[str | None, Query(min_length=1, max_length=200)]


class NotServed(ServerError):
    """HTTP 404: no such report on the server."""


def _day(value: date | None, option: str) -> date | None:
    if value is not None and not EARLIEST <= value <= LATEST:
        raise ServerError(f"{option} must be a day between {EARLIEST} and {LATEST}")
    return value


def router(db: Database, principal: Callable[..., Principal]) -> APIRouter:
    api = APIRouter(prefix="/reports", tags=["reports"])

    @api.get("/{kind}", responses=answers(400, 401, 403, 404, 503))
    def report(
        kind: Annotated[str, Path(max_length=20)],
        who: Annotated[Principal, Depends(principal)],
        by: Annotated[str | None, Query(max_length=20)] = None,
        start: Annotated[date | None, Query(alias="from")] = None,
        end: Annotated[date | None, Query(alias="to")] = None,
        territory: Name = None,
        rep: Name = None,
        utc_offset: Annotated[int, Query(ge=-16 * 60, le=16 * 60)] = 0,
    ) -> Response:
        if kind not in SERVED:
            raise NotServed(
                f"the server computes the {', '.join(SERVED)} reports, not {kind!r}"
                if kind in GROUPINGS
                else f"no report called {kind!r} (reports: {', '.join(SERVED)})"
            )
        group = by or GROUPINGS[kind][0]
        if group not in GROUPINGS[kind]:
            offered = ", ".join(GROUPINGS[kind])
            raise ServerError(f"the {kind} report groups by {offered}, not by {group!r}")
        first, last = _day(start, "from"), _day(end, "to")
        if first and last and last < first:
            raise ServerError(f"the period ends ({last}) before it starts ({first})")
        with db.reading() as session:
            scope = scope_of(session, who)
            names = common.Names.read(session)
            flt = ReportFilter(
                first,
                last,
                names.territory_id(territory) if territory else None,
                names.rep_id(rep) if rep else None,
                utc_offset,
            )
            common.check_scope(who, scope, flt)
            found: Report = COMPUTE[kind](session, scope, names, flt, group)
        return Response(json.dumps(to_wire(found)), media_type="application/json")

    return api
