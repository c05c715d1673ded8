"""The task editor: title, description, account, contact, priority, due, assignee.

Open it with :func:`open_task_editor` (Tasks panel: Ctrl+N and double-click; account
view: "New task…" and double-click). A new task is due at :func:`default_due` — the
end of today's working day, or tomorrow morning once that is less than an hour away —
never in the past, and is assigned to the signed-in user.

Signals (TaskDialog):
    saved(str): the task was created or updated (its id).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from fieldapp.store import models
from fieldapp.ui import lookups, style
from fieldapp.ui.background import user_message
from fieldapp.ui.field_editors import DateTimeField
from fieldapp.ui.forms import RecordForm
from fieldapp.ui.panel import AppContext
from fieldapp.ui.pickers import AccountPicker, ContactCombo, OwnerCombo

ENTITIES = ("tasks",)
DAY_END_HOUR = 17
MORNING_HOUR = 9


def default_due(now: datetime | None = None) -> datetime:
    """When a new task is due: today at 17:00 local time if that is an hour away or more,
    otherwise tomorrow at 9:00 (aware, local)."""
    local = (now or datetime.now().astimezone()).astimezone()
    # Naive local times made aware by astimezone(): right on either side of a DST change.
    day_end = datetime.combine(local.date(), time(DAY_END_HOUR)).astimezone()
    if day_end - local >= timedelta(hours=1):
        return day_end
    return datetime.combine(local.date() + timedelta(days=1), time(MORNING_HOUR)).astimezone()


class TaskDialog(QDialog):
    """See the module doc. Built at once; the task and the people arrive in the background."""

    saved = Signal(str)

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        task_id: str | None = None,
        account_id: str | None = None,
        contact_id: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.task_id = task_id
        self.setWindowTitle(self.tr("New task") if task_id is None else self.tr("Edit task"))
        self.account = AccountPicker(ctx.bg)
        self.contact = ContactCombo(ctx.bg)
        self.due = DateTimeField()
        self.owner = OwnerCombo()
        self.form = RecordForm(
            "tasks",
            [
                ("title", self.tr("Task")),
                ("account_id", self.tr("Account"), self.account),
                ("contact_id", self.tr("Contact"), self.contact),
                ("priority", self.tr("Priority"), models.TASK_PRIORITIES),
                ("due_at", self.tr("Due"), self.due),
                ("owner_id", self.tr("Assigned to"), self.owner),
                ("description", self.tr("Description")),
            ],
        )
        self.form.setEnabled(False)
        self.account.picked.connect(self.contact.set_account)
        self.error = QLabel("")
        self.error.setObjectName("task_error")
        style.set_role(self.error, "error")
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setEnabled(False)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(self.error)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.resize(520, 0)
        ctx.bg.read(
            lambda s: lookups.task_form(s, task_id, account_id),
            lambda loaded: self._loaded(loaded, account_id, contact_id),
            on_error=lambda e: self._error(user_message(e)),
            owner=self,
        )

    def _loaded(
        self, loaded: lookups.TaskForm, account_id: str | None, contact_id: str | None
    ) -> None:
        self.owner.set_people(loaded.people)
        record: dict[str, Any] = loaded.task or {
            "account_id": account_id,
            "contact_id": contact_id,
            "priority": "normal",
            "due_at": default_due(),
            "owner_id": loaded.people.me,
        }
        self.account.remember(record.get("account_id"), loaded.account_name)
        self.contact.set_account(record.get("account_id") or "")
        self.form.load(record)
        self.form.setEnabled(True)
        self.save_button.setEnabled(True)
        self.form.focus("title")

    def save(self) -> None:
        if not self.form.check_all():
            self._error(self.tr("Fix the marked fields, then save again."))
            return
        task_id = self.task_id
        if task_id is not None and not self.form.is_modified():
            self.accept()
            return
        self.error.hide()
        self.save_button.setEnabled(False)
        self.ctx.bg.write(
            self.form.save_job("tasks", task_id),
            ENTITIES,
            lambda result: self._saved(task_id or str(result), task_id is None),
            on_error=self._failed,
            owner=self,
        )

    def _saved(self, task_id: str, created: bool) -> None:
        self.task_id = task_id
        self.ctx.tell(self.tr("Task added.") if created else self.tr("Task saved."))
        self.saved.emit(task_id)
        self.accept()

    def _failed(self, exc: Exception) -> None:
        self.save_button.setEnabled(True)
        self._error(self.form.failure_message(exc))

    def _error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()


def open_task_editor(
    ctx: AppContext,
    parent: QWidget | None = None,
    task_id: str | None = None,
    account_id: str | None = None,
    contact_id: str | None = None,
) -> TaskDialog:
    """Edit ``task_id``, or make a new task (for ``account_id``); returns the open dialog."""
    dialog = TaskDialog(ctx, parent, task_id, account_id, contact_id)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
