"""The Proposals tab's Versions table: every proposal and rollback, who and when.

Version 0 stands for the assignment before the first proposal, so the whole history can
be rolled back. A proposed version can be opened to preview it again (and apply it).

Signals:
    rollback_requested(int): roll back to this applied version.
    open_requested(int): preview this proposed version.
    refresh_requested(): read the list from the server again.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from fieldapp.ui.proposal_models import VERSIONS, RowsModel

START = {"version": 0, "kind": "start", "state": "applied", "applied_by": "",
         "created_by": "", "applied_at": "", "created_at": ""}  # fmt: skip


def read_only_view(model: RowsModel, name: str) -> QTableView:
    """A table of whole rows to read: columns fit their text, no row numbers."""
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().setVisible(False)
    view.setAlternatingRowColors(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    # Columns fit the first rows only: measuring all 10k moving accounts stalls the GUI.
    view.horizontalHeader().setResizeContentsPrecision(30)
    view.horizontalHeader().setStretchLastSection(True)
    return view


class VersionsPane(QWidget):
    rollback_requested = Signal(int)
    open_requested = Signal(int)
    refresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = RowsModel(VERSIONS, self)
        self.view = read_only_view(self.model, "proposal_versions")
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.selectionModel().selectionChanged.connect(self._picked_changed)
        self.view.doubleClicked.connect(lambda _i: self._open())
        self.rollback_button = QPushButton(self.tr("&Roll back to this version…"))
        self.rollback_button.setEnabled(False)
        self.rollback_button.clicked.connect(self._roll_back)
        self.open_button = QPushButton(self.tr("Pre&view this version"))
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._open)
        self.refresh_button = QPushButton(self.tr("Refresh"))
        self.refresh_button.clicked.connect(self.refresh_requested)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.view, 1)
        row = QHBoxLayout()
        row.addWidget(self.refresh_button)
        row.addStretch(1)
        row.addWidget(self.open_button)
        row.addWidget(self.rollback_button)
        box.addLayout(row)

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.model.set_rows([*rows, START] if rows else [])
        self._picked_changed()

    def picked(self) -> dict[str, Any] | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.rows[rows[0].row()] if rows else None

    def _picked_changed(self) -> None:
        row = self.picked()
        self.rollback_button.setEnabled(row is not None and row["state"] == "applied")
        self.open_button.setEnabled(row is not None and row["state"] == "proposed")

    def _roll_back(self) -> None:
        row = self.picked()
        if row is not None and row["state"] == "applied":
            self.rollback_requested.emit(int(row["version"]))

    def _open(self) -> None:
        row = self.picked()
        if row is not None and row["state"] == "proposed":
            self.open_requested.emit(int(row["version"]))
