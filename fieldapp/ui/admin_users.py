"""The Users tab of the Admin panel: who may sign in, their role and manager.

List, add, change role and manager, reset a password, deactivate and activate, all
through the server's admin API (sync/admin_api.py) in workers. User changes need the
server (a password is never kept on this laptop); without it the last list fetched is
shown, and a change says that nothing was changed. A new or reset password is typed
or made up here and shown once, in the tab, to be handed to the user.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.sync.admin_drafts import Drafts
from fieldapp.ui import dialogs
from fieldapp.ui.admin_calls import AdminCalls
from fieldapp.ui.admin_user_dialog import MIN_PASSWORD, UserDialog, UserValues, made_up_password
from fieldapp.ui.admin_widgets import search_box, shortcut_button
from fieldapp.ui.empty_state import EmptyHint
from fieldapp.ui.panel import AppContext
from fieldapp.ui.route_table import read_only_table

if TYPE_CHECKING:
    from fieldapp.sync.admin_api import AdminApi

COLUMNS = ("Name", "Role", "Manager", "Active", "Territories")


class UsersTab(QWidget):
    """Signals:
    loaded(int): the list was shown (this many users).
    changed(str): a change the server took, in words.
    """

    loaded = Signal(int)
    changed = Signal(str)

    def __init__(
        self, ctx: AppContext, calls: AdminCalls, drafts: Drafts, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx, self.calls, self.drafts = ctx, calls, drafts
        self.rows: list[dict[str, Any]] = []
        self.search = search_box("users_search", "Find a user (Ctrl+F)", self._fill)
        self.table = read_only_table("users_table", COLUMNS)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._enable)
        self.table.doubleClicked.connect(lambda _i: self.change_selected())
        self.hint = EmptyHint(self.table)
        self.add_button = shortcut_button(self, "&Add user…", self.new_record, "Ctrl+N")
        self.change_button = shortcut_button(
            self, "&Change role/manager…", self.change_selected, "F2"
        )
        self.reset_button = shortcut_button(self, "Reset &password…", self.reset_selected, "Ctrl+P")
        self.active_button = shortcut_button(self, "&Deactivate…", self.delete_selected, "Delete")
        self.notice = QLabel("")
        self.notice.setObjectName("users_notice")
        self.notice.setWordWrap(True)
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_button = QPushButton("Cop&y password")
        self.copy_button.clicked.connect(self._copy)
        self.copy_button.hide()
        self.notice.hide()  # until there is a password to show
        self._shown_password = ""
        buttons = QHBoxLayout()
        for b in (self.add_button, self.change_button, self.reset_button, self.active_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        notice = QHBoxLayout()
        notice.addWidget(self.notice, 1)
        notice.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addLayout(buttons)
        layout.addLayout(notice)
        layout.addWidget(self.table, 1)
        remembered = drafts.remembered("users")
        if remembered is not None:
            self.rows = remembered
            self._fill()
        self._enable()

    # --- the list ------------------------------------------------------------------------

    def refresh(self) -> None:
        self.calls.run("Loading users…", lambda api: api.users(), self._show, self._not_loaded)

    def _show(self, rows: list[dict[str, Any]]) -> None:
        self.rows = sorted(rows, key=lambda r: str(r["username"]).lower())
        self.drafts.remember("users", self.rows)
        self._fill()
        self.loaded.emit(len(self.rows))

    def _not_loaded(self, message: str, _exc: BaseException) -> None:
        when = self.drafts.remembered_at("users")
        shown = f"; showing the list of {when[:16].replace('T', ' ')} UTC" if when else ""
        self.ctx.tell(f"Users not loaded: {message}{shown}.")
        if not self.rows:
            self.hint.show_hint(f"{message}.")

    def _fill(self) -> None:
        wanted = self.search.text().strip().casefold()
        shown = [
            r
            for r in self.rows
            if not wanted
            or wanted in str(r["username"]).casefold()
            or wanted in str(r.get("manager") or "").casefold()
        ]
        selected = self.selected_name()
        self.table.setRowCount(len(shown))
        for i, r in enumerate(shown):
            cells = (
                r["username"],
                r["role"],
                r.get("manager") or "",
                "yes" if r.get("active", True) else "no — deactivated",
                ", ".join(r.get("territories") or []),
            )
            for j, value in enumerate(cells):
                item = QTableWidgetItem(str(value))
                item.setData(Qt.ItemDataRole.UserRole, r["username"])
                self.table.setItem(i, j, item)
            if r["username"] == selected:
                self.table.selectRow(i)
        if not self.rows:
            self.hint.show_hint("No users yet: they appear once the server has been reached.")
        elif not shown:
            self.hint.show_hint(f"No user matches “{self.search.text()}”.")
        else:
            self.hint.show_hint(None)
        self._enable()

    def selected_name(self) -> str | None:
        items = self.table.selectedItems()
        return str(items[0].data(Qt.ItemDataRole.UserRole)) if items else None

    def select(self, username: str) -> None:
        for i in range(self.table.rowCount()):
            item = self.table.item(i, 0)
            if item is not None and item.text() == username:
                self.table.selectRow(i)
                return

    def user(self, username: str | None) -> dict[str, Any] | None:
        return next((r for r in self.rows if r["username"] == username), None)

    def managers(self) -> list[str]:
        return [r["username"] for r in self.rows if r["role"] in ("manager", "admin")]

    def _enable(self) -> None:
        chosen = self.user(self.selected_name())
        for b in (self.change_button, self.reset_button, self.active_button):
            b.setEnabled(chosen is not None)
        active = chosen is None or chosen.get("active", True)
        self.active_button.setText("&Deactivate…" if active else "&Activate")

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    # --- changes --------------------------------------------------------------------------

    def _change(
        self,
        doing: str,
        fn: Callable[[AdminApi], Any],
        done: str,
        after: Callable[[Any], None] | None = None,
    ) -> None:
        def ok(result: Any) -> None:
            self.ctx.tell(done)
            self.changed.emit(done)
            if after is not None:
                after(result)
            self.refresh()

        def failed(message: str, _exc: BaseException) -> None:
            self.ctx.tell(f"{message}. Nothing was changed.")

        self.calls.run(doing, fn, ok, failed)

    def new_record(self) -> None:
        dialog = UserDialog(self, self.managers())
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.add_user(dialog.values())

    def add_user(self, v: UserValues) -> None:
        self._change(
            f"Adding {v.username}…",
            lambda api: api.add_user(v.username, v.password, v.role, v.manager),
            f"{v.username} added as {v.role}.",
            lambda _r: self._show_password(v.username, v.password),
        )

    def change_selected(self) -> None:
        current = self.user(self.selected_name())
        if current is None:
            return
        dialog = UserDialog(self, self.managers(), current)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            v = dialog.values()
            self.change_user(current["username"], v.role, v.manager)

    def change_user(self, username: str, role: str, manager: str | None) -> None:
        self._change(
            f"Changing {username}…",
            lambda api: api.change_user(
                username, role=role, manager=manager, clear_manager=manager is None
            ),
            f"{username} is now a {role}" + (f" managed by {manager}." if manager else "."),
        )

    def reset_selected(self) -> None:
        name = self.selected_name()
        if name is None:
            return
        typed = dialogs.ask_text(
            self,
            "Reset password",
            f"New password for {name} (leave empty to make one up). "
            "Every laptop signed in as them is signed out.",
        )
        if typed is None:
            return
        self.reset_password(name, typed or made_up_password())

    def reset_password(self, username: str, password: str) -> None:
        if len(password) < MIN_PASSWORD:
            self.ctx.tell(f"A password has at least {MIN_PASSWORD} characters; nothing changed.")
            return
        self._change(
            f"Resetting {username}'s password…",
            lambda api: api.reset_password(username, password),
            f"{username}'s password was reset; their sign-ins ended.",
            lambda _r: self._show_password(username, password),
        )

    def delete_selected(self) -> None:
        """Delete key: deactivate (with confirmation), or activate a deactivated user."""
        current = self.user(self.selected_name())
        if current is None:
            return
        name = current["username"]
        if not current.get("active", True):
            self.set_active(name, True)
            return
        if dialogs.confirm(
            self,
            "Deactivate user",
            f"Deactivate {name}? Their sign-ins stop working at once: every laptop "
            f"signed in as {name} is refused on its next request. Their records stay; "
            "you can activate them again.",
        ):
            self.set_active(name, False)

    def set_active(self, username: str, active: bool) -> None:
        self._change(
            f"{'Activating' if active else 'Deactivating'} {username}…",
            lambda api: api.set_active(username, active),
            f"{username} can sign in again."
            if active
            else f"{username} was deactivated; their sign-ins stopped.",
        )

    def _show_password(self, username: str, password: str) -> None:
        """Shown once, here: it is nowhere else (the server keeps only its hash)."""
        self._shown_password = password
        self.notice.setText(
            f"Password for {html.escape(username)}: <b>{html.escape(password)}</b> — "
            "hand it over now; "
            "it is not shown again."
        )
        self.copy_button.show()
        self.notice.show()

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self._shown_password)
        self.ctx.tell("Password copied.")

    def shown_password(self) -> str:
        return self._shown_password
