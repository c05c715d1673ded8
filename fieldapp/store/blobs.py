"""Content-addressed blobs in the data dir: ``blobs/ab/abcdef…`` named by their SHA-256.

The same photo attached twice is stored once. A blob is written to a private temporary
file beside its place, hashed while it is written, and renamed into place only when
complete, so a crash or a full disk never leaves a half blob under a real name.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from fieldapp.errors import FieldappError
from fieldapp.store.private import private_dir, private_file

BLOB_DIR = "blobs"


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


CHUNK = 1024 * 1024


def blob_root(data_dir: Path) -> Path:
    return Path(data_dir) / BLOB_DIR


def blob_path(data_dir: Path, sha256: str) -> Path:
    return blob_root(data_dir) / sha256[:2] / sha256


def has_blob(data_dir: Path, sha256: str) -> bool:
    return blob_path(data_dir, sha256).is_file()


def chunks(source: Readable, size: int = CHUNK) -> Iterator[bytes]:
    while block := source.read(size):
        yield block


def store_stream(
    data_dir: Path, source: Readable, *, expected: str | None = None
) -> tuple[str, int]:
    """Copy ``source`` into the store; return (sha256, size). Memory: one chunk at a time.

    ``expected``: the digest the bytes must have (a download); a mismatch keeps nothing.
    """
    root = blob_root(data_dir)
    private_dir(root)
    tmp = root / f".incoming-{os.getpid()}-{id(source)}"
    private_file(tmp)
    digest = hashlib.sha256()
    size = 0
    try:
        with open(tmp, "wb") as out:
            for block in chunks(source):
                digest.update(block)
                out.write(block)
                size += len(block)
            out.flush()
            os.fsync(out.fileno())
        sha = digest.hexdigest()
        if expected is not None and sha != expected:
            raise FieldappError("the file received is damaged (its checksum does not match)")
        target = blob_path(data_dir, sha)
        private_dir(target.parent)
        os.replace(tmp, target)
    except OSError as exc:
        raise FieldappError(f"could not store the file: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return sha, size


def store_bytes(data_dir: Path, data: bytes) -> tuple[str, int]:
    return store_stream(data_dir, io.BytesIO(data))
