"""Attachment bytes on the server: content-addressed, uploaded in resumable chunks.

An attachment's record syncs like any other; its bytes travel here, named by their
SHA-256. ``PUT /blobs/{sha}`` takes one chunk with ``Content-Range: bytes a-b/total``
and appends it to the partial file when ``a`` is where that file ends (anything else
is answered 409 with where to resume); the last chunk is checked against the name and
moved into place. ``GET /blobs/{sha}/status`` says how much has arrived, ``GET
/blobs/{sha}`` streams the file. A user may send or read a blob only when an attachment
record in their scope names it, so a blob is as private as the record it belongs to.
"""

# No ``from __future__ import annotations``: FastAPI reads the endpoints' annotations,
# and the ``Who`` alias made inside router() must be a real object, not a string.

import hashlib
import os
import re
from pathlib import Path
from typing import Annotated, Any

import platformdirs
from fastapi import APIRouter, Depends, Header, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel
from sqlalchemy import select

from fieldapp.domain.values import MAX_ATTACHMENT_BYTES
from fieldapp.server.auth import Principal
from fieldapp.server.db import Database
from fieldapp.server.models import Record
from fieldapp.server.scope import scope_of

ENV_BLOB_DIR = "FIELDAPP_BLOB_DIR"
Sha = Annotated[str, PathParam(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the bytes")]
_RANGE = re.compile(r"^bytes (\d{1,12})-(\d{1,12})/(\d{1,12})$")
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Content-Range missing or not matching the body"},
    401: {"description": "not signed in"},
    404: {"description": "no attachment in your scope names this blob"},
    409: {"description": "the chunk does not start where the upload stands"},
    413: {"description": "larger than the largest attachment"},
    422: {"description": "the bytes do not match their SHA-256"},
}


class BlobStatus(BaseModel):
    received: int
    complete: bool


def blob_dir_for(db: Database) -> Path:
    """``FIELDAPP_BLOB_DIR``; else beside an SQLite file; else in the server's data dir."""
    env = os.environ.get(ENV_BLOB_DIR)
    if env:
        return Path(env)
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(str(url.database) + ".blobs")
    # One folder per database (tests run many side by side on one PostgreSQL).
    key = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:12]
    base = Path(platformdirs.user_data_dir("fieldapp-server", appauthor=False))
    return base / "blobs" / key


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def final(self, sha: str) -> Path:
        return self.root / sha[:2] / sha

    def partial(self, sha: str) -> Path:
        return self.root / f"{sha}.part"

    def status(self, sha: str) -> BlobStatus:
        final = self.final(sha)
        if final.is_file():
            return BlobStatus(received=final.stat().st_size, complete=True)
        part = self.partial(sha)
        return BlobStatus(received=part.stat().st_size if part.exists() else 0, complete=False)

    def finish(self, sha: str) -> bool:
        """Check the partial file against its name; move it into place when it matches."""
        part = self.partial(sha)
        digest = hashlib.sha256()
        with open(part, "rb") as f:
            while block := f.read(1024 * 1024):
                digest.update(block)
        if digest.hexdigest() != sha:
            part.unlink(missing_ok=True)
            return False
        final = self.final(sha)
        final.parent.mkdir(exist_ok=True, mode=0o700)
        os.replace(part, final)
        return True


def visible(db: Database, who: Principal, sha: str) -> bool:
    """Does an attachment record in ``who``'s scope name this blob?"""
    with db.session() as session:
        scope = scope_of(session, who)
        found = session.scalar(
            select(Record.id)
            .where(
                Record.entity == "attachments",
                Record.deleted.is_(False),
                Record.data.contains(f'"{sha}"'),
                scope.condition(),
            )
            .limit(1)
        )
    return found is not None


def _refusal(status: int, detail: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"detail": detail, **extra}, status_code=status)


def router(db: Database, principal: Any, root: Path | None = None) -> APIRouter:
    """The blob endpoints, authenticated with the app's own ``principal`` dependency."""
    store = BlobStore(root or blob_dir_for(db))
    api = APIRouter()
    Who = Annotated[Principal, Depends(principal)]
    not_yours = "no attachment you can see has this file"

    @api.get("/blobs/{sha}/status", responses=ERRORS)
    async def blob_status(sha: Sha, who: Who) -> Any:
        if not await run_in_threadpool(visible, db, who, sha):
            return _refusal(404, not_yours)
        return store.status(sha)

    @api.put("/blobs/{sha}", responses=ERRORS)
    async def put_blob(
        sha: Sha,
        request: Request,
        who: Who,
        content_range: Annotated[str | None, Header()] = None,
    ) -> Any:
        match = _RANGE.match(content_range or "")
        if match is None:
            return _refusal(400, "send Content-Range: bytes START-END/TOTAL with each chunk")
        start, end, total = (int(g) for g in match.groups())
        if total > MAX_ATTACHMENT_BYTES:
            return _refusal(413, f"an attachment may be at most {MAX_ATTACHMENT_BYTES:,} bytes")
        if not start <= end < total:
            return _refusal(400, "Content-Range is not a range inside the file")
        if not await run_in_threadpool(visible, db, who, sha):
            return _refusal(404, not_yours)
        now = store.status(sha)
        if now.complete:
            return now
        if start != now.received:
            return _refusal(409, f"resume at byte {now.received}", received=now.received)
        part = store.partial(sha)
        expected = end - start + 1
        written = 0
        with open(part, "ab") as out:
            async for block in request.stream():
                written += len(block)
                if written > expected:
                    break
                out.write(block)
        if written != expected:
            # Keep only what was announced and whole: truncate back to the chunk's start.
            os.truncate(part, start)
            return _refusal(400, f"the chunk held {written} bytes, not {expected}")
        if end + 1 == total and not await run_in_threadpool(store.finish, sha):
            return _refusal(422, "the file does not match its checksum; send it again")
        return store.status(sha)

    @api.get("/blobs/{sha}", responses=ERRORS, response_class=FileResponse)
    async def get_blob(sha: Sha, who: Who) -> Any:
        if not await run_in_threadpool(visible, db, who, sha):
            return _refusal(404, not_yours)
        final = store.final(sha)
        if not final.is_file():
            return _refusal(404, "this file has not been uploaded yet")
        return FileResponse(final, media_type="application/octet-stream")

    return api
