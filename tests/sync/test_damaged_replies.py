"""Replies cut inside their headers or garbled are retried sync errors (issue 14 item 9).

A proxy on loopback in front of the real server damages the first replies it relays
(cut after a given byte of the reply, or with bytes of it flipped), then relays whole
ones.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from fieldapp.errors import FieldappError
from fieldapp.store.db import open_replica
from fieldapp.sync.engine import SyncEngine
from fieldapp.sync.errors import SyncError
from fieldapp.sync.transport import Transport
from tests.sync.conftest import World
from tests.sync.test_sync_flow import create, ids_of, setup_two_territories
from tests.syncutil import PASSWORD

Damage = Callable[[bytes], bytes]


def cut_inside_headers(reply: bytes) -> bytes:
    # "HTTP/1.1 200 OK\r\ncontent-le" : the status line and part of a header.
    return reply[: reply.index(b"\r\n") + 12]


def cut_after_status(reply: bytes) -> bytes:
    return reply[: reply.index(b"\r\n") + 2]


def garble_body(reply: bytes) -> bytes:
    head, _, body = reply.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n" + bytes(b ^ 0x5A for b in body)


class DamagingProxy:
    """Relays one request per connection; damages the first ``damaged`` replies."""

    def __init__(self, upstream_port: int, damage: Damage, damaged: int) -> None:
        self.upstream_port = upstream_port
        self.damage = damage
        self.left = damaged
        self.lock = threading.Lock()
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        with client, socket.create_connection(("127.0.0.1", self.upstream_port)) as up:
            while True:
                request = _read_message(client)
                if not request:
                    return
                up.sendall(request)
                reply = _read_message(up)
                with self.lock:
                    damaged = self.left > 0
                    self.left -= 1
                if damaged:
                    client.sendall(self.damage(reply))
                    return  # and close: the client sees the cut
                client.sendall(reply)

    def close(self) -> None:
        self.listener.close()


def _read_message(sock: socket.socket) -> bytes:
    """One HTTP message with a Content-Length (all the server and requests send here)."""
    data = b""
    while b"\r\n\r\n" not in data:
        part = sock.recv(65536)
        if not part:
            return data
        data += part
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        part = sock.recv(65536)
        if not part:
            break
        body += part
    return head + b"\r\n\r\n" + body


@pytest.fixture
def proxied(world: World) -> Iterator[Callable[[Damage, int], Transport]]:
    proxies: list[DamagingProxy] = []
    transports: list[Transport] = []

    def make(damage: Damage, damaged: int) -> Transport:
        proxy = DamagingProxy(world.server.port, damage, damaged)
        proxies.append(proxy)
        transport = Transport(f"http://127.0.0.1:{proxy.port}", retries=3)
        transports.append(transport)
        return transport

    yield make
    for t in transports:
        t.close()
    for p in proxies:
        p.close()


@pytest.mark.parametrize("damage", [cut_inside_headers, garble_body])
def test_damaged_replies_are_retried_and_the_sync_completes(
    world: World, proxied: Callable[[Damage, int], Transport], damage: Damage
) -> None:
    t = setup_two_territories(world)
    boss, boss_sync = world.client("boss")
    acc = create(boss, "accounts", name="Acme", territory_id=t["north"])
    boss_sync.sync()

    transport = proxied(damage, 2)  # the login's reply and the next one arrive damaged
    transport.login("alice", PASSWORD)
    alice = world.tmp_path / "alice"
    replica = open_replica(alice)
    world.replicas.append(replica)
    SyncEngine(replica, transport).sync()
    assert ids_of(replica, "accounts") == {acc}


@pytest.mark.parametrize("damage", [cut_after_status, garble_body])
def test_replies_that_stay_damaged_end_as_a_sync_error(
    world: World, proxied: Callable[[Damage, int], Transport], damage: Damage
) -> None:
    world.user("alice")
    transport = proxied(damage, 1000)
    with pytest.raises(SyncError, match="damaged") as caught:
        transport.login("alice", PASSWORD)
    assert isinstance(caught.value, FieldappError)  # a sentence for people, not a bug
