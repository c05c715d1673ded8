"""The account 360° view: editable details, contacts, deals, visits, tasks, timeline.

Holds the account's id and plain values only. Saving runs in the background; a
refused save marks the bad fields inline and keeps everything typed.

Signals:
    saved(str): an account was created or updated (its id).
    deleted(str): an account was deleted (its id).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget
from sqlalchemy.orm import Session

from fieldapp.store import due, scheduling, services
from fieldapp.sync import team
from fieldapp.ui import (
    account_visits,
    dialogs,
    email_compose,
    links,
    locating,
    queries,
    style,
    visits,
)
from fieldapp.ui.account_form import AccountFormBox
from fieldapp.ui.account_tabs import AccountTabs
from fieldapp.ui.background import user_message
from fieldapp.ui.forms import display
from fieldapp.ui.locating import AccountLocator
from fieldapp.ui.panel import AppContext
from fieldapp.ui.rule_marks import FlagBanner
from fieldapp.ui.task_editor import TaskDialog, open_task_editor

WATCHES = frozenset({"accounts", "contacts", "opportunities", "visits", "tasks", "notes"})


class AccountDetail(QWidget):
    """See the module doc."""

    saved = Signal(str)
    deleted = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.account_id: str | None = None
        self.open_visit_id: str | None = None
        self._generation = 0

        self.heading = QLabel(self.tr("No account selected"))
        self.heading.setObjectName("heading")
        style.set_role(self.heading, "heading")
        self.subheading = QLabel("")
        style.set_role(self.subheading, "subheading")
        self.links = links.link_label()
        self.links.setObjectName("account_links")
        self.email_button = QPushButton(self.tr("Email…"))
        self.email_button.setToolTip(self.tr("Write to the account or one of its contacts"))
        self.email_button.clicked.connect(self.email)
        links_row = QHBoxLayout()
        links_row.addWidget(self.links, 1)
        links_row.addWidget(self.email_button)
        self.visit_state = QLabel("")
        self.visit_state.setObjectName("visit_state")
        self.visit_state.setWordWrap(True)
        self.visit_plan = QLabel("")
        self.visit_plan.setObjectName("visit_plan")
        self.visit_plan.setWordWrap(True)
        self.plan: due.VisitPlan | None = None
        self._locating = False

        self.save_button = QPushButton("Save")
        self.revert_button = QPushButton("Revert")
        self.checkin_button = QPushButton("Check in")
        self.checkout_button = QPushButton("Check out")
        self.log_button = QPushButton("Log visit…")
        self.schedule_button = QPushButton(self.tr("Schedule visit…"))
        self.task_button = QPushButton("New task…")
        self.delete_button = QPushButton("Delete")
        self.pin_button = QPushButton(self.tr("Set pin…"))
        self.pin_button.setToolTip(self.tr("Correct the account's position by typing it"))
        self.pin_button.clicked.connect(self.set_pin)
        self.locator = AccountLocator(ctx, self)
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.revert)
        self.checkin_button.clicked.connect(self.check_in)
        self.checkout_button.clicked.connect(self.check_out)
        self.log_button.clicked.connect(self.log_visit)
        self.schedule_button.clicked.connect(self.schedule_visit)
        self.task_button.clicked.connect(self.new_task)
        self.delete_button.clicked.connect(self.delete)
        record_row = QHBoxLayout()
        for button in (self.save_button, self.revert_button, self.pin_button):
            record_row.addWidget(button)
        record_row.addStretch(1)
        record_row.addWidget(self.delete_button)
        visit_row = QHBoxLayout()
        for button in (
            self.checkin_button,
            self.checkout_button,
            self.schedule_button,
            self.log_button,
            self.task_button,
        ):
            visit_row.addWidget(button)
        visit_row.addStretch(1)

        self.form_box = AccountFormBox()
        self.form = self.form_box.form
        self.form.edited.connect(self._update_buttons)
        self.save_error = self.form_box.save_error

        self.tabs = AccountTabs(ctx)
        # The tabs' parts by name, as the account view's callers and tests know them.
        self.timeline_tab, self.contacts_tab = self.tabs.timeline_tab, self.tabs.contacts_tab
        self.deals_tab, self.tasks_tab = self.tabs.deals_tab, self.tabs.tasks_tab
        self.history_tab, self.files_tab = self.tabs.history_tab, self.tabs.files_tab
        self.record_tabs = self.tabs.record_tabs
        self.timeline = self.timeline_tab.tree
        self.note_edit = self.timeline_tab.note_edit
        self.contacts = self.contacts_tab.tree
        self.opportunities = self.deals_tab.tree
        self.tasks = self.tasks_tab.tree
        self.visits = self.tabs.visits

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.form_box)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.subheading)
        layout.addLayout(links_row)
        layout.addLayout(record_row)
        layout.addLayout(visit_row)
        layout.addWidget(self.visit_state)
        layout.addWidget(self.visit_plan)
        self.flags = FlagBanner(ctx)  # what rules flagged on the account
        layout.addWidget(self.flags)
        layout.addWidget(self.splitter, 1)
        ctx.bg.changed.connect(self._on_changed)
        self._update_buttons()

    # -- showing ------------------------------------------------------------------------------

    def show_account(self, account_id: str) -> None:
        if (
            account_id != self.account_id
            and self.form.is_modified()
            and self.account_id
            and not dialogs.confirm(self, "Unsaved changes", "Discard the changes you made?")
        ):
            return
        self.account_id = account_id
        self.reload(reset_form=True)

    def new_account(self) -> None:
        self.account_id = None
        self.open_visit_id = None
        self.flags.show_record(None)
        self.form.load({"type": "prospect", "status": "active"})
        self.heading.setText("New account")
        self.subheading.setText("Fill in at least the name, then Save.")
        self.visit_state.setText("")
        self._clear_tabs()
        self.save_error.hide()
        self._update_buttons()
        self.form.editors["name"].setFocus()

    def reload(self, *, reset_form: bool = False) -> None:
        if self.account_id is None:
            return
        self._generation += 1
        gen, account_id = self._generation, self.account_id
        self.flags.show_record(account_id)
        self.ctx.bg.read(
            lambda s: queries.account_detail(s, account_id),
            lambda d: self._show(gen, d, reset_form),
            on_error=self._load_failed,
            owner=self,
        )
        self.ctx.bg.read(
            lambda s: due.visit_plan(s, account_id),
            lambda plan: self._show_plan(gen, plan),
            on_error=lambda _e: None,  # the detail read reports a vanished account
            owner=self,
        )

    def _load_failed(self, exc: Exception) -> None:
        self.account_id = None
        self.heading.setText("No account selected")
        self.subheading.setText(user_message(exc))
        self._update_buttons()

    def _show(self, gen: int, detail: queries.AccountDetail, reset_form: bool) -> None:
        if gen != self._generation:
            return
        acc = detail.account
        self.heading.setText(acc["name"])
        place = ", ".join(p for p in (acc["postcode"], acc["city"], acc["country"]) if p)
        pin = locating.pin_state(acc)
        self.subheading.setText(
            " · ".join(p for p in (acc["type"], acc["status"], place, pin) if p)
        )
        # Keep what the user is typing when a change notice reloads the view.
        if reset_form or not self.form.is_modified():
            self.form.load(acc)
            self.save_error.hide()
        self.open_visit_id = detail.open_visit_id
        if detail.open_visit_id:
            visit = next(v for v in detail.visits if v["id"] == detail.open_visit_id)
            self.visit_state.setText(
                f"Checked in since {display(visit['checkin_at'])} · "
                f"{account_visits.where(visit, self._locating)}"
            )
        else:
            self.visit_state.setText("")
        self.links.setText(
            links.links_html(phone=acc["phone"], email=acc["email"], website=acc["website"])
        )
        self.tabs.show_detail(detail)
        self._update_buttons()

    def _show_plan(self, gen: int, plan: due.VisitPlan) -> None:
        if gen != self._generation:
            return
        self.plan = plan
        self.visit_plan.setText(plan.describe())
        self._update_buttons()

    def _clear_tabs(self) -> None:
        self.visit_plan.setText("")
        self.plan = None
        self.links.setText("")
        self.tabs.clear_records()

    def _on_changed(self, entities: frozenset[str]) -> None:
        if self.account_id and entities & WATCHES:
            self.reload()

    def _update_buttons(self) -> None:
        has = self.account_id is not None
        creating = not has and self.heading.text() == "New account"
        self.form.setEnabled(has or creating)
        self.save_button.setEnabled(has or creating)
        self.revert_button.setEnabled(has and self.form.is_modified())
        self.checkin_button.setEnabled(has and self.open_visit_id is None)
        planned = account_visits.planned_today(self.plan) if has else None
        self.checkin_button.setText(
            self.tr("Check in (%1)").replace("%1", planned[1]) if planned else self.tr("Check in")
        )
        self.schedule_button.setEnabled(has)
        self.checkout_button.setEnabled(has and self.open_visit_id is not None)
        for button in (self.log_button, self.task_button, self.delete_button, self.pin_button):
            button.setEnabled(has)
        self.email_button.setEnabled(has)
        self.note_edit.setEnabled(has)

    # -- editing ------------------------------------------------------------------------------

    def save(self) -> None:
        if not self.form.check_all():
            self._show_save_error("Fix the marked fields, then save again.")
            return
        self.save_error.hide()
        account_id = self.account_id
        if account_id is not None and not self.form.is_modified():
            return
        # A new or changed address is put on the map (see ui/locating.py).
        locate = locating.needs_geocoding(self.form.save_values(account_id is None))
        job = self.form.save_job("accounts", account_id)
        if account_id is None:
            # A new account is placed as it is written: whether it goes to another
            # rep's territory is known in the same job.
            save = job

            def job(s: Session) -> tuple[str, str | None]:
                new_id = save(s)
                return new_id, team.handover_note(s.connection(), new_id)

        self.ctx.bg.write(
            job,
            {"accounts"},
            (lambda done: self._created(done[0], done[1], locate))
            if account_id is None
            else lambda _r: self._saved(account_id, locate),
            on_error=self._save_failed,
            owner=self,
        )

    def _created(self, account_id: str, note: str | None, locate: bool = False) -> None:
        self.account_id = account_id
        self.ctx.tell(f"Account created. {note}" if note else "Account created.")
        self._saved(account_id, locate)

    def _saved(self, account_id: str, locate: bool = False) -> None:
        self.reload(reset_form=True)
        self.saved.emit(account_id)
        if locate:
            self.locator.place(account_id)

    def set_pin(self) -> None:
        if self.account_id is not None:
            lat, lon = self.form.text("latitude"), self.form.text("longitude")
            current = f"{lat}, {lon}" if lat and lon else ""
            locating.ask_pin(self.ctx, self, self.account_id, current)

    def _save_failed(self, exc: Exception) -> None:
        self._show_save_error(self.form.failure_message(exc))

    def _show_save_error(self, text: str) -> None:
        self.form_box.show_error(text)

    def revert(self) -> None:
        self.reload(reset_form=True)

    def delete(self) -> None:
        account_id = self.account_id
        if account_id is None:
            return
        name = self.heading.text()
        if not dialogs.confirm(
            self,
            "Delete account",
            f"Delete {name} with its contacts, opportunities, visits, tasks and notes?",
        ):
            return

        def undo() -> None:
            self.ctx.bg.write(
                lambda s: services.restore(s, "accounts", account_id),
                WATCHES,
                lambda _r: self.ctx.tell(f"Restored {name}."),
            )

        def done(_gone: Any) -> None:
            self.ctx.tell(f"Deleted {name}.", undo)
            self.deleted.emit(account_id)

        self.form.load({})
        self.account_id = None
        self.heading.setText("No account selected")
        self.subheading.setText("")
        self._clear_tabs()
        self._update_buttons()
        self.ctx.bg.write(
            lambda s: services.delete(s, "accounts", account_id), WATCHES, done, owner=self
        )

    def delete_selected(self) -> None:
        """Delete key: the note, contact, deal or task selected in a focused tab, else
        (after asking) the account."""
        for tab in self.record_tabs:
            if tab.isVisible() and tab.tree.hasFocus() and tab.delete_selected():
                return
        self.delete()

    def email(self) -> None:
        if self.account_id is not None:
            email_compose.open_email(self.ctx, self, self.account_id)

    def add_note(self) -> None:
        self.timeline_tab.add_note()

    def new_task(self) -> TaskDialog | None:
        if self.account_id is None:
            return None
        return open_task_editor(self.ctx, self, None, self.account_id)

    # -- visits -------------------------------------------------------------------------------

    def check_in(self) -> None:
        """Check in: to today's planned visit when there is one, else a new visit."""
        if self.account_id is None:
            return
        planned = account_visits.planned_today(self.plan)
        self.checkin_button.setEnabled(False)
        self._locating = True
        visits.check_in(
            self.ctx,
            self,
            self.account_id,
            self._position_checked,
            visit_id=planned[0] if planned else None,
        )

    def _position_checked(self, _check: scheduling.PositionCheck) -> None:
        self._locating = False
        self.reload()

    def schedule_visit(self) -> None:
        if self.account_id is not None:
            account_visits.schedule_for(self.ctx, self, self.account_id)

    def check_out(self) -> None:
        if self.account_id is None or self.open_visit_id is None:
            return
        visits.check_out(self.ctx, self, self.account_id, self.open_visit_id)

    def log_visit(self) -> None:
        if self.account_id is not None:
            visits.log_past_visit(self.ctx, self, self.account_id)
