"""The main window: a sidebar of panels, menus, toolbar, shortcuts and the status bar.

The window owns nothing but composition: panels come from :mod:`fieldapp.ui.panels`,
actions and menus from :mod:`fieldapp.ui.window_actions`, the status bar from
:mod:`fieldapp.ui.window_status`, store work from the :class:`Background` helper, and
layout is remembered in QSettings. It shows the panels the signed-in role may use
(:mod:`fieldapp.ui.roles`), read in the background at start and again after each sync;
until then, a rep's.

Start-up builds only the panel shown first. The others are built when first shown, or
one per event-loop turn once the background has nothing left to do: the first panel's
reads (the map's markers at a start on the Map panel) do not wait for the others'
imports and loads.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QIcon
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from fieldapp.store.db import Replica
from fieldapp.store.private import private_file
from fieldapp.ui import collector, roles, style
from fieldapp.ui.background import Background
from fieldapp.ui.panel import AppContext, Panel, UndoFn
from fieldapp.ui.panels import PANELS, PanelSpec
from fieldapp.ui.position import PositionProvider
from fieldapp.ui.sync_control import SyncControl, describe
from fieldapp.ui.task_queries import TaskRow
from fieldapp.ui.window_actions import WindowActions
from fieldapp.ui.window_status import DueNotifier, WindowStatus

if TYPE_CHECKING:
    from fieldapp.sync.engine import SyncReport

SETTINGS_FILE = "fieldapp-ui.ini"


def settings_for(data_dir: Path) -> QSettings:
    """Window layout is kept per data dir, next to the replica (0600, as its other files)."""
    private_file(data_dir / SETTINGS_FILE)
    return QSettings(str(data_dir / SETTINGS_FILE), QSettings.Format.IniFormat)


class MainWindow(QMainWindow):
    """Signals:
    switch_data_dir(): the user asked to open another data folder.
    """

    switch_data_dir = Signal()
    # How often the panels not yet built check whether the background is idle.
    BUILD_POLL_MS = 50

    def __init__(
        self,
        replica: Replica,
        *,
        settings: QSettings | None = None,
        notify_interval_ms: int = 30_000,
        position: PositionProvider | None = None,
    ) -> None:
        super().__init__()
        self.replica = replica
        self.setWindowTitle(f"fieldapp — {replica.data_dir}")
        self.settings = settings or settings_for(replica.data_dir)
        self.bg = Background(replica, self)
        self.ctx = AppContext(self.bg, self.settings, replica.data_dir, position, parent=self)
        self.ctx.message.connect(self._message)
        self.ctx.open_account.connect(self.open_account)
        self.ctx.open_agenda.connect(self.open_agenda)
        self.ctx.open_lead.connect(self.open_lead)
        self.bg.changed.connect(lambda _e: self.refresh_status())
        self.bg.failed.connect(lambda text: self._message(text, None))
        self.role: str = roles.DEFAULT_ROLE
        # The panel the user last had open, shown once the role allows it.
        self._wanted_panel: str | None = None

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        style.set_role(self.sidebar, "sidebar")
        self.sidebar.setFixedWidth(130)
        self.stack = QStackedWidget()
        self.specs = list(PANELS)
        self.panels: dict[str, Panel] = {}
        self._pages: list[QWidget] = []
        self._closing = False
        self._idle_since_poll = False  # see _build_next
        self._imports_tried: set[str] = set()  # panels whose modules a worker imported
        for spec in self.specs:
            page = QWidget()
            page_layout = QVBoxLayout(page)
            page_layout.setContentsMargins(0, 0, 0, 0)
            self._pages.append(page)
            self.stack.addWidget(page)
            self.sidebar.addItem(QCoreApplication.translate("panels", spec.title))
        self.sidebar.currentRowChanged.connect(self._switch)
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.sidebar)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.status_area = WindowStatus(self, self.bg, central, replica.data_dir)
        self.toast = self.status_area.toast
        self.counts_label = self.status_area.counts_label
        self.outbox_label = self.status_area.outbox_label
        self.sync = SyncControl(self.bg, self.settings, self)
        self.sync.finished.connect(self._synced)
        self.sync.failed.connect(lambda message: self.ctx.tell(f"Not synced: {message}"))
        self.statusBar().addPermanentWidget(self.sync.label)
        self.window_actions = WindowActions(self)
        self.undo_action = self.window_actions.undo
        self.refresh_action = self.window_actions.refresh
        self.sync_action = self.window_actions.sync
        self.import_action = self.window_actions.import_
        self.panel_actions = self.window_actions.panels
        self.sync_menu = self.window_actions.sync_menu
        self.statusBar().addPermanentWidget(self.sync_menu.account_label)
        self.ctx.sync_requested.connect(self.sync.start)
        # Signing in or out may change the role, hence the panels shown.
        self.sync_menu.account_changed.connect(lambda _status: self.load_role())
        self.apply_role(roles.DEFAULT_ROLE)

        self.notifier = DueNotifier(self.bg, notify_interval_ms)
        self.notifier.due.connect(self.announce_due)
        self.status_area.show_tray()
        self.tray = self.status_area.tray

        self.resize(1280, 800)
        self._restore()
        self.refresh_status()

    def _synced(self, report: SyncReport) -> None:
        # What the pull brought in is new to every panel; signing in may change the role.
        self.refresh()
        self.load_role()
        self.ctx.tell(f"Synced: {describe(report)}.")

    # -- the role ------------------------------------------------------------------------------

    def load_role(self) -> None:
        """Read the signed-in role in the background and show what it may use."""
        self.bg.read(roles.signed_in_role, self.apply_role, owner=self)

    def allowed(self, spec: PanelSpec) -> bool:
        return self.role in spec.roles

    def apply_role(self, role: str) -> None:
        """Show the panels ``role`` may use, numbered Ctrl+1 … Ctrl+9, Ctrl+0 in order."""
        self.role = role
        allowed = [self.allowed(spec) for spec in self.specs]
        for i, ok in enumerate(allowed):
            item = self.sidebar.item(i)
            if item is not None:
                item.setHidden(not ok)
        self.window_actions.number_panels(allowed)
        current = self.sidebar.currentRow()  # -1 while the window is being built
        wanted = self._wanted_panel
        if wanted in self.keys() and self.allowed(self.specs[self.keys().index(wanted)]):
            self._wanted_panel = None
            self.show_panel(wanted)
        elif 0 <= current < len(self.specs) and not self.allowed(self.specs[current]):
            self.show_panel(self.specs[0].key)

    # -- panels -------------------------------------------------------------------------------

    def keys(self) -> list[str]:
        return [spec.key for spec in self.specs]

    def panel(self, key: str) -> Panel:
        """The panel called ``key``, built now if it was not yet."""
        built = self.panels.get(key)
        if built is not None:
            return built
        index = self.keys().index(key)
        panel = self.specs[index].build(self.ctx)
        panel.setObjectName(f"panel_{key}")
        panel.restore_state(self.settings)
        layout = self._pages[index].layout()
        assert layout is not None
        layout.addWidget(panel)
        self.panels[key] = panel
        return panel

    def _switch(self, index: int) -> None:
        if 0 <= index < len(self.specs) and self.allowed(self.specs[index]):
            self.panel(self.specs[index].key)
            self.stack.setCurrentIndex(index)

    def _build_next(self) -> None:
        """Build one more panel the role may use once the background has been idle for a
        whole poll interval; repeat.

        Idle at one look is not enough: a panel given its first rows paints them next,
        and may start its next read only then (the Pipeline's every id); a panel built
        in that gap would hold the painting up for as long as its build takes.
        """
        if self._closing:
            return
        missing = [s.key for s in self.specs if s.key not in self.panels and self.allowed(s)]
        if not missing:
            collector.keep_passes_short()  # start-up done: see collector.py
            return
        was_idle, self._idle_since_poll = self._idle_since_poll, not self.bg.pending()
        if not (was_idle and self._idle_since_poll):
            # The panels already built are still loading or painting what they show.
            QTimer.singleShot(self.BUILD_POLL_MS, self._build_next)
            return
        self._idle_since_poll = False
        spec = self.specs[self.keys().index(missing[0])]
        if not spec.imported() and spec.key not in self._imports_tried:
            self._imports_tried.add(spec.key)  # a failed import is raised by the build

            # Its modules first, on a worker: an import there hands the GUI thread the
            # interpreter lock back every few milliseconds, on the GUI thread it would
            # hold the window for the whole import (the ORM, a panel's libraries).
            def imported(_result: object = None) -> None:
                QTimer.singleShot(0, self._build_next)

            self.bg.read(lambda _s: spec.load(), imported, on_error=imported, owner=self)
            return
        self.panel(missing[0])
        QTimer.singleShot(0, self._build_next)

    def current_panel(self) -> Panel:
        return self.panel(self.specs[self.stack.currentIndex()].key)

    def show_panel(self, key: str) -> Panel:
        self.sidebar.setCurrentRow(self.keys().index(key))
        return self.panel(key)

    def show_panel_index(self, index: int) -> None:
        if 0 <= index < len(self.specs) and self.allowed(self.specs[index]):
            self.sidebar.setCurrentRow(index)

    def open_account(self, account_id: str) -> None:
        from fieldapp.ui.accounts_panel import AccountsPanel

        panel = self.show_panel("accounts")
        assert isinstance(panel, AccountsPanel)
        panel.select_account(account_id)

    def open_agenda(self, owner_id: str, name: str) -> None:
        """Someone's agenda (a manager drilling into a rep's week)."""
        from fieldapp.ui.agenda_panel import AgendaPanel

        panel = self.show_panel("agenda")
        assert isinstance(panel, AgendaPanel)
        panel.set_owner(owner_id, name)

    def open_lead(self, lead_id: str) -> None:
        from fieldapp.ui.leads_panel import LeadsPanel

        panel = self.show_panel("leads")
        assert isinstance(panel, LeadsPanel)
        panel.show_lead(lead_id)

    def new_record(self) -> None:
        self.current_panel().new_record()

    def delete_selected(self) -> None:
        self.current_panel().delete_selected()

    def focus_search(self) -> None:
        panel = self.current_panel()
        if type(panel).focus_search is Panel.focus_search:
            panel = self.show_panel("accounts")
        panel.focus_search()

    def refresh(self) -> None:
        for panel in self.panels.values():
            panel.refresh()
        self.refresh_status()

    # -- messages -----------------------------------------------------------------------------

    def _message(self, text: str, undo: UndoFn | None) -> None:
        self.status_area.message(text, undo, self.undo)
        if undo is not None:
            self.undo_action.setEnabled(True)

    def undo(self) -> None:
        undo = self.status_area.take_undo()
        self.undo_action.setEnabled(False)
        if undo is not None:
            undo()

    def announce_due(self, tasks: list[TaskRow]) -> None:
        """A desktop notification when the system has a tray, else a message in the window."""
        self.status_area.announce_due(tasks)

    def refresh_status(self) -> None:
        self.status_area.refresh()

    def import_csv(self) -> None:
        from fieldapp.ui import transfer_menu  # the import and export dialogs

        transfer_menu.open_import(self)

    def export_csv(self) -> None:
        from fieldapp.ui import transfer_menu

        transfer_menu.open_export(self)

    def about(self) -> None:
        QMessageBox.about(
            self,
            "About fieldapp",
            "fieldapp — an offline-first CRM for field sales.\n"
            f"Data folder: {self.replica.data_dir}",
        )

    # -- layout memory ------------------------------------------------------------------------

    def _restore(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        current = str(self.settings.value("window/panel", "today"))
        keys = self.keys()
        index = keys.index(current) if current in keys else 0
        if not self.allowed(self.specs[index]):
            # A manager's Team panel: shown once the role has been read.
            self._wanted_panel, index = current, 0
        self.sidebar.setCurrentRow(index)
        QTimer.singleShot(0, self._build_next)
        self.load_role()

    def save_layout(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/panel", self.keys()[self.stack.currentIndex()])
        for panel in self.panels.values():
            panel.save_state(self.settings)
        self.settings.sync()

    def shutdown(self) -> None:
        """Save the layout and finish background work; the replica stays open."""
        self._closing = True
        self.notifier.timer.stop()
        self.sync.timer.stop()
        self.save_layout()
        for panel in self.panels.values():
            panel.close_map()
        self.bg.shutdown()
        self.status_area.hide_tray()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)


def app_icon() -> QIcon:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app.style().standardIcon(QStyle.StandardPixmap.SP_ComputerIcon)
    return QIcon()
