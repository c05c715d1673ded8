"""Pipeline: one column per stage, drag a deal to move it, totals and forecast per stage.

Each column is a :class:`StageModel`, a lazy model over the ids of its deals (as the
accounts list is, see ui/lazy_model.py). The board is read in two steps: first the
stages' totals in one grouped query with each column's first screenful of ids and
cards, painted at once; then every column's ids, added below the rows shown (the
view keeps its scroll position and selection). Card text is read only for the rows
on screen. Closed deals whose close date is more than 90 days ago are folded away
(counted in the column's header) unless "Show old closed deals" is ticked. Amounts
are totalled per currency, never added across currencies. A drop does not move rows
inside the models but asks the store to change the opportunity's stage, and the board
is reloaded from the change notice. Dropping on a won or lost stage asks for the
reason first.

The column model is in ui/pipeline_model.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    Qt,
    QTimer,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from fieldapp.store import board, services
from fieldapp.ui import dialogs
from fieldapp.ui.background import Background, user_message
from fieldapp.ui.lazy_model import FIRST_ROWS, ID_ROLE
from fieldapp.ui.panel import AppContext, Panel
from fieldapp.ui.pipeline_model import StageModel, per_currency

# Close-date choices of the filter: label, (first day, last day) from today.
CLOSE_RANGES: dict[str, tuple[int | None, int | None]] = {
    "Any close date": (None, None),
    "Overdue (closes before today)": (None, -1),
    "Closes in the next 30 days": (0, 30),
    "Closes in the next 90 days": (0, 90),
    "Closed in the last 90 days": (-90, 0),
}


@dataclass(frozen=True)
class BoardRead:
    """What one read of the board brings: the headers, the owners, and per column its
    ids (all of them when ``complete``, else the first screenful) with their cards."""

    totals: list[board.StageTotals]
    owners: list[tuple[str, str]]
    columns: dict[str, tuple[list[str], dict[str, tuple[Any, ...]]]]
    complete: bool


def _read_head(session: Session, flt: board.BoardFilter) -> BoardRead:
    """Totals, owners and each column's first screenful: what the board paints first.

    Every column's full list of ids follows in a read of its own (:meth:`PipelinePanel.
    _show`): at 50k deals reading them all took as long again as this. A search reads
    them at once: it matches names over every deal anyway, which a column's first
    screenful would do once more.
    """
    totals = board.totals(session, flt)
    complete = bool(flt.text.strip())
    ids = board.board_ids(session, flt) if complete else board.first_ids(session, flt, FIRST_ROWS)
    cards = board.cards(session, [i for column in ids.values() for i in column[:FIRST_ROWS]])
    columns = {
        stage: (column, {i: cards[i] for i in column[:FIRST_ROWS] if i in cards})
        for stage, column in ids.items()
    }
    return BoardRead(totals, board.owners(session), columns, complete)


class StageColumn(QFrame):
    def __init__(self, stage: services.Stage, bg: Background, parent: QWidget | None = None):
        super().__init__(parent)
        self.stage = stage
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumWidth(170)
        self.model = StageModel(bg, stage.name)
        self.listed = 0
        color = "#1e8449" if stage.is_won else "#922b21" if stage.is_lost else "#1f3a5f"
        self.title = QLabel(f"{stage.name} · {stage.probability}%")
        self.title.setStyleSheet(
            f"font-weight: bold; color: white; background: {color};padding: 4px;"
        )
        self.totals = QLabel("")
        self.totals.setObjectName(f"totals_{stage.name}")
        self.totals.setWordWrap(True)
        # A one-column table rather than a QListView: a list view lays out every row
        # (a Python rowCount() call per row, ~1 s for a 20k-deal column), a table
        # with fixed row heights only the rows on screen.
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.horizontalHeader().hide()
        self.view.horizontalHeader().setStretchLastSection(True)
        rows = self.view.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(3 * self.fontMetrics().height() + 8)  # name, account, amount
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)  # one line each; a long name is elided, not wrapped
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setDragEnabled(True)
        self.view.setAcceptDrops(True)
        self.view.setDropIndicatorShown(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.view.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.view.setAlternatingRowColors(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.title)
        layout.addWidget(self.totals)
        layout.addWidget(self.view, 1)

    def set_totals(self, totals: board.StageTotals) -> None:
        self.listed = totals.count  # the rows the model shows once every id is read
        amounts = {c: m.amount for c, m in totals.by_currency.items()}
        weighted = {c: m.weighted for c, m in totals.by_currency.items()}
        text = f"{totals.count} deals · {per_currency(amounts)}\nforecast {per_currency(weighted)}"
        if totals.folded:
            text += f"\n{totals.folded} closed over {board.FOLD_DAYS} days ago (hidden)"
        self.totals.setText(text)

    def selected_id(self) -> str | None:
        rows = self.view.selectionModel().selectedRows()
        return str(self.model.data(rows[0], ID_ROLE)) if rows else None


class PipelinePanel(Panel):
    title = "Pipeline"
    watches = frozenset({"opportunities", "accounts", "pipeline_stages", "users"})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.columns: dict[str, StageColumn] = {}
        # Head reads asked for so far; the one whose full id lists are to be read once
        # its first cards have painted, and with which filter.
        self._heads = 0
        self._rest_wanted: tuple[int, board.BoardFilter] | None = None
        self.stages: list[services.Stage] = []
        self.filter = board.BoardFilter()
        self.summary = QLabel("")
        self.summary.setObjectName("pipeline_summary")
        self.summary.setStyleSheet("font-size: 14px;")
        self.won_button = QPushButton("Mark won…")
        self.lost_button = QPushButton("Mark lost…")
        self.won_button.clicked.connect(lambda: self.mark_selected(won=True))
        self.lost_button.clicked.connect(lambda: self.mark_selected(won=False))
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search deals and accounts")
        self.search.setClearButtonEnabled(True)
        self.owner = QComboBox()
        self.owner.addItem("Every owner", None)
        self.close_range = QComboBox()
        for label in CLOSE_RANGES:
            self.close_range.addItem(label)
        self.min_amount = QLineEdit()
        self.min_amount.setPlaceholderText("Amount at least")
        self.max_amount = QLineEdit()
        self.max_amount.setPlaceholderText("Amount at most")
        self.show_old = QCheckBox(f"Show deals closed over {board.FOLD_DAYS} days ago")
        # The board's read takes a while at 50k deals: search once typing pauses.
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(250)
        self._typing.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(self._typing.start)
        self.search.returnPressed.connect(self.apply_filter)
        self.owner.currentIndexChanged.connect(self.apply_filter)
        self.close_range.currentIndexChanged.connect(self.apply_filter)
        self.min_amount.editingFinished.connect(self.apply_filter)
        self.max_amount.editingFinished.connect(self.apply_filter)
        self.show_old.toggled.connect(self.apply_filter)
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
        filters = QHBoxLayout()
        for widget in (self.search, self.owner, self.close_range, self.min_amount):
            filters.addWidget(widget)
        filters.addWidget(self.max_amount)
        filters.addWidget(self.show_old)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(scroll, 1)
        self.refresh()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    # -- filter -----------------------------------------------------------------------------

    def _read_filter(self) -> board.BoardFilter:
        first, last = CLOSE_RANGES[self.close_range.currentText()]
        today = date.today()

        def amount(edit: QLineEdit) -> Decimal | None:
            text = edit.text().strip().replace(",", "")
            try:
                return Decimal(text) if text else None
            except InvalidOperation:
                edit.setToolTip("Type an amount, e.g. 5000")
                return None

        return board.BoardFilter(
            text=self.search.text(),
            owner_id=self.owner.currentData(),
            close_from=today + timedelta(days=first) if first is not None else None,
            close_to=today + timedelta(days=last) if last is not None else None,
            min_amount=amount(self.min_amount),
            max_amount=amount(self.max_amount),
            show_old_closed=self.show_old.isChecked(),
        )

    def apply_filter(self) -> None:
        flt = self._read_filter()
        if flt != self.filter:
            self.filter = flt
            self.refresh()

    # -- loading ----------------------------------------------------------------------------

    def refresh(self) -> None:
        flt = self.filter
        self._heads += 1
        self.ctx.bg.read(
            lambda s: _read_head(s, flt),
            lambda r: self._show(flt, r),
            owner=self,
            latest="head",  # a change notice's reload may finish after the next one's
        )

    def _read_rest_after_paint(self, flt: board.BoardFilter) -> None:
        """Read every column's ids once the first cards are on screen.

        Not at once: turning 50k rows into ids holds the interpreter lock for most of
        its ~50 ms, and the painting of the first cards (Python calls per cell) would
        wait for it. A board built while hidden reads them when first shown.
        """
        self._rest_wanted = (self._heads, flt)
        first = next(iter(self.columns.values()), None)
        if first is not None:
            first.view.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self._rest_wanted is not None:
            watched.removeEventFilter(self)
            head, flt = self._rest_wanted
            self._rest_wanted = None
            QTimer.singleShot(0, lambda: self._read_rest(head, flt))  # once this paint is done
        return False

    def _read_rest(self, head: int, flt: board.BoardFilter) -> None:
        if head != self._heads:
            return  # a newer head read is on its way, and its own full read after it
        self.ctx.bg.read(
            lambda s: board.board_ids(s, flt),
            lambda ids: self._show_rest(head, ids),
            owner=self,
            priority=-1,  # after what another panel's user is waiting for
            latest="ids",
        )

    def _show_rest(self, head: int, ids: dict[str, list[str]]) -> None:
        if head != self._heads:
            # Read before a change a newer head shows (a moved deal): it would put the
            # older lists back.
            return
        extended = [c.model.extend_ids(ids.get(stage, [])) for stage, c in self.columns.items()]
        if not all(extended):
            # A deal changed between the two reads (another process, or a change whose
            # notice is still on its way): read the board again rather than show lists
            # whose first cards were never read.
            self.refresh()

    def _show(self, flt: board.BoardFilter, read: BoardRead) -> None:
        totals, owners, columns = read.totals, read.owners, read.columns
        if flt != self.filter:
            return  # the filter changed meanwhile; its own read follows
        names = [t.stage.name for t in totals]
        if names != list(self.columns):
            for column in self.columns.values():
                column.setParent(None)
                column.deleteLater()
            self.columns = {}
            for t in totals:
                widget = StageColumn(t.stage, self.ctx.bg)
                widget.model.card_dropped.connect(self.move_card)
                widget.view.doubleClicked.connect(self._open)
                self.board_layout.addWidget(widget)
                self.columns[t.stage.name] = widget
        self.stages = [t.stage for t in totals]
        self._set_owners(owners)
        for t in totals:
            column = self.columns[t.stage.name]
            column.set_totals(t)
            column.model.filter = flt  # for the blocks it reads as the user scrolls
            column.model.show_ids(*columns[t.stage.name])
        open_totals = [t for t in totals if not (t.stage.is_won or t.stage.is_lost)]
        amounts: dict[str, Decimal] = {}
        weighted: dict[str, Decimal] = {}
        for t in open_totals:
            for currency, sums in t.by_currency.items():
                amounts[currency] = amounts.get(currency, Decimal(0)) + sums.amount
                weighted[currency] = weighted.get(currency, Decimal(0)) + sums.weighted
        self.summary.setText(
            f"Open pipeline {per_currency(dict(sorted(amounts.items())))} · weighted forecast "
            f"{per_currency(dict(sorted(weighted.items())))} · "
            f"{sum(t.count for t in open_totals)} open deals"
        )
        if not read.complete:
            self._read_rest_after_paint(flt)

    def _set_owners(self, owners: list[tuple[str, str]]) -> None:
        current = self.owner.currentData()
        if [self.owner.itemData(i) for i in range(1, self.owner.count())] == [i for i, _ in owners]:
            return
        self.owner.blockSignals(True)
        self.owner.clear()
        self.owner.addItem("Every owner", None)
        for user_id, name in owners:
            self.owner.addItem(name, user_id)
        self.owner.setCurrentIndex(max(0, self.owner.findData(current)))
        self.owner.blockSignals(False)

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
