"""The data dir is 0700 and its files 0600, made so and tightened when looser."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldapp.maps.geocode import GeocodeCache
from fieldapp.maps.settings import MapSettings
from fieldapp.maps.tiles import MBTiles
from fieldapp.store import private, services
from fieldapp.store.db import DB_FILENAME, open_replica

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")

LOOSE_FILES = (
    "fieldapp.log",
    "geocode-cache.sqlite3",
    "tiles.mbtiles",
    "fieldapp-ui.ini",
    "maps.json",
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    old = os.umask(0o022)  # what most desktops have, whatever the test runner has
    yield
    os.umask(old)


@pytest.mark.usefixtures("usual_umask")
def test_a_new_data_dir_and_its_files_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "new" / "data"
    replica = open_replica(data_dir)
    with replica.session() as s:
        services.create(s, "accounts", {"name": "Acme"})
    assert mode(data_dir) == 0o700
    for suffix in ("", "-wal", "-shm"):
        assert mode(data_dir / f"{DB_FILENAME}{suffix}") == 0o600, suffix
    # The caches and settings the maps write beside the replica start private too.
    GeocodeCache(data_dir / "geocode-cache.sqlite3").close()
    MBTiles(data_dir / "tiles.mbtiles").close()
    MapSettings().save(data_dir)
    for name in ("geocode-cache.sqlite3", "tiles.mbtiles", "maps.json"):
        assert mode(data_dir / name) == 0o600, name
    replica.close()


def test_looser_permissions_are_tightened_on_open(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    replica = open_replica(data_dir)
    with replica.session() as s:
        services.create(s, "accounts", {"name": "Acme"})
    # As an older release left them under a 022 umask, in a world-readable folder.
    os.chmod(data_dir, 0o755)
    for name in (DB_FILENAME, f"{DB_FILENAME}-wal", f"{DB_FILENAME}-shm"):
        os.chmod(data_dir / name, 0o644)
    for name in LOOSE_FILES:
        (data_dir / name).write_text("x")
        os.chmod(data_dir / name, 0o664)
    assert [m.path.name for m in private.modes(data_dir) if not m.private]
    again = open_replica(data_dir)
    assert mode(data_dir) == 0o700
    for path in data_dir.iterdir():
        assert mode(path) == 0o600, path.name
    assert all(m.private for m in private.modes(data_dir))
    again.close()
    replica.close()


def test_tightening_only_removes_bits(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_text("x")
    os.chmod(target, 0o400)  # read-only for the owner: left as it is
    private.private_file(target)
    assert mode(target) == 0o400
    link = tmp_path / "d"
    link.mkdir()
    outside = tmp_path / "outside"
    outside.write_text("x")
    os.chmod(outside, 0o644)
    (link / "to-outside").symlink_to(outside)
    private.tighten(link)
    assert mode(outside) == 0o644  # a symlink is not followed out of the data dir
