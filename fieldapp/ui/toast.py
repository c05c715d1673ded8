"""A short message over the bottom of the window, with an optional action (Undo)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QMargins, QObject, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from fieldapp.ui import style


class Toast(QFrame):
    """Shown by :meth:`show_message`; hides itself after ``timeout_ms``."""

    def __init__(self, parent: QWidget, timeout_ms: int = 8000) -> None:
        super().__init__(parent)
        self.setObjectName("toast")
        style.set_role(self, "toast")
        self.label = QLabel()
        self.label.setWordWrap(True)  # a long warning wraps instead of running off the window
        self.action = QPushButton()
        self.action.clicked.connect(self._act)
        self.close_button = QPushButton("✕")
        self.close_button.setToolTip(self.tr("Close"))
        self.close_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 2, 4, 2)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action)
        layout.addWidget(self.close_button)
        self._callback: Callable[[], None] | None = None
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(timeout_ms)
        self.timer.timeout.connect(self.hide)
        parent.installEventFilter(self)
        self.hide()

    def show_message(
        self, text: str, action: str | None = None, callback: Callable[[], None] | None = None
    ) -> None:
        self.label.setText(text)
        self._callback = callback
        self.action.setText(action or "")
        self.action.setVisible(bool(action and callback))
        self.adjustSize()
        self._place()
        self.show()
        self.raise_()
        self.timer.start()

    def trigger(self) -> bool:
        """Run the action (e.g. Undo) if one is offered; True when one ran."""
        if self._callback is None or not self.isVisible():
            return False
        self._act()
        return True

    def _act(self) -> None:
        callback, self._callback = self._callback, None
        self.hide()
        if callback is not None:
            callback()

    def _place(self) -> None:
        parent = self.parentWidget()
        if parent is None:
            return
        # A wrapping label's size hint is not its one-line width: measure the text instead.
        text_width = self.label.fontMetrics().horizontalAdvance(self.label.text())
        buttons = self.sizeHint().width() - self.label.sizeHint().width()
        width = min(max(text_width + buttons + 16, 320), parent.width() - 40)
        layout = self.layout()
        m = layout.contentsMargins() if layout is not None else QMargins()
        label_width = width - buttons - m.left() - m.right()
        height = self.label.heightForWidth(label_width) + m.top() + m.bottom()
        self.resize(width, max(height, self.minimumSizeHint().height()))
        self.move((parent.width() - width) // 2, parent.height() - self.height() - 40)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False
