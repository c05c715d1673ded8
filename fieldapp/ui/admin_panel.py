"""The Admin panel (admins only): territories, users and assignment proposals, in tabs.

Each tab is a widget of its own module (``admin_territories``, ``admin_users``, and the
proposals of ``admin_proposals``), handed the panel's shared :class:`AdminCalls` (server
calls in workers, errors in words) and :class:`Drafts` (territory changes kept on disk
until sent). A tab is added with :meth:`AdminPanel.add_tab`; the window's Ctrl+N,
Delete, Ctrl+F and F5 go to the tab shown, when it has ``new_record``,
``delete_selected``, ``focus_search`` or ``refresh``.

The server decides what an admin may do; this panel only keeps the others from being
offered it (see :mod:`fieldapp.ui.roles` and :mod:`fieldapp.ui.panels`).
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QTabWidget, QVBoxLayout, QWidget

from fieldapp.sync.admin_drafts import Drafts
from fieldapp.ui import style
from fieldapp.ui.admin_calls import AdminCalls
from fieldapp.ui.admin_proposals import ProposalsTab
from fieldapp.ui.admin_territories import TerritoriesTab
from fieldapp.ui.admin_users import UsersTab
from fieldapp.ui.panel import AppContext, Panel


class AdminPanel(Panel):
    title = "Admin"
    watches = frozenset({"territories", "users"})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.calls = AdminCalls(ctx.bg, self)
        self.drafts = Drafts(ctx.data_dir)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("admin_tabs")
        self.status = QLabel("")
        self.status.setObjectName("admin_status")
        style.set_role(self.status, "hint")
        self.progress = QProgressBar()
        self.progress.setObjectName("admin_progress")
        self.progress.setRange(0, 0)  # busy: a server call has no steps to count
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.calls.busy.connect(self._busy)
        # What runs now sits beside the tabs, where it takes no room from them.
        corner = QWidget()
        bar = QHBoxLayout(corner)
        bar.setContentsMargins(0, 0, 4, 0)
        bar.addWidget(self.status)
        bar.addWidget(self.progress)
        self.tabs.setCornerWidget(corner, Qt.Corner.TopRightCorner)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tabs, 1)

        self.territories = TerritoriesTab(ctx, self.calls, self.drafts)
        self.users = UsersTab(ctx, self.calls, self.drafts)
        self.add_tab(self.territories, "&Territories")
        self.add_tab(self.users, "&Users")
        self.proposals = ProposalsTab(ctx)
        self.add_tab(self.proposals, "&Proposals")
        # Alt+1, Alt+2 … pick a tab (Alt+<underlined letter> does too).
        for i in range(9):
            shortcut = QShortcut(QKeySequence(f"Alt+{i + 1}"), self)
            shortcut.activated.connect(lambda i=i: self._pick(i))
        self._loaded = False

    def add_tab(self, widget: QWidget, title: str) -> int:
        """Add a tab (e.g. the proposals): its index. ``title`` may mark a letter with &."""
        return self.tabs.addTab(widget, title)

    def _pick(self, index: int) -> None:
        if index < self.tabs.count():
            self.tabs.setCurrentIndex(index)

    def _busy(self, doing: str) -> None:
        self.progress.setVisible(bool(doing))
        self.status.setText(doing)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._loaded:
            self._loaded = True
            self.refresh()

    # --- what the window asks of the tab shown ------------------------------------------

    def _current(self, method: str) -> None:
        fn = getattr(self.tabs.currentWidget(), method, None)
        if callable(fn):
            fn()

    def refresh(self) -> None:
        for i in range(self.tabs.count()):
            fn = getattr(self.tabs.widget(i), "refresh", None)
            if callable(fn):
                fn()

    def new_record(self) -> None:
        self._current("new_record")

    def delete_selected(self) -> None:
        self._current("delete_selected")

    def focus_search(self) -> None:
        self._current("focus_search")

    def close_map(self) -> None:
        self.territories.close_map()
        self.proposals.close_map()

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("admin/tab", self.tabs.currentIndex())
        self.territories.save_state(settings)

    def restore_state(self, settings: QSettings) -> None:
        tab = settings.value("admin/tab", 0)
        self._pick(int(tab) if isinstance(tab, int | str) and str(tab).isdigit() else 0)
        self.territories.restore_state(settings)
