"""The base of the account view's record tabs: a list of one kind of record under a row
of buttons, with a hint when it is empty (see :mod:`account_tabs`, :mod:`timeline_tab`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.store import services
from fieldapp.ui.empty_state import EmptyHint
from fieldapp.ui.panel import AppContext

ID_ROLE = Qt.ItemDataRole.UserRole + 1
KIND_ROLE = Qt.ItemDataRole.UserRole + 2


def items(tree: QTreeWidget) -> list[QTreeWidgetItem]:
    """The tree's top-level rows."""
    return [item for i in range(tree.topLevelItemCount()) if (item := tree.topLevelItem(i))]


def record_tree(headers: Sequence[str]) -> QTreeWidget:
    tree = QTreeWidget()
    tree.setHeaderLabels(list(headers))
    tree.setRootIsDecorated(False)
    tree.setAlternatingRowColors(True)
    tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    tree.setUniformRowHeights(True)
    tree.header().setStretchLastSection(True)
    return tree


class RecordTab(QWidget):
    """A list of one kind of record with a row of buttons above it and a hint when empty."""

    def __init__(self, ctx: AppContext, headers: Sequence[str], parent: QWidget | None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.account_id: str | None = None
        self.account_name = ""
        self.tree = record_tree(headers)
        self.tree.itemDoubleClicked.connect(lambda _i, _c: self.edit_selected())
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self.hint = EmptyHint(self.tree)
        self.bar = QHBoxLayout()
        self.bar.setContentsMargins(0, 0, 0, 0)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 2, 0, 0)
        self.layout_.addLayout(self.bar)
        self.layout_.addWidget(self.tree, 1)
        self._selection_buttons: list[QPushButton] = []

    def button(self, text: str, slot: Any, *, needs_selection: bool = False) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(lambda _c=False: slot())
        self.bar.addWidget(button)
        if needs_selection:
            self._selection_buttons.append(button)
        return button

    def fill(self, account_id: str | None, rows: list[tuple[str, list[str]]], hint: str) -> None:
        """Show ``(row id, cells)`` rows; ``hint`` when there are none."""
        selected = self.selected_id()
        self.account_id = account_id
        self.tree.clear()
        new = []
        for row_id, cells in rows:
            item = QTreeWidgetItem(cells)
            item.setData(0, ID_ROLE, row_id)
            new.append(item)
        self.tree.addTopLevelItems(new)
        for col in range(self.tree.columnCount() - 1):
            self.tree.resizeColumnToContents(col)
            if self.tree.columnWidth(col) > 260:
                self.tree.setColumnWidth(col, 260)
        self.hint.show_hint(None if rows or account_id is None else hint)
        if selected:
            self.select(selected)
        self._update_buttons()

    def select(self, row_id: str) -> None:
        for item in items(self.tree):
            if item.data(0, ID_ROLE) == row_id:
                self.tree.setCurrentItem(item)
                return

    def selected_id(self) -> str | None:
        item = self.tree.currentItem()
        return str(item.data(0, ID_ROLE)) if item is not None and item.isSelected() else None

    def selected_text(self, column: int = 0) -> str:
        item = self.tree.currentItem()
        return item.text(column) if item is not None else ""

    def edit_selected(self) -> Any:
        """Double-click / Edit…: open the selected record's editor."""

    def delete_selected(self) -> bool:
        """Delete the selected record (with Undo); False if this tab deletes nothing."""
        return False

    def delete_with_undo(self, entity: str, row_id: str, told: str) -> None:
        """Delete a record in the background, then say ``told`` with an Undo (restore)."""
        ctx = self.ctx

        def undo() -> None:
            ctx.bg.write(lambda s: services.restore(s, entity, row_id), {entity})

        ctx.bg.write(
            lambda s: services.delete(s, entity, row_id),
            {entity},
            lambda _r: ctx.tell(told, undo),
            owner=self,
        )

    def _update_buttons(self) -> None:
        has = self.selected_id() is not None
        for button in self._selection_buttons:
            button.setEnabled(has)
