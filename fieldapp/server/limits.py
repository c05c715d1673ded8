"""Bounds on what a request may hold, checked before any of it reaches the database.

Numbers, ids and lengths a request may carry are declared on the wire types
(:mod:`fieldapp.sync.protocol`: BIGINT-bounded versions and cursors, canonical UUIDs,
no NUL characters), so FastAPI answers 422 for them. What a field-by-field schema
cannot say lives here: a body too large to read (413, whether it states its length or
comes in chunks) and the same mutation id twice in one push (400; two rows of
``applied_mutations`` with one key would otherwise fail the whole transaction).
"""

from __future__ import annotations

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fieldapp.server.db import ServerError
from fieldapp.sync.protocol import Mutation

# A push of 1000 mutations of big territories (a 2 MB polygon each would be 2 GB) is
# not a push a client makes; a full push of ordinary records is a few MB.
MAX_BODY_BYTES = 64 * 1024 * 1024


class BadRequest(ServerError):
    """HTTP 400: the request as a whole makes no sense."""


def check_unique_mutations(mutations: list[Mutation]) -> None:
    """Refuse a push that names one mutation id twice (a replay is a later push)."""
    seen: set[str] = set()
    for m in mutations:
        if m.mutation_id in seen:
            raise BadRequest(
                f"the push holds mutation {m.mutation_id} twice; each change is sent once "
                "(nothing of this push was applied)"
            )
        seen.add(m.mutation_id)


class BodyTooLarge(HTTPException):
    """Raised from inside a request's body stream when it passes the limit: HTTP 413.

    An ``HTTPException``, so FastAPI's body parsing lets it through (anything else it
    turns into 400) and the app answers it as any refusal, in words.
    """

    def __init__(self) -> None:
        super().__init__(413, f"the request is larger than {MAX_BODY_BYTES // 2**20} MB")


class BodyLimit:
    """ASGI middleware: no request body larger than ``max_bytes`` reaches the app.

    A body that states its length is refused before any of it is read; a chunked body
    (no Content-Length) is counted as the app reads it, and the read that passes the
    limit raises :class:`BodyTooLarge`, so no route ever holds more than the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            if not declared.isdigit():
                answer = JSONResponse({"detail": "the Content-Length header is not a number"}, 400)
                await answer(scope, receive, send)
            elif int(declared) > self.max_bytes:
                await JSONResponse({"detail": BodyTooLarge().detail}, 413)(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        await self.app(scope, self._counted(receive), send)

    def _counted(self, receive: Receive) -> Receive:
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge()
            return message

        return counted
