"""File → Import…: a CSV file into accounts, contacts, leads or opportunities.

The same import as ``fieldapp import`` (:func:`fieldapp.store.csv_import.import_file`):
the dialog shows the file's first rows, which field each column fills (guessed from
the header, changeable), the picklist values it does not know with a choice of what
they mean, and every row error (row, line, what is wrong). **Check** is a dry run;
**Import** writes, all or nothing unless "skip invalid rows" is ticked. Both run in
the background, with a busy bar; the window stays usable.

Signals:
    checked(object): the ImportReport of a dry run.
    imported(object): the ImportReport of an import.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from fieldapp.domain import values
from fieldapp.domain.headers import IGNORE, map_columns, targets
from fieldapp.domain.report import ImportReport
from fieldapp.errors import sentence
from fieldapp.ui import style
from fieldapp.ui.background import user_message
from fieldapp.ui.panel import AppContext

PREVIEW_ROWS = 8
KEEP = ""  # in the value table: leave the value as it is (the row stays invalid)
ENTITY_LABELS = {
    "accounts": "Accounts",
    "contacts": "Contacts",
    "leads": "Leads",
    "opportunities": "Opportunities (deals)",
}


def ask_csv_to_open(parent: QWidget | None) -> str | None:
    """The file picker (called through the module, so tests can answer it)."""
    path, _ = QFileDialog.getOpenFileName(
        parent, "Import from CSV", "", "CSV files (*.csv *.txt);;All files (*)"
    )
    return path or None


def preview(path: str, limit: int = PREVIEW_ROWS) -> tuple[list[str], list[list[str]]]:
    """The header and the first rows of a CSV file (encoding and delimiter detected)."""
    from fieldapp.domain.csvfile import open_csv

    with open_csv(path) as source:
        rows = [record for _line, record in itertools.islice(source.records(), limit)]
        return list(source.header), rows


def run_import(
    session: Any,
    entity: str,
    path: str,
    mapping: dict[str, str],
    value_maps: list[str],
    *,
    dry_run: bool,
    skip_invalid: bool,
) -> ImportReport:
    from fieldapp.store import csv_import

    report = csv_import.import_file(
        session,
        entity,
        path,
        mapping=mapping,
        value_maps=value_maps,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
    )
    report.finish()
    return report


def _table(name: str, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    return table


class ImportDialog(QDialog):
    """See the module doc."""

    checked = Signal(object)
    imported = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, entity: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Import from CSV"))
        self.setObjectName("import_dialog")
        self.resize(860, 600)
        self.ctx = ctx
        self.header: list[str] = []
        self.report: ImportReport | None = None
        self.running = False
        # Values given a meaning in an earlier check (no longer listed as unknown).
        self._value_maps_kept: list[str] = []

        self.entity = QComboBox()
        self.entity.setObjectName("import_entity")
        for key in values.IMPORTABLE:
            self.entity.addItem(self.tr(ENTITY_LABELS.get(key, key)), key)
        if entity in values.IMPORTABLE:
            self.entity.setCurrentIndex(self.entity.findData(entity))
        self.entity.currentIndexChanged.connect(self._entity_changed)
        self.path = QLineEdit()
        self.path.setObjectName("import_path")
        self.path.setReadOnly(True)
        self.path.setPlaceholderText(self.tr("Choose a CSV file"))
        choose = QPushButton(self.tr("Choose…"))
        choose.clicked.connect(self.choose_file)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(choose)

        self.preview = _table("import_preview", [])
        self.mapping = _table("import_mapping", [self.tr("Column"), self.tr("Fills the field")])
        self.mapping.setColumnWidth(0, 260)
        self.value_table = _table(
            "import_values",
            [self.tr("Column"), self.tr("Value"), self.tr("Rows"), self.tr("Means")],
        )
        self.errors = _table("import_errors", [self.tr("Row"), self.tr("Line"), self.tr("Problem")])
        self.errors.setColumnWidth(0, 60)
        self.errors.setColumnWidth(1, 60)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.preview, self.tr("First rows"))
        self.tabs.addTab(self.mapping, self.tr("Columns"))
        self.tabs.addTab(self.value_table, self.tr("Values"))
        self.tabs.addTab(self.errors, self.tr("Row errors"))

        self.summary = QLabel(self.tr("Choose a file to see its first rows."))
        self.summary.setObjectName("import_summary")
        self.summary.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: the import reports when it is done
        self.progress.hide()
        self.skip_invalid = QCheckBox(self.tr("Skip invalid rows (import the valid ones)"))
        self.check_button = QPushButton(self.tr("&Check"))
        self.check_button.setObjectName("import_check")
        self.check_button.clicked.connect(self.check)
        self.import_button = QPushButton(self.tr("&Import"))
        self.import_button.setObjectName("import_run")
        self.import_button.clicked.connect(self.run)
        for button in (self.check_button, self.import_button):
            button.setEnabled(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.check_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow(self.tr("Import into"), self.entity)
        form.addRow(self.tr("File"), file_row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.progress)
        layout.addWidget(self.skip_invalid)
        layout.addWidget(buttons)

    # -- the file -----------------------------------------------------------------------

    def current_entity(self) -> str:
        return str(self.entity.currentData())

    def choose_file(self) -> None:
        path = ask_csv_to_open(self)
        if path:
            self.set_file(path)

    def set_file(self, path: str) -> None:
        self.path.setText(path)
        self.report = None
        self.ctx.bg.read(
            lambda _s: preview(path), self._previewed, on_error=self._failed, owner=self
        )

    def _previewed(self, found: tuple[list[str], list[list[str]]]) -> None:
        self.header, rows = found
        self.preview.clear()
        self.preview.setColumnCount(len(self.header))
        self.preview.setHorizontalHeaderLabels(self.header)
        self.preview.setRowCount(len(rows))
        for r, record in enumerate(rows):
            for c, cell in enumerate(record[: len(self.header)]):
                self.preview.setItem(r, c, QTableWidgetItem(cell))
        self._fill_mapping(self._guessed(), keep=False)
        self.check()  # the unknown values and the row errors at once

    def _guessed(self) -> dict[str, str]:
        """Which field each column fills, from the header alone (as the CLI guesses)."""
        return map_columns(self.current_entity(), self.header)[1]

    def _entity_changed(self) -> None:
        if self.header:
            self._fill_mapping(self._guessed(), keep=False)
            self.check()

    # -- mapping ------------------------------------------------------------------------

    def _fill_mapping(self, column_map: dict[str, str], *, keep: bool = True) -> None:
        """One row per column: what it fills (the user's choice, else the guess)."""
        same = keep and self.mapping.rowCount() == len(self.header)
        chosen = self.current_mapping() if same else {}
        self.mapping.setRowCount(len(self.header))
        choices = targets(self.current_entity())
        for r, column in enumerate(self.header):
            self.mapping.setItem(r, 0, QTableWidgetItem(column))
            combo = QComboBox()
            combo.addItem(self.tr("(ignore)"), IGNORE)
            for target in choices:
                combo.addItem(target, target)
            target = chosen.get(column) or column_map.get(column, IGNORE)
            combo.setCurrentIndex(max(0, combo.findData(target)))
            combo.currentIndexChanged.connect(self._mapping_edited)
            self.mapping.setCellWidget(r, 1, combo)

    def current_mapping(self) -> dict[str, str]:
        out = {}
        for r in range(self.mapping.rowCount()):
            combo = self.mapping.cellWidget(r, 1)
            item = self.mapping.item(r, 0)
            if isinstance(combo, QComboBox) and item is not None:
                out[item.text()] = str(combo.currentData())
        return out

    def set_mapping(self, column: str, target: str) -> None:
        for r in range(self.mapping.rowCount()):
            item, combo = self.mapping.item(r, 0), self.mapping.cellWidget(r, 1)
            if item is not None and item.text() == column and isinstance(combo, QComboBox):
                combo.setCurrentIndex(combo.findData(target))

    def _mapping_edited(self) -> None:
        self.import_button.setEnabled(False)  # check again before writing
        self.summary.setText(self.tr("Mapping changed: press Check."))

    # -- values -------------------------------------------------------------------------

    def _fill_values(self, report: ImportReport) -> None:
        kept = self.current_value_maps()
        self.value_table.setRowCount(len(report.unknown_values))
        for r, unknown in enumerate(report.unknown_values):
            for c, text in enumerate((unknown.column, unknown.value, str(unknown.rows))):
                self.value_table.setItem(r, c, QTableWidgetItem(text))
            combo = QComboBox()
            combo.addItem(self.tr("(leave: the rows are invalid)"), KEEP)
            for choice in unknown.choices:
                combo.addItem(choice, choice)
            combo.setCurrentIndex(max(0, combo.findData(unknown.suggestion.rsplit("=", 1)[-1])))
            combo.currentIndexChanged.connect(self._mapping_edited)
            self.value_table.setCellWidget(r, 3, combo)
        self._value_maps_kept = kept

    def current_value_maps(self) -> list[str]:
        """``COLUMN:VALUE=MEANING`` for each value the user gave a meaning (as --map-value)."""
        out = list(self._value_maps_kept)
        for r in range(self.value_table.rowCount()):
            column, value = self.value_table.item(r, 0), self.value_table.item(r, 1)
            combo = self.value_table.cellWidget(r, 3)
            if column is None or value is None or not isinstance(combo, QComboBox):
                continue
            meaning = str(combo.currentData())
            if meaning != KEEP:
                out.append(f"{column.text()}:{value.text()}={meaning}")
        return list(dict.fromkeys(out))

    # -- check and import -----------------------------------------------------------------

    def _start(self, what: str) -> tuple[str, str, dict[str, str], list[str]]:
        self.running = True
        self.progress.show()
        self.check_button.setEnabled(False)
        self.import_button.setEnabled(False)
        style.set_role(self.summary, "subheading")
        self.summary.setText(what)
        return (
            self.current_entity(),
            self.path.text(),
            self.current_mapping(),
            self.current_value_maps(),
        )

    def _stop(self) -> None:
        self.running = False
        self.progress.hide()
        self.check_button.setEnabled(bool(self.header))

    def check(self) -> None:
        if not self.header or self.running:
            return
        entity, path, mapping, value_maps = self._start(self.tr("Checking every row…"))
        skip = self.skip_invalid.isChecked()
        self.ctx.bg.read(
            lambda s: run_import(
                s, entity, path, mapping, value_maps, dry_run=True, skip_invalid=skip
            ),
            self._checked,
            on_error=self._failed,
            owner=self,
        )

    def _checked(self, report: ImportReport) -> None:
        self._stop()
        self.report = report
        self._show_report(report)
        self._fill_values(report)
        can = report.valid_rows > 0 and (not report.invalid_rows or self.skip_invalid.isChecked())
        self.import_button.setEnabled(can)
        new = report.valid_rows - report.matched_rows
        text = self.tr("{0} rows: {1} new, {2} update existing records, {3} invalid.").format(
            report.total_rows, new, report.matched_rows, report.invalid_rows
        )
        if report.invalid_rows and not self.skip_invalid.isChecked():
            text += " " + self.tr(
                "Fix them (see Row errors and Values), or tick “Skip invalid rows”."
            )
        self.summary.setText(text)
        self.checked.emit(report)

    def run(self) -> None:
        if not self.header or self.running:
            return
        entity, path, mapping, value_maps = self._start(self.tr("Importing…"))
        skip = self.skip_invalid.isChecked()
        touched = {entity, "accounts"} if entity in ("contacts", "opportunities") else {entity}
        self.ctx.bg.write(
            lambda s: run_import(
                s, entity, path, mapping, value_maps, dry_run=False, skip_invalid=skip
            ),
            touched,
            self._imported,
            on_error=self._failed,
            owner=self,
        )

    def _imported(self, report: ImportReport) -> None:
        self._stop()
        self.report = report
        self._show_report(report)
        if report.written:
            text = self.tr("Imported {0} new, updated {1}, {2} already up to date.").format(
                report.imported, report.updated, report.unchanged
            )
            if report.invalid_rows:
                text += " " + self.tr("Skipped {0} invalid rows.").format(report.invalid_rows)
            self.ctx.tell(text)
        else:
            text = self.tr("Nothing was imported: {0} invalid rows.").format(report.invalid_rows)
        self.summary.setText(text)
        self.imported.emit(report)

    def _show_report(self, report: ImportReport) -> None:
        self.errors.setRowCount(len(report.invalid))
        for r, error in enumerate(report.invalid):
            cells = (str(error.row), str(error.line), sentence(error.field, error.message))
            for c, text in enumerate(cells):
                self.errors.setItem(r, c, QTableWidgetItem(text))
        self.tabs.setTabText(3, self.tr("Row errors ({0})").format(report.invalid_rows))
        self.tabs.setTabText(2, self.tr("Values ({0})").format(len(report.unknown_values)))

    def _failed(self, exc: Exception) -> None:
        self._stop()
        style.set_role(self.summary, "error")
        self.summary.setText(user_message(exc)[:1].upper() + user_message(exc)[1:])

    def file_path(self) -> Path | None:
        return Path(self.path.text()) if self.path.text() else None
