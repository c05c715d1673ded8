"""Small modal questions. Panels call these through the module (``dialogs.confirm``), so
tests can answer them without a person at the keyboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QWidget,
)

from fieldapp.store.models import VISIT_OUTCOMES
from fieldapp.ui import fmt


def _aware(value: QDateTime) -> datetime:
    """A QDateTime from an editor (the laptop's local time) as an aware datetime."""
    return datetime.fromtimestamp(value.toSecsSinceEpoch()).astimezone()


def confirm(parent: QWidget | None, title: str, text: str) -> bool:
    answer = QMessageBox.question(parent, title, text)
    return answer == QMessageBox.StandardButton.Yes


def ask_text(parent: QWidget | None, title: str, label: str, text: str = "") -> str | None:
    value, ok = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Normal, text)
    return value if ok else None


def ask_long_text(parent: QWidget | None, title: str, label: str, text: str = "") -> str | None:
    """Several lines of text (a note); None when cancelled."""
    value, ok = QInputDialog.getMultiLineText(parent, title, label, text)
    return value if ok else None


def ask_datetime(parent: QWidget | None, title: str, initial: datetime) -> datetime | None:
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    edit = QDateTimeEdit(QDateTime.fromSecsSinceEpoch(int(initial.timestamp())))
    edit.setCalendarPopup(True)
    edit.setDisplayFormat(fmt.datetime_format())
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form = QFormLayout(dialog)
    form.addRow("When", edit)
    form.addRow(buttons)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return _aware(edit.dateTime())


@dataclass(frozen=True)
class VisitReport:
    outcome: str
    notes: str
    next_step: str
    follow_up: datetime | None
    checkin_at: datetime | None = None  # set when logging a past visit


class VisitDialog(QDialog):
    """Outcome, notes, next step and an optional follow-up task for a visit."""

    def __init__(self, parent: QWidget | None, *, past: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle("Log past visit" if past else "Check out")
        now = QDateTime.currentDateTime()
        self.when = QDateTimeEdit(now.addSecs(-3600)) if past else None
        self.outcome = QComboBox()
        for outcome in VISIT_OUTCOMES:
            self.outcome.addItem(outcome.replace("_", " "), outcome)
        self.notes = QPlainTextEdit()
        self.notes.setFixedHeight(80)
        self.next_step = QLineEdit()
        self.follow = QCheckBox("Create a follow-up task due")
        self.follow_at = QDateTimeEdit(now.addDays(7))
        self.follow_at.setDisplayFormat(fmt.datetime_format())
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        if self.when is not None:
            self.when.setDisplayFormat(fmt.datetime_format())
            form.addRow("Visited at", self.when)
        form.addRow("Outcome", self.outcome)
        form.addRow("Notes", self.notes)
        form.addRow("Next step", self.next_step)
        form.addRow(self.follow, self.follow_at)
        form.addRow(buttons)

    def report(self) -> VisitReport:
        follow = _aware(self.follow_at.dateTime()) if self.follow.isChecked() else None
        when = _aware(self.when.dateTime()) if self.when is not None else None
        return VisitReport(
            str(self.outcome.currentData()),
            self.notes.toPlainText().strip(),
            self.next_step.text().strip(),
            follow,
            when,
        )


def ask_visit_report(parent: QWidget | None, *, past: bool = False) -> VisitReport | None:
    dialog = VisitDialog(parent, past=past)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.report()


def data_dir_problem(parent: QWidget | None, message: str, data_dir: Path) -> Path | None:
    """Explain why ``data_dir`` cannot be opened; return another dir to try, or None to quit."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("Cannot open the data folder")
    box.setText(f"fieldapp cannot open {data_dir}.")
    box.setInformativeText(message)
    choose = box.addButton("Choose another folder…", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    if box.clickedButton() is not choose:
        return None
    folder = QFileDialog.getExistingDirectory(parent, "Choose a data folder", str(data_dir.parent))
    return Path(folder) if folder else None
