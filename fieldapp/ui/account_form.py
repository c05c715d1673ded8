"""The account view's form: every field of an account, and why a save was refused.

The fields are declared once here (name, label, choices); :class:`RecordForm` checks
each as it is typed and marks the ones a refused save names.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from fieldapp.store import models
from fieldapp.ui import style
from fieldapp.ui.forms import RecordForm

ACCOUNT_FIELDS: list[Any] = [
    ("name", "Name"),
    ("type", "Type", models.ACCOUNT_TYPES),
    ("status", "Status", models.ACCOUNT_STATUSES),
    ("industry", "Industry"),
    ("phone", "Phone"),
    ("email", "Email"),
    ("website", "Website"),
    ("street", "Street"),
    ("postcode", "Postcode"),
    ("city", "City"),
    ("region", "Region"),
    ("country", "Country"),
    ("latitude", "Latitude"),
    ("longitude", "Longitude"),
    ("tags", "Tags"),
    ("visit_frequency_days", "Visit every (days)"),
    ("description", "Description"),
]


class AccountFormBox(QScrollArea):
    """The form above the save error line, scrolling when the pane is short."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = RecordForm("accounts", ACCOUNT_FIELDS)
        self.save_error = QLabel("")
        self.save_error.setObjectName("save_error")
        style.set_role(self.save_error, "error")
        self.save_error.setWordWrap(True)
        self.save_error.hide()
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.addWidget(self.form)
        layout.addWidget(self.save_error)
        layout.addStretch(1)
        self.setWidgetResizable(True)
        self.setWidget(box)

    def show_error(self, text: str) -> None:
        self.save_error.setText(text)
        self.save_error.show()
