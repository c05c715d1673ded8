"""Sync from the app: runs in the background, with progress, now or every N minutes.

The run goes through the one background helper; progress reported by the engine on
the worker thread reaches the label through a queued signal. Without a sign-in or a
network the app keeps working and the label says why nothing was synced.

Automatic sync (off by default; ``sync/auto_minutes`` in the window's settings) first
asks the server's health check with a short wait, so an offline laptop does not run
into retries and does not nag: an automatic run that cannot reach the server only says
so in the label.

Signals:
    progressed(str): what the running sync is doing, for the status bar.
    finished(object): a :class:`SyncReport` after a run that worked.
    failed(str): the run failed; the sentence for the user.
    needs_sign_in(str): a run asked for by the user found no usable sign-in; the text
        says why when the server ended it, else it is empty.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, QTimer, Signal
from PySide6.QtWidgets import QLabel

from fieldapp.sync.errors import NotSignedIn, SignedOut
from fieldapp.ui import fmt
from fieldapp.ui.background import Background, user_message

if TYPE_CHECKING:
    from fieldapp.sync.engine import Progress
    from fieldapp.sync.report import SyncReport, SyncRun

AUTO_KEY = "sync/auto_minutes"
AUTO_CHOICES = (0, 5, 15, 30, 60)


# The report's sentences point at the command line ("(fieldapp refused list)"); in the
# app the panels of the same names are one click away.
_CLI_HINT = re.compile(r" \(fieldapp [^)]*\)")


def in_app(sentence: str) -> str:
    """A sync report's sentence without its command-line hint."""
    return _CLI_HINT.sub("", sentence)


def describe(report: SyncReport) -> str:
    """A sync's outcome in one line, most important news first."""
    return "; ".join(in_app(s) for s in report.sentences())


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


class _Skipped(Exception):
    """An automatic run found the server unreachable and did not start."""


class SyncControl(QObject):
    """Runs a sync on request or on a timer (see module doc)."""

    progressed = Signal(str)
    finished = Signal(object)
    failed = Signal(str)
    needs_sign_in = Signal(str)

    def __init__(
        self, bg: Background, settings: QSettings | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.bg = bg
        self.settings = settings
        self.running = False
        self.last_synced: datetime | None = None
        self.last_error: str | None = None
        self.label = QLabel("Not synced in this session")
        self.label.setObjectName("sync_state")
        self.progressed.connect(self.label.setText)
        self.timer = QTimer(self)
        self.timer.setObjectName("auto_sync")
        self.timer.timeout.connect(lambda: self.start(automatic=True))
        self.set_auto_minutes(self.auto_minutes())
        self.show_last_run()

    def show_last_run(self) -> None:
        """Name the last sync (of an earlier session too) until this session syncs."""

        def last(_session: object) -> list[SyncRun]:
            from fieldapp.sync.report import sync_history

            return sync_history(self.bg.replica, 1)

        self.bg.read(last, self._last_run, owner=self)

    def _last_run(self, runs: list[SyncRun]) -> None:
        if not runs or self.running or self.last_synced is not None:
            return
        run = runs[0]
        try:
            when = fmt.fmt_datetime(datetime.fromisoformat(run.started_at).astimezone())
        except ValueError:
            when = run.started_at
        self.label.setText(f"Last sync {when}" if run.ok else f"Last sync {when} did not finish")
        self.label.setToolTip("" if run.ok else capitalised(run.error or ""))

    # -- automatic sync -------------------------------------------------------------

    def auto_minutes(self) -> int:
        if self.settings is None:
            return 0
        value = self.settings.value(AUTO_KEY, 0)
        try:
            return max(0, int(str(value or 0)))
        except ValueError:
            return 0

    def set_auto_minutes(self, minutes: int, interval_ms: int | None = None) -> None:
        """Sync every ``minutes`` (0: never); ``interval_ms`` overrides the period (tests)."""
        if self.settings is not None:
            self.settings.setValue(AUTO_KEY, minutes)
        self.timer.stop()
        if minutes > 0:
            self.timer.start(interval_ms or minutes * 60_000)

    # -- one run ----------------------------------------------------------------------

    def start(self, automatic: bool = False) -> None:
        if self.running:
            return
        # Imported on first use: the HTTP client and wire types cost ~0.15 s at start-up.
        from fieldapp.sync.account import signed_in_transport, sync_now

        self.running = True
        if not automatic:
            self.label.setText("Syncing…")
        replica = self.bg.replica
        progressed = self.progressed

        def report(p: Progress) -> None:
            total = f" of {p.total}" if p.total else ""
            progressed.emit(f"Syncing: {p.phase} {p.done}{total}…")

        def run(_session: object) -> SyncReport:
            if automatic:
                transport = signed_in_transport(replica)
                try:
                    if not transport.reachable():
                        raise _Skipped
                finally:
                    transport.close()
                progressed.emit("Syncing…")
            return sync_now(replica, report)

        self.bg.read(
            run,
            self._done,
            on_error=lambda exc: self._failed(exc, automatic),
            owner=self,
        )

    def _done(self, result: SyncReport) -> None:
        self.running = False
        self.last_synced = datetime.now()
        self.last_error = None
        self.label.setText(f"Synced at {self.last_synced:%H:%M}: {describe(result)}")
        self.label.setToolTip("")
        self.finished.emit(result)

    def _failed(self, exc: BaseException, automatic: bool) -> None:
        self.running = False
        if isinstance(exc, _Skipped):
            self.label.setText(self._offline_text())
            self.label.setToolTip("The server could not be reached; will try again later.")
            return
        message = capitalised(user_message(exc))
        self.last_error = message
        self.label.setText(self._offline_text())
        self.label.setToolTip(message)
        if isinstance(exc, NotSignedIn):
            # Its text names the command line's login; the app asks with its dialog.
            self.label.setToolTip("Not signed in")
            if not automatic:
                self.needs_sign_in.emit(
                    "The server ended your sign-in (it was revoked or has expired); "
                    "sign in again to sync."
                    if isinstance(exc, SignedOut)
                    else ""
                )
            return
        self.failed.emit(message)

    def _offline_text(self) -> str:
        if self.last_synced is None:
            return "Not synced — working offline"
        return f"Not synced — working offline (last sync {self.last_synced:%H:%M})"
