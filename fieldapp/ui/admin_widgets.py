"""Small pieces the Admin panel's tabs and dialogs share."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from fieldapp.ui import style

# The window's own actions ask the panel's tab for these (Panel.new_record …).
WINDOW_KEYS = frozenset({"Delete", "Ctrl+N"})


def shortcut_button(owner: QWidget, text: str, slot: Callable[[], None], key: str) -> QPushButton:
    """A button for ``slot``; ``key`` (if any) also runs it while ``owner`` has the focus."""
    button = QPushButton(text)
    button.clicked.connect(lambda _c=False: slot())
    if key:
        button.setToolTip(f"{text.replace('&', '').rstrip('…')} ({key})")
    if key and key not in WINDOW_KEYS:
        shortcut = QShortcut(QKeySequence(key), owner)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(slot)
    return button


def search_box(name: str, placeholder: str, changed: Callable[[], None]) -> QLineEdit:
    """A find-as-you-type box over a list (Ctrl+F focuses it)."""
    box = QLineEdit()
    box.setObjectName(name)
    box.setPlaceholderText(placeholder)
    box.setClearButtonEnabled(True)
    box.textChanged.connect(lambda _t: changed())
    return box


class CheckedDialog(QDialog):
    """A form dialog whose OK first asks :meth:`problem`; the problem, if any, is shown
    under the fields and the dialog stays open with everything typed."""

    def finish_form(self, form: QFormLayout) -> None:
        """Add the problem line and OK / Cancel under the fields."""
        self.error = QLabel("")
        style.set_role(self.error, "error")
        form.addRow(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def problem(self) -> str | None:
        return None

    def _check(self) -> None:
        problem = self.problem()
        self.error.setText(problem or "")
        if problem is None:
            self.accept()
