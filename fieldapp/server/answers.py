"""The error answers of the API, for its OpenAPI description.

Every status a route can give is listed on the route (``responses=answers(...)``), so
the published description is the whole contract: a client generator or a fuzzer
(tests/server/test_openapi.py runs schemathesis over it) meets no status it was not
told of. FastAPI adds 422 (a request that does not match the schema) by itself.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from fieldapp.sync.protocol import ErrorReply

WHY = {
    400: "The body is not JSON, or the request as a whole is refused (e.g. one mutation id "
    "twice in one push)",
    401: "No valid token: sign in again",
    403: "The record is outside the caller's scope",
    404: "No such record",
    413: "The request body is too large",
    426: "The client speaks another sync protocol or record schema: upgrade",
    429: "Too many failed sign-ins; see the Retry-After header",
    503: "The server's database is unavailable; retry later (Retry-After)",
}


def answers(*codes: int, ok: type[BaseModel] | None = None) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route that may answer ``codes`` (and 200 with ``ok``'s body)."""
    out: dict[int | str, dict[str, Any]] = {
        code: {"model": ErrorReply, "description": WHY[code]} for code in codes
    }
    if ok is not None:
        out[200] = {"model": ok, "description": "Successful Response"}
    return out
