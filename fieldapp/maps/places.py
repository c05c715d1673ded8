"""Where "Nearby" measures from: an account, a typed point, or an address.

Shared by the command line and the Accounts panel. An address is asked of the
geocoder (cached, polite); when the network is down the offline gazetteer gives
its town's centre, and the answer says it is approximate.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from fieldapp.domain.geo import LatLon
from fieldapp.errors import FieldappError
from fieldapp.maps.geocode import Geocoder, Location, Offline
from fieldapp.store import places


@dataclass(frozen=True)
class Centre:
    label: str
    point: LatLon
    account_id: str | None = None  # measured from this account (left out of the list)
    approximate: bool = False


def looks_like_id(text: str) -> bool:
    return len(text) == 36 and text.count("-") == 4


def account_centre(session: Session, account_id: str) -> Centre:
    name, point = places.account_point(session, account_id)
    return Centre(name, point, account_id)


def point_centre(text: str) -> Centre | None:
    point = places.parse_point(text)
    if point is None:
        return None
    return Centre(f"{point[0]:.5f}, {point[1]:.5f}", point)


def address_centre(geocoder: Geocoder, address: str) -> Centre:
    """Geocode ``address``; offline, its town from the gazetteer (approximate)."""
    text = " ".join(address.split())
    if not text:
        raise FieldappError("type an account, a point (lat,lon) or an address")
    loc: Location | None
    try:
        loc = geocoder.lookup(text)
    except Offline:
        loc = None
    if loc is None:
        # The last part that names a town: "Markt 1, 53111 Bonn" → "Bonn".
        town = text.rsplit(",", 1)[-1].strip()
        town = " ".join(w for w in town.split() if not w.isdigit()) or town
        loc = geocoder.gazetteer.lookup(town)
    if loc is None:
        raise FieldappError(f"could not find {text!r}; check the spelling or type lat,lon")
    return Centre(loc.label or text, (loc.lat, loc.lon), approximate=loc.precision == "approximate")


def resolve(session: Session, typed: str, geocoder: Geocoder | None) -> Centre:
    """An account id, "LAT,LON", or an address (needs ``geocoder``)."""
    text = typed.strip()
    if looks_like_id(text):
        return account_centre(session, text)
    centre = point_centre(text)
    if centre is not None:
        return centre
    if geocoder is None:
        raise FieldappError(f"{text!r} is neither an account id nor a point (lat,lon)")
    return address_centre(geocoder, text)
