"""A record's History tab: who changed what, when, from the server's audit trail.

The history lives on the server only, so the tab asks for it when it is shown (never
at start-up, never for every record clicked past) through the background helper, and
drops answers for a record that is no longer shown (generation numbers). Without a
server or a sign-in it says so in a line and the rest of the view works as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from fieldapp.ui import style
from fieldapp.ui.background import user_message
from fieldapp.ui.panel import AppContext

if TYPE_CHECKING:
    from fieldapp.sync.protocol import HistoryItem

OFFLINE = "Offline: the history is kept on the server and shows when it can be reached."


class HistoryTab(QWidget):
    """The changes of one record (``entity``), newest first, one row per changed field."""

    def __init__(self, ctx: AppContext, entity: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.entity = entity
        self.record_id: str | None = None
        self._generation = 0
        self._loaded_for: str | None = None
        self.state = QLabel("")
        self.state.setObjectName("history_state")
        self.state.setWordWrap(True)
        style.set_role(self.state, "subheading")
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([self.tr("When (UTC)"), self.tr("Who"), self.tr("Change")])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.header().setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.addWidget(self.state)
        layout.addWidget(self.tree, 1)

    def set_record(self, record_id: str | None) -> None:
        """Show ``record_id``'s history (fetched now if the tab is visible, else when shown)."""
        if record_id == self.record_id:
            return
        self.record_id = record_id
        self._loaded_for = None
        self._generation += 1
        self.tree.clear()
        self.state.setText("" if record_id else self.tr("No record selected."))
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        if self.record_id is None:
            return
        # Imported on first use: the HTTP client costs start-up time (as sync_control).
        from fieldapp.sync.history import record_history

        self._generation += 1
        gen, record_id, entity = self._generation, self.record_id, self.entity
        replica = self.ctx.bg.replica
        self.state.setText(self.tr("Asking the server…"))
        self.ctx.bg.read(
            lambda _s: record_history(replica, record_id, entity)[1],
            lambda entries: self._show(gen, record_id, entries),
            on_error=lambda exc: self._failed(gen, exc),
            owner=self,
        )

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.record_id and self._loaded_for != self.record_id:
            self.refresh()

    def _show(self, gen: int, record_id: str, entries: list[HistoryItem]) -> None:
        if gen != self._generation:
            return
        from fieldapp.sync.history import lines

        self._loaded_for = record_id
        self.tree.clear()
        rows = []
        for e in reversed(entries):
            when = e.at[:19].replace("T", " ")
            who = e.user + (f" ({e.device[:8]})" if e.device else "")
            for line in lines(e) or [e.op]:
                rows.append(QTreeWidgetItem([when, who, f"{e.op}: {line}"]))
        self.tree.addTopLevelItems(rows)
        self.state.setText(self.tr("No changes recorded on the server yet.") if not entries else "")

    def _failed(self, gen: int, exc: Exception) -> None:
        if gen != self._generation:
            return
        self.state.setText(OFFLINE if _unreachable(exc) else user_message(exc))


def _unreachable(exc: Exception) -> bool:
    from fieldapp.sync.errors import SyncError, Unreachable

    return isinstance(exc, Unreachable) or (isinstance(exc, SyncError) and "damaged" in str(exc))
