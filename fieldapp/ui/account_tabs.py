"""The account view's record tabs: contacts, deals, tasks and the timeline (notes).

Each tab lists what the account view read (it holds ids and plain values) and opens
the editors: contacts (:mod:`contact_editor`), deals (:mod:`deal_editor`), tasks
(:mod:`task_editor`); notes are added, edited and deleted (with Undo) in the timeline.
Every tab says what to do when it is empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.store import activities, deals, services
from fieldapp.ui import dialogs, email_compose, fmt, links, lookups, style
from fieldapp.ui.background import user_message
from fieldapp.ui.contact_editor import ContactDialog, delete_contact, open_contact_editor
from fieldapp.ui.deal_editor import DealDialog, open_deal_editor
from fieldapp.ui.empty_state import EmptyHint
from fieldapp.ui.panel import AppContext
from fieldapp.ui.queries import TimelineEntry
from fieldapp.ui.task_editor import TaskDialog, open_task_editor

ID_ROLE = Qt.ItemDataRole.UserRole + 1
KIND_ROLE = Qt.ItemDataRole.UserRole + 2


def items(tree: QTreeWidget) -> list[QTreeWidgetItem]:
    """The tree's top-level rows."""
    return [item for i in range(tree.topLevelItemCount()) if (item := tree.topLevelItem(i))]


def record_tree(headers: Sequence[str]) -> QTreeWidget:
    tree = QTreeWidget()
    tree.setHeaderLabels(list(headers))
    tree.setRootIsDecorated(False)
    tree.setAlternatingRowColors(True)
    tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    tree.setUniformRowHeights(True)
    tree.header().setStretchLastSection(True)
    return tree


class RecordTab(QWidget):
    """A list of one kind of record with a row of buttons above it and a hint when empty."""

    def __init__(self, ctx: AppContext, headers: Sequence[str], parent: QWidget | None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.account_id: str | None = None
        self.account_name = ""
        self.tree = record_tree(headers)
        self.tree.itemDoubleClicked.connect(lambda _i, _c: self.edit_selected())
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self.hint = EmptyHint(self.tree)
        self.bar = QHBoxLayout()
        self.bar.setContentsMargins(0, 0, 0, 0)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 2, 0, 0)
        self.layout_.addLayout(self.bar)
        self.layout_.addWidget(self.tree, 1)
        self._selection_buttons: list[QPushButton] = []

    def button(self, text: str, slot: Any, *, needs_selection: bool = False) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(lambda _c=False: slot())
        self.bar.addWidget(button)
        if needs_selection:
            self._selection_buttons.append(button)
        return button

    def fill(self, account_id: str | None, rows: list[tuple[str, list[str]]], hint: str) -> None:
        """Show ``(row id, cells)`` rows; ``hint`` when there are none."""
        selected = self.selected_id()
        self.account_id = account_id
        self.tree.clear()
        new = []
        for row_id, cells in rows:
            item = QTreeWidgetItem(cells)
            item.setData(0, ID_ROLE, row_id)
            new.append(item)
        self.tree.addTopLevelItems(new)
        for col in range(self.tree.columnCount() - 1):
            self.tree.resizeColumnToContents(col)
            if self.tree.columnWidth(col) > 260:
                self.tree.setColumnWidth(col, 260)
        self.hint.show_hint(None if rows or account_id is None else hint)
        if selected:
            self.select(selected)
        self._update_buttons()

    def select(self, row_id: str) -> None:
        for item in items(self.tree):
            if item.data(0, ID_ROLE) == row_id:
                self.tree.setCurrentItem(item)
                return

    def selected_id(self) -> str | None:
        item = self.tree.currentItem()
        return str(item.data(0, ID_ROLE)) if item is not None and item.isSelected() else None

    def selected_text(self, column: int = 0) -> str:
        item = self.tree.currentItem()
        return item.text(column) if item is not None else ""

    def edit_selected(self) -> Any:
        """Double-click / Edit…: open the selected record's editor."""

    def delete_selected(self) -> bool:
        """Delete the selected record (with Undo); False if this tab deletes nothing."""
        return False

    def _update_buttons(self) -> None:
        has = self.selected_id() is not None
        for button in self._selection_buttons:
            button.setEnabled(has)


