"""Refused changes: what the server would not take, with its reason, until a person acts.

Each row is one change (a new record, an edit, a delete) with the server's reason. Open
record (Enter) opens it in its usual editor to fix it; Resend puts it back in the queue
with the record's current values and syncs; Discard (Delete, after a confirmation)
drops it: a record the server never accepted leaves this laptop, a refused edit is
undone. The work is :mod:`fieldapp.store.refused`'s; this panel only shows it.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.errors import field_label
from fieldapp.store import refused
from fieldapp.store.models import ENTITIES
from fieldapp.store.refused import RefusedChange
from fieldapp.ui import dialogs, fmt, style
from fieldapp.ui.background import user_message
from fieldapp.ui.empty_state import EmptyHint
from fieldapp.ui.panel import AppContext, Panel
from fieldapp.ui.record_opener import entity_name, open_record
from fieldapp.ui.sync_control import capitalised

ID_ROLE = Qt.ItemDataRole.UserRole
OPERATIONS = {"insert": "New", "update": "Edit", "delete": "Delete", "restore": "Restore"}


def when(text: str) -> str:
    try:
        return fmt.fmt_datetime(datetime.fromisoformat(text).astimezone())
    except ValueError:
        return text


class RefusedPanel(Panel):
    title = "Refused"
    # A fix is an ordinary edit of the record: any entity may change what a row says.
    watches = frozenset(ENTITIES) | {"outbox"}

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.changes: dict[int, RefusedChange] = {}
        self.generation = 0
        heading = QLabel(self.tr("Refused changes"))
        style.set_role(heading, "title")
        intro = QLabel(
            self.tr(
                "The server did not take these changes. They are kept here: open the "
                "record to fix it, then resend, or discard the change."
            )
        )
        intro.setWordWrap(True)
        style.set_role(intro, "subheading")
        self.list = QTreeWidget()
        self.list.setObjectName("refused_list")
        self.list.setRootIsDecorated(False)
        self.list.setHeaderLabels(
            [self.tr("Record"), self.tr("Change"), self.tr("Reason"), self.tr("Refused")]
        )
        header = self.list.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 240)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.list.itemSelectionChanged.connect(self._selected)
        self.list.itemActivated.connect(lambda _item, _col: self.open_current())
        self.empty = EmptyHint(self.list)
        self.detail = QLabel("")
        self.detail.setObjectName("refused_detail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.open_button = QPushButton(self.tr("Open record"))
        self.open_button.clicked.connect(self.open_current)
        self.resend_button = QPushButton(self.tr("Resend"))
        self.resend_button.setObjectName("resend")
        self.resend_button.clicked.connect(self.resend_current)
        self.resend_all_button = QPushButton(self.tr("Resend all"))
        self.resend_all_button.clicked.connect(self.resend_all)
        self.discard_button = QPushButton(self.tr("Discard…"))
        self.discard_button.setObjectName("discard")
        self.discard_button.setToolTip(self.tr("Delete"))
        self.discard_button.clicked.connect(self.delete_selected)
        QShortcut(QKeySequence("Ctrl+Return"), self, self.resend_current)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.resend_button)
        buttons.addWidget(self.resend_all_button)
        buttons.addStretch(1)
        buttons.addWidget(self.discard_button)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.detail)
        layout.addLayout(buttons)
        self._selected()
        self.refresh()

    # -- loading ------------------------------------------------------------------------

    def refresh(self) -> None:
        self.generation += 1
        generation = self.generation
        self.ctx.bg.read(
            refused.refused_changes, lambda rows: self._loaded(generation, rows), owner=self
        )

    def _loaded(self, generation: int, rows: list[RefusedChange]) -> None:
        if generation != self.generation:
            return
        current = self.current()
        self.changes = {r.outbox_id: r for r in rows}
        self.list.clear()
        for r in rows:
            item = QTreeWidgetItem(
                [
                    f"{entity_name(r.entity)}: {r.label}",
                    self.tr(OPERATIONS.get(r.operation, r.operation)),
                    r.reason,
                    when(r.refused_at),
                ]
            )
            item.setData(0, ID_ROLE, r.outbox_id)
            item.setToolTip(2, r.reason)
            self.list.addTopLevelItem(item)
            if current is not None and r.outbox_id == current.outbox_id:
                self.list.setCurrentItem(item)
        first = self.list.topLevelItem(0)
        if self.list.currentItem() is None and first is not None:
            self.list.setCurrentItem(first)
        self.empty.show_hint(
            None if rows else self.tr("Nothing refused: the server took every change.")
        )
        self.resend_all_button.setEnabled(bool(rows))
        self._selected()

    def current(self) -> RefusedChange | None:
        item = self.list.currentItem()
        if item is None or not item.isSelected():
            return None
        return self.changes.get(int(item.data(0, ID_ROLE)))

    def _selected(self) -> None:
        change = self.current()
        for button in (self.open_button, self.resend_button, self.discard_button):
            button.setEnabled(change is not None)
        if change is None:
            self.detail.setText("")
            return
        sent = ", ".join(
            f"{field_label(k)} = {v}" for k, v in change.fields.items() if v not in (None, "")
        )
        self.detail.setText(
            self.tr("The server said: {0}").format(change.reason)
            + (self.tr("\nSent: {0}").format(sent) if sent else "")
        )

    # -- actions --------------------------------------------------------------------------

    def open_current(self) -> QDialog | None:
        """Open the selected change's record to fix it; its editor dialog, if it has one."""
        change = self.current()
        if change is None:
            return None
        return open_record(self.ctx, self, change.entity, change.record_id)

    def resend_current(self) -> None:
        change = self.current()
        if change is None:
            return
        outbox_id = change.outbox_id
        self._write(lambda s: refused.resend(s, outbox_id), {"outbox"}, self.tr("Resending."))

    def resend_all(self) -> None:
        if self.changes:
            self._write(refused.resend_all, {"outbox"}, self.tr("Resending every change."))

    def delete_selected(self) -> None:
        """Discard the selected change, after asking."""
        change = self.current()
        if change is None:
            return
        what = f"{entity_name(change.entity).lower()} “{change.label}”"
        if change.operation == "insert":
            text = self.tr(
                "Discard the new {0}? The server never took it; it is removed from this laptop."
            ).format(what)
        else:
            text = self.tr(
                "Discard this change of the {0}? The record gets back the server's values."
            ).format(what)
        if not dialogs.confirm(self, self.tr("Discard the change"), text):
            return
        outbox_id = change.outbox_id
        self.ctx.bg.write(
            lambda s: refused.discard(s, outbox_id),
            {"outbox", change.entity},
            lambda _r: self.ctx.tell(self.tr("Discarded the change of the {0}.").format(what)),
            on_error=self._failed,
            owner=self,
        )

    def _write(self, job: object, entities: set[str], told: str) -> None:
        def done(_result: object) -> None:
            self.ctx.tell(told)
            self.ctx.sync_requested.emit()

        self.ctx.bg.write(job, entities, done, on_error=self._failed, owner=self)  # type: ignore[arg-type]

    def _failed(self, exc: BaseException) -> None:
        message = capitalised(user_message(exc))
        self.detail.setText(message)
        self.ctx.tell(message)
