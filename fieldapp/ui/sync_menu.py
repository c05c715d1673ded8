"""The Sync menu and the sign-in state in the status bar.

Sign in… / Sign out / Sync now (F9, Ctrl+Shift+S) / Sync automatically (off, or every
N minutes) / History…. The status bar names the server and the user. With no secure
keyring the token lives in memory for this run only; the app says so once.

The window builds one :class:`SyncMenu` over its :class:`SyncControl`; sign-in and
sign-out (network) run on the background helper like everything else.

Signals:
    account_changed(object): the :class:`fieldapp.sync.signin.AccountStatus` now.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QLabel, QMenu, QWidget

from fieldapp.sync.signin import AccountStatus, SignedIn, account_status, sign_out
from fieldapp.ui import dialogs
from fieldapp.ui.background import user_message
from fieldapp.ui.panel import AppContext
from fieldapp.ui.signin_dialog import SignInDialog
from fieldapp.ui.sync_control import AUTO_CHOICES, SyncControl, capitalised
from fieldapp.ui.sync_history import SyncHistoryDialog

SHORTCUTS = ("F9", "Ctrl+Shift+S")


class SyncMenu(QObject):
    account_changed = Signal(object)

    def __init__(
        self,
        window: QWidget,
        ctx: AppContext,
        control: SyncControl,
        menu: QMenu,
        sync_action: QAction,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.ctx = ctx
        self.control = control
        self.settings: QSettings = ctx.settings
        self.status = AccountStatus(None, None, None)
        self.history: SyncHistoryDialog | None = None
        self.dialog: SignInDialog | None = None
        self.told_memory = False
        self.account_label = QLabel("Not signed in")
        self.account_label.setObjectName("sync_account")

        sync_action.setShortcuts([QKeySequence(k) for k in SHORTCUTS])
        self.sign_in_action = self._action("Sign &in…", self.sign_in)
        self.sign_out_action = self._action("Sign &out", self.sign_out)
        self.history_action = self._action("Sync &history…", self.show_history)
        menu.addAction(self.sign_in_action)
        menu.addAction(self.sign_out_action)
        menu.addSeparator()
        menu.addAction(sync_action)
        self.auto_menu = menu.addMenu("Sync &automatically")
        self.auto_group = QActionGroup(self)
        self.auto_actions: dict[int, QAction] = {}
        for minutes in AUTO_CHOICES:
            text = "&Off" if minutes == 0 else f"Every {minutes} minutes"
            action = QAction(text, self)
            action.setCheckable(True)
            action.setChecked(minutes == control.auto_minutes())
            action.triggered.connect(lambda _c=False, m=minutes: self.set_auto(m))
            self.auto_group.addAction(action)
            self.auto_menu.addAction(action)
            self.auto_actions[minutes] = action
        menu.addSeparator()
        menu.addAction(self.history_action)

        control.needs_sign_in.connect(self._needs_sign_in)
        control.finished.connect(lambda _r: self._reload_history())
        control.failed.connect(lambda _m: self._reload_history())
        self.refresh()

    def _action(self, text: str, slot: object) -> QAction:
        action = QAction(text, self)
        action.triggered.connect(lambda _checked=False: slot())  # type: ignore[operator]
        self.window.addAction(action)
        return action

    # -- state ------------------------------------------------------------------------

    def refresh(self) -> None:
        replica = self.ctx.bg.replica
        self.ctx.bg.read(lambda _s: account_status(replica), self._show, owner=self)

    def _show(self, status: AccountStatus) -> None:
        self.status = status
        if status.signed_in:
            text = f"{status.username} @ {status.server}"
            tip = "Signed in"
            if status.token_in == "memory":
                tip += " until fieldapp closes (no secure keyring to keep the sign-in)"
        elif status.server:
            text = f"Signed out ({status.username} @ {status.server})"
            tip = "Sync → Sign in… to sync again"
        else:
            text, tip = "Not signed in", "Sync → Sign in… to sync with your team"
        self.account_label.setText(text)
        self.account_label.setToolTip(tip)
        self.sign_out_action.setEnabled(status.signed_in)
        self.sign_in_action.setText("Sign &in again…" if status.signed_in else "Sign &in…")
        self.account_changed.emit(status)

    def set_auto(self, minutes: int) -> None:
        self.control.set_auto_minutes(minutes)
        self.auto_actions[minutes].setChecked(True)
        if minutes:
            self.ctx.tell(
                f"fieldapp syncs every {minutes} minutes while the server can be reached."
            )
        else:
            self.ctx.tell("Automatic sync is off; F9 syncs.")

    # -- sign in and out --------------------------------------------------------------

    def sign_in(self, reason: str | None = None) -> SignInDialog:
        if self.dialog is not None and self.dialog.isVisible():
            return self.dialog
        dialog = SignInDialog(
            self.ctx.bg,
            self.settings,
            self.window,
            server=self.status.server,
            user=self.status.username,
            reason=reason,
        )
        dialog.signed_in.connect(self._signed_in)
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _signed_in(self, done: SignedIn) -> None:
        self.dialog = None
        said = f"Signed in to {done.server} as {done.username} ({done.role})."
        if done.adopted:
            said += (
                f" {done.adopted} record(s) made on this laptop before signing in are "
                f"now {done.username}'s."
            )
        self.ctx.tell(said)
        if not done.in_keyring and not self.told_memory:
            self.told_memory = True
            self.ctx.tell(
                f"There is no secure keyring ({done.keyring_problem}): your sign-in is kept "
                "in memory until fieldapp closes, and you will be asked again next time."
            )
        self.refresh()
        self.control.start()

    def _needs_sign_in(self, why: str) -> None:
        # Read the account first: the token may just have been forgotten, and the dialog
        # is filled in with the server and user this replica belongs to.
        replica = self.ctx.bg.replica
        self.ctx.bg.read(
            lambda _s: account_status(replica),
            lambda status: self._ask_again(status, why),
            owner=self,
        )

    def _ask_again(self, status: AccountStatus, why: str) -> None:
        self._show(status)
        if why:
            reason = why
        elif status.server:
            reason = "Sign in again to sync: your sign-in is not on this laptop any more."
        else:
            reason = "Sign in to sync this laptop with your team's server."
        self.sign_in(reason)

    def sign_out(self) -> None:
        server = self.status.server or "the server"
        if not dialogs.confirm(
            self.window,
            "Sign out",
            f"Sign out of {server}? Your records stay on this laptop; changes not yet sent "
            "are sent after you sign in again.",
        ):
            return
        replica = self.ctx.bg.replica
        self.ctx.bg.read(
            lambda _s: sign_out(replica),
            lambda _server: self._signed_out(server),
            on_error=lambda exc: self.ctx.tell(capitalised(user_message(exc))),
            owner=self,
        )

    def _signed_out(self, server: str) -> None:
        self.ctx.tell(f"Signed out of {server}.")
        self.refresh()

    # -- history ----------------------------------------------------------------------

    def show_history(self) -> SyncHistoryDialog:
        if self.history is not None and self.history.isVisible():
            return self.history
        dialog = SyncHistoryDialog(self.ctx.bg, self.window)
        dialog.finished.connect(dialog.deleteLater)
        dialog.finished.connect(lambda _r: setattr(self, "history", None))
        self.history = dialog
        dialog.open()
        return dialog

    def _reload_history(self) -> None:
        if self.history is not None and self.history.isVisible():
            self.history.reload()
