"""Request bodies are bounded whether they state their length or come in chunks.

Sent with http.client over loopback to the real server: ``encode_chunked`` sends a body
without Content-Length (Transfer-Encoding: chunked), which a client may always do, and
which the server must count as it reads instead of trusting a header.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from fieldapp.server.limits import MAX_BODY_BYTES
from tests.server.rawapi import VERSIONS, Api

BLOCK = 1024 * 1024


def _connection(api: Api) -> http.client.HTTPConnection:
    url = urlsplit(api.base)
    return http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=120)


def _blocks(total: int, head: bytes = b"") -> Iterator[bytes]:
    yield head
    left = total - len(head)
    while left > 0:
        size = min(BLOCK, left)
        yield b" " * size  # JSON whitespace: the body stays valid JSON as far as it goes
        left -= size


def _send(api: Api, path: str, body: object, headers: dict[str, str]) -> tuple[int, dict]:
    conn = _connection(api)
    try:
        conn.request("POST", path, body=body, headers=headers, encode_chunked=True)  # type: ignore[arg-type]
        reply = conn.getresponse()
        return reply.status, json.loads(reply.read() or b"{}")
    finally:
        conn.close()


@pytest.mark.parametrize("api", ["sqlite"], indirect=True)
def test_a_chunked_body_over_the_limit_is_refused_in_words(api: Api) -> None:
    status, reply = _send(
        api,
        "/auth/login",
        _blocks(MAX_BODY_BYTES + 1, b'{"username": "x", "password": "y"}'),
        {"Content-Type": "application/json"},
    )
    assert status == 413
    assert reply["detail"] == f"the request is larger than {MAX_BODY_BYTES // 2**20} MB"


@pytest.mark.parametrize("api", ["sqlite"], indirect=True)
def test_a_chunked_body_within_the_limit_is_served(api: Api) -> None:
    api.user("alice")
    push = {"mutations": [], "scope_seq": 0}
    status, reply = _send(
        api,
        "/sync/push",
        iter([json.dumps(push).encode()[:5], json.dumps(push).encode()[5:]]),
        {"Content-Type": "application/json", **api.headers("alice"), **VERSIONS},
    )
    assert (status, reply) == (200, {"results": []})


@pytest.mark.parametrize("api", ["sqlite"], indirect=True)
def test_a_stated_length_over_the_limit_is_refused_before_the_body(api: Api) -> None:
    conn = _connection(api)
    try:
        # Only the headers are sent: the answer comes without waiting for 64 MB.
        conn.putrequest("POST", "/auth/login")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
        conn.endheaders()
        reply = conn.getresponse()
        assert reply.status == 413
        assert "larger than" in json.loads(reply.read())["detail"]
    finally:
        conn.close()
