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

from PySide6.QtCore import QCoreApplication, Signal
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

from fieldapp.errors import ValidationError, sentence
from fieldapp.store import fields, services
from fieldapp.ui import fmt, style
from fieldapp.ui.background import user_message

# (field, label), (field, label, choices) for a combo box, or (field, label, editor)
# for a ready-made editor (a date picker, a record picker).
FieldDef = tuple[str, str] | tuple[str, str, "Sequence[str] | FieldEditor"]


def display(value: Any) -> str:
    """A stored value for a read-only view, in the user's locale (see :mod:`fmt`)."""
    return fmt.display(value)


def edit_text(value: Any) -> str:
    """A stored value as a person types it into a text field (the form the rules parse)."""
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


class FieldEditor(QWidget):
    """An editor a :class:`RecordForm` can hold besides line edits and combo boxes.

    It shows and gives its value as the text the field's rule parses (an id, an ISO
    date), whatever it shows the user.

    Signals:
        changed(): the user changed the value.
    """

    changed = Signal()

    def text(self) -> str:
        raise NotImplementedError

    def set_text(self, value: str) -> None:
        raise NotImplementedError

    def focus_widget(self) -> QWidget:
        """The widget that takes the keyboard focus and shows the invalid mark."""
        return self


Editor = QLineEdit | QComboBox | QPlainTextEdit | FieldEditor


class RecordForm(QWidget):
    """Editors for some fields of ``entity``; see the module doc."""

    edited = Signal()

    def __init__(
        self, entity: str, defs: Sequence[FieldDef], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.entity = entity
        self.spec = fields.SPECS[entity]
        self.editors: dict[str, Editor] = {}
        self.errors: dict[str, QLabel] = {}
        self.labels: dict[str, str] = {}
        self._loaded: dict[str, str] = {}
        self.layout_ = QFormLayout()
        self.layout_.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        for spec in defs:
            # Labels may come from module-level lists: translated here, in one context.
            name, label = spec[0], QCoreApplication.translate("RecordForm", spec[1])
            editor = self._editor(name, spec[2] if len(spec) == 3 else None)
            editor.setObjectName(f"field_{name}")
            error = QLabel()
            error.setObjectName(f"error_{name}")
            style.set_role(error, "field-error")
            error.setWordWrap(True)
            error.hide()
            box = QWidget()
            col = QVBoxLayout(box)
            col.setContentsMargins(0, 0, 0, 0)
            col.setSpacing(1)
            col.addWidget(editor)
            col.addWidget(error)
            required = self.spec[name].required
            self.layout_.addRow(f"{label}{' *' if required else ''}", box)
            self.editors[name] = editor
            self.errors[name] = error
            self.labels[name] = label
        self.setLayout(self.layout_)

    def _editor(self, name: str, kind: Sequence[str] | FieldEditor | None) -> Editor:
        if isinstance(kind, FieldEditor):
            kind.changed.connect(lambda n=name: self._changed(n))
            return kind
        if kind is not None:
            combo = QComboBox()
            combo.addItem("", "")
            for choice in kind:
                combo.addItem(choice.replace("_", " "), choice)
            combo.currentIndexChanged.connect(lambda _i, n=name: self._changed(n))
            return combo
        if name in ("description", "notes", "body"):
            text = QPlainTextEdit()
            text.setFixedHeight(60)
            text.setTabChangesFocus(True)
            text.textChanged.connect(lambda n=name: self._changed(n))
            return text
        line = QLineEdit()
        line.textEdited.connect(lambda _t, n=name: self._changed(n))
        line.editingFinished.connect(lambda n=name: self.check_field(n))
        return line

    def set_row_visible(self, name: str, visible: bool) -> None:
        """Show or hide a field with its label (e.g. the won/lost reason of open deals)."""
        box = self.editors[name].parentWidget()
        assert box is not None
        self.layout_.setRowVisible(box, visible)

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
            editor.setText(value) if isinstance(editor, QLineEdit) else editor.set_text(value)

    def load(self, record: dict[str, Any]) -> None:
        """Show a stored record; clears errors and the modified state."""
        for name in self.editors:
            self.set_text(name, edit_text(record.get(name)))
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

    def save_values(self, creating: bool) -> dict[str, str]:
        """What a save writes: the filled-in fields of a new record, else the changed ones."""
        if creating:
            return {k: v for k, v in self.values().items() if v}
        return self.changed_values()

    def save_job(self, entity: str, row_id: str | None) -> Callable[[Session], Any]:
        """The store write that saves the form: a new record from the filled-in fields
        when ``row_id`` is None, otherwise an update of the changed ones."""
        values = self.save_values(row_id is None)
        if row_id is None:
            return lambda s: services.create(s, entity, values)
        return lambda s: services.update(s, entity, row_id, values)

    def failure_message(self, exc: Exception) -> str:
        """What to say when a save failed; fields the store refused are marked inline."""
        if isinstance(exc, ValidationError):
            rest = self.set_errors(exc.fields)
            return self.tr("Not saved: ") + ("; ".join(rest) or self.tr("fix the marked fields."))
        return self.tr("Not saved: ") + user_message(exc)

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
        """Mark a field with the store's message (shown as a sentence), or clear it."""
        editor = self.editors.get(name)
        label = self.errors.get(name)
        if editor is None or label is None:
            return
        text = sentence(name, message, self.labels[name]) if message else ""
        target = editor.focus_widget() if isinstance(editor, FieldEditor) else editor
        style.set_invalid(target, bool(message))
        editor.setToolTip(text)
        label.setText(text)
        label.setVisible(bool(message))

    def set_errors(self, errors: dict[str, str]) -> list[str]:
        """Mark the fields named in a ValidationError; return sentences for other fields."""
        rest = []
        for name, message in errors.items():
            if name in self.editors:
                self.set_error(name, message)
            else:
                rest.append(sentence(name, message))
        return rest

    def clear_errors(self) -> None:
        for name in self.editors:
            self.set_error(name, None)

    def error_text(self, name: str) -> str:
        label = self.errors[name]
        return label.text() if label.isVisibleTo(self) else ""

    def focus(self, name: str) -> None:
        editor = self.editors[name]
        (editor.focus_widget() if isinstance(editor, FieldEditor) else editor).setFocus()

    def _changed(self, name: str) -> None:
        if self.errors[name].isVisibleTo(self):
            self.check_field(name)
        self.edited.emit()
