"""Putting accounts on the map from the app: geocoding on save, and pin corrections.

When an account's address is new or changed (and nobody typed coordinates), the
:class:`AccountLocator` places it at once at its town's centre from the offline
gazetteer, marked ``approximate`` (so it is on the map and in Nearby straight away,
and the unplotted queue offers to refine it), then asks the geocoder in the
background. When the geocoder answers (online), the precise point replaces the
approximate one, unless the address was changed again meanwhile. Offline the
account simply stays approximate.

Pin corrections (typed coordinates, or a pin dragged on the map) are saved as
``manual`` and can be undone from the message that says so.

Signals:
    located(str, str): an account was placed; its id and the precision.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget
from sqlalchemy.orm import Session

from fieldapp.errors import FieldappError
from fieldapp.store import places, services
from fieldapp.ui import dialogs
from fieldapp.ui.panel import AppContext

log = logging.getLogger(__name__)

ADDRESS_FIELDS = ("street", "postcode", "city", "country")
LOCATION_FIELDS = ("latitude", "longitude", "geocode_precision")


@dataclass(frozen=True)
class Address:
    street: str | None
    postcode: str | None
    city: str | None
    country: str | None

    def empty(self) -> bool:
        return not any((self.street, self.postcode, self.city))


@dataclass(frozen=True)
class Placed:
    lat: float
    lon: float
    precision: str
    label: str


def address_of(session: Session, account_id: str) -> Address:
    acc = services.get(session, "accounts", account_id)
    return Address(acc["street"], acc["postcode"], acc["city"], acc["country"])


def needs_geocoding(changed: dict[str, Any]) -> bool:
    """Does saving these changed fields call for a new position?

    Typed coordinates win: a person who sets them does not want them replaced.
    """
    if any(name in changed for name in ("latitude", "longitude")):
        return False
    return any(name in changed for name in ADDRESS_FIELDS)


def town_point(data_dir: Path, address: Address) -> Placed | None:
    """The gazetteer's town centre (no network); runs in the background."""
    # Imported here: geopy and the gazetteer's file load slowly, and only this needs them.
    from fieldapp.maps.geocode import Gazetteer
    from fieldapp.maps.settings import MapSettings

    country = address.country or MapSettings.load(data_dir).geocode_country
    loc = Gazetteer().lookup(address.city, country)
    return None if loc is None else Placed(loc.lat, loc.lon, loc.precision, loc.label)


def precise_point(data_dir: Path, address: Address) -> Placed | None:
    """The geocoder's answer (cached; the network when online), or None."""
    from fieldapp.maps import geocode

    geocoder = geocode.open_geocoder(data_dir)
    try:
        loc = geocoder.locate(address.street, address.postcode, address.city, address.country)
    except geocode.Offline:
        log.info("geocoder unreachable; the account stays approximate")
        return None
    finally:
        geocoder.cache.close()
    if loc is None or loc.source == "gazetteer":
        return None
    return Placed(loc.lat, loc.lon, loc.precision, loc.label)


def write_point(
    session: Session, account_id: str, address: Address, placed: Placed
) -> Placed | None:
    """Store ``placed`` unless the address changed since it was asked for."""
    if address_of(session, account_id) != address:
        return None
    services.update(
        session,
        "accounts",
        account_id,
        {"latitude": placed.lat, "longitude": placed.lon, "geocode_precision": placed.precision},
    )
    return placed


class AccountLocator(QObject):
    """See the module doc."""

    located = Signal(str, str)

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx

    def place(self, account_id: str) -> None:
        """Approximate now (gazetteer), precise when the geocoder answers."""
        data_dir = self.ctx.data_dir

        def look(session: Session) -> tuple[Address, Placed | None]:
            address = address_of(session, account_id)
            return address, None if address.empty() else town_point(data_dir, address)

        self.ctx.bg.read(look, lambda found: self._approximate(account_id, *found), owner=self)

    def _approximate(self, account_id: str, address: Address, town: Placed | None) -> None:
        if address.empty():
            return
        if town is not None:
            self.ctx.bg.write(
                lambda s: write_point(s, account_id, address, town),
                {"accounts"},
                lambda placed: self._placed(account_id, placed),
                owner=self,
            )
        data_dir = self.ctx.data_dir
        self.ctx.bg.read(
            lambda _s: precise_point(data_dir, address),
            lambda placed: self._precise(account_id, address, placed),
            owner=self,
        )

    def _precise(self, account_id: str, address: Address, placed: Placed | None) -> None:
        if placed is None:
            return
        self.ctx.bg.write(
            lambda s: write_point(s, account_id, address, placed),
            {"accounts"},
            lambda done: self._placed(account_id, done),
            owner=self,
        )

    def _placed(self, account_id: str, placed: Placed | None) -> None:
        if placed is None:
            return
        if placed.precision == "approximate":
            text = self.tr("Placed on the map at {0} (approximate until geocoded).")
        else:
            text = self.tr("Located on the map: {0} ({1}).")
        self.ctx.tell(text.format(placed.label, placed.precision))
        self.located.emit(account_id, placed.precision)


def pin_state(account: dict[str, Any]) -> str:
    """What the account view says about the pin when it needs saying ("" when exact)."""
    if account.get("latitude") is None:
        return "not on the map yet"
    if account.get("geocode_precision") == "approximate":
        return "pin at the town's centre (approximate)"
    return ""


def old_location(session: Session, account_id: str) -> dict[str, Any]:
    acc = services.get(session, "accounts", account_id)
    return {name: acc[name] for name in LOCATION_FIELDS}


def move_pin(ctx: AppContext, account_id: str, lat: float, lon: float) -> None:
    """Save a corrected position (``manual``); the message offers Undo."""

    def move(session: Session) -> dict[str, Any]:
        before = old_location(session, account_id)
        services.update(
            session,
            "accounts",
            account_id,
            {"latitude": lat, "longitude": lon, "geocode_precision": "manual"},
        )
        return before

    def moved(before: dict[str, Any]) -> None:
        def undo() -> None:
            ctx.bg.write(lambda s: services.update(s, "accounts", account_id, before), {"accounts"})

        ctx.tell(f"Pin moved to {lat:.5f}, {lon:.5f}.", undo)

    ctx.bg.write(move, {"accounts"}, moved)


def undo_offer(ctx: AppContext, account_id: str, before: dict[str, Any], text: str) -> None:
    """Tell the user about a pin someone else already saved, with Undo to ``before``."""

    def undo() -> None:
        ctx.bg.write(lambda s: services.update(s, "accounts", account_id, before), {"accounts"})

    ctx.tell(text, undo)


def ask_pin(ctx: AppContext, parent: QWidget, account_id: str, current: str = "") -> bool:
    """Ask for coordinates typed as "lat, lon" and move the pin there; False if not."""
    typed = dialogs.ask_text(
        parent, "Set the pin", "Latitude, longitude (for example 50.73, 7.10):", current
    )
    if typed is None or not typed.strip():
        return False
    try:
        point = places.parse_point(typed)
    except FieldappError as exc:
        ctx.tell(exc.plain[:1].upper() + exc.plain[1:] + ".")
        return False
    if point is None:
        ctx.tell("Type the position as two numbers, latitude then longitude: 50.73, 7.10.")
        return False
    move_pin(ctx, account_id, *point)
    return True
