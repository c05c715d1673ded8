"""Leads: hottest first, edit beside the list, convert in one step."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSettings,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from fieldapp.store import models, services
from fieldapp.ui import conversion, dialogs, queries, style
from fieldapp.ui.empty_state import EmptyHint
from fieldapp.ui.forms import RecordForm
from fieldapp.ui.headers import column_title, record_table
from fieldapp.ui.panel import AppContext, Panel
from fieldapp.ui.rule_marks import LeadAssignment

Index = QModelIndex | QPersistentModelIndex
LEAD_FIELDS: list[Any] = [
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("company", "Company"),
    ("title", "Title"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("city", "City"),
    ("rating", "Rating", models.LEAD_RATINGS),
    ("score", "Score (0–100)"),
    ("status", "Status", models.LEAD_STATUSES),
    ("source", "Source"),
    ("description", "Description"),
]


class LeadsModel(QAbstractTableModel):
    """Plain rows ``(id, name, company, rating, score, status, email)``."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[tuple[Any, ...]] = []

    def set_rows(self, rows: list[tuple[Any, ...]]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def lead_id(self, row: int) -> str | None:
        return self._rows[row][0] if 0 <= row < len(self._rows) else None

    def row_of(self, lead_id: str) -> int:
        return next((i for i, r in enumerate(self._rows) if r[0] == lead_id), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(queries.LEAD_COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        value = row[index.column() + 1]
        column = queries.LEAD_COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return str(value) if value is not None else ""
        if role == Qt.ItemDataRole.ForegroundRole and column == "rating":
            return style.color(str(value)) if value in models.LEAD_RATINGS else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == "score":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return column_title(queries.LEAD_HEADERS, section, orientation, role)


class LeadsPanel(Panel):
    """Signals:
    converted(object): a lead became account + contact (+ opportunity); a Conversion.
    """

    title = "Leads"
    watches = frozenset({"leads"})
    converted = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.model = LeadsModel()
        self.lead_id: str | None = None
        self.creating = False  # a new lead's form is shown
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search leads"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.refresh)
        self.table = record_table(self.model)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.hint = EmptyHint(self.table)

        self.heading = QLabel(self.tr("No lead selected"))
        style.set_role(self.heading, "heading")
        self.form = RecordForm("leads", LEAD_FIELDS)
        self.error = QLabel("")
        self.error.setObjectName("lead_error")
        style.set_role(self.error, "error")
        self.error.setWordWrap(True)
        self.error.hide()
        self.save_button = QPushButton(self.tr("Save"))
        self.save_button.clicked.connect(self.save)
        self.convert_button = QPushButton(self.tr("Convert…"))
        self.convert_button.setToolTip(self.tr("Make an account, a contact and an opportunity"))
        self.convert_button.clicked.connect(self.convert)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.convert_button)
        buttons.addStretch(1)
        self.assignment = LeadAssignment(ctx)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.addWidget(self.heading)
        rl.addWidget(self.assignment)
        rl.addLayout(buttons)
        rl.addWidget(self.form)
        rl.addWidget(self.error)
        rl.addStretch(1)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.search)
        ll.addWidget(self.table)
        self.splitter = QSplitter()
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.splitter)
        self._update_buttons()
        self.refresh()

    def refresh(self) -> None:
        text = self.search.text()
        self.ctx.bg.read(lambda s: queries.leads(s, text), self._rows, owner=self, latest="rows")

    def _rows(self, rows: list[tuple[Any, ...]]) -> None:
        self.model.set_rows(rows)
        text = self.search.text().strip()
        if rows:
            self.hint.show_hint(None)
        elif text:
            self.hint.show_hint(self.tr("No open leads match “{0}”.").format(text))
        else:
            self.hint.show_hint(self.tr("No open leads — press Ctrl+N to add one."))
        for col in range(self.model.columnCount() - 1):
            self.table.resizeColumnToContents(col)
        if self.lead_id is not None:
            row = self.model.row_of(self.lead_id)
            if row >= 0:
                self.table.selectRow(row)

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        lead_id = self.model.lead_id(rows[0].row())
        if lead_id is None or (lead_id == self.lead_id and self.form.is_modified()):
            return
        self.show_lead(lead_id)

    def show_lead(self, lead_id: str) -> None:
        self.lead_id = lead_id
        self.creating = False
        self.assignment.show_record(lead_id)
        self.ctx.bg.read(lambda s: services.get(s, "leads", lead_id), self._show, owner=self)

    def _show(self, lead: dict[str, Any]) -> None:
        if lead["id"] != self.lead_id:
            return
        name = f"{lead['first_name'] or ''} {lead['last_name']}".strip()
        self.heading.setText(f"{name} — {lead['company']}" if lead["company"] else name)
        self.form.load(lead)
        self.error.hide()
        self._update_buttons()

    def _update_buttons(self) -> None:
        creating = self.lead_id is None and self.creating
        self.form.setEnabled(self.lead_id is not None or creating)
        self.save_button.setEnabled(self.lead_id is not None or creating)
        self.convert_button.setEnabled(self.lead_id is not None)

    def new_record(self) -> None:
        self.lead_id = None
        self.table.clearSelection()
        self.creating = True
        self.assignment.show_record(None)
        self.heading.setText(self.tr("New lead"))
        self.form.load({"rating": "warm", "status": "new", "score": 50})
        self._update_buttons()
        self.form.editors["first_name"].setFocus()

    def save(self) -> None:
        if not self.form.check_all():
            return
        lead_id = self.lead_id
        self.ctx.bg.write(
            self.form.save_job("leads", lead_id),
            {"leads"},
            self.show_lead if lead_id is None else lambda _r: self.show_lead(lead_id),
            on_error=self._failed,
            owner=self,
        )

    def _failed(self, exc: Exception) -> None:
        self.error.setText(self.form.failure_message(exc))
        self.error.show()

    def convert(self) -> None:
        """Convert… : ask where the contact goes (a new or an existing account), then do it."""
        lead_id = self.lead_id
        if lead_id is None:
            return
        self.ctx.bg.read(
            lambda s: services.get(s, "leads", lead_id),
            self._ask_conversion,
            on_error=self._failed,
            owner=self,
        )

    def _ask_conversion(self, lead: dict[str, Any]) -> None:
        choice = conversion.ask(self.ctx, self, lead)
        if choice is not None:
            self.convert_with(lead, choice)

    def convert_with(self, lead: dict[str, Any], choice: conversion.ConversionChoice) -> None:
        def done(result: services.Conversion) -> None:
            self.lead_id = None
            self.heading.setText(self.tr("No lead selected"))
            self.form.load({})
            self._update_buttons()
            self.ctx.tell(self.tr("Lead converted."))
            self.converted.emit(result)
            self.ctx.open_account.emit(result.account_id)

        conversion.convert(self.ctx, self, lead, choice, done, self._failed)

    def delete_selected(self) -> None:
        lead_id = self.lead_id
        if lead_id is None or not dialogs.confirm(
            self, self.tr("Delete lead"), self.tr("Delete this lead?")
        ):
            return

        def undo() -> None:
            self.ctx.bg.write(lambda s: services.restore(s, "leads", lead_id), {"leads"})

        self.lead_id = None
        self.ctx.bg.write(
            lambda s: services.delete(s, "leads", lead_id),
            {"leads"},
            lambda _r: self.ctx.tell(self.tr("Lead deleted."), undo),
            owner=self,
        )

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("leads/splitter", self.splitter.saveState())

    def restore_state(self, settings: QSettings) -> None:
        value = settings.value("leads/splitter")
        if value is not None:
            self.splitter.restoreState(value)
