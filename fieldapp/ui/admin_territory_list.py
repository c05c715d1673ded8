"""The list of territories in the Admin panel: a search box over a table, with what waits.

Rows are the server's territories with the waiting drafts laid over them
(:func:`fieldapp.sync.admin_drafts.overlay`): a territory made offline is in the list
at once, its "Waiting" cell says what has not reached the server, and a change the
server refused shows its reason in red.

Signals:
    selected(object): the selected territory's name (str), or None.
    activated(): a row was double-clicked (edit it).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QTableWidgetItem, QVBoxLayout, QWidget

from fieldapp.ui import style
from fieldapp.ui.admin_widgets import search_box
from fieldapp.ui.column_fit import ColumnFit
from fieldapp.ui.empty_state import EmptyHint
from fieldapp.ui.route_table import read_only_table

COLUMNS = ("Name", "Reps", "Manager", "Accounts", "Postcodes", "Regions", "Polygon", "Waiting")
COL_NAME, COL_REPS, COL_ACCOUNTS, COL_POSTCODES, COL_REGIONS, COL_WAITING = 0, 1, 3, 4, 5, 7
# Lists that can run long: elided beside the map, in full in their tooltips, so that the
# name stays whole.
ELIDED = (COL_REPS, COL_POSTCODES, COL_REGIONS, COL_WAITING)
EMPTY = (
    "No territories yet. New… (Ctrl+N) makes one by postcodes or regions; "
    "or draw its shape on the map with the ◯ lasso and choose From drawing…"
)


def _cells(r: dict[str, Any]) -> tuple[str, ...]:
    waiting = ("refused: " + r["refused"]) if r["refused"] else r["draft"]
    return (
        r["name"] + (" (to be deleted)" if r["deleted"] else ""),
        ", ".join(r["reps"]),
        r.get("manager") or "",
        f"{int(r.get('accounts') or 0):,}",
        ", ".join(r["postcodes"]),
        ", ".join(r["regions"]),
        "yes" if r["polygon"] else "",
        waiting,
    )


class TerritoryList(QWidget):
    selected = Signal(object)
    activated = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[dict[str, Any]] = []
        self.search = search_box(
            "territories_search", "Find a territory, rep or postcode (Ctrl+F)", self._fill
        )
        self.table = read_only_table("territories_table", COLUMNS)
        self.table.setWordWrap(False)
        self.columns = ColumnFit(self.table, ELIDED, fill=COL_NAME)
        self.table.itemSelectionChanged.connect(lambda: self.selected.emit(self.selected_name()))
        self.table.doubleClicked.connect(lambda _i: self.activated.emit())
        self.hint = EmptyHint(self.table)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)

    def show_rows(self, rows: list[dict[str, Any]]) -> None:
        """Rows as :func:`~fieldapp.sync.admin_drafts.overlay` makes them."""
        self.rows = rows
        self._fill()

    def _fill(self) -> None:
        wanted = self.search.text().strip().casefold()

        def hit(r: dict[str, Any]) -> bool:
            words = [r["name"], *r["reps"], r.get("manager") or "", *r["postcodes"], *r["regions"]]
            return not wanted or wanted in " ".join(str(w) for w in words).casefold()

        shown = [r for r in self.rows if hit(r)]
        chosen = self.selected_name()
        self.table.setRowCount(len(shown))
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for i, r in enumerate(shown):
            for j, value in enumerate(_cells(r)):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, r["name"])
                if j == COL_ACCOUNTS:
                    item.setTextAlignment(right)
                elif j in ELIDED and value:
                    item.setToolTip(value)
                if r["refused"]:
                    item.setForeground(style.color("danger"))
                self.table.setItem(i, j, item)
            if r["name"] == chosen:
                self.table.selectRow(i)
        self.columns.fit()
        if not self.rows:
            self.hint.show_hint(EMPTY)
        elif not shown:
            self.hint.show_hint(f"No territory matches “{self.search.text()}”.")
        else:
            self.hint.show_hint(None)

    def row(self, name: str | None) -> dict[str, Any] | None:
        return next((r for r in self.rows if r["name"] == name), None)

    def selected_name(self) -> str | None:
        items = self.table.selectedItems()
        return str(items[0].data(Qt.ItemDataRole.UserRole)) if items else None

    def select(self, name: str) -> None:
        for i in range(self.table.rowCount()):
            item = self.table.item(i, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == name:
                self.table.selectRow(i)
                return

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()
