from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from fieldapp.cli.main import main
from fieldapp.maps.geocode import (
    Gazetteer,
    GeocodeCache,
    geocode_missing,
    missing_accounts,
    open_geocoder,
    precision_of,
    set_location,
)
from fieldapp.maps.settings import MapSettings
from fieldapp.store import services
from fieldapp.store.db import Replica

from .servers import Place, nominatim, serve

PLACES = {
    "Hauptstr. 1": Place(50.9401, 6.9592, "Hauptstraße 1, Köln", "house", 30, "building", "yes"),
    "Ringstr.": Place(50.9300, 6.9400, "Ringstraße, Köln", "road", 26, "highway", "residential"),
    "53111": Place(50.7350, 7.1000, "53111, Bonn", "postcode", 21, "place", "postcode"),
    "Brühl": Place(50.8290, 6.9040, "Brühl, Rhein-Erft-Kreis", "town", 16, "place", "town"),
}


def _add(replica: Replica, name: str, **address: str) -> str:
    with replica.session() as session:
        return services.create(session, "accounts", {"name": name, **address})


def _settings(url: str, delay: float = 0.0) -> MapSettings:
    return MapSettings(nominatim_url=url, geocode_min_delay_s=delay, user_agent="fieldapp-test/2")


def test_precision_from_nominatim_answers() -> None:
    assert precision_of({"addresstype": "house", "place_rank": 30}) == "house"
    assert precision_of({"addresstype": "road", "place_rank": 26}) == "street"
    assert precision_of({"addresstype": "postcode", "place_rank": 21}) == "postcode"
    assert precision_of({"addresstype": "city", "place_rank": 16}) == "town"


def test_batch_geocoding_stores_precision_is_polite_and_cached(
    replica: Replica, data_dir: Path
) -> None:
    ids = {
        "house": _add(replica, "A", street="Hauptstr. 1", postcode="50667", city="Köln"),
        "street": _add(replica, "B", street="Ringstr. 9", city="Köln"),
        "postcode": _add(replica, "C", postcode="53111", city="Bonn"),
        "town": _add(replica, "D", street="Unbekanntweg 3", city="Brühl"),
        "none": _add(replica, "E", street="Nirgendwo 1", city="Nirgendwoheim"),
    }
    with replica.session() as session:
        done = services.create(
            session, "accounts", {"name": "Has one", "latitude": 1.0, "longitude": 2.0}
        )
    seen: list[tuple[int, int, str]] = []
    with serve(nominatim(PLACES)) as server:
        geocoder = open_geocoder(data_dir, _settings(server.url, delay=0.3))
        report = geocode_missing(
            replica, geocoder, progress=lambda i, n, name: seen.append((i, n, name))
        )
        first_round = len(server.seen)
        # Everything is cached now, found or not: a second run asks nothing.
        with replica.session() as session:
            for key in ("house", "street"):
                services.update(
                    session, "accounts", ids[key], {"latitude": None, "longitude": None}
                )
        geocode_missing(replica, geocoder)
        assert len(server.seen) == first_round
        geocoder.cache.close()
    assert report.total == 5 and report.done == 5 and not report.offline
    assert report.located == {"house": 1, "street": 1, "postcode": 1, "town": 1}
    assert report.not_found == [ids["none"]]
    assert [s[0] for s in seen] == [1, 2, 3, 4, 5] and seen[-1][1] == 5
    # Rate limit: requests start at least the configured delay (0.3 s) apart. Times are
    # taken as the server reads each request, so one arriving late (the first opens the
    # connection) makes the next gap look short; but no lateness shortens the whole
    # span by more than one delay. Unlimited, the span would be milliseconds.
    arrivals = [s.at for s in server.seen]
    assert len(arrivals) >= 4 and arrivals[-1] - arrivals[0] >= 0.3 * (len(arrivals) - 2)
    assert all(s.headers["User-Agent"] == "fieldapp-test/2" for s in server.seen)
    assert all(s.query["format"] == ["json"] for s in server.seen)
    with replica.read_session() as session:
        got = {k: services.get(session, "accounts", v) for k, v in ids.items()}
        assert services.get(session, "accounts", done)["latitude"] == 1.0
    assert got["house"]["geocode_precision"] == "house"
    assert got["house"]["latitude"] == pytest.approx(50.9401)
    assert got["postcode"]["geocode_precision"] == "postcode"
    assert got["town"]["geocode_precision"] == "town"  # street unknown: the town instead
    assert got["none"]["latitude"] is None
    assert [a["id"] for a in missing_accounts(replica)] == [ids["none"]]


