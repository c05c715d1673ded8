"""The dialog that adds a user or changes one's role and manager; made-up passwords."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from fieldapp.ui.admin_widgets import CheckedDialog

ROLES = ("rep", "manager", "admin")
MIN_PASSWORD = 8  # the server's rule (server/users.py); checked here to say it at once


def made_up_password() -> str:
    """A password to hand over (about 77 bits, no look-alike characters to misread)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


@dataclass(frozen=True)
class UserValues:
    username: str
    role: str
    manager: str | None
    password: str = ""


class UserDialog(CheckedDialog):
    """Add a user (name, role, manager, password) or change one's role and manager."""

    def __init__(
        self,
        parent: QWidget | None,
        managers: list[str],
        current: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Change user" if current else "Add user")
        self.name = QLineEdit(str(current["username"]) if current else "")
        self.name.setObjectName("user_name")
        self.name.setReadOnly(current is not None)
        self.role = QComboBox()
        self.role.setObjectName("user_role")
        self.role.addItems(ROLES)
        self.role.setCurrentText(str(current["role"]) if current else "rep")
        self.manager = QComboBox()
        self.manager.setObjectName("user_manager")
        self.manager.addItem("(none)", None)
        for m in managers:
            if not current or m != current["username"]:
                self.manager.addItem(m, m)
        if current and current.get("manager"):
            self.manager.setCurrentIndex(max(0, self.manager.findData(current["manager"])))
        form = QFormLayout(self)
        form.addRow("&Name", self.name)
        form.addRow("&Role", self.role)
        form.addRow("&Manager", self.manager)
        self.password = QLineEdit()
        self.password.setObjectName("user_password")
        if current is None:
            self.password.setPlaceholderText("at least 8 characters, or Make one up")
            make = QPushButton("Make one &up")
            make.clicked.connect(lambda: self.password.setText(made_up_password()))
            row = QHBoxLayout()
            row.addWidget(self.password, 1)
            row.addWidget(make)
            label = QLabel("&Password")
            label.setBuddy(self.password)  # a row of a layout has no label of its own
            form.addRow(label, row)
        self.finish_form(form)
        self.creating = current is None
        self.setMinimumWidth(440)

    def values(self) -> UserValues:
        return UserValues(
            self.name.text().strip(),
            self.role.currentText(),
            self.manager.currentData(),
            self.password.text(),
        )

    def problem(self) -> str | None:
        v = self.values()
        if not v.username:
            return "A user needs a name."
        if self.creating and len(v.password) < MIN_PASSWORD:
            return f"A password has at least {MIN_PASSWORD} characters (or Make one up)."
        return None
