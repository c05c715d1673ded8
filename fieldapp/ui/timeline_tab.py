"""The account view's timeline tab: notes, visits, tasks and emails, newest first.

Notes are added (type and press Enter), edited and deleted (with Undo) here.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHeaderView, QLineEdit, QWidget

from fieldapp.store import activities, services
from fieldapp.ui import dialogs, fmt
from fieldapp.ui.background import user_message
from fieldapp.ui.panel import AppContext
from fieldapp.ui.queries import TimelineEntry
from fieldapp.ui.record_tab import ID_ROLE, KIND_ROLE, RecordTab, items


class TimelineTab(RecordTab):
    """Notes, visits, tasks and emails, newest first; notes are added, edited, deleted here."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, [self.tr("When"), self.tr("What")], parent)
        self.note_edit = QLineEdit()
        self.note_edit.setObjectName("note_edit")
        self.note_edit.setPlaceholderText(self.tr("Add a note and press Enter"))
        self.note_edit.returnPressed.connect(self.add_note)
        self.bar.addWidget(self.note_edit, 1)
        self.edit_button = self.button(self.tr("Edit note…"), self.edit_selected)
        self.delete_button = self.button(self.tr("Delete note"), self.delete_selected)
        self._entries: dict[str, TimelineEntry] = {}
        self._bodies: dict[str, str] = {}
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)

    def set_entries(self, account_id: str | None, entries: list[TimelineEntry]) -> None:
        self._entries = {e.row_id: e for e in entries}
        rows = []
        for entry in entries:
            text = entry.text
            if entry.kind == "note":
                self._bodies[entry.row_id] = text
                text = activities.headline(text)
            rows.append((entry.row_id, [fmt.fmt_datetime(entry.when), text]))
        self.fill(account_id, rows, self.tr("Nothing has happened here yet — type a note above."))
        for item in items(self.tree):
            entry = self._entries[str(item.data(0, ID_ROLE))]
            kind = activities.note_kind(entry.text) if entry.kind == "note" else entry.kind
            item.setData(0, KIND_ROLE, kind)
            if entry.kind == "note":
                item.setToolTip(1, entry.text)
        self.note_edit.setEnabled(account_id is not None)
        self._update_buttons()

    def selected_note(self) -> str | None:
        row_id = self.selected_id()
        entry = self._entries.get(row_id or "")
        return row_id if entry is not None and entry.kind == "note" else None

    def kinds(self) -> list[str]:
        """Each row's kind: note, email, visit, task."""
        return [str(item.data(0, KIND_ROLE)) for item in items(self.tree)]

    def add_note(self) -> None:
        body = self.note_edit.text().strip()
        account_id = self.account_id
        if not body or account_id is None:
            return
        self.ctx.bg.write(
            lambda s: services.create(s, "notes", {"body": body, "account_id": account_id}),
            {"notes"},
            lambda _r: self.note_edit.clear(),
            on_error=lambda e: self.ctx.tell(
                self.tr("Note not added: {0}").format(user_message(e))
            ),
            owner=self,
        )

    def edit_selected(self) -> None:
        note_id = self.selected_note()
        if note_id is None:
            return
        old = self._entries[note_id].text
        body = dialogs.ask_long_text(self, self.tr("Edit note"), self.tr("Note"), old)
        if body is None or body.strip() == old.strip():
            return
        if not body.strip():
            self.delete_selected()
            return
        ctx = self.ctx
        saved = self.tr("Note saved.")
        ctx.bg.write(
            lambda s: services.update(s, "notes", note_id, {"body": body}),
            {"notes"},
            lambda _r: ctx.tell(saved),
            on_error=lambda e: ctx.tell(self.tr("Note not saved: {0}").format(user_message(e))),
            owner=self,
        )

    def delete_selected(self) -> bool:
        note_id = self.selected_note()
        if note_id is None:
            return False
        self.delete_with_undo("notes", note_id, self.tr("Note deleted."))
        return True

    def _update_buttons(self) -> None:
        super()._update_buttons()
        is_note = self.selected_note() is not None
        self.edit_button.setEnabled(is_note)
        self.delete_button.setEnabled(is_note)
