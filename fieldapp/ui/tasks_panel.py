"""Tasks: overdue, today, upcoming; complete, snooze, reschedule.

The reminders while the app runs are the window's (:class:`fieldapp.ui.window_status.DueNotifier`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp.store import services
from fieldapp.store.types import utcnow
from fieldapp.ui import dialogs, style, task_queries
from fieldapp.ui.background import user_message
from fieldapp.ui.empty_state import EmptyHint
from fieldapp.ui.forms import display
from fieldapp.ui.headers import column_title, record_table
from fieldapp.ui.panel import AppContext, Panel
from fieldapp.ui.task_editor import TaskDialog, open_task_editor
from fieldapp.ui.task_queries import TaskRow

Index = QModelIndex | QPersistentModelIndex
HEADERS = ("When", "Due", "Priority", "Account", "Task")
VIEWS = (
    ("Overdue and today", ("overdue", "today")),
    ("Upcoming", ("upcoming", "someday")),
    ("All open", ("overdue", "today", "upcoming", "someday")),
)


class TasksModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self._rows: list[tuple[str, TaskRow]] = []

    def set_tasks(self, tasks: list[TaskRow], buckets: tuple[str, ...]) -> None:
        rows = zip(task_queries.task_buckets(tasks), tasks, strict=True)
        self.beginResetModel()
        self._rows = [r for r in rows if r[0] in buckets]
        self.endResetModel()

    def task(self, row: int) -> TaskRow | None:
        return self._rows[row][1] if 0 <= row < len(self._rows) else None

    def row_of(self, task_id: str) -> int:
        return next((i for i, (_b, t) in enumerate(self._rows) if t.id == task_id), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        bucket, task = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (bucket, display(task.due_at), task.priority, task.account, task.title)[
                index.column()
            ]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 0:
            return style.color(bucket if bucket in style.COLORS else "muted")
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return column_title(HEADERS, section, orientation, role)


class TasksPanel(Panel):
    title = "Tasks"
    watches = frozenset({"tasks"})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.model = TasksModel()
        self._tasks: list[TaskRow] = []
        self.editor: TaskDialog | None = None  # the last task editor opened
        self.view_combo = QComboBox()
        for label, _b in VIEWS:
            self.view_combo.addItem(self.tr(label))
        self.view_combo.currentIndexChanged.connect(self._apply)
        self.table = record_table(self.model)
        self.table.doubleClicked.connect(lambda _i: self.edit_selected())
        self.hint = EmptyHint(self.table)
        self.complete_button = QPushButton(self.tr("Complete"))
        self.complete_button.clicked.connect(self.complete_selected)
        self.snooze_button = QPushButton(self.tr("Snooze 1 h"))
        self.snooze_button.clicked.connect(lambda: self.snooze_selected(timedelta(hours=1)))
        self.tomorrow_button = QPushButton(self.tr("Tomorrow"))
        self.tomorrow_button.clicked.connect(self.tomorrow_selected)
        self.reschedule_button = QPushButton(self.tr("Reschedule…"))
        self.reschedule_button.clicked.connect(self.reschedule_selected)
        self.new_button = QPushButton(self.tr("New task…"))
        self.new_button.setToolTip(self.tr("Add a task (Ctrl+N)"))
        self.new_button.clicked.connect(self.new_record)
        self.edit_button = QPushButton(self.tr("Edit…"))
        self.edit_button.clicked.connect(self.edit_selected)
        self.account_button = QPushButton(self.tr("Open account"))
        self.account_button.clicked.connect(self.open_selected_account)
        bar = QHBoxLayout()
        bar.addWidget(self.view_combo)
        for b in (
            self.complete_button,
            self.snooze_button,
            self.tomorrow_button,
            self.reschedule_button,
        ):
            bar.addWidget(b)
        bar.addStretch(1)
        bar.addWidget(self.edit_button)
        bar.addWidget(self.account_button)
        bar.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self.refresh()

    def refresh(self) -> None:
        self.ctx.bg.read(task_queries.open_tasks, self._show, owner=self, latest="tasks")

    def _show(self, tasks: list[TaskRow]) -> None:
        self._tasks = tasks
        self._apply()

    def _apply(self) -> None:
        view = self.view_combo.currentIndex()
        chosen = self.selected()
        self.model.set_tasks(self._tasks, VIEWS[view][1])
        # A reload (any change notice naming tasks) keeps the task the user selected.
        row = self.model.row_of(chosen.id) if chosen is not None else -1
        if row >= 0:
            self.table.selectRow(row)
        for col in range(self.model.columnCount() - 1):
            self.table.resizeColumnToContents(col)
        if self.model.rowCount():
            self.hint.show_hint(None)
        elif view == 0:
            self.hint.show_hint(self.tr("No tasks due — press Ctrl+N to add one."))
        elif view == 1:
            self.hint.show_hint(self.tr("Nothing planned ahead — press Ctrl+N to add a task."))
        else:
            self.hint.show_hint(self.tr("No open tasks — press Ctrl+N to add one."))

    def selected(self) -> TaskRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.task(rows[0].row()) if rows else None

    def open_selected_account(self) -> None:
        task = self.selected()
        if task is not None and task.account_id:
            self.ctx.open_account.emit(task.account_id)

    def edit_selected(self) -> None:
        """Double-click / Edit…: the task editor."""
        task = self.selected()
        if task is not None:
            self.editor = open_task_editor(self.ctx, self, task.id)

    def _write(self, task_id: str, values: dict[str, Any], message: str) -> None:
        self.ctx.bg.write(
            lambda s: services.update(s, "tasks", task_id, values),
            {"tasks"},
            lambda _r: self.ctx.tell(message),
            on_error=lambda e: self.ctx.tell(self.tr("Not changed: {0}").format(user_message(e))),
            owner=self,
        )

    def complete_selected(self) -> None:
        task = self.selected()
        if task is None:
            return
        task_id = task.id

        def undo() -> None:
            self.ctx.bg.write(lambda s: services.complete_task(s, task_id, False), {"tasks"})

        self.ctx.bg.write(
            lambda s: services.complete_task(s, task_id),
            {"tasks"},
            lambda _r: self.ctx.tell(self.tr("Done: {0}").format(task.title), undo),
            owner=self,
        )

    def snooze_selected(self, delta: timedelta) -> None:
        task = self.selected()
        if task is not None:
            base = max(task.due_at or utcnow(), utcnow())
            self._write(
                task.id, {"due_at": base + delta}, self.tr("Snoozed: {0}").format(task.title)
            )

    def tomorrow_selected(self) -> None:
        task = self.selected()
        if task is not None:
            local = datetime.now().astimezone() + timedelta(days=1)
            when = local.replace(hour=9, minute=0, second=0, microsecond=0)
            self._write(
                task.id, {"due_at": when}, self.tr("Moved to tomorrow: {0}").format(task.title)
            )

    def reschedule_selected(self) -> None:
        task = self.selected()
        if task is None:
            return
        when = dialogs.ask_datetime(self, self.tr("Reschedule"), task.due_at or utcnow())
        if when is not None:
            self._write(task.id, {"due_at": when}, self.tr("Rescheduled: {0}").format(task.title))

    def new_record(self) -> None:
        """Ctrl+N: the task editor, due by default at the end of the day (or tomorrow)."""
        self.editor = open_task_editor(self.ctx, self)

    def delete_selected(self) -> None:
        task = self.selected()
        if task is None or not dialogs.confirm(
            self, self.tr("Delete task"), self.tr("Delete “{0}”?").format(task.title)
        ):
            return
        task_id = task.id

        def undo() -> None:
            self.ctx.bg.write(lambda s: services.restore(s, "tasks", task_id), {"tasks"})

        self.ctx.bg.write(
            lambda s: services.delete(s, "tasks", task_id),
            {"tasks"},
            lambda _r: self.ctx.tell(self.tr("Task deleted."), undo),
            owner=self,
        )
