"""Photos and files on accounts, visits and deals.

Adding a file stores its bytes as a content-addressed blob (``store/blobs.py``), makes
an ``attachments`` record (it syncs like any record) and queues the blob for upload
(``blob_uploads``; ``sync/blobs.py`` sends it in the background, resumably). A photo
larger than the configured size is downscaled first (Pillow), turned the right way up
from its EXIF orientation, so a 12-megapixel shelf photo costs a few hundred KB to sync.
"""

from __future__ import annotations

import io
import json
import mimetypes
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from fieldapp.domain.values import ATTACHMENT_PARENTS, MAX_ATTACHMENT_BYTES
from fieldapp.errors import FieldappError
from fieldapp.store import blobs, services
from fieldapp.store.models import Attachment, BlobUpload
from fieldapp.store.private import private_file

SETTINGS_FILE = "attachments.json"
# Pillow formats kept as they are when small enough; larger ones are re-encoded.
EXIF_ORIENTATION = 0x0112
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


@dataclass
class AttachmentSettings:
    """The device's limits, kept in ``attachments.json`` in the data dir."""

    # Photos larger than this on their long side are downscaled before they are kept.
    image_max_px: int = 2048
    # The largest file one attachment may be (after downscaling); the server's own
    # limit (domain.values.MAX_ATTACHMENT_BYTES) is the ceiling.
    max_mb: float = 25.0
    jpeg_quality: int = 85

    @property
    def max_bytes(self) -> int:
        return min(int(self.max_mb * 1024 * 1024), MAX_ATTACHMENT_BYTES)

    @classmethod
    def load(cls, data_dir: Path) -> AttachmentSettings:
        try:
            raw = json.loads((Path(data_dir) / SETTINGS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in known})

    def save(self, data_dir: Path) -> None:
        path = Path(data_dir) / SETTINGS_FILE
        private_file(path)
        path.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")


@dataclass(frozen=True)
class AttachmentInfo:
    id: str
    parent_entity: str
    parent_id: str
    filename: str
    content_type: str
    size: int
    sha256: str
    width: int | None
    height: int | None
    local: bool  # the bytes are on this laptop (else fetched from the server on open)

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _account_of(session: Session, parent_entity: str, parent_id: str) -> str:
    if parent_entity not in ATTACHMENT_PARENTS:
        raise FieldappError(f"files can be attached to {', '.join(ATTACHMENT_PARENTS)}")
    record = services.get(session, parent_entity, parent_id)
    account_id = parent_id if parent_entity == "accounts" else record.get("account_id")
    if not account_id:
        raise FieldappError("that record belongs to no account; attach the file to the account")
    return str(account_id)


