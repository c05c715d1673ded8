"""One pipeline column's deals as a lazy model, and how its amounts are written.

:class:`StageModel` is a :class:`~fieldapp.ui.lazy_model.LazyTableModel` over the ids of
one stage's deals (read by ``store/board.py``) that can be dragged to another stage.

Signals:
    card_dropped(str, str): opportunity id, name of the stage it was dropped on.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import QByteArray, QMimeData, QModelIndex, QPersistentModelIndex, Qt, Signal
from sqlalchemy.orm import Session

from fieldapp.store import board
from fieldapp.ui.background import Background
from fieldapp.ui.lazy_model import LazyTableModel

MIME = "application/x-fieldapp-opportunity"
Index = QModelIndex | QPersistentModelIndex
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


def money(amount: Decimal | None, currency: str = "EUR") -> str:
    value = f"{amount or 0:,.0f}"
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{value}" if symbol else f"{value} {currency}"


def per_currency(sums: dict[str, Decimal]) -> str:
    """Each currency's sum on its own; amounts in different currencies are never added."""
    return " + ".join(money(v, cur) for cur, v in sums.items()) if sums else money(Decimal(0))


class StageModel(LazyTableModel):
    """The deals of one stage, lazily; see the module doc."""

    card_dropped = Signal(str, str)

    def __init__(self, bg: Background, stage: str) -> None:
        self.stage = stage
        self.filter = board.BoardFilter()
        super().__init__(bg, ("deal",), self._stage_ids, board.cards)

    def _stage_ids(self, session: Session, _text: str) -> list[str]:
        return board.stage_ids(session, self.stage, self.filter)

    def cards(self) -> list[board.Card]:
        """The cards loaded so far, in display order."""
        loaded = (self.values(row) for row in range(self.rowCount()))
        return [values[0] for values in loaded if values is not None]

    def cell(self, values: tuple[Any, ...], column: int) -> str:
        card: board.Card = values[0]
        due = f" · {card.close_date:%d %b}" if card.close_date else ""
        # Amount and odds on a line of their own: in a narrow column a long account name
        # would otherwise push them out of sight behind the ellipsis.
        return (
            f"{card.name}\n{card.account}\n"
            f"{money(card.amount, card.currency)} · {card.probability}%{due}"
        )

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole:
            values = self.values(index.row()) if index.isValid() else None
            return f"{values[0].name} ({values[0].account})" if values else None
        return super().data(index, role)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        return (
            Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
        )

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:  # type: ignore[override]
        data = QMimeData()
        ids = [str(self.row_id(i.row())) for i in indexes if i.isValid()]
        data.setData(MIME, QByteArray("\n".join(ids).encode()))
        return data

    def canDropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        return data.hasFormat(MIME) and action == Qt.DropAction.MoveAction

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        ids = bytes(data.data(MIME).data()).decode().split()
        for opp_id in ids:
            if self.row_of(opp_id) < 0:
                self.card_dropped.emit(opp_id, self.stage)
        # The store moves the card; the board is reloaded from the change notice, so the
        # source view must not remove anything itself (removeRows is not implemented).
        return bool(ids)
