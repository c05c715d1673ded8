"""Columns that fit their table's width: the narrow ones at their text's width, the
long-text ones sharing what is left (elided, their full text in a tooltip).

Qt's own modes cannot say this: ``ResizeToContents`` lets one long cell (a territory's
forty postcodes) push the table past its pane, and ``Stretch`` shares the room equally,
squeezing a name to nothing beside a long column. :class:`ColumnFit` measures every
column, and only when the sum is wider than the viewport narrows the columns it may
elide, the narrowest needs served first; any room left over goes to one ``fill`` column.
It re-fits when the viewport is resized; a table's owner calls :meth:`ColumnFit.fit`
after it changes the rows.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QHeaderView, QTableView

# An elided column keeps at least this much (or its whole text if that is narrower):
# enough for a few characters and the ellipsis.
LEAST = 60


def widths(
    wanted: Sequence[int], room: int, elide: Collection[int], fill: int, least: int = LEAST
) -> list[int]:
    """Column widths for a viewport ``room`` pixels wide.

    Everything fits: each column gets what it ``wanted`` and ``fill`` the rest. It does
    not: the ``elide`` columns share what the others leave, each at most what it wants
    and at least ``least`` (so a table can still be wider than ``room`` when the other
    columns alone are).
    """
    out = list(wanted)
    total = sum(wanted)
    if total <= room:
        out[fill] += room - total
        return out
    left = room - sum(w for i, w in enumerate(wanted) if i not in elide)
    # The narrowest needs first: a short column keeps its whole text, and what it does
    # not use goes to the long ones.
    order = sorted(elide, key=lambda i: wanted[i])
    for n, i in enumerate(order):
        share = max(left, 0) // (len(order) - n)
        out[i] = max(min(wanted[i], share), min(least, wanted[i]))
        left -= out[i]
    return out


class ColumnFit(QObject):
    """Keeps ``table``'s columns within its viewport (see the module's docstring).

    Hidden columns are left alone. The columns stay ``Interactive``: a person may still
    drag one wider, until the next fit.
    """

    def __init__(
        self, table: QTableView, elide: Collection[int], fill: int, least: int = LEAST
    ) -> None:
        super().__init__(table)
        self.table, self.elide, self.fill, self.least = table, frozenset(elide), fill, least
        header = table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    def wanted(self) -> list[int]:
        """Each column's width for its whole header and text (0 when hidden)."""
        header = self.table.horizontalHeader()
        return [
            0
            if header.isSectionHidden(c)
            else max(header.sectionSizeHint(c), self.table.sizeHintForColumn(c))
            for c in range(header.count())
        ]

    def fit(self) -> None:
        header = self.table.horizontalHeader()
        if header.count() == 0:
            return
        wanted = self.wanted()
        room = self.table.viewport().width()
        for c, width in enumerate(widths(wanted, room, self.elide, self.fill, self.least)):
            if not header.isSectionHidden(c) and header.sectionSize(c) != width:
                header.resizeSection(c, width)
