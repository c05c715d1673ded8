"""The Territories tab's traffic with the server: send the waiting drafts, load the list.

One worker job at a time (:class:`fieldapp.ui.admin_calls.AdminCalls`): a load first
sends what waits, so the list it brings back shows those changes made. The list is
remembered in the drafts file, for the next start without the server. What did not
reach the server stays a draft and is said so in the status bar.

Signals:
    listed(object): the server's territories (a list of dicts), after a load or a send.
    sent(object): a send of the drafts finished (its SendReport).
    failed(): the server was not reached; the drafts still wait.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from fieldapp.sync.admin_drafts import Drafts, SendReport
from fieldapp.ui.admin_calls import AdminCalls
from fieldapp.ui.panel import AppContext

if TYPE_CHECKING:
    from fieldapp.sync.admin_api import AdminApi

Result = tuple[SendReport | None, list[dict[str, Any]]]


class TerritorySync(QObject):
    listed = Signal(object)
    sent = Signal(object)
    failed = Signal()

    def __init__(
        self, ctx: AppContext, calls: AdminCalls, drafts: Drafts, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx, self.calls, self.drafts = ctx, calls, drafts
        self.busy = False

    def load(self) -> None:
        """Send what waits, then load the list (one worker job)."""
        drafts = self.drafts

        def work(api: AdminApi) -> Result:
            report = drafts.send(api) if drafts.pending() else None
            return report, api.territories()

        self.busy = True
        self.calls.run("Loading territories…", work, self._done, self._not_reached)

    def send(self) -> None:
        """Send the waiting drafts (unless a send or load is under way already)."""
        if self.busy or not self.drafts.pending():
            return
        self.busy = True
        drafts = self.drafts
        count = len(drafts.pending())

        def work(api: AdminApi) -> Result:
            return drafts.send(api), api.territories()

        self.calls.run(
            f"Sending {count} territory change{'s' if count != 1 else ''}…",
            work,
            self._done,
            self._not_sent,
        )

    def _done(self, result: Result) -> None:
        self.busy = False
        report, rows = result
        self.drafts.remember("territories", rows)
        if report is not None:
            self._tell_sent(report)
        self.listed.emit(rows)

    def _not_reached(self, message: str, _exc: BaseException) -> None:
        self.busy = False
        when = self.drafts.remembered_at("territories")
        shown = f" Showing the list of {when[:16].replace('T', ' ')} UTC." if when else ""
        waiting = len(self.drafts.pending())
        kept = f" {waiting} changes wait as drafts." if waiting else ""
        self.ctx.tell(f"Territories not loaded: {message}.{shown}{kept}")
        self.failed.emit()

    def _not_sent(self, message: str, _exc: BaseException) -> None:
        self.busy = False
        waiting = len(self.drafts.pending())
        self.ctx.tell(
            f"Kept as drafts ({waiting} waiting): {message}. They are sent with Send now, "
            "F5, or the next change made online."
        )
        self.failed.emit()

    def _tell_sent(self, report: SendReport) -> None:
        self.sent.emit(report)
        parts = []
        if report.sent:
            parts.append(f"{len(report.sent)} territory changes sent")
        if report.refused:
            first = report.refused[0]
            parts.append(
                f"{len(report.refused)} refused by the server ({first.describe()}: "
                f"{first.refused}); see Waiting"
            )
        if parts:
            self.ctx.tell("; ".join(parts).capitalize() + ".")
        if report.sent:
            # The replica learns the new shapes with a sync: the map shows them then.
            self.ctx.sync_requested.emit()
