"""Attachments: photos downscaled and kept as blobs, uploaded resumably, private to scope."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PIL import Image

from fieldapp.errors import FieldappError
from fieldapp.server import admin
from fieldapp.store import blobs, services
from fieldapp.store.attachments import (
    AttachmentSettings,
    attach_bytes,
    attach_file,
    attachments_of,
    pending_uploads,
)
from fieldapp.store.db import Replica
from fieldapp.sync import blobs as blob_sync
from fieldapp.sync.transport import Transport
from tests.sync.conftest import World
from tests.syncutil import database_url


@pytest.fixture(params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    # The server process keeps its blobs here (it inherits the environment).
    monkeypatch.setenv("FIELDAPP_BLOB_DIR", str(tmp_path / "server-blobs"))
    with database_url(request.param, tmp_path) as url:
        w = World(url, tmp_path)
        try:
            yield w
        finally:
            w.close()


def _photo(width: int = 4000, height: int = 3000) -> bytes:
    image = Image.new("RGB", (width, height), (30, 120, 200))
    for x in range(0, width, 200):  # some detail, so JPEG has something to keep
        image.paste((250, 250, 0), (x, 0, x + 40, height))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def _server_blob(world: World, sha: str) -> Path:
    return world.tmp_path / "server-blobs" / sha[:2] / sha


def _setup(world: World) -> tuple[str, str]:
    world.user("boss", "admin")
    world.user("mgr", "manager")
    world.user("alice", "rep", "mgr")
    world.user("bob", "rep")
    north = admin.add_territory(world.db, "North", None, ["N"])
    admin.add_territory(world.db, "South", None, ["S"])
    admin.assign_territory(world.db, "North", "alice")
    admin.assign_territory(world.db, "South", "bob")
    boss, boss_sync = world.client("boss")
    with boss.session() as s:
        account = services.create(s, "accounts", {"name": "Nordwerk", "territory_id": north})
    boss_sync.sync()
    return north, account


def test_photos_and_files_round_trip_through_the_server(world: World) -> None:
    _north, account = _setup(world)
    alice, alice_sync = world.client("alice")
    alice_sync.sync()
    with alice.session() as s:
        visit = services.create(s, "visits", {"account_id": account, "outcome": "successful"})
        photo = attach_bytes(s, alice.data_dir, "visits", visit, _photo(), "shelf.jpeg")
        sheet = attach_bytes(s, alice.data_dir, "accounts", account, b"%PDF-1.4 quote", "q.pdf")
    with alice.read_session() as s:
        shown = {a.id: a for a in attachments_of(s, alice.data_dir, account_id=account)}
        assert len(pending_uploads(s)) == 2
    # The photo was downscaled to the default 2048 px on its long side, as JPEG.
    assert (shown[photo].width, shown[photo].height) == (2048, 1536)
    assert shown[photo].content_type == "image/jpeg" and shown[photo].filename == "shelf.jpeg"
    assert shown[sheet].content_type == "application/pdf" and shown[sheet].local
    kept = blobs.blob_path(alice.data_dir, shown[photo].sha256)
    assert hashlib.sha256(kept.read_bytes()).hexdigest() == shown[photo].sha256
    assert oct(kept.stat().st_mode & 0o777) == "0o600"

    # Before the records are pushed the server has nothing to attach the bytes to.
    transport = world.transports[-1]
    early = blob_sync.upload_pending(alice, transport)
    assert early.uploaded == 0 and early.waiting == 2
    alice_sync.sync()
    report = blob_sync.upload_pending(alice, transport)
    assert report.uploaded == 2 and report.bytes_sent == shown[photo].size + shown[sheet].size
    with alice.read_session() as s:
        assert pending_uploads(s) == []
    for info in shown.values():
        assert (
            _server_blob(world, info.sha256).read_bytes()
            == blobs.blob_path(alice.data_dir, info.sha256).read_bytes()
        )

    # The manager sees the records after a sync and fetches the bytes on demand.
    mgr, mgr_sync = world.client("mgr")
    mgr_sync.sync()
    with mgr.read_session() as s:
        theirs = {a.id: a for a in attachments_of(s, mgr.data_dir, account_id=account)}
    assert set(theirs) == {photo, sheet} and not theirs[photo].local
    blob_sync.download(mgr, world.transports[-1], theirs[photo].sha256)
    assert blobs.blob_path(mgr.data_dir, theirs[photo].sha256).read_bytes() == kept.read_bytes()

    # Bob's territory is elsewhere: the blob is as private as its record.
    bob, _ = world.client("bob")
    headers = {"Authorization": f"Bearer {world.transports[-1].token}"}
    url = f"{world.server.base}/blobs/{shown[photo].sha256}"
    assert requests.get(url, headers=headers, timeout=10).status_code == 404
    with pytest.raises(Exception, match="not on the server yet"):
        blob_sync.download(bob, world.transports[-1], shown[photo].sha256)


def test_an_interrupted_upload_resumes_and_bad_bytes_are_refused(world: World) -> None:
    _north, account = _setup(world)
    alice, alice_sync = world.client("alice")
    alice_sync.sync()
    data = os.urandom(9 * 1024 * 1024 + 123)  # not an image: kept as it is
    with alice.session() as s:
        attach_bytes(s, alice.data_dir, "accounts", account, data, "survey.bin")
    alice_sync.sync()
    sha = hashlib.sha256(data).hexdigest()
    token = world.transports[-1].token
    url = f"{world.server.base}/blobs/{sha}"

    def put(body: bytes, start: int, total: int) -> requests.Response:
        end = start + len(body) - 1
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Range": f"bytes {start}-{end}/{total}",
        }
        return requests.put(url, data=body, headers=headers, timeout=30)

    # The signal dropped after the first 3 MB: the server keeps them.
    assert put(data[: 3 * 1024 * 1024], 0, len(data)).json()["received"] == 3 * 1024 * 1024
    # A chunk that does not start where the upload stands is told where to resume.
    late = put(data[5 * 1024 * 1024 : 6 * 1024 * 1024], 5 * 1024 * 1024, len(data))
    assert late.status_code == 409 and late.json()["received"] == 3 * 1024 * 1024
    # Too large for any attachment, or without a range: refused in words.
    assert put(b"x", 0, 60 * 1024 * 1024).status_code == 413
    assert (
        requests.put(
            url, data=b"x", headers={"Authorization": f"Bearer {token}"}, timeout=10
        ).status_code
        == 400
    )

    report = blob_sync.upload_pending(alice, world.transports[-1])
    assert report.uploaded == 1 and report.bytes_sent == len(data) - 3 * 1024 * 1024
    assert _server_blob(world, sha).read_bytes() == data

    # Bytes that do not match their name are thrown away, never stored.
    other = os.urandom(1000)
    with alice.session() as s:
        attach_bytes(s, alice.data_dir, "accounts", account, other, "other.bin")
    alice_sync.sync()
    wrong = put(os.urandom(1000), 0, 1000)
    bad_url = url  # the first blob is complete: a put there changes nothing
    assert wrong.status_code == 200 and _server_blob(world, sha).read_bytes() == data
    other_sha = hashlib.sha256(other).hexdigest()
    url = f"{world.server.base}/blobs/{other_sha}"
    assert put(os.urandom(1000), 0, 1000).status_code == 422
    assert not _server_blob(world, other_sha).exists()
    assert blob_sync.upload_pending(alice, world.transports[-1]).uploaded == 1
    assert _server_blob(world, other_sha).read_bytes() == other
    del bad_url


def test_limits_are_said_in_words(replica: Replica, tmp_path: Path) -> None:
    with replica.session() as s:
        account = services.create(s, "accounts", {"name": "Nordwerk"})
    big = tmp_path / "video.mov"
    with open(big, "wb") as f:
        f.truncate(30 * 1024 * 1024)
    with (
        replica.session() as s,
        pytest.raises(FieldappError, match=r"30\.0 MB; .* at most 25\.0 MB"),
    ):
        attach_file(s, replica.data_dir, "accounts", account, big)
    small = AttachmentSettings(image_max_px=640, max_mb=1)
    with replica.session() as s:
        photo = attach_bytes(s, replica.data_dir, "accounts", account, _photo(), "p.png", small)
        with pytest.raises(FieldappError, match="can be attached to"):
            attach_bytes(s, replica.data_dir, "leads", account, b"x", "x.txt")
    with replica.read_session() as s:
        (info,) = [
            a for a in attachments_of(s, replica.data_dir, parent_id=account) if a.id == photo
        ]
    assert (info.width, info.height) == (640, 480) and info.filename == "p.jpg"
    with replica.session() as s:
        assert len(pending_uploads(s)) == 1


def test_a_sideways_photo_is_turned_upright(replica: Replica) -> None:
    image = Image.new("RGB", (300, 200), (10, 200, 10))
    exif = image.getexif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view", as phones write it
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    with replica.session() as s:
        account = services.create(s, "accounts", {"name": "Nordwerk"})
        photo = attach_bytes(s, replica.data_dir, "accounts", account, out.getvalue(), "p.jpg")
    with replica.read_session() as s:
        (info,) = [
            a for a in attachments_of(s, replica.data_dir, parent_id=account) if a.id == photo
        ]
    assert (info.width, info.height) == (200, 300)
    with Image.open(blobs.blob_path(replica.data_dir, info.sha256)) as kept:
        assert kept.size == (200, 300)


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_attachment_replies_cut_inside_their_headers_are_asked_for_again(world: World) -> None:
    # Attachments go through the transport's one retry policy (Transport.raw): a reply
    # cut inside its headers reads as a 200 without a body, which is asked for again.
    from tests.sync.test_damaged_replies import DamagingProxy, cut_inside_headers

    _north, account = _setup(world)
    alice, alice_sync = world.client("alice")
    alice_sync.sync()
    data = os.urandom(5000)
    with alice.session() as s:
        attach_bytes(s, alice.data_dir, "accounts", account, data, "notes.bin")
    alice_sync.sync()
    proxy = DamagingProxy(world.server.port, cut_inside_headers, 2)
    transport = Transport(f"http://127.0.0.1:{proxy.port}", world.transports[-1].token)
    try:
        report = blob_sync.upload_pending(alice, transport)
    finally:
        transport.close()
        proxy.close()
    assert proxy.left < 0  # the damaged replies were met
    assert report.uploaded == 1 and report.bytes_sent == len(data)
    assert _server_blob(world, hashlib.sha256(data).hexdigest()).read_bytes() == data
