"""A hint over an empty list: why it is empty and what to do ("No accounts match 'xyz'")."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractItemView, QLabel

from fieldapp.ui import style


class EmptyHint(QLabel):
    """Sits on a view's viewport; :meth:`show_hint` with a text shows it, with None hides it."""

    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view.viewport())
        self.setObjectName("empty_hint")
        style.set_role(self, "hint")
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        view.viewport().installEventFilter(self)
        self.hide()

    def show_hint(self, text: str | None) -> None:
        if not text:
            self.hide()
            return
        self.setText(text)
        self._fit()
        self.show()

    def hint(self) -> str:
        """The hint shown now ("" when the list has rows)."""
        return "" if self.isHidden() else self.text()

    def _fit(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect().adjusted(16, 16, -16, -16))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._fit()
        return False
