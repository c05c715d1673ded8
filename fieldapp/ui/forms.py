"""A form for one record with inline validation, driven by the store's field specs.

The rules are :data:`fieldapp.store.fields.SPECS`, the same the CLI and CSV import use,
so a value refused here is refused there with the same sentence. The form keeps what
was typed until the caller says a save went through: a failed save loses nothing.

Signals:
    edited(): the user changed a value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from fieldapp.errors import ValidationError
from fieldapp.store import fields, services
from fieldapp.ui.background import user_message

INVALID_STYLE = "border: 1px solid #c0392b; background: #fdecea;"
ERROR_STYLE = "color: #c0392b; font-size: 11px;"

# (field, label) or (field, label, choices) for combo boxes.
FieldDef = tuple[str, str] | tuple[str, str, Sequence[str]]


def display(value: Any) -> str:
    """A stored value as a person types it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class RecordForm(QWidget):
    """Editors for some fields of ``entity``; see the module doc."""

    edited = Signal()

    def __init__(
        self, entity: str, defs: Sequence[FieldDef], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.entity = entity
        self.spec = fields.SPECS[entity]
        self.editors: dict[str, QLineEdit | QComboBox | QPlainTextEdit] = {}
        self.errors: dict[str, QLabel] = {}
        self._loaded: dict[str, str] = {}
        layout = QFormLayout()
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        for spec in defs:
            name, label = spec[0], spec[1]
            editor: QLineEdit | QComboBox | QPlainTextEdit
            if len(spec) == 3:
                editor = QComboBox()
                editor.addItem("", "")
                for choice in spec[2]:
                    editor.addItem(choice.replace("_", " "), choice)
                editor.currentIndexChanged.connect(lambda _i, n=name: self._changed(n))
            elif name in ("description", "notes", "body"):
                editor = QPlainTextEdit()
                editor.setFixedHeight(60)
                editor.textChanged.connect(lambda n=name: self._changed(n))
            else:
                editor = QLineEdit()
                editor.textEdited.connect(lambda _t, n=name: self._changed(n))
                editor.editingFinished.connect(lambda n=name: self.check_field(n))
            editor.setObjectName(f"field_{name}")
            error = QLabel()
            error.setObjectName(f"error_{name}")
            error.setStyleSheet(ERROR_STYLE)
            error.setWordWrap(True)
            error.hide()
            box = QWidget()
            col = QVBoxLayout(box)
            col.setContentsMargins(0, 0, 0, 0)
            col.setSpacing(1)
            col.addWidget(editor)
            col.addWidget(error)
            required = self.spec[name].required
            layout.addRow(f"{label}{' *' if required else ''}", box)
            self.editors[name] = editor
            self.errors[name] = error
        self.setLayout(layout)

    # -- values ---------------------------------------------------------------------------

    def text(self, name: str) -> str:
        editor = self.editors[name]
        if isinstance(editor, QComboBox):
            return str(editor.currentData() or "")
        if isinstance(editor, QPlainTextEdit):
            return editor.toPlainText()
        return editor.text()

    def set_text(self, name: str, value: str) -> None:
        editor = self.editors[name]
        if isinstance(editor, QComboBox):
            index = editor.findData(value)
            editor.setCurrentIndex(max(index, 0))
        elif isinstance(editor, QPlainTextEdit):
            editor.setPlainText(value)
        else:
            editor.setText(value)

    def load(self, record: dict[str, Any]) -> None:
        """Show a stored record; clears errors and the modified state."""
        for name in self.editors:
            self.set_text(name, display(record.get(name)))
        self._loaded = {name: self.text(name) for name in self.editors}
        self.clear_errors()

    def values(self) -> dict[str, str]:
        """Every field as typed (for a new record)."""
        return {name: self.text(name) for name in self.editors}

    def changed_values(self) -> dict[str, str]:
        """Only the fields that differ from what :meth:`load` showed."""
        return {n: v for n, v in self.values().items() if v != self._loaded.get(n, "")}

    def is_modified(self) -> bool:
        return bool(self.changed_values())

    def save_job(self, entity: str, row_id: str | None) -> Callable[[Session], Any]:
        """The store write that saves the form: a new record from the filled-in fields
        when ``row_id`` is None, otherwise an update of the changed ones."""
        if row_id is None:
            values = {k: v for k, v in self.values().items() if v}
            return lambda s: services.create(s, entity, values)
        changes = self.changed_values()
        return lambda s: services.update(s, entity, row_id, changes)

    def failure_message(self, exc: Exception) -> str:
        """What to say when a save failed; fields the store refused are marked inline."""
        if isinstance(exc, ValidationError):
            rest = self.set_errors(exc.fields)
            return "Not saved: " + ("; ".join(rest) or "fix the marked fields.")
        return f"Not saved: {user_message(exc)}"

    # -- validation -------------------------------------------------------------------------

    def check_field(self, name: str) -> bool:
        """Validate one field as typed; mark it inline. True when it is fine."""
        rule = self.spec[name]
        text = self.text(name)
        try:
            value = rule.parse(text)
        except ValueError as exc:
            self.set_error(name, str(exc))
            return False
        if rule.required and value is None:
            self.set_error(name, "is required")
            return False
        self.set_error(name, None)
        return True

    def check_all(self) -> bool:
        return all([self.check_field(name) for name in self.editors])

    def set_error(self, name: str, message: str | None) -> None:
        editor = self.editors.get(name)
        label = self.errors.get(name)
        if editor is None or label is None:
            return
        editor.setStyleSheet(INVALID_STYLE if message else "")
        editor.setToolTip(message or "")
        label.setText(message or "")
        label.setVisible(bool(message))

    def set_errors(self, errors: dict[str, str]) -> list[str]:
        """Mark the fields named in a ValidationError; return messages for other fields."""
        rest = []
        for name, message in errors.items():
            if name in self.editors:
                self.set_error(name, message)
            else:
                rest.append(f"{name}: {message}")
        return rest

    def clear_errors(self) -> None:
        for name in self.editors:
            self.set_error(name, None)

    def error_text(self, name: str) -> str:
        label = self.errors[name]
        return label.text() if label.isVisibleTo(self) else ""

    def _changed(self, name: str) -> None:
        if self.errors[name].isVisibleTo(self):
            self.check_field(name)
        self.edited.emit()