def test_default_rate_is_one_request_per_second(replica: Replica, data_dir: Path) -> None:
    for city in ("Köln", "Bonn", "Brühl"):
        _add(replica, city, street="Hauptstr. 1", city=city)
    with serve(nominatim(PLACES)) as server:
        settings = MapSettings(nominatim_url=server.url)
        assert settings.geocode_min_delay_s == 1.0
        geocoder = open_geocoder(data_dir, settings)
        geocode_missing(replica, geocoder)
        geocoder.cache.close()
    gaps = [b.at - a.at for a, b in zip(server.seen, server.seen[1:], strict=False)]
    assert len(server.seen) == 3 and min(gaps) >= 0.95


def test_offline_falls_back_to_town_marked_approximate(replica: Replica, data_dir: Path) -> None:
    koeln = _add(replica, "K", street="Hauptstr. 1", city="Köln", country="Germany")
    muenchen = _add(replica, "M", street="Hauptstr. 1", city="München", country="DE")
    nowhere = _add(replica, "X", street="Hauptstr. 1", city="Nirgendwoheim")
    with serve(nominatim(PLACES)) as server:
        server.failing = True
        geocoder = open_geocoder(data_dir, _settings(server.url))
        report = geocode_missing(replica, geocoder)
        geocoder.cache.close()
    assert report.offline
    assert len(server.seen) == 1  # gave up on the network after the first failure
    assert report.located == {"approximate": 2} and report.not_found == [nowhere]
    with replica.read_session() as session:
        k = services.get(session, "accounts", koeln)
        m = services.get(session, "accounts", muenchen)
    assert k["geocode_precision"] == "approximate"
    assert k["latitude"] == pytest.approx(50.93, abs=0.05)
    assert m["latitude"] == pytest.approx(48.14, abs=0.05)
    # Back online, --refine replaces approximate positions with the server's.
    with serve(nominatim(PLACES)) as server:
        geocoder = open_geocoder(data_dir, _settings(server.url))
        report = geocode_missing(replica, geocoder, refine=True)
        geocoder.cache.close()
    with replica.read_session() as session:
        assert services.get(session, "accounts", koeln)["geocode_precision"] == "house"


def test_gazetteer_and_cache_directly(tmp_path: Path) -> None:
    loc = Gazetteer().lookup("Koeln", "Deutschland")
    assert loc is not None and loc.precision == "approximate" and "DE" in loc.label
    assert Gazetteer().lookup("Paris", "FR") is not None
    assert Gazetteer().lookup("Nonexistentville") is None
    cache = GeocodeCache(tmp_path / "c.sqlite3")
    cache.put("s", "  Hauptstr 1,  KÖLN ", None)
    assert cache.get("s", "hauptstr 1, köln") == (True, None)
    assert cache.get("other", "hauptstr 1, köln") == (False, None)
    cache.close()


def test_manual_pin_and_cancel(replica: Replica, data_dir: Path) -> None:
    a = _add(replica, "A", city="Köln")
    set_location(replica, a, 50.1, 7.1)
    with replica.read_session() as session:
        rec = services.get(session, "accounts", a)
    assert (rec["latitude"], rec["geocode_precision"]) == (50.1, "manual")
    _add(replica, "B", city="Köln")
    cancel = threading.Event()
    cancel.set()
    geocoder = open_geocoder(data_dir, _settings("http://127.0.0.1:9"), online=False)
    report = geocode_missing(replica, geocoder, cancel=cancel)
    geocoder.cache.close()
    assert report.cancelled and report.done == 0


def test_geocode_cli(data_dir: Path, replica: Replica, capsys: pytest.CaptureFixture[str]) -> None:
    a = _add(replica, "A", street="Hauptstr. 1", city="Köln")
    b = _add(replica, "B", city="Nirgendwoheim")
    with serve(nominatim(PLACES)) as server:
        code = main(
            ["--data-dir", str(data_dir), "geocode", "--missing", "--server", server.url, "--json"]
        )
        out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out) == {
        "total": 2,
        "located": {"house": 1},
        "not_found": [b],
        "offline": False,
    }
    code = main(["--data-dir", str(data_dir), "geocode", "--unplotted", "--json"])
    out, _ = capsys.readouterr()
    assert [r["id"] for r in json.loads(out)] == [b]
    code = main(["--data-dir", str(data_dir), "geocode", "--set", f"{b}=36.4,25.4"])
    assert code == 0
    with replica.read_session() as session:
        assert services.get(session, "accounts", b)["geocode_precision"] == "manual"
        assert services.get(session, "accounts", a)["geocode_precision"] == "house"
