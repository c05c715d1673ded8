"""The record lists' tables: one column-title rule for every model's headerData, and
the table view every list panel starts from."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QTableView

# Rows a column's width is measured from (besides the visible ones). Qt's default is
# 1,000, and each is a data() call per column: 280 ms on the GUI thread for the Tasks
# panel's 20k tasks, and a lazy model would fetch rows just to measure them.
RESIZE_ROWS = 30


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


def record_table(model: QAbstractItemModel) -> QTableView:
    """A table of records: whole rows, one at a time, striped, no row numbers, the last
    column filling the width, columns sized to their contents from the first rows."""
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setResizeContentsPrecision(RESIZE_ROWS)
    return table
