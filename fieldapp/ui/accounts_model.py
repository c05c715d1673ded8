"""The account list's model: every matching id up front, row values on demand.

Holding 100k ids costs a few MB; holding 100k rows of values would cost far more and
take seconds to load. Values are fetched in blocks of :data:`BLOCK` rows by a
background read when the view first asks for them, so scrolling never waits on SQLite:
until its block arrives a row shows a placeholder.

Each reload carries a generation number; answers for an older generation (a search
term the user has typed past) are dropped.

Signals:
    loaded(): the ids for the current filter have arrived (with a screenful of rows).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from sqlalchemy.orm import Session

from fieldapp.ui import fmt, queries
from fieldapp.ui.background import Background
from fieldapp.ui.headers import column_title
from fieldapp.ui.queries import ACCOUNT_COLUMNS, ACCOUNT_HEADERS, AccountFilter

BLOCK = 200
# Rows fetched together with the ids: a screenful, so results show after one query.
FIRST_ROWS = 60
CACHE_LIMIT = 20_000
PLACEHOLDER = "…"
ID_ROLE = Qt.ItemDataRole.UserRole + 1
_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_TAGS = ACCOUNT_COLUMNS.index("tags")
_LAST_VISIT = ACCOUNT_COLUMNS.index("last_visit")

Index = QModelIndex | QPersistentModelIndex


class AccountsModel(QAbstractTableModel):
    """Lazy table model over the accounts matching :attr:`filter` (see module doc)."""

    loaded = Signal()

    def __init__(self, bg: Background) -> None:
        super().__init__()
        self.bg = bg
        self.filter = AccountFilter()
        self._ids: list[str] = []
        self._rows: dict[str, tuple[Any, ...]] = {}
        self._requested: set[int] = set()
        self._generation = 0
        self._rows_generation = 0
        # After refresh_rows(): cached rows are shown until their block is read again.
        self._stale = False

    # -- loading ----------------------------------------------------------------------------

    def set_filter(self, flt: AccountFilter) -> None:
        self.filter = flt
        self.reload(keep_cache=True)

    def reload(self, *, keep_cache: bool = False) -> None:
        """Fetch the ids (and a screenful of rows) for the current filter."""
        self._generation += 1
        gen = self._generation
        flt = self.filter
        if not keep_cache:
            self._rows.clear()
        self._stale = False

        def job(session: Session) -> tuple[list[str], dict[str, tuple[Any, ...]]]:
            ids = queries.account_ids(session, flt)
            return ids, queries.account_rows(session, ids[:FIRST_ROWS])

        # The unfiltered 100k list is the biggest read there is: let smaller ones go first.
        priority = 0 if flt.search.strip() else -1
        self.bg.read(
            job, lambda result: self._ids_arrived(gen, *result), owner=self, priority=priority
        )

    def _ids_arrived(self, gen: int, ids: list[str], rows: dict[str, tuple[Any, ...]]) -> None:
        if gen != self._generation:
            return
        self.beginResetModel()
        if len(self._rows) > CACHE_LIMIT:
            self._rows.clear()
        self._ids = ids
        self._rows.update(rows)
        self._requested.clear()
        self.endResetModel()
        self.loaded.emit()

    def refresh_rows(self) -> None:
        """The same ids in the same order, their cells read again as they are shown.

        For a change that alters cells but not which accounts are listed or their
        order (a visit's last-visit date in a list neither filtered nor sorted by it):
        reading every id again would cost the 100k-id read and a model reset, which
        loses the list's selection and scroll position.
        """
        self._rows_generation += 1  # blocks read before the change are dropped on arrival
        self._requested.clear()
        self._stale = True
        if self._ids:
            last = self.index(len(self._ids) - 1, len(ACCOUNT_COLUMNS) - 1)
            self.dataChanged.emit(self.index(0, 0), last)  # the view asks for what it shows

    def _request_block(self, block: int) -> None:
        if block in self._requested:
            return
        self._requested.add(block)
        gen = (self._generation, self._rows_generation)
        ids = self._ids[block * BLOCK : (block + 1) * BLOCK]
        self.bg.read(
            lambda s: queries.account_rows(s, ids),
            lambda rows: self._block_arrived(gen, block, rows),
            owner=self,
        )

    def _block_arrived(
        self, gen: tuple[int, int], block: int, rows: dict[str, tuple[Any, ...]]
    ) -> None:
        if gen != (self._generation, self._rows_generation):
            return
        if len(self._rows) > CACHE_LIMIT:
            self._rows.clear()
            self._requested = {block}
        self._rows.update(rows)
        first = block * BLOCK
        last = min(first + BLOCK, len(self._ids)) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(ACCOUNT_COLUMNS) - 1))

    def is_loaded(self, row: int) -> bool:
        return 0 <= row < len(self._ids) and self._ids[row] in self._rows

    # -- lookups ------------------------------------------------------------------------------

    def account_id(self, row: int) -> str | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, account_id: str) -> int:
        try:
            return self._ids.index(account_id)
        except ValueError:
            return -1

    def ids(self) -> list[str]:
        return list(self._ids)

    # -- Qt model API -------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(ACCOUNT_COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called thousands of times per paint: refuse unused roles before touching Qt.
        if role != _DISPLAY and role != _TOOLTIP and role != ID_ROLE:
            return None
        row_no = index.row()
        if row_no < 0 or row_no >= len(self._ids):
            return None
        account_id = self._ids[row_no]
        if role == ID_ROLE:
            return account_id
        column = index.column()
        row = self._rows.get(account_id)
        if row is None or self._stale:
            self._request_block(row_no // BLOCK)  # once a block (it notes what it asked)
        if row is None:
            return PLACEHOLDER if column == 0 else ""
        value = row[column]
        if value is None:
            return ""
        if column == _LAST_VISIT:
            return fmt.fmt_date(value)
        if column == _TAGS:
            return str(value).replace(",", ", ")
        return str(value)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return column_title(ACCOUNT_HEADERS, section, orientation, role)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(ACCOUNT_COLUMNS):
            return
        descending = order == Qt.SortOrder.DescendingOrder
        key = ACCOUNT_COLUMNS[column]
        if key == self.filter.sort_column and descending == self.filter.descending:
            return
        self.set_filter(replace(self.filter, sort_column=key, descending=descending))
