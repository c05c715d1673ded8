"""The main window: a sidebar of panels, menus, toolbar, shortcuts and the status bar.

The window owns nothing but composition: panels come from :mod:`fieldapp.ui.panels`,
store work from the :class:`Background` helper, and layout is remembered in QSettings.
It shows the panels the signed-in role may use (:mod:`fieldapp.ui.roles`), read in the
background at start and again after each sync; until then, a rep's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QStyle,
    QSystemTrayIcon,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from fieldapp.store.db import Replica
from fieldapp.store.private import private_file
from fieldapp.ui import collector, queries, roles, style, transfer_menu
from fieldapp.ui.accounts_panel import AccountsPanel
from fieldapp.ui.agenda_panel import AgendaPanel
from fieldapp.ui.background import Background
from fieldapp.ui.leads_panel import LeadsPanel
from fieldapp.ui.panel import AppContext, Panel, UndoFn
from fieldapp.ui.panels import PANELS, PanelSpec
from fieldapp.ui.position import PositionProvider
from fieldapp.ui.sync_control import SyncControl, describe
from fieldapp.ui.sync_menu import SyncMenu
from fieldapp.ui.task_queries import TaskRow

if TYPE_CHECKING:
    from fieldapp.sync.engine import SyncReport
from fieldapp.ui.tasks_panel import DueNotifier
from fieldapp.ui.toast import Toast

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
        self._undo: UndoFn | None = None
        self.role: str = roles.DEFAULT_ROLE
        # The panel the user last had open, shown once the role allows it.
        self._wanted_panel: str | None = None

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        style.set_role(self.sidebar, "sidebar")
        self.sidebar.setFixedWidth(130)
        # Panels are built on first use, or one per event-loop turn after the window is
        # up: the landing page appears (and loads) without waiting for the others.
        self.stack = QStackedWidget()
        self.specs = list(PANELS)
        self.panels: dict[str, Panel] = {}
        self._pages: list[QWidget] = []
        self._closing = False
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
        self.toast = Toast(central)

        self.counts_label = QLabel("")
        self.counts_label.setObjectName("counts")
        self.outbox_label = QLabel("")
        self.outbox_label.setObjectName("outbox")
        self.statusBar().addPermanentWidget(self.counts_label)
        self.statusBar().addPermanentWidget(self.outbox_label)
        self.sync = SyncControl(self.bg, self.settings, self)
        self.sync.finished.connect(self._synced)
        self.sync.failed.connect(lambda message: self.ctx.tell(f"Not synced: {message}"))
        self.statusBar().addPermanentWidget(self.sync.label)
        self._build_actions()
        self.apply_role(roles.DEFAULT_ROLE)

        self.notifier = DueNotifier(self.bg, notify_interval_ms)
        self.notifier.due.connect(self.announce_due)
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
            self.tray = QSystemTrayIcon(icon, self)
            self.tray.show()

        self.resize(1280, 800)
        self._restore()
        self.refresh_status()

    # -- construction -------------------------------------------------------------------------

    def _action(
        self,
        text: str,
        slot: Callable[[], Any],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        icon: QStyle.StandardPixmap | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        sp = QStyle.StandardPixmap
        self.new_action = self._action("&New", self.new_record, "Ctrl+N", sp.SP_FileIcon)
        self.delete_action = self._action(
            "&Delete", self.delete_selected, QKeySequence.StandardKey.Delete, sp.SP_TrashIcon
        )
        self.undo_action = self._action(
            "&Undo", self.undo, QKeySequence.StandardKey.Undo, sp.SP_ArrowBack
        )
        self.undo_action.setEnabled(False)
        self.find_action = self._action(
            "&Find", self.focus_search, "Ctrl+F", sp.SP_FileDialogContentsView
        )
        self.refresh_action = self._action("&Refresh", self.refresh, "F5", sp.SP_BrowserReload)
        self.open_action = self._action(
            "Open data folder…", self.switch_data_dir.emit, None, sp.SP_DirOpenIcon
        )
        self.quit_action = self._action("&Quit", self.close, "Ctrl+Q")
        self.sync_action = self._action("&Sync now", self.sync.start, "F9", sp.SP_DriveNetIcon)
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self.open_action)
        file_menu.addSeparator()
        self.import_action = self._action("&Import…", self.import_csv, "Ctrl+I")
        self.export_action = self._action("&Export…", self.export_csv, "Ctrl+E")
        file_menu.addAction(self.import_action)
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit = menu.addMenu("&Edit")
        for a in (self.new_action, self.delete_action, self.undo_action, self.find_action):
            edit.addAction(a)
        view = menu.addMenu("&View")
        view.addAction(self.refresh_action)
        view.addSeparator()
        self.panel_actions: list[QAction] = []
        for i, spec in enumerate(self.specs):
            action = self._action(spec.title, self._panel_switcher(i))
            view.addAction(action)
            self.panel_actions.append(action)
        sync_menu = menu.addMenu("&Sync")
        self.sync_menu = SyncMenu(self, self.ctx, self.sync, sync_menu, self.sync_action)
        self.statusBar().addPermanentWidget(self.sync_menu.account_label)
        self.ctx.sync_requested.connect(self.sync.start)
        # Signing in or out may change the role, hence the panels shown.
        self.sync_menu.account_changed.connect(lambda _status: self.load_role())
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self._action("&About fieldapp", self.about))
        toolbar = QToolBar("Main")
        toolbar.setObjectName("main_toolbar")
        toolbar.setIconSize(QSize(18, 18))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for a in (
            self.new_action,
            self.delete_action,
            self.undo_action,
            self.find_action,
            self.refresh_action,
            self.sync_action,
        ):
            toolbar.addAction(a)
        self.addToolBar(toolbar)

    def _synced(self, report: SyncReport) -> None:
        # What the pull brought in is new to every panel; signing in may change the role.
        self.refresh()
        self.load_role()
        self.ctx.tell(f"Synced: {describe(report)}.")

    def _panel_switcher(self, index: int) -> Callable[[], None]:
        return lambda: self.show_panel_index(index)

    # -- the role ------------------------------------------------------------------------------

    def load_role(self) -> None:
        """Read the signed-in role in the background and show what it may use."""
        self.bg.read(roles.signed_in_role, self.apply_role, owner=self)

    def allowed(self, spec: PanelSpec) -> bool:
        return self.role in spec.roles

    def apply_role(self, role: str) -> None:
        """Show the panels ``role`` may use, numbered Ctrl+1 … Ctrl+9, Ctrl+0 in order."""
        self.role = role
        shown = 0
        for i, spec in enumerate(self.specs):
            allowed = self.allowed(spec)
            item = self.sidebar.item(i)
            if item is not None:
                item.setHidden(not allowed)
            action = self.panel_actions[i]
            action.setVisible(allowed)
            action.setEnabled(allowed)
            if allowed:
                shown += 1
            numbered = allowed and shown <= 10
            action.setShortcut(QKeySequence(f"Ctrl+{shown % 10}" if numbered else ""))
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
        panel = self.specs[index].factory(self.ctx)
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
        if self._closing:
            return
        missing = [s.key for s in self.specs if s.key not in self.panels and self.allowed(s)]
        if missing:
            self.panel(missing[0])
            QTimer.singleShot(0, self._build_next)
        else:
            collector.keep_passes_short()  # start-up done: see collector.py

    def current_panel(self) -> Panel:
        return self.panel(self.specs[self.stack.currentIndex()].key)

    def show_panel(self, key: str) -> Panel:
        self.sidebar.setCurrentRow(self.keys().index(key))
        return self.panel(key)

    def show_panel_index(self, index: int) -> None:
        if 0 <= index < len(self.specs) and self.allowed(self.specs[index]):
            self.sidebar.setCurrentRow(index)

    def open_account(self, account_id: str) -> None:
        panel = self.show_panel("accounts")
        assert isinstance(panel, AccountsPanel)
        panel.select_account(account_id)

    def open_agenda(self, owner_id: str, name: str) -> None:
        """Someone's agenda (a manager drilling into a rep's week)."""
        panel = self.show_panel("agenda")
        assert isinstance(panel, AgendaPanel)
        panel.set_owner(owner_id, name)

    def open_lead(self, lead_id: str) -> None:
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
        self.statusBar().showMessage(text, 8000)
        if undo is not None:
            self._undo = undo
            self.undo_action.setEnabled(True)
            self.toast.show_message(text, "Undo", self.undo)
        else:
            self.toast.show_message(text)

    def undo(self) -> None:
        undo, self._undo = self._undo, None
        self.undo_action.setEnabled(False)
        if undo is not None:
            undo()

    def announce_due(self, tasks: list[TaskRow]) -> None:
        """A desktop notification when the system has a tray, else a message in the window."""
        text = "\n".join(f"{t.title}" + (f" — {t.account}" if t.account else "") for t in tasks[:5])
        title = "Task due" if len(tasks) == 1 else f"{len(tasks)} tasks due"
        if self.tray is not None and self.tray.supportsMessages():
            self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 10_000)
        self.toast.show_message(f"{title}: {text.replace(chr(10), '; ')}")

    def refresh_status(self) -> None:
        self.bg.read(queries.counts, self._show_counts, owner=self)

    def _show_counts(self, counts: dict[str, int]) -> None:
        self.counts_label.setText(
            f"{counts['accounts']:,} accounts · {counts['leads']:,} leads · "
            f"{counts['opportunities']:,} deals · {counts['tasks']:,} tasks"
        )
        if counts.get("sandbox"):
            # A demo replica never syncs (store/sandbox.py): say so instead of a count.
            self.outbox_label.setText("demo sandbox · nothing here is sent to a server")
            self.setWindowTitle(f"fieldapp — demo sandbox — {self.replica.data_dir}")
            return
        pending, refused = counts["outbox"], counts["refused"]
        text = f"{pending:,} changes not yet synced" if pending else "all changes synced"
        if refused:
            text += f" · {refused:,} refused by the server"
        self.outbox_label.setText(text)

    def import_csv(self) -> None:
        transfer_menu.open_import(self)

    def export_csv(self) -> None:
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
        if self.tray is not None:
            self.tray.hide()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)


def app_icon() -> QIcon:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app.style().standardIcon(QStyle.StandardPixmap.SP_ComputerIcon)
    return QIcon()
