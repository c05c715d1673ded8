"""The account view's tabs: timeline, contacts, deals, visits, tasks, history, files.

:class:`AccountTabs` holds them and fills them from one read of the account.

Each tab lists what the account view read (it holds ids and plain values) and opens
the editors: contacts (:mod:`contact_editor`), deals (:mod:`deal_editor`), tasks
(:mod:`task_editor`). The timeline (notes) is :mod:`timeline_tab`; the base they share
is :mod:`record_tab`. Every tab says what to do when it is empty.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTabWidget, QTreeWidgetItem, QWidget

from fieldapp.store import deals, services
from fieldapp.ui import account_visits, email_compose, fmt, links, lookups, style
from fieldapp.ui.attachments_tab import AttachmentsTab
from fieldapp.ui.contact_editor import ContactDialog, delete_contact, open_contact_editor
from fieldapp.ui.deal_editor import DealDialog, open_deal_editor
from fieldapp.ui.forms import display
from fieldapp.ui.history_tab import HistoryTab
from fieldapp.ui.panel import AppContext
from fieldapp.ui.queries import AccountDetail
from fieldapp.ui.record_tab import ID_ROLE, RecordTab, items
from fieldapp.ui.task_editor import TaskDialog, open_task_editor
from fieldapp.ui.timeline_tab import TimelineTab


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
        title = self._tasks[task_id]["title"]
        self.delete_with_undo("tasks", task_id, self.tr("Deleted task “{0}”.").format(title))
        return True

    def _update_buttons(self) -> None:
        super()._update_buttons()
        self.new_button.setEnabled(self.account_id is not None)
        task = self._tasks.get(self.selected_id() or "")
        self.complete_button.setEnabled(bool(task and not task["done"]))


class AccountTabs(QTabWidget):
    """Every tab of the account view, filled from one :class:`queries.AccountDetail`."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.timeline_tab = TimelineTab(ctx)
        self.contacts_tab = ContactsTab(ctx)
        self.deals_tab = DealsTab(ctx)
        self.tasks_tab = TasksTab(ctx)
        self.history_tab = HistoryTab(ctx, "accounts")
        self.files_tab = AttachmentsTab(ctx)
        self.record_tabs = (self.timeline_tab, self.contacts_tab, self.deals_tab, self.tasks_tab)
        self.visits = account_visits.visits_tree()
        self.setUsesScrollButtons(False)
        self.addTab(self.timeline_tab, self.tr("Timeline"))
        self.addTab(self.contacts_tab, self.tr("Contacts"))
        self.addTab(self.deals_tab, self.tr("Deals"))
        self.addTab(self.visits, self.tr("Visits"))
        self.addTab(self.tasks_tab, self.tr("Tasks"))
        self.addTab(self.history_tab, self.tr("History"))
        self.addTab(self.files_tab, self.tr("Files"))

    def show_detail(self, detail: AccountDetail) -> None:
        acc = detail.account
        self.contacts_tab.set_contacts(acc["id"], acc["name"], detail.contacts)
        self.deals_tab.set_deals(acc["id"], detail.opportunities)
        self._fill_visits(account_visits.visit_rows(detail.visits))
        self.tasks_tab.set_tasks(acc["id"], detail.tasks)
        self.history_tab.set_record(acc["id"])
        self.timeline_tab.set_entries(acc["id"], detail.timeline)
        self.files_tab.set_account(acc["id"], detail.open_visit_id)

    def clear_records(self) -> None:
        """No account (a new one being typed, or the shown one deleted)."""
        self.visits.clear()
        self.contacts_tab.set_contacts(None, "", [])
        self.deals_tab.set_deals(None, [])
        self.tasks_tab.set_tasks(None, [])
        self.timeline_tab.set_entries(None, [])
        self.history_tab.set_record(None)
        self.files_tab.set_account(None)

    def _fill_visits(self, rows: list[tuple[Any, ...]]) -> None:
        self.visits.clear()
        new = []
        for row in rows:
            item = QTreeWidgetItem([display(v) for v in row])
            for col in range(len(row)):
                item.setToolTip(col, item.text(col))  # a narrow column elides it
            new.append(item)
        self.visits.addTopLevelItems(new)
