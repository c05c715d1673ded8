"""The sign-in dialog: server address, user name, password; problems in words.

The log-in itself (network) runs on the background helper; the dialog stays responsive
and shows "Signing in…" meanwhile. The server address and user name are remembered
(the replica keeps the last ones; QSettings keeps what was typed before a failed try),
the password never.

Signals:
    signed_in(object): the :class:`fieldapp.sync.signin.SignedIn` of a sign-in that worked.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from fieldapp.sync.signin import SignedIn, sign_in
from fieldapp.ui import style
from fieldapp.ui.background import Background, user_message
from fieldapp.ui.sync_control import capitalised

SERVER_KEY = "sync/server"
USER_KEY = "sync/user"


class SignInDialog(QDialog):
    signed_in = Signal(object)

    def __init__(
        self,
        bg: Background,
        settings: QSettings,
        parent: QWidget | None = None,
        *,
        server: str | None = None,
        user: str | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("signin_dialog")
        self.setWindowTitle(self.tr("Sign in to the sync server"))
        self.bg = bg
        self.settings = settings
        self.busy = False
        self.server = QLineEdit(server or str(settings.value(SERVER_KEY, "") or ""))
        self.server.setObjectName("signin_server")
        self.server.setPlaceholderText("https://sync.example.com")
        self.user = QLineEdit(user or str(settings.value(USER_KEY, "") or ""))
        self.user.setObjectName("signin_user")
        self.password = QLineEdit()
        self.password.setObjectName("signin_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.note = QLabel(reason or "")
        self.note.setWordWrap(True)
        self.note.setVisible(bool(reason))
        self.error = QLabel("")
        self.error.setObjectName("signin_error")
        self.error.setWordWrap(True)
        style.set_role(self.error, "error")
        self.error.hide()
        self.progress = QLabel(self.tr("Signing in…"))
        self.progress.setObjectName("signin_progress")
        self.progress.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(self.tr("Sign in"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow(self.tr("Server"), self.server)
        form.addRow(self.tr("User name"), self.user)
        form.addRow(self.tr("Password"), self.password)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(440)
        first_empty = next((e for e in (self.server, self.user) if not e.text()), self.password)
        first_empty.setFocus()

    def submit(self) -> None:
        if self.busy:
            return
        server, user, password = self.server.text(), self.user.text(), self.password.text()
        self.settings.setValue(SERVER_KEY, server.strip())
        self.settings.setValue(USER_KEY, user.strip())
        self.busy = True
        self.ok.setEnabled(False)
        self.error.hide()
        self.progress.show()
        replica = self.bg.replica
        self.bg.read(
            lambda _s: sign_in(replica, server, user, password),
            self._done,
            on_error=self._failed,
            owner=self,
        )

    def _done(self, result: SignedIn) -> None:
        self.busy = False
        self.progress.hide()
        self.password.clear()
        self.settings.setValue(SERVER_KEY, result.server)
        self.settings.setValue(USER_KEY, result.username)
        self.signed_in.emit(result)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self.progress.hide()
        self.ok.setEnabled(True)
        self.error.setText(capitalised(user_message(exc)))
        self.error.show()
        self.password.selectAll()
        self.password.setFocus()
