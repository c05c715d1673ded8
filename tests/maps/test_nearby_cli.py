"""``fieldapp accounts nearby``: from an account, a point or an address, nearest first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldapp.cli.main import main
from fieldapp.maps.settings import MapSettings
from fieldapp.store import services
from fieldapp.store.db import Replica

from .servers import Place, nominatim, serve

BONN_MARKT = Place(50.7357, 7.1013, "Markt, 53111 Bonn", "road", 26, "highway", "pedestrian")


def _accounts(replica: Replica) -> dict[str, str]:
    rows = {
        "Bonn": {"latitude": "50.7374", "longitude": "7.0982"},
        "Beuel": {"latitude": "50.7390", "longitude": "7.1290"},  # ~2 km east
        "Siegburg": {"latitude": "50.7998", "longitude": "7.2079"},  # ~10 km
        "Köln": {"latitude": "50.9413", "longitude": "6.9583"},  # ~25 km
        "Unplotted": {},
    }
    with replica.session() as s:
        return {
            name: services.create(s, "accounts", {"name": name, "city": name, **values})
            for name, values in rows.items()
        }


def _run(data_dir: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), "accounts", "nearby", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_from_an_account_and_from_a_point(
    data_dir: Path, replica: Replica, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _accounts(replica)
    code, out, err = _run(data_dir, capsys, ids["Bonn"], "--km", "12", "--json")
    assert code == 0, err
    found = json.loads(out)
    assert [a["name"] for a in found["accounts"]] == ["Beuel", "Siegburg"]  # itself left out
    assert 2.0 < found["accounts"][0]["distance_km"] < 2.5
    assert found["centre"]["label"] == "Bonn"
    code, out, _ = _run(data_dir, capsys, "50.7374,7.0982", "--km", "30", "--limit", "3")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].split()[:2] == ["DISTANCE_KM", "NAME"]
    assert [line.split()[1] for line in lines[1:]] == ["Bonn", "Beuel", "Siegburg"]


def test_from_an_address_online_then_offline(
    data_dir: Path, replica: Replica, capsys: pytest.CaptureFixture[str]
) -> None:
    _accounts(replica)
    with serve(nominatim({"Markt": BONN_MARKT})) as server:
        MapSettings(nominatim_url=server.url, geocode_min_delay_s=0.0).save(data_dir)
        code, out, err = _run(data_dir, capsys, "Markt, Bonn", "--km", "3", "--json")
        assert code == 0, err
        found = json.loads(out)
        assert found["centre"]["approximate"] is False
        assert [a["name"] for a in found["accounts"]] == ["Bonn", "Beuel"]
        assert len(server.seen) == 1
    # Offline: the gazetteer's town centre, said to be approximate.
    code, out, err = _run(data_dir, capsys, "Hauptstraße 5, 53111 Siegburg", "--offline")
    assert code == 0, err
    assert "approximate" in err
    assert out.strip().splitlines()[1].split()[1] == "Siegburg"


def test_bad_input_is_one_line(
    data_dir: Path, replica: Replica, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _accounts(replica)
    code, _, err = _run(data_dir, capsys, ids["Unplotted"])
    assert code == 1 and "no location yet" in err and "Traceback" not in err
    code, _, err = _run(data_dir, capsys, "50,7", "--km", "0")
    assert code == 1 and "above 0 km" in err
    code, _, err = _run(data_dir, capsys, "95,7")
    assert code == 1 and "latitude" in err
    code, _, err = _run(data_dir, capsys, "Nirgendwoheim Xyz", "--offline")
    assert code == 1 and "could not find" in err
    with pytest.raises(SystemExit):
        main(["--data-dir", str(data_dir), "accounts", "nearby", "50,7", "--km", "far"])