def _downscaled(
    data: bytes, settings: AttachmentSettings
) -> tuple[bytes, str | None, int, int] | None:
    """(bytes, content type, width, height) of an image, smaller if it was too large.

    None when ``data`` is not an image Pillow reads: it is kept as a plain file.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        return None
    kind = IMAGE_FORMATS.get(image.format or "")
    upright = image.getexif().get(EXIF_ORIENTATION, 1) == 1
    if kind is not None and upright and max(image.size) <= settings.image_max_px:
        return data, kind, image.width, image.height  # kept byte for byte
    oriented = ImageOps.exif_transpose(image)
    oriented.thumbnail((settings.image_max_px, settings.image_max_px))
    out = io.BytesIO()
    if oriented.mode in ("RGBA", "LA", "P") and image.format == "PNG":
        oriented.save(out, "PNG", optimize=True)
        kind = "image/png"
    else:
        oriented.convert("RGB").save(out, "JPEG", quality=settings.jpeg_quality, optimize=True)
        kind = "image/jpeg"
    return out.getvalue(), kind, oriented.width, oriented.height


def _name_for(filename: str, content_type: str) -> str:
    stem = Path(filename).stem or "file"
    if content_type == "image/jpeg" and Path(filename).suffix.lower() not in (".jpg", ".jpeg"):
        return stem + ".jpg"
    if content_type == "image/png" and Path(filename).suffix.lower() != ".png":
        return stem + ".png"
    return Path(filename).name


def attach_bytes(
    session: Session,
    data_dir: Path,
    parent_entity: str,
    parent_id: str,
    data: bytes,
    filename: str,
    settings: AttachmentSettings | None = None,
) -> str:
    """Attach these bytes (a pasted image, a file read in) to a record; return its id."""
    settings = settings or AttachmentSettings.load(data_dir)
    account_id = _account_of(session, parent_entity, parent_id)
    image = _downscaled(data, settings)
    width = height = None
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    if image is not None:
        data, kind, width, height = image
        content_type = kind or content_type
    if len(data) > settings.max_bytes:
        raise FieldappError(
            f"{filename} is {_mb(len(data))}; an attachment may be at most"
            f" {_mb(settings.max_bytes)}"
        )
    sha, size = blobs.store_bytes(data_dir, data)
    attachment_id = services.create(
        session,
        "attachments",
        {
            "account_id": account_id,
            "parent_entity": parent_entity,
            "parent_id": parent_id,
            "filename": _name_for(filename, content_type)[:255],
            "content_type": content_type[:100],
            "size": size,
            "sha256": sha,
            "width": width,
            "height": height,
        },
    )
    queue_upload(session, sha, size)
    return attachment_id


def attach_file(
    session: Session,
    data_dir: Path,
    parent_entity: str,
    parent_id: str,
    path: Path,
    settings: AttachmentSettings | None = None,
) -> str:
    """Attach a file from disk; a file far over the limit is refused before it is read."""
    settings = settings or AttachmentSettings.load(data_dir)
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FieldappError(f"cannot read {path}: {exc.strerror or exc}") from exc
    is_image = (mimetypes.guess_type(path.name)[0] or "").startswith("image/")
    # Photos are downscaled, so only a huge one is refused unread; other files must fit.
    limit = settings.max_bytes * (8 if is_image else 1)
    if size > limit:
        raise FieldappError(
            f"{path.name} is {_mb(size)}; an attachment may be at most {_mb(settings.max_bytes)}"
        )
    data = path.read_bytes()
    return attach_bytes(session, data_dir, parent_entity, parent_id, data, path.name, settings)


def queue_upload(session: Session, sha256: str, size: int) -> None:
    session.execute(
        sqlite_insert(BlobUpload)
        .values(sha256=sha256, size=size, sent=0)
        .on_conflict_do_nothing(index_elements=["sha256"])
    )


def pending_uploads(session: Session) -> list[BlobUpload]:
    return list(session.scalars(select(BlobUpload).order_by(BlobUpload.sha256)))


def _info(row: Attachment, data_dir: Path) -> AttachmentInfo:
    return AttachmentInfo(
        row.id,
        row.parent_entity,
        row.parent_id,
        row.filename,
        row.content_type,
        row.size,
        row.sha256,
        row.width,
        row.height,
        blobs.has_blob(data_dir, row.sha256),
    )


def attachments_of(
    session: Session, data_dir: Path, *, account_id: str | None = None, parent_id: str | None = None
) -> list[AttachmentInfo]:
    """An account's attachments (its own, its visits' and deals'), or one record's."""
    query = select(Attachment).where(Attachment.deleted_at.is_(None))
    if account_id is not None:
        query = query.where(Attachment.account_id == account_id)
    if parent_id is not None:
        query = query.where(Attachment.parent_id == parent_id)
    rows = session.scalars(query.order_by(Attachment.created_at.desc()))
    return [_info(row, data_dir) for row in rows]


def delete_attachment(session: Session, attachment_id: str) -> None:
    services.delete(session, "attachments", attachment_id)


def restore_attachment(session: Session, attachment_id: str) -> None:
    services.restore(session, "attachments", attachment_id)


def describe(info: AttachmentInfo) -> dict[str, Any]:
    """One attachment as the CLI prints it."""
    return {
        "id": info.id,
        "on": f"{info.parent_entity}/{info.parent_id}",
        "filename": info.filename,
        "type": info.content_type,
        "size": info.size,
        "pixels": f"{info.width}x{info.height}" if info.width else None,
        "sha256": info.sha256,
        "on_this_laptop": info.local,
    }
