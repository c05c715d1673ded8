"""The Agenda panel: the day's or the week's planned visits and tasks, and who is due.

Reads run on the background helper (the week, then the due list, so the calendar is
never kept waiting by the slower list); every change goes through
:mod:`fieldapp.store.scheduling` on the write thread and says what it did with an undo.
The calendar itself is :class:`fieldapp.ui.agenda_view.AgendaView`.

Keys (calendar focused): ←/→ previous/next day or week, T today, D day, W week,
↑/↓ scroll, Tab the next visit or task, Enter open it, Shift+arrows move the selected
visit by 15 minutes or a day, Delete cancel it (with undo), Ctrl+N schedule a visit.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from PySide6.QtCore import (
    QPoint,
    QSettings,
    Qt,
    QTimer,
)
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from fieldapp.store import agenda, due, scheduling
from fieldapp.store.agenda import Agenda
from fieldapp.ui import schedule_dialog, visits
from fieldapp.ui.agenda_due import DueList
from fieldapp.ui.agenda_edits import AgendaEditor
from fieldapp.ui.agenda_view import AgendaView
from fieldapp.ui.panel import AppContext, Panel

DUE_RELOAD_MS = 250


class AgendaPanel(Panel):
    """See the module doc."""

    title = "Agenda"
    watches = frozenset({"visits", "tasks", "accounts"})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.anchor = agenda.local_today()
        self.week = True
        self.owner_id: str | None = None
        self.device_user: str | None = None
        # Whose agenda this is when it is not the signed-in user's (a manager's drill-in).
        self.owner_name = ""
        self.shown_start: date | None = None  # first day of what the calendar shows
        self.due_total: int | None = None
        self._generation = 0
        self._due_generation = 0

        self.prev_button = QPushButton("◀")
        self.prev_button.setToolTip(self.tr("Previous (←)"))
        self.today_button = QPushButton(self.tr("Today"))
        self.today_button.setToolTip(self.tr("Today (T)"))
        self.next_button = QPushButton("▶")
        self.next_button.setToolTip(self.tr("Next (→)"))
        self.range_label = QLabel()
        self.range_label.setObjectName("agenda_range")
        self.day_button = QPushButton(self.tr("Day"))
        self.day_button.setToolTip(self.tr("One day (D)"))
        self.week_button = QPushButton(self.tr("Week"))
        self.week_button.setToolTip(self.tr("The whole week (W)"))
        modes = QButtonGroup(self)
        for button in (self.day_button, self.week_button):
            button.setCheckable(True)
            modes.addButton(button)
        self.week_button.setChecked(True)
        self.schedule_button = QPushButton(self.tr("Schedule visit…"))
        self.schedule_button.setToolTip(self.tr("Schedule a visit (Ctrl+N)"))
        self.prev_button.clicked.connect(self.go_previous)
        self.next_button.clicked.connect(self.go_next)
        self.today_button.clicked.connect(self.go_today)
        self.day_button.clicked.connect(lambda: self.set_week(False))
        self.week_button.clicked.connect(lambda: self.set_week(True))
        self.schedule_button.clicked.connect(self.new_record)
        self.mine_button = QPushButton(self.tr("My agenda"))
        self.mine_button.setToolTip(self.tr("Back to your own agenda"))
        self.mine_button.clicked.connect(lambda: self.set_owner(self.device_user))
        self.mine_button.setVisible(False)
        bar = QHBoxLayout()
        for w in (self.prev_button, self.today_button, self.next_button):
            bar.addWidget(w)
        bar.addWidget(self.range_label, 1)
        for w in (self.mine_button, self.day_button, self.week_button, self.schedule_button):
            bar.addWidget(w)

        self.view = AgendaView()
        self.view.visit_moved.connect(self.move_visit)
        self.view.slot_activated.connect(self.schedule_at)
        self.view.visit_activated.connect(self.activate_visit)
        self.view.task_activated.connect(self.activate_task)
        self.view.day_requested.connect(lambda d: self.show_range(d, week=False))
        self.view.selection_changed.connect(self._update_selection)
        self.view.context_menu.connect(self._visit_menu)
        self.view.navigate.connect(lambda step: self.go_next() if step > 0 else self.go_previous())
        self.view.today_requested.connect(self.go_today)
        self.view.mode_requested.connect(self.set_week)

        self.selection_label = QLabel()
        self.selection_label.setObjectName("agenda_selection")
        self.checkin_button = QPushButton(self.tr("Check in"))
        self.open_button = QPushButton(self.tr("Open account"))
        self.edit_button = QPushButton(self.tr("Change time…"))
        self.cancel_button = QPushButton(self.tr("Cancel visit"))
        self.checkin_button.clicked.connect(self.check_in_selected)
        self.open_button.clicked.connect(self.open_selected)
        self.edit_button.clicked.connect(self.edit_selected)
        self.cancel_button.clicked.connect(self.delete_selected)
        actions = QHBoxLayout()
        actions.addWidget(self.selection_label, 1)
        for b in (self.checkin_button, self.edit_button, self.cancel_button, self.open_button):
            actions.addWidget(b)

        calendar = QWidget()
        left = QVBoxLayout(calendar)
        left.setContentsMargins(0, 0, 0, 0)
        left.addLayout(bar)
        left.addWidget(self.view, 1)
        left.addLayout(actions)

        self.due = DueList()
        self.edits = AgendaEditor(self)
        self.due.schedule_requested.connect(self.edits.schedule_due)
        self.due_heading, self.due_model, self.due_list = (
            self.due.heading,
            self.due.model,
            self.due.list,
        )

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(calendar)
        self.splitter.addWidget(self.due)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([900, 250])
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)

        self._due_timer = QTimer(self)
        self._due_timer.setSingleShot(True)
        self._due_timer.setInterval(DUE_RELOAD_MS)
        self._due_timer.timeout.connect(self._load_due)
        self._update_selection()
        self.ctx.bg.read(agenda.device_user_id, self._know_user, owner=self)

    # -- what is shown -----------------------------------------------------------------------

    def _know_user(self, user_id: str | None) -> None:
        self.device_user = user_id
        if self.owner_id is None:
            self.set_owner(user_id)

    def set_owner(self, owner_id: str | None, name: str = "") -> None:
        """Show this person's agenda (and records without an owner); None: everyone's.

        ``name`` says whose it is when it is someone else's: it heads the calendar, and
        the due list shows their accounts only.
        """
        self.owner_id = owner_id
        self.owner_name = name if owner_id != self.device_user else ""
        self.mine_button.setVisible(bool(self.owner_name))
        self.load_agenda()
        self._load_due()

    def days(self) -> list[date]:
        first = agenda.week_start(self.anchor) if self.week else self.anchor
        return [first + timedelta(days=i) for i in range(7 if self.week else 1)]

    def show_range(self, day: date, *, week: bool | None = None) -> None:
        self.anchor = day
        if week is not None:
            self.week = week
            (self.week_button if week else self.day_button).setChecked(True)
        self.load_agenda()

    def go_previous(self) -> None:
        self.show_range(self.anchor - timedelta(days=7 if self.week else 1))

    def go_next(self) -> None:
        self.show_range(self.anchor + timedelta(days=7 if self.week else 1))

    def go_today(self) -> None:
        self.show_range(agenda.local_today())

    def set_week(self, week: bool) -> None:
        self.show_range(self.anchor, week=week)

    def refresh(self) -> None:
        """Reload the calendar now, and the due list once a burst of changes is over
        (at 100k accounts it judges every one)."""
        self.load_agenda()
        self._due_timer.start()

    def load_agenda(self) -> None:
        self._generation += 1
        gen, days, owner = self._generation, self.days(), self.owner_id
        self.range_label.setText(self._range_text(days))
        start, end = agenda.day_bounds(days[0], len(days))
        self.ctx.bg.read(
            lambda s: agenda.agenda_between(s, start, end, owner_id=owner),
            lambda shown: self._show(gen, days, shown),
            owner=self,
            priority=1,
        )

    def _range_text(self, days: list[date]) -> str:
        first, last = days[0], days[-1]
        whose = f"{self.owner_name} — " if self.owner_name else ""
        if len(days) == 1:
            return whose + first.strftime("%A %d %B %Y")
        week = self.tr("Week %1").replace("%1", str(first.isocalendar().week))
        return f"{whose}{week} · {first:%d %b} – {last:%d %b %Y}"

    def _show(self, gen: int, days: list[date], shown: Agenda) -> None:
        if gen != self._generation:
            return  # the user went on to another week meanwhile
        self.view.set_content(days, shown.visits, shown.tasks)
        self.shown_start = days[0]
        self._update_selection()

    def _load_due(self) -> None:
        self._due_generation += 1
        gen = self._due_generation
        someone = self.owner_id if self.owner_name else None
        self.ctx.bg.read(
            lambda s: due.due_for_visit(s, owner_id=someone),
            lambda d: self._show_due(gen, d),
            owner=self,
            priority=-1,
        )

    def _show_due(self, gen: int, listed: due.DueList) -> None:
        if gen == self._due_generation:
            self.due_total = listed.total
            self.due.show_list(listed)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.view.setFocus()

    # -- the selected visit ------------------------------------------------------------------

    def _update_selection(self) -> None:
        visit = self.view.selected_visit()
        task = self.view.selected_task()
        if visit is not None:
            span = f"{visit.start.astimezone():%a %d %b %H:%M}–{visit.end.astimezone():%H:%M}"
            text = f"{visit.account} · {span} · {self.view.state_text(visit)}"
            check = scheduling.describe_check(visit.checkin_flag, visit.checkin_distance_m, None)
            self.selection_label.setText(text + (f" · {check}" if check else ""))
        elif task is not None:
            self.selection_label.setText(
                self.tr("Task: %1").replace("%1", task.title)
                + (f" — {task.account}" if task.account else "")
            )
        else:
            self.selection_label.setText(
                self.tr("Double-click free time to schedule a visit; drag a visit to move it.")
            )
        self.checkin_button.setEnabled(visit is not None and visit.checkin_at is None)
        movable = visit is not None and visit.movable
        self.edit_button.setEnabled(movable)
        self.cancel_button.setEnabled(movable)
        self.open_button.setEnabled(
            visit is not None or (task is not None and task.account_id is not None)
        )

    def _visit_menu(self, visit_id: str, where: QPoint) -> None:
        visit = self.view.visits.get(visit_id)
        if visit is None:
            return
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        checkin = menu.addAction(self.tr("Check in"), self.check_in_selected)
        checkin.setEnabled(visit.checkin_at is None)
        edit = menu.addAction(self.tr("Change time…"), self.edit_selected)
        edit.setEnabled(visit.movable)
        menu.addAction(self.tr("Open account"), self.open_selected)
        menu.addSeparator()
        cancel = menu.addAction(self.tr("Cancel visit"), self.delete_selected)
        cancel.setEnabled(visit.movable)
        menu.popup(where)

    def activate_visit(self, visit_id: str) -> None:
        visit = self.view.visits.get(visit_id)
        if visit is None:
            return
        self.view.select("visit", visit_id)
        if visit.movable:
            self.edit_selected()
        else:
            self.ctx.open_account.emit(visit.account_id)

    def activate_task(self, task_id: str) -> None:
        task = self.view.tasks.get(task_id)
        if task is not None and task.account_id is not None:
            self.ctx.open_account.emit(task.account_id)

    def open_selected(self) -> None:
        visit, task = self.view.selected_visit(), self.view.selected_task()
        account_id = visit.account_id if visit else task.account_id if task else None
        if account_id:
            self.ctx.open_account.emit(account_id)

    def check_in_selected(self) -> None:
        visit = self.view.selected_visit()
        if visit is not None and visit.checkin_at is None:
            self.checkin_button.setEnabled(False)
            visits.check_in(self.ctx, self, visit.account_id, visit_id=visit.id)

    # -- scheduling and moving (agenda_edits.py) ---------------------------------------------

    def new_record(self) -> None:
        self.edits.new_record()

    def schedule_at(
        self, start: datetime, account: schedule_dialog.AccountChoice | None = None
    ) -> None:
        self.edits.schedule_at(start, account)

    def move_visit(self, visit_id: str, start: datetime, end: datetime) -> None:
        self.edits.move_visit(visit_id, start, end)

    def edit_selected(self) -> None:
        self.edits.edit_selected()

    def delete_selected(self) -> None:
        self.edits.delete_selected()

    # -- layout memory -----------------------------------------------------------------------

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("agenda/week", self.week)
        settings.setValue("agenda/splitter", self.splitter.saveState())

    def restore_state(self, settings: QSettings) -> None:
        week = settings.value("agenda/week", True)
        self.week = str(week).lower() not in ("false", "0")
        (self.week_button if self.week else self.day_button).setChecked(True)
        state = settings.value("agenda/splitter")
        if state is not None:
            self.splitter.restoreState(state)
