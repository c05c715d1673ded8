"""Scheduling, moving and cancelling visits from the Agenda, each with an undo.

Every change goes through :mod:`fieldapp.store.scheduling` on the write thread and
tells the user what it did; the panel's calendar then reloads on the change notice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from sqlalchemy.orm import Session

from fieldapp.store import scheduling, services
from fieldapp.ui import schedule_dialog
from fieldapp.ui.background import user_message

if TYPE_CHECKING:
    from fieldapp.ui.agenda_panel import AgendaPanel


class AgendaEditor(QObject):
    """The Agenda panel's changes to visits (see the module doc)."""

    def __init__(self, panel: AgendaPanel) -> None:
        super().__init__(panel)
        self.panel = panel
        self.ctx = panel.ctx

    def new_record(self) -> None:
        """Ctrl+N: schedule a visit, at the next quarter hour today or 09:00 another day."""
        now = datetime.now().astimezone()
        if self.panel.anchor == now.date():
            start = now.replace(second=0, microsecond=0) + timedelta(minutes=15 - now.minute % 15)
        else:
            start = datetime.combine(self.panel.anchor, datetime.min.time()).astimezone()
            start = start.replace(hour=9)
        self.schedule_at(start)

    def schedule_at(
        self, start: datetime, account: schedule_dialog.AccountChoice | None = None
    ) -> None:
        request = schedule_dialog.ask_schedule(self.panel, self.ctx.bg, start, account)
        if request is None:
            return

        def job(session: Session) -> tuple[str, str]:
            visit_id = scheduling.schedule_visit(
                session,
                request.account_id,
                request.start,
                minutes=request.minutes,
                every_days=request.every_days,
                owner_id=self.panel.owner_id,
            )
            return visit_id, services.get(session, "accounts", request.account_id)["name"]

        def done(result: tuple[str, str]) -> None:
            visit_id, name = result
            when = request.start.astimezone()
            self.ctx.tell(
                self.tr("Visit to %1 scheduled for %2.")
                .replace("%1", name)
                .replace("%2", f"{when:%a %d %b %H:%M}"),
                lambda: self._cancel(visit_id, name, undoing=True),
            )
            self.panel.show_range(when.date())
            self.panel.view.select("visit", visit_id)

        self.ctx.bg.write(
            job,
            {"visits", "accounts"},
            done,
            on_error=lambda e: self.ctx.tell(self.tr("Not scheduled: ") + user_message(e)),
            owner=self.panel,
        )

    def schedule_due(self, account_id: str) -> None:
        """Schedule a visit to an account of the due list, on the shown day at 09:00."""

        def chosen(choice: schedule_dialog.AccountChoice) -> None:
            start = datetime.combine(self.panel.anchor, datetime.min.time()).astimezone()
            self.schedule_at(start.replace(hour=9), choice)

        self.ctx.bg.read(
            lambda s: schedule_dialog.account_choice(s, account_id), chosen, owner=self
        )

    def move_visit(self, visit_id: str, start: datetime, end: datetime) -> None:
        """Move a planned visit (a drop, a resize, Shift+arrows), with undo."""
        visit = self.panel.view.visits.get(visit_id)
        if visit is None:
            return
        self.panel.view.apply_move(visit_id, start, end)

        def undo(moved: scheduling.Moved) -> None:
            self.ctx.bg.write(
                lambda s: scheduling.move_visit(s, visit_id, moved.old_start, moved.old_end),
                {"visits"},
                lambda _r: self.ctx.tell(self.tr("Move undone.")),
            )

        def done(moved: scheduling.Moved) -> None:
            when = moved.start.astimezone()
            self.ctx.tell(
                self.tr("Moved %1 to %2.")
                .replace("%1", visit.account)
                .replace("%2", f"{when:%a %d %b %H:%M}–{moved.end.astimezone():%H:%M}"),
                lambda: undo(moved),
            )

        def failed(exc: Exception) -> None:
            self.ctx.tell(self.tr("Not moved: ") + user_message(exc))
            self.panel.load_agenda()

        self.ctx.bg.write(
            lambda s: scheduling.move_visit(s, visit_id, start, end),
            {"visits"},
            done,
            on_error=failed,
            owner=self.panel,
        )

    def edit_selected(self) -> None:
        visit = self.panel.view.selected_visit()
        if visit is None or not visit.movable:
            return
        times = schedule_dialog.ask_visit_times(
            self.panel,
            self.tr("Visit to %1").replace("%1", visit.account),
            visit.start,
            visit.minutes,
        )
        if times is not None:
            self.move_visit(visit.id, times.start, times.start + timedelta(minutes=times.minutes))

    def delete_selected(self) -> None:
        """Delete: cancel the selected planned visit (undo brings it back)."""
        visit = self.panel.view.selected_visit()
        if visit is not None and visit.movable:
            self._cancel(visit.id, visit.account)

    def _cancel(self, visit_id: str, name: str, *, undoing: bool = False) -> None:
        def restore() -> None:
            self.ctx.bg.write(
                lambda s: services.restore(s, "visits", visit_id),
                {"visits"},
                lambda _r: self.ctx.tell(self.tr("Visit to %1 restored.").replace("%1", name)),
            )

        def done(_r: object) -> None:
            if undoing:
                self.ctx.tell(self.tr("Visit to %1 unscheduled.").replace("%1", name))
            else:
                self.ctx.tell(self.tr("Visit to %1 cancelled.").replace("%1", name), restore)

        self.ctx.bg.write(
            lambda s: scheduling.cancel_visit(s, visit_id),
            {"visits"},
            done,
            on_error=lambda e: self.ctx.tell(self.tr("Not cancelled: ") + user_message(e)),
            owner=self.panel,
        )
