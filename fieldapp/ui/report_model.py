"""The table beside a report's chart: a read-only Qt model over a report table.

Rows come from :func:`fieldapp.reports.tables.table`; the totals follow the rows, in
bold. Numbers are right-aligned and formatted as in the CLI and the PDF.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QFont

from fieldapp.reports import tables
from fieldapp.reports.tables import Table

Index = QModelIndex | QPersistentModelIndex
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


class ReportTableModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self._table: Table | None = None
        self._cells: list[list[str]] = []
        self._bold = QFont()
        self._bold.setBold(True)

    def set_table(self, table: Table | None) -> None:
        self.beginResetModel()
        self._table = table
        self._cells = tables.display_rows(table, [*table.rows, *table.totals]) if table else []
        self.endResetModel()

    def table(self) -> Table | None:
        return self._table

    def detail_rows(self) -> int:
        """Rows before the totals."""
        return len(self._table.rows) if self._table else 0

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._cells)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() or self._table is None:
            return 0
        return len(self._table.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self._table is None or not index.isValid():
            return None
        row, column = index.row(), index.column()
        if not (0 <= row < len(self._cells) and 0 <= column < len(self._table.columns)):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._cells[row][column]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(RIGHT if self._table.columns[column].numeric else LEFT)
        if role == Qt.ItemDataRole.FontRole and row >= len(self._table.rows):
            return self._bold
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            self._table is None
            or orientation != Qt.Orientation.Horizontal
            or not 0 <= section < len(self._table.columns)
        ):
            return None
        column = self._table.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return _two_lines(QCoreApplication.translate("Reports", column.header))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(RIGHT if column.numeric else LEFT)
        return None


def _two_lines(header: str) -> str:
    """A long header over two lines ("Not interested" -> "Not\ninterested"): the table
    beside a chart is narrow, and its numbers are short."""
    if len(header) <= 9 or " " not in header:
        return header
    middle = len(header) / 2
    cut = min((i for i, c in enumerate(header) if c == " "), key=lambda i: abs(i - middle))
    return f"{header[:cut]}\n{header[cut + 1 :]}"
