"""Column titles for the app's table models (one rule for every model's headerData)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt


def column_title(
    headers: Sequence[str], section: int, orientation: Qt.Orientation, role: int
) -> str | None:
    """The horizontal header text for ``section``; None for anything else."""
    if (
        orientation == Qt.Orientation.Horizontal
        and role == Qt.ItemDataRole.DisplayRole
        and 0 <= section < len(headers)
    ):
        return headers[section]
    return None
