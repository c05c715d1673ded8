"""``fieldapp route|geocode|map``: plan a day, geocode accounts, export the map."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

from fieldapp.errors import FieldappError
from fieldapp.maps.geo import LatLon
from fieldapp.maps.matrix import provider_for
from fieldapp.maps.routing import BreakRequest, RouteError, hhmm, optimise, parse_hhmm
from fieldapp.maps.settings import MapSettings
from fieldapp.store.db import Replica

from . import bounds
from .output import print_json, print_table

Opener = Callable[[argparse.Namespace], Replica]
COMMANDS = ("route", "geocode", "map")


def _latlon(text: str) -> LatLon:
    try:
        lat_s, lon_s = text.split(",")
        lat, lon = float(lat_s), float(lon_s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LAT,LON, got {text!r}") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise argparse.ArgumentTypeError(f"coordinates out of range: {text!r}")
    return (lat, lon)


def _span(text: str) -> tuple[int, int]:
    try:
        a, b = text.split("-")
        return parse_hhmm(a), parse_hhmm(b)
    except (ValueError, RouteError):
        raise argparse.ArgumentTypeError(f"expected HH:MM-HH:MM, got {text!r}") from None


def _break(text: str) -> BreakRequest:
    """``12:00-13:30/30``: 30 minutes starting between 12:00 and 13:30."""
    try:
        span, minutes = text.split("/")
        a, b = _span(span)
        return BreakRequest(a, b, int(minutes) * 60)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HH:MM-HH:MM/MINUTES, got {text!r}") from None


def add_parsers(sub: Any) -> None:
    route = sub.add_parser("route", help="plan a day's route")
    actions = route.add_subparsers(dest="action", required=True, metavar="ACTION")
    plan = actions.add_parser("plan", help="order visits for a day (VROOM), with times")
    plan.add_argument("--date", required=True, type=date.fromisoformat, metavar="YYYY-MM-DD")
    plan.add_argument("--start", required=True, type=_latlon, metavar="LAT,LON")
    plan.add_argument("--end", type=_latlon, metavar="LAT,LON", help="default: the start")
    plan.add_argument("--account", dest="accounts", action="append", required=True, metavar="ID")
    plan.add_argument(
        "--window",
        dest="windows",
        action="append",
        default=[],
        metavar="ID=HH:MM-HH:MM",
        help="a fixed appointment: the visit must start in this window (repeatable)",
    )
    plan.add_argument(
        "--duration",
        dest="durations",
        action="append",
        default=[],
        metavar="ID=MINUTES",
        help="visit length for one account (default by type: customer 45, prospect 30, partner 60)",
    )
    plan.add_argument("--hours", type=_span, metavar="HH:MM-HH:MM", help="working hours")
    plan.add_argument(
        "--break",
        dest="breaks",
        action="append",
        default=[],
        type=_break,
        metavar="HH:MM-HH:MM/MIN",
        help="a break starting in this span (repeatable)",
    )
    plan.add_argument("--osrm", metavar="URL", help="OSRM table service for travel times")
    plan.add_argument("--save", action="store_true", help="save as a route plan (it syncs)")
    plan.add_argument("--ics", type=Path, metavar="FILE", help="write the day as iCalendar")
    plan.add_argument("--gpx", type=Path, metavar="FILE", help="write the route as GPX")
    plan.add_argument("--json", action="store_true")

    geo = sub.add_parser("geocode", help="find coordinates for accounts (Nominatim / offline)")
    what = geo.add_mutually_exclusive_group(required=True)
    what.add_argument("--missing", action="store_true", help="accounts without coordinates")
    what.add_argument("--unplotted", action="store_true", help="list accounts not on the map")
    what.add_argument(
        "--set", dest="set_location", metavar="ID=LAT,LON", help="correct one position by hand"
    )
    geo.add_argument("--refine", action="store_true", help="also retry approximate positions")
    geo.add_argument("--limit", type=bounds.count(), metavar="N")
    geo.add_argument("--offline", action="store_true", help="town-level positions, no network")
    geo.add_argument("--server", metavar="URL", help="Nominatim server (default from settings)")
    geo.add_argument("--json", action="store_true")

    mapp = sub.add_parser("map", help="the accounts map")
    map_actions = mapp.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = map_actions.add_parser("export", help="write a self-contained HTML map")
    export.add_argument("out", type=Path, metavar="OUT.html")
    export.add_argument("--territory", metavar="NAME", help="only this territory's accounts")
    export.add_argument(
        "--color-by", default="last_visit", choices=["last_visit", "status", "type", "precision"]
    )
    export.add_argument(
        "--no-tiles", action="store_true", help="plain background only (no tile server)"
    )
    pre = map_actions.add_parser("prefetch", help="download map tiles of an area for offline use")
    area = pre.add_mutually_exclusive_group(required=True)
    area.add_argument("--territory", metavar="NAME", help="the territory's accounts and polygon")
    area.add_argument("--bbox", metavar="S,W,N,E", help="an area by its corners")
    pre.add_argument("--zoom", default="10-14", metavar="MIN-MAX", help="zoom levels (10-14)")
    pre.add_argument("--estimate", action="store_true", help="only say how much it would be")


def run(args: argparse.Namespace, open_replica: Opener) -> int:
    with closing(open_replica(args)) as replica:
        if args.command == "route":
            return _route_plan(args, replica)
        if args.command == "geocode":
            return _geocode(args, replica)
        if args.command == "map" and args.action == "export":
            return _map_export(args, replica)
        if args.command == "map" and args.action == "prefetch":
            return _map_prefetch(args, replica)
    raise FieldappError(f"unknown command {args.command}")


def _pairs(items: list[str], what: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise FieldappError(f"{what} must look like ID=VALUE, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def _route_plan(args: argparse.Namespace, replica: Replica) -> int:
    from fieldapp.maps import exports, planner

    settings = MapSettings.load(replica.data_dir)
    windows = {}
    for key, value in _pairs(args.windows, "--window").items():
        try:
            windows[key] = _span(value)
        except argparse.ArgumentTypeError as exc:
            raise FieldappError(f"--window {key}: {exc}") from None
    durations = {}
    for key, value in _pairs(args.durations, "--duration").items():
        if not value.isdigit():
            raise FieldappError(f"--duration {key}: minutes must be a whole number")
        durations[key] = int(value)
    unknown = sorted((set(windows) | set(durations)) - set(args.accounts))
    if unknown:
        raise FieldappError(f"--window/--duration for accounts not in --account: {unknown}")
    day_start, day_end = args.hours or (
        parse_hhmm(settings.day_start),
        parse_hhmm(settings.day_end),
    )
    with replica.read_session() as session:
        request = planner.route_request(
            session,
            args.date,
            args.start,
            args.accounts,
            end=args.end,
            windows=windows,
            service_minutes=durations,
            day_start=day_start,
            day_end=day_end,
            breaks=tuple(args.breaks),
            timezone=settings.timezone,
        )
    plan = optimise(request, provider_for(settings, args.osrm))
    plan_id = None
    if args.save:
        with replica.session() as session:
            plan_id = planner.save_plan(session, plan)
    if args.ics:
        args.ics.write_text(exports.to_ics(plan, plan_id=plan_id or "plan"), encoding="utf-8")
    if args.gpx:
        args.gpx.write_text(exports.to_gpx(plan), encoding="utf-8")
    if args.json:
        data = plan.to_dict()
        data["id"] = plan_id
        data["links"] = {
            "google": exports.google_maps_url(plan),
            "osm": exports.osm_directions_url(plan),
            "legs": exports.leg_links(plan),
        }
        print_json(data)
        return 0
    rows = [
        {
            "#": s.position,
            "arrive": hhmm(s.arrival),
            "visit": f"{hhmm(s.start)}-{hhmm(s.departure)}",
            "drive": f"{round(s.travel_s / 60)} min",
            "wait": f"{round(s.wait_s / 60)} min" if s.wait_s else "",
            "account": s.name,
            "window": f"{hhmm(s.window[0])}-{hhmm(s.window[1])}" if s.window else "",
            "problem": s.problem or "",
        }
        for s in plan.stops
    ]
    print(
        f"leave {hhmm(plan.leave)}, back {hhmm(plan.back)}, "
        f"{plan.total_distance_m / 1000:.1f} km, travel times: {plan.matrix_source}"
    )
    print_table(rows, ["#", "arrive", "visit", "drive", "wait", "account", "window", "problem"])
    for b in plan.breaks:
        print(f"break {hhmm(b.start)}-{hhmm(b.end)}")
    for u in plan.unserved:
        print(f"not served: {u.name or u.account_id}: {u.reason}")
    if plan_id:
        print(f"saved route plan {plan_id}")
    sys.stdout.flush()
    return 0


def _geocode(args: argparse.Namespace, replica: Replica) -> int:
    from fieldapp.maps import geocode

    if args.unplotted:
        rows = geocode.missing_accounts(replica, include_approximate=args.refine)
        if args.json:
            print_json(rows)
        else:
            print_table(rows, ["id", "name", "street", "postcode", "city", "country"])
        return 0
    if args.set_location:
        account_id, _, where = args.set_location.partition("=")
        try:
            lat, lon = _latlon(where)
        except argparse.ArgumentTypeError as exc:
            raise FieldappError(f"--set: {exc}") from None
        geocode.set_location(replica, account_id, lat, lon)
        print(f"moved {account_id} to {lat},{lon} (manual)")
        return 0
    settings = MapSettings.load(replica.data_dir)
    if args.server:
        settings.nominatim_url = args.server
    geocoder = geocode.open_geocoder(replica.data_dir, settings, online=not args.offline)

    def progress(done: int, total: int, name: str) -> None:
        if not args.json:
            print(f"\r{done}/{total} {name[:40]:<40}", end="", file=sys.stderr, flush=True)

    try:
        report = geocode.geocode_missing(
            replica, geocoder, limit=args.limit, refine=args.refine, progress=progress
        )
    finally:
        geocoder.cache.close()
    if not args.json and report.total:
        print(file=sys.stderr)
    summary = {
        "total": report.total,
        "located": report.located,
        "not_found": report.not_found,
        "offline": report.offline,
    }
    if args.json:
        print_json(summary)
        return 0
    found = ", ".join(f"{n} {p}" for p, n in sorted(report.located.items())) or "none"
    print(
        f"geocoded {report.done} of {report.total} accounts: located {found}; "
        f"{len(report.not_found)} not found"
    )
    if report.offline:
        print(
            "the geocoding server was unreachable: positions marked approximate come from "
            "the offline town list; run again online with --refine to improve them"
        )
    return 0


def _map_export(args: argparse.Namespace, replica: Replica) -> int:
    from fieldapp.maps import page, page_html

    settings = MapSettings.load(replica.data_dir)
    with replica.read_session() as session:
        data = page.replica_map_data(session, territory=args.territory, color_by=args.color_by)
    tiles = None
    if not args.no_tiles:
        tiles = page.TileConfig(
            settings.tile_url, settings.tile_attribution, settings.tile_max_zoom
        )
    html = page_html.build_html(data, tiles=tiles, title="fieldapp map")
    args.out.write_text(html, encoding="utf-8")
    print(f"wrote {args.out} with {len(data['markers'])} accounts")
    return 0


def _area(args: argparse.Namespace, replica: Replica) -> tuple[float, float, float, float]:
    from fieldapp.maps import geo, page, planner

    if args.bbox:
        try:
            s, w, n, e = (float(v) for v in args.bbox.split(","))
        except ValueError:
            raise FieldappError(f"--bbox must be S,W,N,E, got {args.bbox!r}") from None
        if not (s < n and w < e):
            raise FieldappError("--bbox: south must be below north and west left of east")
        return (s, w, n, e)
    with replica.read_session() as session:
        territory_id = page.find_territory(session, args.territory)
        pts = [
            (p.lat, p.lon)
            for p in planner.account_points(session, territory_id=territory_id, located_only=True)
            if p.lat is not None and p.lon is not None
        ]
        for shape in page.territory_shapes(session, territory_id):
            for ring in geo.geojson_rings(shape.geometry):
                pts.extend(ring)
    box = geo.bbox(pts)
    if box is None:
        raise FieldappError(f"territory {args.territory} has no located accounts or polygon")
    pad = 0.01
    return (box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad)


def _map_prefetch(args: argparse.Namespace, replica: Replica) -> int:
    from fieldapp.maps import tiles as tiles_mod

    try:
        lo, _, hi = args.zoom.partition("-")
        zooms = list(range(int(lo), int(hi or lo) + 1))
    except ValueError:
        raise FieldappError(f"--zoom must be MIN-MAX, got {args.zoom!r}") from None
    if not zooms or zooms[0] < 0 or zooms[-1] > 20:
        raise FieldappError("--zoom levels must be between 0 and 20")
    box = _area(args, replica)
    tiles = tiles_mod.open_tiles(replica.data_dir)
    try:
        est = tiles.estimate(box, zooms)
        print(
            f"{est.tiles} tiles at zoom {zooms[0]}-{zooms[-1]}, {est.cached} already cached, "
            f"about {est.bytes_to_fetch / 1e6:.1f} MB to download"
        )
        if args.estimate:
            return 0

        def progress(done: int, total: int) -> None:
            if done % 20 == 0 or done == total:
                print(f"\r{done}/{total}", end="", file=sys.stderr, flush=True)

        report = tiles.prefetch(box, zooms, progress=progress)
        print(file=sys.stderr)
    finally:
        tiles.cache.close()
    print(
        f"downloaded {report.fetched} tiles ({report.bytes / 1e6:.1f} MB), "
        f"{report.cached} were cached, {report.failed} failed"
    )
    if report.failed and report.last_error:
        print(f"last error: {report.last_error}")
    return 0
