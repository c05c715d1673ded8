"""The unplotted-accounts queue: accounts without a location or with an approximate one.

**Geocode all** runs :func:`fieldapp.maps.geocode.geocode_missing` in the background
(the geocoder is polite: one request a second, every answer cached), with progress
and Cancel; once the server proves unreachable the rest is placed by the offline
gazetteer, marked approximate. **Set pin…** types a position for the selected one.

Signals:
    progressed(int, int, str): done, total, the account being looked up (from the
        worker; Qt queues it to the GUI thread).
    finished(object): the GeocodeReport of a run.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.ui import locating, style
from fieldapp.ui.background import user_message
from fieldapp.ui.panel import AppContext

ID_ROLE = Qt.ItemDataRole.UserRole + 1
# The list shows this many (filling a list widget costs the GUI thread ~20 µs a row);
# Geocode all works through every one of them.
SHOWN = 500


def unplotted(replica: Any) -> list[dict[str, Any]]:
    from fieldapp.maps import geocode

    return geocode.missing_accounts(replica, include_approximate=True)


class UnplottedDialog(QDialog):
    """See the module doc."""

    progressed = Signal(int, int, str)
    finished = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Accounts not on the map"))
        self.setObjectName("unplotted_dialog")
        self.ctx = ctx
        self.running = False
        self._cancel = threading.Event()

        self.summary = QLabel(self.tr("Loading…"))
        self.summary.setObjectName("unplotted_summary")
        self.summary.setWordWrap(True)
        self.list = QTreeWidget()
        self.list.setObjectName("unplotted_list")
        self.list.setRootIsDecorated(False)
        self.list.setHeaderLabels([self.tr("Account"), self.tr("Address"), self.tr("Location")])
        self.list.setColumnWidth(0, 200)
        self.list.setColumnWidth(1, 260)
        self.list.setMinimumSize(620, 320)
        self.list.itemActivated.connect(lambda item, _c: self._open(item))
        self.progress = QProgressBar()
        self.progress.setObjectName("unplotted_progress")
        self.progress.hide()
        self.status = QLabel("")
        self.status.setObjectName("unplotted_status")
        style.set_role(self.status, "subheading")

        self.geocode_button = QPushButton(self.tr("&Geocode all"))
        self.geocode_button.setObjectName("geocode_all")
        self.geocode_button.setToolTip(
            self.tr("Look every one up (online: one a second; offline: the town's centre)")
        )
        self.geocode_button.clicked.connect(self.geocode_all)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setObjectName("geocode_cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.pin_button = QPushButton(self.tr("Set pin…"))
        self.pin_button.clicked.connect(self._set_pin)
        row = QHBoxLayout()
        for button in (self.geocode_button, self.cancel_button, self.pin_button):
            row.addWidget(button)
        row.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(close)
        self.progressed.connect(self._progressed)
        ctx.bg.changed.connect(self._on_changed)
        self.reload()

    # -- the list ---------------------------------------------------------------------

    def reload(self) -> None:
        replica = self.ctx.bg.replica
        self.ctx.bg.read(lambda _s: unplotted(replica), self._show, owner=self, latest="rows")

    def _on_changed(self, entities: frozenset[str]) -> None:
        if "accounts" in entities and not self.running:
            self.reload()

    def _show(self, rows: list[dict[str, Any]]) -> None:
        self.list.clear()
        items = []
        for row in rows[:SHOWN]:
            address = ", ".join(
                p for p in (row["street"], row["postcode"], row["city"], row["country"]) if p
            )
            state = (
                self.tr("approximate (the town)")
                if row["geocode_precision"] == "approximate"
                else self.tr("none")
            )
            item = QTreeWidgetItem([row["name"], address or self.tr("(no address)"), state])
            item.setData(0, ID_ROLE, row["id"])
            items.append(item)
        self.list.addTopLevelItems(items)
        missing = sum(1 for r in rows if r["geocode_precision"] != "approximate")
        approximate = len(rows) - missing
        if missing and approximate:
            text = self.tr("{0} accounts have no location and {1} only their town's.")
            self.summary.setText(text.format(missing, approximate))
        elif missing:
            self.summary.setText(self.tr("{0} accounts have no location.").format(missing))
        elif approximate:
            text = self.tr("{0} accounts are placed at their town's centre only.")
            self.summary.setText(text.format(approximate))
        else:
            self.summary.setText(self.tr("Every account is on the map."))
        if len(rows) > SHOWN:
            more = self.tr(" The first {0} are listed; Geocode all does them all.")
            self.summary.setText(self.summary.text() + more.format(SHOWN))
        self.geocode_button.setEnabled(bool(rows) and not self.running)

    def selected_id(self) -> str | None:
        item = self.list.currentItem()
        value = item.data(0, ID_ROLE) if item is not None else None
        return value if isinstance(value, str) else None

    def _open(self, item: QTreeWidgetItem) -> None:
        value = item.data(0, ID_ROLE)
        if isinstance(value, str):
            self.ctx.open_account.emit(value)

    def _set_pin(self) -> None:
        account_id = self.selected_id()
        if account_id is None:
            self.status.setText(self.tr("Select an account first."))
            return
        locating.ask_pin(self.ctx, self, account_id)

    # -- geocode all ------------------------------------------------------------------

    def geocode_all(self) -> None:
        if self.running:
            return
        from fieldapp.maps import geocode

        self.running = True
        self._cancel = threading.Event()
        cancel, progressed = self._cancel, self.progressed
        replica, data_dir = self.ctx.bg.replica, self.ctx.data_dir
        self.geocode_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.status.setText(self.tr("Geocoding…"))

        def run(_session: Any) -> geocode.GeocodeReport:
            geocoder = geocode.open_geocoder(data_dir)
            try:
                return geocode.geocode_missing(
                    replica, geocoder, refine=True, progress=progressed.emit, cancel=cancel
                )
            finally:
                geocoder.cache.close()

        self.ctx.bg.read(run, self._done, on_error=self._failed, owner=self)

    def _progressed(self, done: int, total: int, name: str) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.status.setText(self.tr("{0} of {1}: {2}").format(done, total, name))

    def cancel(self) -> None:
        self._cancel.set()
        self.status.setText(self.tr("Stopping after this account…"))

    def _stopped(self) -> None:
        self.running = False
        self.cancel_button.setEnabled(False)
        self.progress.hide()
        # The run wrote through its own sessions: tell the panels.
        self.ctx.bg.changed.emit(frozenset({"accounts"}))

    def _done(self, report: Any) -> None:
        self._stopped()
        located = sum(report.located.values())
        text = self.tr("Located {0} of {1}; {2} not found.").format(
            located, report.total, len(report.not_found)
        )
        if report.cancelled:
            text = self.tr("Cancelled. ") + text
        if report.offline:
            text += " " + self.tr(
                "The geocoding server could not be reached: those placed at their town's "
                "centre are approximate; run Geocode all again online to refine them."
            )
        self.status.setText(text)
        self.finished.emit(report)

    def _failed(self, exc: Exception) -> None:
        self._stopped()
        style.set_role(self.status, "error")
        self.status.setText(user_message(exc))

    def reject(self) -> None:
        self._cancel.set()  # a run stops after the account it is on
        super().reject()