class ContactsTab(RecordTab):
    """The account's people; email and phone are links."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(
            ctx, [self.tr("Name"), self.tr("Title"), self.tr("Email"), self.tr("Phone")], parent
        )
        self.add_button = self.button(self.tr("Add contact…"), self.add)
        self.edit_button = self.button(self.tr("Edit…"), self.edit_selected, needs_selection=True)
        self.email_button = self.button(
            self.tr("Email…"), self.email_selected, needs_selection=True
        )
        self.delete_button = self.button(
            self.tr("Delete"), self.delete_selected, needs_selection=True
        )
        self.bar.addStretch(1)
        self._contacts: dict[str, dict[str, Any]] = {}

    def set_contacts(
        self, account_id: str | None, name: str, contacts: list[dict[str, Any]]
    ) -> None:
        self.account_name = name
        self._contacts = {c["id"]: c for c in contacts}
        rows = [
            (
                c["id"],
                [
                    lookups.contact_name(c["first_name"], c["last_name"]),
                    c["title"] or "",
                    c["email"] or "",
                    c["phone"] or c["mobile"] or "",
                ],
            )
            for c in contacts
        ]
        self.fill(
            account_id,
            rows,
            self.tr("No contacts at this account yet — “Add contact…” adds the buyer you met."),
        )
        # Email and phone as links: a click writes or dials.
        for item in items(self.tree):
            contact = self._contacts[str(item.data(0, ID_ROLE))]
            phone = contact["phone"] or contact["mobile"]
            for column, html in (
                (2, links.links_html(email=contact["email"])),
                (3, links.links_html(phone=phone)),
            ):
                if html:
                    label = links.link_label(html)
                    label.setObjectName(f"contact_link_{column}")
                    self.tree.setItemWidget(item, column, label)
                    item.setText(column, "")
                    item.setSizeHint(column, label.sizeHint())
        for col in (2, 3):
            self.tree.resizeColumnToContents(col)
        self._update_buttons()

    def add(self) -> ContactDialog | None:
        if self.account_id is None:
            return None
        return open_contact_editor(self.ctx, self, None, self.account_id, self.account_name)

    def edit_selected(self) -> ContactDialog | None:
        contact_id = self.selected_id()
        return open_contact_editor(self.ctx, self, contact_id) if contact_id else None

    def email_selected(self) -> None:
        contact_id = self.selected_id()
        if contact_id:
            email_compose.open_email(self.ctx, self, self.account_id, contact_id)

    def delete_selected(self) -> bool:
        contact_id = self.selected_id()
        if contact_id is None:
            return False
        contact = self._contacts[contact_id]
        delete_contact(
            self.ctx,
            self,
            contact_id,
            lookups.contact_name(contact["first_name"], contact["last_name"]),
        )
        return True

    def _update_buttons(self) -> None:
        super()._update_buttons()
        self.add_button.setEnabled(self.account_id is not None)
        contact = self._contacts.get(self.selected_id() or "")
        self.email_button.setEnabled(bool(contact and contact["email"]))


class DealsTab(RecordTab):
    """The account's deals with their amounts in their own currency; totals per currency."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(
            ctx, [self.tr("Deal"), self.tr("Stage"), self.tr("Amount"), self.tr("Close")], parent
        )
        self.new_button = self.button(self.tr("New deal…"), self.new_deal)
        self.edit_button = self.button(self.tr("Edit…"), self.edit_selected, needs_selection=True)
        self.bar.addStretch(1)
        self.totals = QLabel("")
        self.totals.setObjectName("deal_totals")
        self.totals.setWordWrap(True)
        style.set_role(self.totals, "totals")
        self.layout_.addWidget(self.totals)
        self.stages: dict[str, services.Stage] = {}
        self._deals: list[dict[str, Any]] = []
        ctx.bg.changed.connect(self._on_changed)
        self._load_stages()

    def _on_changed(self, entities: frozenset[str]) -> None:
        if "pipeline_stages" in entities:
            self._load_stages()

    def _load_stages(self) -> None:
        self.ctx.bg.read(services.pipeline, self._stages_arrived, owner=self)

    def _stages_arrived(self, stages: list[services.Stage]) -> None:
        self.stages = {s.name: s for s in stages}
        self._show_totals()

    def set_deals(self, account_id: str | None, deals_: list[dict[str, Any]]) -> None:
        self._deals = deals_
        rows = [
            (
                d["id"],
                [
                    d["name"],
                    d["stage"],
                    fmt.fmt_money(d["amount"], d["currency"]),
                    fmt.fmt_date(d["close_date"]),
                ],
            )
            for d in deals_
        ]
        self.fill(account_id, rows, self.tr("No deals yet — “New deal…” starts one."))
        for item in items(self.tree):
            item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._show_totals()

    def group_totals(self) -> dict[str, list[tuple[Decimal | None, str | None]]]:
        """The deals' amounts by state (open / won / lost), each with its currency."""
        groups: dict[str, list[tuple[Decimal | None, str | None]]] = {
            "open": [],
            "won": [],
            "lost": [],
        }
        for deal in self._deals:
            stage = self.stages.get(deal["stage"])
            state = (
                "won" if stage and stage.is_won else "lost" if deals.is_closed(stage) else "open"
            )
            groups[state].append((deal["amount"], deal["currency"]))
        return groups

    def _show_totals(self) -> None:
        if not self._deals:
            self.totals.setText("")
            return
        labels = {"open": self.tr("Open"), "won": self.tr("Won"), "lost": self.tr("Lost")}
        parts = [
            f"{labels[state]}: {fmt.money_totals(items)}"
            for state, items in self.group_totals().items()
            if items
        ]
        self.totals.setText("   ".join(parts))

    def new_deal(self) -> DealDialog | None:
        if self.account_id is None:
            return None
        return open_deal_editor(self.ctx, self, None, self.account_id)

    def edit_selected(self) -> DealDialog | None:
        deal_id = self.selected_id()
        return open_deal_editor(self.ctx, self, deal_id) if deal_id else None

    def delete_selected(self) -> bool:
        deal_id = self.selected_id()
        if deal_id is None:
            return False
        dialog = open_deal_editor(self.ctx, self, deal_id)
        dialog.delete_button.setFocus()
        return True

    def _update_buttons(self) -> None:
        super()._update_buttons()
        self.new_button.setEnabled(self.account_id is not None)


