"""Pipeline: one column per stage, drag a deal to move it, totals and forecast per stage.

Each column is a :class:`StageModel`; a drop does not move rows inside the models but
asks the store to change the opportunity's stage, and the board is rebuilt from the
change notice. Dropping on a won or lost stage asks for the reason first.

Signals (StageModel):
    card_dropped(str, str): opportunity id, name of the stage it was dropped on.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from fieldapp.store import services
from fieldapp.ui import dialogs, queries
from fieldapp.ui.background import user_message
from fieldapp.ui.panel import AppContext, Panel

MIME = "application/x-fieldapp-opportunity"
ID_ROLE = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex


def money(amount: Decimal) -> str:
    return f"€{amount:,.0f}"


class StageModel(QAbstractListModel):
    """The cards of one stage; see the module doc."""

    card_dropped = Signal(str, str)

    def __init__(self, stage: str) -> None:
        super().__init__()
        self.stage = stage
        self._cards: list[queries.Card] = []

    def set_cards(self, cards: list[queries.Card]) -> None:
        self.beginResetModel()
        self._cards = cards
        self.endResetModel()

    def cards(self) -> list[queries.Card]:
        return list(self._cards)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._cards)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._cards):
            return None
        card = self._cards[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{card.name}\n{card.account} · {money(card.amount)} · {card.probability}%"
        if role == ID_ROLE:
            return card.id
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{card.name} ({card.account})"
        return None

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
        ids = [self._cards[i.row()].id for i in indexes if i.isValid()]
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
        own = {c.id for c in self._cards}
        for opp_id in ids:
            if opp_id not in own:
                self.card_dropped.emit(opp_id, self.stage)
        # The store moves the card; the board is rebuilt from the change notice, so the
        # source view must not remove anything itself (removeRows is not implemented).
        return bool(ids)


class StageColumn(QFrame):
    def __init__(self, stage: services.Stage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stage = stage
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumWidth(170)
        self.model = StageModel(stage.name)
        color = "#1e8449" if stage.is_won else "#922b21" if stage.is_lost else "#1f3a5f"
        self.title = QLabel(f"{stage.name} · {stage.probability}%")
        self.title.setStyleSheet(
            f"font-weight: bold; color: white; background: {color};padding: 4px;"
        )
        self.totals = QLabel("")
        self.totals.setObjectName(f"totals_{stage.name}")
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setDragEnabled(True)
        self.view.setAcceptDrops(True)
        self.view.setDropIndicatorShown(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.view.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.view.setSpacing(2)
        self.view.setWordWrap(True)
        self.view.setAlternatingRowColors(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.title)
        layout.addWidget(self.totals)
        layout.addWidget(self.view, 1)

    def set_column(self, column: queries.Column) -> None:
        self.model.set_cards(column.cards)
        self.totals.setText(
            f"{len(column.cards)} deals · {money(column.total)}\nforecast {money(column.weighted)}"
        )

    def selected_id(self) -> str | None:
        rows = self.view.selectionModel().selectedRows()
        return str(self.model.data(rows[0], ID_ROLE)) if rows else None


class PipelinePanel(Panel):
    title = "Pipeline"
    watches = frozenset({"opportunities", "accounts", "pipeline_stages"})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.columns: dict[str, StageColumn] = {}
        self.stages: list[services.Stage] = []
        self.summary = QLabel("")
        self.summary.setObjectName("pipeline_summary")
        self.summary.setStyleSheet("font-size: 14px;")
        self.won_button = QPushButton("Mark won…")
        self.lost_button = QPushButton("Mark lost…")
        self.won_button.clicked.connect(lambda: self.mark_selected(won=True))
        self.lost_button.clicked.connect(lambda: self.mark_selected(won=False))
        self.board = QWidget()
        self.board_layout = QHBoxLayout(self.board)
        self.board_layout.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.board)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.won_button)
        top.addWidget(self.lost_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)
        self.refresh()

    def refresh(self) -> None:
        self.ctx.bg.read(queries.board, self._show, owner=self)

    def _show(self, board: list[queries.Column]) -> None:
        names = [c.stage.name for c in board]
        if names != list(self.columns):
            for column in self.columns.values():
                column.setParent(None)
                column.deleteLater()
            self.columns = {}
            for col in board:
                widget = StageColumn(col.stage)
                widget.model.card_dropped.connect(self.move_card)
                widget.view.doubleClicked.connect(self._open)
                self.board_layout.addWidget(widget)
                self.columns[col.stage.name] = widget
        self.stages = [c.stage for c in board]
        for col in board:
            self.columns[col.stage.name].set_column(col)
        open_cols = [c for c in board if not (c.stage.is_won or c.stage.is_lost)]
        total = sum((c.total for c in open_cols), Decimal(0))
        weighted = sum((c.weighted for c in open_cols), Decimal(0))
        self.summary.setText(
            f"Open pipeline {money(total)} · weighted forecast {money(weighted)} · "
            f"{sum(len(c.cards) for c in open_cols)} open deals"
        )

    def _open(self, index: QModelIndex) -> None:
        opp_id = index.data(ID_ROLE)
        if opp_id:
            self.ctx.bg.read(
                lambda s: services.get(s, "opportunities", str(opp_id))["account_id"],
                self.ctx.open_account.emit,
                owner=self,
            )

    def stage(self, name: str) -> services.Stage | None:
        return next((s for s in self.stages if s.name == name), None)

    def move_card(self, opp_id: str, stage_name: str) -> None:
        """Move a deal to a stage; won and lost stages ask for the reason."""
        stage = self.stage(stage_name)
        if stage is None:
            return
        values: dict[str, Any] = {"stage": stage.name, "probability": stage.probability}
        if stage.is_won or stage.is_lost:
            reason = dialogs.ask_text(
                self, f"{stage.name}", f"Why was this deal {stage.name.lower()}?"
            )
            if reason is None:
                return
            values["won_lost_reason"] = reason.strip() or None
        self.ctx.bg.write(
            lambda s: services.update(s, "opportunities", opp_id, values),
            {"opportunities"},
            lambda _r: self.ctx.tell(f"Moved to {stage.name}."),
            on_error=lambda e: self.ctx.tell(f"Not moved: {user_message(e)}"),
            owner=self,
        )

    def mark_selected(self, *, won: bool) -> None:
        target = next((s for s in self.stages if (s.is_won if won else s.is_lost)), None)
        selected = next((c.selected_id() for c in self.columns.values() if c.selected_id()), None)
        if target is None or selected is None:
            self.ctx.tell("Select a deal first.")
            return
        self.move_card(selected, target.name)
