"""``fieldapp accounts nearby ID|LAT,LON|ADDRESS --km R [--limit N] [--json]``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from fieldapp.errors import FieldappError
from fieldapp.store import places

from .output import print_json, print_table

if TYPE_CHECKING:
    from fieldapp.store.db import Replica


def _km(text: str) -> float:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a distance in km, got {text!r}") from None


def add_nearby_parser(actions: Any) -> None:
    near = actions.add_parser(
        "nearby", help="accounts within R km of an account, a point or an address, nearest first"
    )
    near.add_argument("where", metavar="ID|LAT,LON|ADDRESS")
    near.add_argument("--km", type=_km, default=10.0, help="radius in km (default 10)")
    near.add_argument("--limit", type=int, default=places.DEFAULT_LIMIT, help="at most N")
    near.add_argument("--offline", action="store_true", help="do not ask the geocoding server")
    near.add_argument("--json", action="store_true", help="print JSON")


def run_nearby(args: argparse.Namespace, replica: Replica) -> int:
    # Imported here: geopy and the gazetteer are needed by this command only.
    from fieldapp.maps import geocode
    from fieldapp.maps import places as centres

    if args.limit < 1:
        raise FieldappError("--limit must be at least 1")
    places.check_radius(args.km)
    geocoder = None
    try:
        with replica.read_session() as session:
            text = args.where.strip()
            if centres.point_centre(text) is None and not centres.looks_like_id(text):
                geocoder = geocode.open_geocoder(replica.data_dir, online=not args.offline)
            centre = centres.resolve(session, text, geocoder)
            found = places.nearby(
                session, centre.point, args.km, limit=args.limit, exclude=centre.account_id
            )
    finally:
        if geocoder is not None:
            geocoder.cache.close()
    rows = [
        {
            "id": n.id,
            "name": n.name,
            "city": n.city,
            "distance_km": round(n.distance_m / 1000.0, 3),
            "latitude": n.latitude,
            "longitude": n.longitude,
        }
        for n in found
    ]
    if args.json:
        print_json(
            {
                "centre": {
                    "label": centre.label,
                    "latitude": centre.point[0],
                    "longitude": centre.point[1],
                    "approximate": centre.approximate,
                },
                "km": args.km,
                "accounts": rows,
            }
        )
        return 0
    approx = " (approximate: the town's centre)" if centre.approximate else ""
    print(f"within {args.km:g} km of {centre.label}{approx}:", file=sys.stderr)
    print_table(rows, ("distance_km", "name", "city", "id"))
    return 0
