"""Editors for values a line of text does not suit: a choice, a date, a time, an amount.

Each is a :class:`fieldapp.ui.forms.FieldEditor`, so a :class:`RecordForm` validates
it with the store's rule like any field: the editor's text is what the rule parses
(the ISO date, the amount in plain digits), whatever the user sees. Records picked by
search are :mod:`fieldapp.ui.pickers`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from PySide6.QtCore import QDate, QDateTime, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QHBoxLayout,
    QLineEdit,
    QWidget,
)

from fieldapp.ui import fmt
from fieldapp.ui.forms import FieldEditor


def editor_row(widget: QWidget, parent: FieldEditor) -> None:
    """Lay ``widget`` out as ``parent``'s one child (a combo as wide as its longest choice)."""
    layout = QHBoxLayout(parent)
    layout.setContentsMargins(0, 0, 0, 0)
    if isinstance(widget, QComboBox):
        # As wide as the longest choice (a stage name, a person), never cut short.
        widget.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    layout.addWidget(widget)
    if isinstance(widget, QComboBox | QDateEdit | QDateTimeEdit):
        layout.addStretch(1)


class ChoiceField(FieldEditor):
    """A combo box whose choices (value, label) arrive after the form is built."""

    def __init__(self, parent: QWidget | None = None, *, editable: bool = False) -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        self.combo.setEditable(editable)
        self.combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        if editable:
            self.combo.editTextChanged.connect(lambda _t: self.changed.emit())
        editor_row(self.combo, self)

    def set_choices(self, choices: list[tuple[str, str]]) -> None:
        current = self.text()
        self.combo.blockSignals(True)
        self.combo.clear()
        for value, label in choices:
            self.combo.addItem(label, value)
        self.combo.blockSignals(False)
        self.set_text(current)

    def text(self) -> str:
        if self.combo.isEditable():
            label = self.combo.currentText().strip()
            index = self.combo.findText(label)
            return str(self.combo.itemData(index)) if index >= 0 else label
        return str(self.combo.currentData() or "")

    def set_text(self, value: str) -> None:
        index = self.combo.findData(value)
        if index >= 0:
            self.combo.setCurrentIndex(index)
        elif self.combo.isEditable():
            self.combo.setEditText(value)
        elif self.combo.count():
            self.combo.setCurrentIndex(0)

    def focus_widget(self) -> QWidget:
        return self.combo


class DateField(FieldEditor):
    """A date in the locale's format with a calendar; optional fields can be left empty."""

    def __init__(self, parent: QWidget | None = None, *, optional: bool = True) -> None:
        super().__init__(parent)
        self.edit = QDateEdit()
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat(fmt.date_format())
        self.edit.setMinimumWidth(self.edit.fontMetrics().horizontalAdvance("00.00.00000") + 40)
        self.optional = optional
        if optional:
            # The minimum stands for "no date" and shows as a blank.
            self.edit.setMinimumDate(QDate(1900, 1, 1))
            self.edit.setSpecialValueText(" ")
        self.edit.dateChanged.connect(lambda _d: self.changed.emit())
        editor_row(self.edit, self)

    def text(self) -> str:
        if self.optional and self.edit.date() == self.edit.minimumDate():
            return ""
        return fmt.pydate(self.edit.date()).isoformat()

    def set_text(self, value: str) -> None:
        if value:
            self.edit.setDate(fmt.qdate(date.fromisoformat(value[:10])))
        else:
            self.edit.setDate(self.edit.minimumDate() if self.optional else QDate.currentDate())

    def set_date(self, value: date | None) -> None:
        self.set_text(value.isoformat() if value else "")

    def focus_widget(self) -> QWidget:
        return self.edit


class DateTimeField(FieldEditor):
    """A date and time in the locale's format (the laptop's time zone)."""

    def __init__(self, parent: QWidget | None = None, *, optional: bool = True) -> None:
        super().__init__(parent)
        self.edit = QDateTimeEdit()
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat(fmt.datetime_format())
        self.optional = optional
        if optional:
            self.edit.setMinimumDateTime(QDateTime(QDate(1900, 1, 1), self.edit.time()))
            self.edit.setSpecialValueText(" ")
        self.edit.dateTimeChanged.connect(lambda _d: self.changed.emit())
        editor_row(self.edit, self)

    def value(self) -> datetime | None:
        if self.optional and self.edit.dateTime() <= self.edit.minimumDateTime():
            return None
        return fmt.pydatetime(self.edit.dateTime())

    def text(self) -> str:
        value = self.value()
        return value.strftime("%Y-%m-%d %H:%M") if value else ""

    def set_text(self, value: str) -> None:
        if value:
            self.set_value(datetime.fromisoformat(value))
        else:
            self.edit.setDateTime(self.edit.minimumDateTime())

    def set_value(self, value: datetime | None) -> None:
        if value is None:
            self.edit.setDateTime(self.edit.minimumDateTime())
        else:
            self.edit.setDateTime(fmt.qdatetime(value))

    def focus_widget(self) -> QWidget:
        return self.edit


class AmountField(FieldEditor):
    """An amount typed the way the user's locale writes numbers ("12.000,50" in German)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.edit.setPlaceholderText(fmt.amount_text(Decimal("0")))
        self.edit.textEdited.connect(lambda _t: self.changed.emit())
        editor_row(self.edit, self)

    def text(self) -> str:
        return fmt.canonical_amount(self.edit.text())

    def set_text(self, value: str) -> None:
        try:
            self.edit.setText(fmt.amount_text(Decimal(value)) if value else "")
        except ArithmeticError:
            self.edit.setText(value)

    def focus_widget(self) -> QWidget:
        return self.edit
