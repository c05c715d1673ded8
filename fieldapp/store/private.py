"""The data dir is private: the folder 0700, every file in it 0600.

Its files hold the customer data (the replica and its WAL, the geocoding cache with
looked-up addresses, the log, settings). Files are created 0600 where fieldapp makes
them (:func:`private_file`), and whatever is looser, e.g. files of an older release
made under a 022 umask, is tightened each time the data dir is opened
(:func:`tighten`). On Windows the user profile's ACLs protect the data dir and POSIX
modes mean little, so nothing is changed there.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
POSIX = os.name == "posix"


@dataclass(frozen=True)
class Mode:
    """One entry of the data dir and whether its permissions keep others out."""

    path: Path
    mode: int  # the permission bits, e.g. 0o600
    private: bool


def private_dir(path: Path) -> None:
    """Create ``path`` (and its parents) if needed; the folder itself ends up 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    _tighten(path, DIR_MODE)


def private_file(path: Path) -> None:
    """Create ``path`` empty and 0600 unless it exists; tighten it if it does.

    For files that a library then opens by name (SQLite, a log handler, QSettings),
    which would otherwise create them with the umask's mode.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        _tighten(path, FILE_MODE)
    else:
        os.close(fd)


def _tighten(path: Path, wanted: int) -> bool:
    """Drop the bits of ``path`` beyond ``wanted``; True when something changed."""
    if not POSIX:
        return False
    mode = stat.S_IMODE(path.lstat().st_mode)
    if mode & ~wanted == 0:
        return False
    os.chmod(path, mode & wanted)
    return True


def _entries(data_dir: Path) -> list[Path]:
    # Regular files directly in the data dir; symlinks are left alone (chmod would
    # follow them out of the folder).
    return sorted(p for p in data_dir.iterdir() if p.is_file() and not p.is_symlink())


def tighten(data_dir: Path) -> list[Path]:
    """Make ``data_dir`` 0700 and its files 0600 where they are looser; what changed."""
    changed = []
    if _tighten(data_dir, DIR_MODE):
        changed.append(data_dir)
    for path in _entries(data_dir):
        try:
            if _tighten(path, FILE_MODE):
                changed.append(path)
        except FileNotFoundError:  # removed meanwhile (a WAL at its last close)
            continue
    return changed


def modes(data_dir: Path) -> list[Mode]:
    """The data dir and each of its files with their permissions (for ``fieldapp doctor``)."""
    found = []
    for path, wanted in [(data_dir, DIR_MODE)] + [(p, FILE_MODE) for p in _entries(data_dir)]:
        try:
            mode = stat.S_IMODE(path.lstat().st_mode)
        except FileNotFoundError:
            continue
        found.append(Mode(path, mode, not POSIX or mode & ~wanted == 0))
    return found