class TasksTab(RecordTab):
    """The account's tasks, open and done."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(
            ctx, [self.tr("Due"), self.tr("Task"), self.tr("Priority"), self.tr("Done")], parent
        )
        self.new_button = self.button(self.tr("New task…"), self.new_task)
        self.edit_button = self.button(self.tr("Edit…"), self.edit_selected, needs_selection=True)
        self.complete_button = self.button(
            self.tr("Complete"), self.complete_selected, needs_selection=True
        )
        self.bar.addStretch(1)
        self._tasks: dict[str, dict[str, Any]] = {}
        self.priorities = {
            "low": self.tr("low"),
            "normal": self.tr("normal"),
            "high": self.tr("high"),
        }

    def set_tasks(self, account_id: str | None, tasks: list[dict[str, Any]]) -> None:
        self._tasks = {t["id"]: t for t in tasks}
        rows = [
            (
                t["id"],
                [
                    fmt.fmt_datetime(t["due_at"]),
                    t["title"],
                    self.priorities.get(t["priority"], t["priority"]),
                    self.tr("done") if t["done"] else "",
                ],
            )
            for t in tasks
        ]
        self.fill(account_id, rows, self.tr("No tasks for this account — “New task…” adds one."))

    def new_task(self) -> TaskDialog | None:
        if self.account_id is None:
            return None
        return open_task_editor(self.ctx, self, None, self.account_id)

    def edit_selected(self) -> TaskDialog | None:
        task_id = self.selected_id()
        return open_task_editor(self.ctx, self, task_id) if task_id else None

    def complete_selected(self) -> None:
        task_id = self.selected_id()
        if task_id is None or self._tasks[task_id]["done"]:
            return
        title, ctx = self._tasks[task_id]["title"], self.ctx
        done = self.tr("Done: {0}").format(title)

        def undo() -> None:
            ctx.bg.write(lambda s: services.complete_task(s, task_id, False), {"tasks"})

        ctx.bg.write(
            lambda s: services.complete_task(s, task_id),
            {"tasks"},
            lambda _r: ctx.tell(done, undo),
            owner=self,
        )

    def delete_selected(self) -> bool:
        task_id = self.selected_id()
        if task_id is None:
            return False
        title, ctx = self._tasks[task_id]["title"], self.ctx
        deleted = self.tr("Deleted task “{0}”.").format(title)

        def undo() -> None:
            ctx.bg.write(lambda s: services.restore(s, "tasks", task_id), {"tasks"})

        ctx.bg.write(
            lambda s: services.delete(s, "tasks", task_id),
            {"tasks"},
            lambda _r: ctx.tell(deleted, undo),
            owner=self,
        )
        return True

    def _update_buttons(self) -> None:
        super()._update_buttons()
        self.new_button.setEnabled(self.account_id is not None)
        task = self._tasks.get(self.selected_id() or "")
        self.complete_button.setEnabled(bool(task and not task["done"]))


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
        ctx = self.ctx
        deleted = self.tr("Note deleted.")

        def undo() -> None:
            ctx.bg.write(lambda s: services.restore(s, "notes", note_id), {"notes"})

        ctx.bg.write(
            lambda s: services.delete(s, "notes", note_id),
            {"notes"},
            lambda _r: ctx.tell(deleted, undo),
            owner=self,
        )
        return True

    def _update_buttons(self) -> None:
        super()._update_buttons()
        is_note = self.selected_note() is not None
        self.edit_button.setEnabled(is_note)
        self.delete_button.setEnabled(is_note)
