"""The main window's actions, with their menus, shortcuts and the toolbar."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QStyle, QToolBar

from fieldapp.ui.sync_menu import SyncMenu

if TYPE_CHECKING:
    from fieldapp.ui.main_window import MainWindow


class WindowActions:
    """Every action of ``window``: File, Edit, View (one per panel), Sync and Help menus,
    and the toolbar. Each action triggers one of the window's methods."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        sp = QStyle.StandardPixmap
        w = window
        self.new = self._action("&New", w.new_record, "Ctrl+N", sp.SP_FileIcon)
        self.delete = self._action(
            "&Delete", w.delete_selected, QKeySequence.StandardKey.Delete, sp.SP_TrashIcon
        )
        self.undo = self._action("&Undo", w.undo, QKeySequence.StandardKey.Undo, sp.SP_ArrowBack)
        self.undo.setEnabled(False)
        self.find = self._action("&Find", w.focus_search, "Ctrl+F", sp.SP_FileDialogContentsView)
        self.refresh = self._action("&Refresh", w.refresh, "F5", sp.SP_BrowserReload)
        self.open = self._action(
            "Open data folder…", w.switch_data_dir.emit, None, sp.SP_DirOpenIcon
        )
        self.quit = self._action("&Quit", w.close, "Ctrl+Q")
        self.sync = self._action("&Sync now", w.sync.start, "F9", sp.SP_DriveNetIcon)
        self.import_ = self._action("&Import…", w.import_csv, "Ctrl+I")
        self.export = self._action("&Export…", w.export_csv, "Ctrl+E")
        self.panels = [
            self._action(spec.title, self._panel_switcher(i)) for i, spec in enumerate(w.specs)
        ]
        self.about = self._action("&About fieldapp", w.about)

        menu = w.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self.open)
        file_menu.addSeparator()
        file_menu.addAction(self.import_)
        file_menu.addAction(self.export)
        file_menu.addSeparator()
        file_menu.addAction(self.quit)
        edit = menu.addMenu("&Edit")
        for a in (self.new, self.delete, self.undo, self.find):
            edit.addAction(a)
        view = menu.addMenu("&View")
        view.addAction(self.refresh)
        view.addSeparator()
        for action in self.panels:
            view.addAction(action)
        sync_menu = menu.addMenu("&Sync")
        self.sync_menu = SyncMenu(w, w.ctx, w.sync, sync_menu, self.sync)
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self.about)

        toolbar = QToolBar("Main")
        toolbar.setObjectName("main_toolbar")
        toolbar.setIconSize(QSize(18, 18))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for a in (self.new, self.delete, self.undo, self.find, self.refresh, self.sync):
            toolbar.addAction(a)
        w.addToolBar(toolbar)

    def _action(
        self,
        text: str,
        slot: Callable[[], Any],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        icon: QStyle.StandardPixmap | None = None,
    ) -> QAction:
        action = QAction(text, self.window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if icon is not None:
            action.setIcon(self.window.style().standardIcon(icon))
        action.triggered.connect(lambda _checked=False: slot())
        self.window.addAction(action)
        return action

    def _panel_switcher(self, index: int) -> Callable[[], None]:
        return lambda: self.window.show_panel_index(index)

    def number_panels(self, allowed: list[bool]) -> None:
        """Show the View entries of the ``allowed`` panels, numbered Ctrl+1 … Ctrl+9, Ctrl+0."""
        shown = 0
        for action, ok in zip(self.panels, allowed, strict=True):
            action.setVisible(ok)
            action.setEnabled(ok)
            if ok:
                shown += 1
            numbered = ok and shown <= 10
            action.setShortcut(QKeySequence(f"Ctrl+{shown % 10}" if numbered else ""))
