"""Small loopback HTTP servers speaking the Nominatim, tile and OSRM table protocols.

Each records the requests it saw, so tests can check the user agent, the rate and
that the cache kept a second request from happening.
"""

from __future__ import annotations

import json
import math
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Seen:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    at: float


@dataclass
class Server:
    url: str
    seen: list[Seen] = field(default_factory=list)
    # Set to make the server answer 503 to everything (a broken service).
    failing: bool = False


Responder = Callable[[Server, Seen], tuple[int, str, bytes]]


@contextmanager
def serve(responder: Responder) -> Iterator[Server]:
    state = Server(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parsed = urlsplit(self.path)
            seen = Seen(parsed.path, parse_qs(parsed.query), dict(self.headers), time.monotonic())
            state.seen.append(seen)
            if state.failing:
                status, ctype, body = 503, "text/plain", b"down"
            else:
                status, ctype, body = responder(state, seen)
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


# --- OSRM --------------------------------------------------------------------------


def osrm_table(speed_mps: float = 10.0, factor: float = 1.5) -> Responder:
    """``/table/v1/driving/lon,lat;...``: Manhattan-ish distances so they differ from ours."""

    def respond(_state: Server, seen: Seen) -> tuple[int, str, bytes]:
        parts = seen.path.split("/")
        if len(parts) < 5 or parts[1] != "table":
            return 400, "application/json", b'{"code":"InvalidUrl"}'
        coords = [tuple(map(float, c.split(","))) for c in parts[4].split(";")]
        dist = []
        for lon1, lat1 in coords:
            row = []
            for lon2, lat2 in coords:
                dy = abs(lat1 - lat2) * 111_320
                dx = abs(lon1 - lon2) * 111_320 * math.cos(math.radians(lat1))
                row.append((dx + dy) * factor)
            dist.append(row)
        body = {
            "code": "Ok",
            "durations": [[d / speed_mps for d in row] for row in dist],
            "distances": dist,
        }
        return 200, "application/json", json.dumps(body).encode()

    return respond


# --- tiles ---------------------------------------------------------------------------


def png(rgb: tuple[int, int, int] = (200, 220, 240), size: int = 4) -> bytes:
    """A valid little PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))
    ihdr = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def tile_server() -> Responder:
    """``/{z}/{x}/{y}.png``: a PNG whose colour encodes the tile, 404 off the map."""

    def respond(_state: Server, seen: Seen) -> tuple[int, str, bytes]:
        try:
            z, x, y = (int(p) for p in seen.path.removesuffix(".png").strip("/").split("/"))
        except ValueError:
            return 404, "text/plain", b"no"
        if not (0 <= x < 2**z and 0 <= y < 2**z):
            return 404, "text/plain", b"no"
        return 200, "image/png", png((z * 10 % 256, x % 256, y % 256))

    return respond


# --- Nominatim -----------------------------------------------------------------------


@dataclass
class Place:
    lat: float
    lon: float
    display_name: str
    addresstype: str
    place_rank: int
    cls: str = "place"
    type: str = "house"


def nominatim(places: dict[str, Place]) -> Responder:
    """``/search?q=...&format=json``: answers from ``places`` by case-folded query."""

    def respond(_state: Server, seen: Seen) -> tuple[int, str, bytes]:
        if seen.path.rstrip("/") != "/search":
            return 404, "application/json", b"[]"
        q = (seen.query.get("q") or [""])[0].casefold()
        hits = []
        for key, p in places.items():
            if key.casefold() in q:
                hits.append(
                    {
                        "place_id": abs(hash(key)) % 10**8,
                        "lat": str(p.lat),
                        "lon": str(p.lon),
                        "display_name": p.display_name,
                        "class": p.cls,
                        "type": p.type,
                        "addresstype": p.addresstype,
                        "place_rank": p.place_rank,
                        "importance": 0.5,
                        "boundingbox": [
                            str(p.lat - 0.001),
                            str(p.lat + 0.001),
                            str(p.lon - 0.001),
                            str(p.lon + 0.001),
                        ],
                    }
                )
        return 200, "application/json", json.dumps(hits[:1]).encode()

    return respond
