"""Attachment bytes to and from the server, in the background and resumable.

After a sync has pushed the attachment records, :func:`upload_pending` sends each queued
blob (``blob_uploads``) in chunks of a few MB: it asks the server how much it already
holds and goes on from there, so an upload cut by a lost signal resumes where it
stopped, on the next sync or after a restart. Memory stays at one chunk whatever the
size. :func:`download` fetches a blob another device attached, checked against its
SHA-256 before it is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, update

from fieldapp.store import blobs
from fieldapp.store.attachments import pending_uploads
from fieldapp.store.db import Replica
from fieldapp.store.models import BlobUpload
from fieldapp.sync.errors import SyncError
from fieldapp.sync.transport import Transport

CHUNK = 4 * 1024 * 1024


@dataclass
class BlobReport:
    uploaded: int = 0
    bytes_sent: int = 0
    waiting: int = 0  # the server does not know the record yet (not pushed or refused)
    problems: list[str] = field(default_factory=list)


Progress = Callable[[int, int], None]  # bytes sent so far, bytes to send


def _status(transport: Transport, sha: str) -> dict[str, Any] | None:
    resp = transport.raw("GET", f"/blobs/{sha}/status", accept=(404,))
    if resp.status_code == 404:
        return None
    body: dict[str, Any] = resp.json()
    return body


def _send(
    transport: Transport,
    replica: Replica,
    up: BlobUpload,
    sent_before: int,
    total: int,
    progress: Progress | None,
) -> tuple[bool, int]:
    """Send one blob from where the server stands; (complete, bytes sent now)."""
    status = _status(transport, up.sha256)
    if status is None:
        return False, 0
    offset = int(status["received"])
    if status["complete"]:
        return True, 0
    sent = 0
    path = blobs.blob_path(replica.data_dir, up.sha256)
    with open(path, "rb") as source:
        while offset < up.size:
            source.seek(offset)
            block = source.read(CHUNK)
            end = offset + len(block) - 1
            headers = {"Content-Range": f"bytes {offset}-{end}/{up.size}"}
            resp = transport.raw(
                "PUT", f"/blobs/{up.sha256}", block, headers=headers, accept=(409,)
            )
            if resp.status_code == 409:  # another try got further: resume there
                offset = int(resp.json().get("received", offset))
                continue
            offset = end + 1
            sent += len(block)
            with replica.session() as session:
                session.execute(
                    update(BlobUpload).where(BlobUpload.sha256 == up.sha256).values(sent=offset)
                )
            if progress is not None:
                progress(sent_before + sent, total)
    return True, sent


def upload_pending(
    replica: Replica, transport: Transport, progress: Progress | None = None
) -> BlobReport:
    """Send every queued blob the server can take; what it cannot take yet stays queued."""
    report = BlobReport()
    with replica.read_session() as session:
        queued = pending_uploads(session)
    total = sum(up.size for up in queued)
    for up in queued:
        if not blobs.has_blob(replica.data_dir, up.sha256):
            report.problems.append(f"a queued attachment ({up.sha256[:12]}…) is missing here")
            continue
        complete, sent = _send(transport, replica, up, report.bytes_sent, total, progress)
        report.bytes_sent += sent
        if not complete:
            report.waiting += 1
            continue
        report.uploaded += 1
        with replica.session() as session:
            session.execute(delete(BlobUpload).where(BlobUpload.sha256 == up.sha256))
    return report


def download(replica: Replica, transport: Transport, sha: str) -> None:
    """Fetch a blob this laptop lacks (an attachment made on another device)."""
    if blobs.has_blob(replica.data_dir, sha):
        return
    resp = transport.raw("GET", f"/blobs/{sha}", accept=(404,), stream=True)
    with resp:
        if resp.status_code == 404:
            raise SyncError("this attachment is not on the server yet; try again after a sync")
        resp.raw.decode_content = True
        blobs.store_stream(replica.data_dir, resp.raw, expected=sha)
