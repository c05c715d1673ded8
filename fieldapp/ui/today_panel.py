"""Today, the landing page: planned visits, tasks due or overdue, recent activity."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QWidget,
)

from fieldapp.store.types import utcnow
from fieldapp.ui import fmt, queries, style
from fieldapp.ui.closing_deals import ClosingDeals
from fieldapp.ui.forms import display
from fieldapp.ui.panel import AppContext, Panel

ACCOUNT_ROLE = Qt.ItemDataRole.UserRole + 1


def _section(title: str) -> QLabel:
    label = QLabel(title)
    style.set_role(label, "section")
    return label


class TodayPanel(Panel):
    title = "Today"
    watches = frozenset({"visits", "tasks", "notes", "accounts"})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.greeting = QLabel("")
        style.set_role(self.greeting, "title")
        self.planned = QListWidget()
        self.planned.setObjectName("today_planned")
        self.due = QListWidget()
        self.due.setObjectName("today_due")
        self.recent = QListWidget()
        self.recent.setObjectName("today_recent")
        for lst in (self.planned, self.due, self.recent):
            lst.itemActivated.connect(self._activate)
            lst.setAlternatingRowColors(True)
        grid = QGridLayout(self)
        grid.addWidget(self.greeting, 0, 0, 1, 2)
        grid.addWidget(_section("Planned visits"), 1, 0)
        grid.addWidget(_section("Tasks due and overdue"), 1, 1)
        grid.addWidget(self.planned, 2, 0)
        grid.addWidget(self.due, 2, 1)
        grid.addWidget(_section("Recent activity"), 3, 0)
        grid.addWidget(self.recent, 4, 0)
        self.closing = ClosingDeals(ctx)
        grid.addWidget(self.closing.heading, 3, 1)
        grid.addWidget(self.closing, 4, 1)
        grid.setRowStretch(2, 3)
        grid.setRowStretch(4, 2)
        self.refresh()

    def refresh(self) -> None:
        self.ctx.bg.read(queries.today, self._show, owner=self)
        self.closing.refresh()

    def _show(self, today: queries.Today) -> None:
        now = utcnow()
        self.greeting.setText(
            self.tr("Today, {0}").format(fmt.fmt_long_date(now.astimezone().date()))
        )
        self.planned.clear()
        for v in today.planned:
            state = "done" if v.checkout_at else "checked in" if v.checkin_at else "planned"
            item = QListWidgetItem(f"{fmt.fmt_time(v.planned_start)}  {v.account}  ({state})")
            item.setData(ACCOUNT_ROLE, v.account_id)
            self.planned.addItem(item)
        if not today.planned:
            self.planned.addItem("No visits planned for today.")
        self.due.clear()
        for t in today.due:
            bucket = queries.task_bucket(t.due_at, now)
            item = QListWidgetItem(
                f"{display(t.due_at)}  {t.title}" + (f" — {t.account}" if t.account else "")
            )
            item.setData(ACCOUNT_ROLE, t.account_id)
            if bucket == "overdue":
                item.setForeground(style.color("overdue"))
            self.due.addItem(item)
        if not today.due:
            self.due.addItem(self.tr("Nothing due. Well done — press Ctrl+N in Tasks to add one."))
        self.recent.clear()
        for e in today.recent:
            item = QListWidgetItem(f"{display(e.when)}  {e.text}")
            item.setData(ACCOUNT_ROLE, e.account_id)
            self.recent.addItem(item)

    def _activate(self, item: QListWidgetItem) -> None:
        account_id = item.data(ACCOUNT_ROLE)
        if account_id:
            self.ctx.open_account.emit(str(account_id))
