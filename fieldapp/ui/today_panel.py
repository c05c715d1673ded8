"""Today, the landing page: planned visits, tasks due or overdue, recent activity."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QWidget,
)

from fieldapp.store.types import utcnow
from fieldapp.ui import fmt, queries, style, visits
from fieldapp.ui.closing_deals import ClosingDeals
from fieldapp.ui.forms import display
from fieldapp.ui.panel import AppContext, Panel

ACCOUNT_ROLE = Qt.ItemDataRole.UserRole + 1
# A person reads a few dozen; a manager's replica can have ten thousand overdue, and
# building that many list items on every change notice froze the window.
DUE_SHOWN = 200
# On a planned visit that can still be checked in to: its id.
VISIT_ROLE = Qt.ItemDataRole.UserRole + 2


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
        self.checkin_button = QPushButton(self.tr("Check in"))
        self.checkin_button.setObjectName("today_checkin")
        self.checkin_button.setToolTip(self.tr("Check in to the selected planned visit"))
        self.checkin_button.clicked.connect(self.check_in_selected)
        self.planned.currentItemChanged.connect(lambda *_a: self._update_checkin())
        planned_actions = QHBoxLayout()
        planned_actions.addWidget(self.checkin_button)
        planned_actions.addStretch(1)
        grid = QGridLayout(self)
        grid.addWidget(self.greeting, 0, 0, 1, 2)
        grid.addWidget(_section("Planned visits"), 1, 0)
        grid.addWidget(_section("Tasks due and overdue"), 1, 1)
        grid.addWidget(self.planned, 2, 0)
        grid.addWidget(self.due, 2, 1)
        grid.addLayout(planned_actions, 3, 0)
        grid.addWidget(_section("Recent activity"), 4, 0)
        grid.addWidget(self.recent, 5, 0)
        self.closing = ClosingDeals(ctx)
        grid.addWidget(self.closing.heading, 4, 1)
        grid.addWidget(self.closing, 5, 1)
        grid.setRowStretch(2, 3)
        grid.setRowStretch(5, 2)
        self.refresh()

    def refresh(self) -> None:
        self.ctx.bg.read(queries.today, self._show, owner=self, latest="today")
        self.closing.refresh()

    def _show(self, today: queries.Today) -> None:
        now = utcnow()
        self.greeting.setText(
            self.tr("Today, {0}").format(fmt.fmt_long_date(now.astimezone().date()))
        )
        chosen = self.planned.currentItem()
        keep = chosen.data(VISIT_ROLE) if chosen is not None else None
        self.planned.clear()
        for v in today.planned:
            state = "done" if v.checkout_at else "checked in" if v.checkin_at else "planned"
            item = QListWidgetItem(f"{fmt.fmt_time(v.planned_start)}  {v.account}  ({state})")
            item.setData(ACCOUNT_ROLE, v.account_id)
            if v.checkin_at is None:
                item.setData(VISIT_ROLE, v.id)
            self.planned.addItem(item)
            if keep is not None and v.id == keep:
                self.planned.setCurrentItem(item)
        if not today.planned:
            self.planned.addItem("No visits planned for today.")
        self._update_checkin()
        self.due.clear()
        for t in today.due[:DUE_SHOWN]:
            item = QListWidgetItem(
                f"{display(t.due_at)}  {t.title}" + (f" — {t.account}" if t.account else "")
            )
            item.setData(ACCOUNT_ROLE, t.account_id)
            if t.due_at is not None and t.due_at < now:  # overdue (queries.task_bucket)
                item.setForeground(style.color("overdue"))
            self.due.addItem(item)
        if len(today.due) > DUE_SHOWN:
            more = len(today.due) - DUE_SHOWN
            self.due.addItem(self.tr("… and %1 more in the Tasks panel").replace("%1", f"{more:,}"))
        if not today.due:
            self.due.addItem(self.tr("Nothing due. Well done — press Ctrl+N in Tasks to add one."))
        self.recent.clear()
        for e in today.recent:
            item = QListWidgetItem(f"{display(e.when)}  {e.text}")
            item.setData(ACCOUNT_ROLE, e.account_id)
            self.recent.addItem(item)

    def _update_checkin(self) -> None:
        item = self.planned.currentItem()
        self.checkin_button.setEnabled(item is not None and bool(item.data(VISIT_ROLE)))

    def check_in_selected(self) -> None:
        """Check in to the selected planned visit: it becomes the actual visit."""
        item = self.planned.currentItem()
        visit_id = item.data(VISIT_ROLE) if item is not None else None
        if not visit_id:
            return
        self.checkin_button.setEnabled(False)
        visits.check_in(self.ctx, self, str(item.data(ACCOUNT_ROLE)), visit_id=str(visit_id))

    def _activate(self, item: QListWidgetItem) -> None:
        account_id = item.data(ACCOUNT_ROLE)
        if account_id:
            self.ctx.open_account.emit(str(account_id))
