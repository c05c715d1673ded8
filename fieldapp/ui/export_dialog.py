"""File → Export…: accounts, contacts, leads or opportunities to a CSV file.

The same export as ``fieldapp export`` (:func:`fieldapp.store.csv_export.export_records`):
everything, the list as the open panel filters it (its search), or the accounts
lassoed on the map. Cells a spreadsheet would run as a formula are escaped unless
the box is cleared. The file is written in the background, complete or not at all.

Signals:
    exported(int): how many records the file holds.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp.domain import values
from fieldapp.ui import style
from fieldapp.ui.background import user_message
from fieldapp.ui.import_dialog import ENTITY_LABELS
from fieldapp.ui.panel import AppContext

EVERYTHING, FILTERED, LASSOED = "all", "filtered", "lassoed"


def ask_csv_to_save(parent: QWidget | None, suggested: str) -> str | None:
    """The file picker (called through the module, so tests can answer it)."""
    path, _ = QFileDialog.getSaveFileName(parent, "Export to CSV", suggested, "CSV files (*.csv)")
    return path or None


def run_export(
    session: Any,
    entity: str,
    path: str,
    search: str | None,
    ids: Collection[str] | None,
    escape: bool,
) -> int:
    from fieldapp.store import csv_export

    selection = csv_export.Selection(search=search, ids=ids)
    return csv_export.export_records(session, entity, path, selection, raw=not escape)


class ExportDialog(QDialog):
    """See the module doc. ``searches`` maps an entity to the search its panel shows."""

    exported = Signal(int)

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        *,
        entity: str = "accounts",
        searches: dict[str, str] | None = None,
        lassoed: Collection[str] = (),
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Export to CSV"))
        self.setObjectName("export_dialog")
        self.ctx = ctx
        self.searches = {k: v for k, v in (searches or {}).items() if v.strip()}
        self.lassoed = list(lassoed)

        self.entity = QComboBox()
        self.entity.setObjectName("export_entity")
        for key in values.IMPORTABLE:
            self.entity.addItem(self.tr(ENTITY_LABELS.get(key, key)), key)
        self.entity.setCurrentIndex(max(0, self.entity.findData(entity)))
        self.entity.currentIndexChanged.connect(self._update)
        self.everything = QRadioButton(self.tr("Everything"))
        self.filtered = QRadioButton()
        self.lasso = QRadioButton()
        self.scope = QButtonGroup(self)
        for button in (self.everything, self.filtered, self.lasso):
            self.scope.addButton(button)
        self.everything.setChecked(True)
        self.escape = QCheckBox(self.tr("Escape cells a spreadsheet would run as a formula"))
        self.escape.setObjectName("export_escape")
        self.escape.setChecked(True)
        self.escape.setToolTip(
            self.tr("A cell starting with = + - @ gets a leading ' (an import takes it off)")
        )
        self.status = QLabel("")
        self.status.setObjectName("export_status")
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.hide()
        self.export_button = QPushButton(self.tr("&Export…"))
        self.export_button.setObjectName("export_run")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.choose_and_export)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow(self.tr("Export"), self.entity)
        scope = QVBoxLayout()
        for button in (self.everything, self.filtered, self.lasso):
            scope.addWidget(button)
        form.addRow(self.tr("Which"), scope)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.escape)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self._update()

    def current_entity(self) -> str:
        return str(self.entity.currentData())

    def _update(self) -> None:
        entity = self.current_entity()
        search = self.searches.get(entity)
        self.filtered.setText(
            self.tr("The filtered list (search “{0}”)").format(search)
            if search
            else self.tr("The filtered list (no search in the {0} panel)").format(entity)
        )
        self.filtered.setEnabled(bool(search))
        lasso = entity == "accounts" and bool(self.lassoed)
        self.lasso.setText(
            self.tr("The accounts lassoed on the map ({0})").format(len(self.lassoed))
            if lasso
            else self.tr("The accounts lassoed on the map (none)")
        )
        self.lasso.setEnabled(lasso)
        checked = self.scope.checkedButton()
        if checked is None or not checked.isEnabled():
            self.everything.setChecked(True)

    def set_scope(self, scope: str) -> None:
        {EVERYTHING: self.everything, FILTERED: self.filtered, LASSOED: self.lasso}[
            scope
        ].setChecked(True)

    def choose_and_export(self) -> None:
        path = ask_csv_to_save(self, f"{self.current_entity()}.csv")
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> None:
        entity = self.current_entity()
        search = self.searches.get(entity) if self.filtered.isChecked() else None
        ids = self.lassoed if self.lasso.isChecked() else None
        escape = self.escape.isChecked()
        self.export_button.setEnabled(False)
        self.progress.show()
        style.set_role(self.status, "subheading")
        self.status.setText(self.tr("Writing {0}…").format(path))
        self.ctx.bg.read(
            lambda s: run_export(s, entity, path, search, ids, escape),
            lambda n: self._done(path, n),
            on_error=self._failed,
            owner=self,
        )

    def _done(self, path: str, count: int) -> None:
        self.progress.hide()
        self.export_button.setEnabled(True)
        text = self.tr("Exported {0} {1} to {2}.").format(count, self.current_entity(), path)
        self.status.setText(text)
        self.ctx.tell(text)
        self.exported.emit(count)

    def _failed(self, exc: Exception) -> None:
        self.progress.hide()
        self.export_button.setEnabled(True)
        style.set_role(self.status, "error")
        message = user_message(exc)
        self.status.setText(message[:1].upper() + message[1:])
