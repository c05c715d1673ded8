"""Bounds on what a request may hold, checked before any of it reaches the database.

Numbers, ids and lengths a request may carry are declared on the wire types
(:mod:`fieldapp.sync.protocol`: BIGINT-bounded versions and cursors, canonical UUIDs,
no NUL characters), so FastAPI answers 422 for them. What a field-by-field schema
cannot say lives here: a body too large to read (413) and the same mutation id twice
in one push (400; two rows of ``applied_mutations`` with one key would otherwise fail
the whole transaction).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse

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


async def limit_body(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """HTTP middleware: answer 413 to a body declared larger than MAX_BODY_BYTES."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            return JSONResponse({"detail": "the Content-Length header is not a number"}, 400)
        if int(declared) > MAX_BODY_BYTES:
            return JSONResponse(
                {"detail": f"the request is larger than {MAX_BODY_BYTES // 2**20} MB"}, 413
            )
    return await call_next(request)
