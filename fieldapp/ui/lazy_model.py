"""A table model over many records: every matching id up front, row values on demand.

The same scheme as :class:`fieldapp.ui.accounts_model.AccountsModel` (whose docstring
explains the memory budget), for any list given two read queries: one for the ids in
display order, one for the display values of some ids. Rows arrive in blocks of
:data:`BLOCK` on a background read when the view first asks; until then a row shows a
placeholder. Each reload has a generation number, so an answer for a search the user
has typed past is dropped.

Signals:
    loaded(): the ids for the current query have arrived (with a screenful of rows).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from sqlalchemy.orm import Session

from fieldapp.ui.background import Background
from fieldapp.ui.headers import column_title

BLOCK = 200
FIRST_ROWS = 60
CACHE_LIMIT = 20_000
PLACEHOLDER = "…"
ID_ROLE = Qt.ItemDataRole.UserRole + 1
_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole

Index = QModelIndex | QPersistentModelIndex
IdsQuery = Callable[[Session, str], list[str]]
RowsQuery = Callable[[Session, list[str]], dict[str, tuple[Any, ...]]]


class LazyTableModel(QAbstractTableModel):
    """See the module doc. ``ids(session, text)`` lists, ``rows(session, ids)`` fills."""

    loaded = Signal()

    def __init__(
        self, bg: Background, headers: Sequence[str], ids: IdsQuery, rows: RowsQuery
    ) -> None:
        super().__init__()
        self.bg = bg
        self.headers = tuple(headers)
        self._ids_query = ids
        self._rows_query = rows
        self.text = ""
        self._ids: list[str] = []
        self._rows: dict[str, tuple[Any, ...]] = {}
        self._requested: set[int] = set()
        self._generation = 0
        self.has_loaded = False

    # -- loading ----------------------------------------------------------------------------

    def set_text(self, text: str) -> None:
        self.text = text
        self.reload(keep_cache=True)

    def reload(self, *, keep_cache: bool = False) -> None:
        self._generation += 1
        gen, text = self._generation, self.text
        if not keep_cache:
            self._rows.clear()
        ids_query, rows_query = self._ids_query, self._rows_query

        def job(session: Session) -> tuple[list[str], dict[str, tuple[Any, ...]]]:
            ids = ids_query(session, text)
            return ids, rows_query(session, ids[:FIRST_ROWS])

        priority = 0 if text.strip() else -1
        self.bg.read(job, lambda r: self._ids_arrived(gen, *r), owner=self, priority=priority)

    def show_ids(self, ids: list[str], rows: dict[str, tuple[Any, ...]]) -> None:
        """Show ``ids`` (and the values of some) read elsewhere, as a reload would.

        For a panel that reads several models in one background job (the pipeline's
        columns); an answer still on its way from an earlier reload is dropped.
        """
        self._generation += 1
        self._ids_arrived(self._generation, ids, rows)

    def extend_ids(self, ids: list[str]) -> bool:
        """Show ``ids``, the whole list of which the model shows a first part; whether
        it does.

        For a read in two steps (the pipeline's columns: a screenful first, every id
        after): when ``ids`` starts with the ids shown, the rest are inserted as rows,
        so the view keeps its scroll position, selection and loaded rows. Otherwise
        the list changed in between: nothing changes and the caller reads again.
        """
        shown = len(self._ids)
        if ids[:shown] != self._ids:
            return False
        # Blocks asked for while only the first part was known may have held fewer rows.
        self._requested.clear()
        if len(ids) > shown:
            self.beginInsertRows(QModelIndex(), shown, len(ids) - 1)
            self._ids = ids
            self.endInsertRows()
        return True

    def _ids_arrived(self, gen: int, ids: list[str], rows: dict[str, tuple[Any, ...]]) -> None:
        if gen != self._generation:
            return
        self.beginResetModel()
        if len(self._rows) > CACHE_LIMIT:
            self._rows.clear()
        self._ids = ids
        self._rows.update(rows)
        self._requested.clear()
        self.has_loaded = True
        self.endResetModel()
        self.loaded.emit()

    def _request_block(self, block: int) -> None:
        if block in self._requested:
            return
        self._requested.add(block)
        gen = self._generation
        ids = self._ids[block * BLOCK : (block + 1) * BLOCK]
        rows_query = self._rows_query
        self.bg.read(
            lambda s: rows_query(s, ids),
            lambda rows: self._block_arrived(gen, block, rows),
            owner=self,
        )

    def _block_arrived(self, gen: int, block: int, rows: dict[str, tuple[Any, ...]]) -> None:
        if gen != self._generation:
            return
        if len(self._rows) > CACHE_LIMIT:
            self._rows.clear()
            self._requested = {block}
        self._rows.update(rows)
        first = block * BLOCK
        last = min(first + BLOCK, len(self._ids)) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(self.headers) - 1))

    def is_loaded(self, row: int) -> bool:
        return 0 <= row < len(self._ids) and self._ids[row] in self._rows

    # -- lookups ------------------------------------------------------------------------------

    def row_id(self, row: int) -> str | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, row_id: str) -> int:
        try:
            return self._ids.index(row_id)
        except ValueError:
            return -1

    def values(self, row: int) -> tuple[Any, ...] | None:
        """The row's loaded values (None until its block arrived)."""
        row_id = self.row_id(row)
        return self._rows.get(row_id) if row_id is not None else None

    # -- Qt model API -------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def cell(self, values: tuple[Any, ...], column: int) -> str:
        """The text of one cell; subclasses format dates, amounts, lists."""
        value = values[column]
        return "" if value is None else str(value)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != _DISPLAY and role != _TOOLTIP and role != ID_ROLE:
            return None
        row_no = index.row()
        if row_no < 0 or row_no >= len(self._ids) or not index.isValid():
            return None
        row_id = self._ids[row_no]
        if role == ID_ROLE:
            return row_id
        values = self._rows.get(row_id)
        if values is None:
            self._request_block(row_no // BLOCK)
            return PLACEHOLDER if index.column() == 0 else ""
        return self.cell(values, index.column())

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return column_title(self.headers, section, orientation, role)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
