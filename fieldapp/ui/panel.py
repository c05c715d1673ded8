"""What every panel of the main window shares: the app context and the panel base class."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QWidget

from fieldapp.ui.background import Background
from fieldapp.ui.position import PositionProvider

UndoFn = Callable[[], None]


class AppContext(QObject):
    """Services the panels need from the window, without knowing the window.

    Signals:
        open_account(str): show this account's 360° view.
        open_agenda(str, str): show this user's agenda (user id, their name).
        message(str, object): tell the user something; the object is an undo callable or None.
        open_lead(str): show this lead in the Leads panel.
        sync_requested(): sync now (e.g. a conflict was resolved: send the decision).
    """

    open_account = Signal(str)
    open_agenda = Signal(str, str)
    message = Signal(str, object)
    open_lead = Signal(str)
    sync_requested = Signal()

    def __init__(
        self,
        bg: Background,
        settings: QSettings,
        data_dir: Path,
        position: PositionProvider | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.bg = bg
        self.settings = settings
        self.data_dir = data_dir
        self.position = position or PositionProvider(self)

    def tell(self, text: str, undo: UndoFn | None = None) -> None:
        self.message.emit(text, undo)


class Panel(QWidget):
    """One screen of the main window. Subclasses override what they support.

    ``watches`` names the entities whose change notices make the panel refresh.
    """

    title = ""
    watches: frozenset[str] = frozenset()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        ctx.bg.changed.connect(self._on_changed)

    def _on_changed(self, entities: frozenset[str]) -> None:
        if entities & self.watches:
            self.refresh()

    def refresh(self) -> None:
        """Reload what the panel shows from the replica (in the background)."""

    def new_record(self) -> None:
        """Ctrl+N."""

    def delete_selected(self) -> None:
        """Delete key."""

    def focus_search(self) -> None:
        """Ctrl+F."""

    def close_map(self) -> None:
        """Release a web view's workers and files (panels with a map; the window calls
        this on close)."""

    def save_state(self, settings: QSettings) -> None:
        """Store layout details (splitters, columns) under the panel's own group."""

    def restore_state(self, settings: QSettings) -> None:
        """Apply what :meth:`save_state` stored."""
