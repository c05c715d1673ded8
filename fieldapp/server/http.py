"""uvicorn's HTTP protocol with Nagle's algorithm off on every connection.

With ``--workers N`` uvicorn binds the listening socket itself with protocol number 0,
and asyncio only sets ``TCP_NODELAY`` on sockets whose protocol is TCP. Every response
(headers and body written separately) then waits for the client's delayed ACK: about
40 ms per request. Setting the option on each accepted connection fixes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from uvicorn.protocols.http.auto import AutoHTTPProtocol


class NoDelayHTTP(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
