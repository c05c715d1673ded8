"""Visit actions: check in (to a planned visit or a new one), check out, log a past visit.

Check-in never waits for a position: the visit is written at once with the time, and
one fix is asked for (the only time the app takes a position). When it arrives, its
distance from the account's pin and the verdict ("far from the account" beyond the
fix's accuracy plus the ``checkin_far_m`` setting, or "no fix") are stored with it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QWidget
from sqlalchemy.orm import Session

from fieldapp.maps.settings import MapSettings
from fieldapp.store import scheduling, services
from fieldapp.store.types import utcnow
from fieldapp.ui import dialogs
from fieldapp.ui.background import user_message
from fieldapp.ui.panel import AppContext
from fieldapp.ui.position import Fix

VISIT_ENTITIES = ("visits", "tasks")
Done = Callable[[str], None]
Checked = Callable[[scheduling.PositionCheck], None]


def _tr(text: str) -> str:
    return QCoreApplication.translate("visits", text)


def _checked_in_text(done: scheduling.CheckIn) -> str:
    text = _tr("Checked in")
    if done.planned and done.planned_start is not None:
        when = f"{done.planned_start.astimezone():%H:%M}"
        text += _tr(" to the visit planned for %1").replace("%1", when)
    if done.next_start is not None:
        when = f"{done.next_start.astimezone():%a %d %b %H:%M}"
        text += _tr("; next visit planned %1").replace("%1", when)
    return text


def check_in(
    ctx: AppContext,
    parent: QWidget,
    account_id: str,
    on_check: Checked | None = None,
    *,
    visit_id: str | None = None,
) -> None:
    """Check in at an account now: to ``visit_id``, to today's planned visit, or to a
    new one; then ask for one fix. ``on_check`` learns what the position said."""

    def undo_for(done: scheduling.CheckIn) -> Callable[[], None]:
        def undo() -> None:
            ctx.bg.write(
                lambda s: scheduling.undo_check_in(s, done),
                {"visits"},
                lambda _r: ctx.tell(_tr("Check-in undone.")),
            )

        return undo

    def checked_in(done: scheduling.CheckIn) -> None:
        text, undo = _checked_in_text(done), undo_for(done)
        ctx.tell(f"{text}.", undo)

        def fixed(fix: Fix | None) -> None:
            def job(session: Session) -> scheduling.PositionCheck | None:
                far_m = MapSettings.load(ctx.data_dir).checkin_far_m
                if fix is None:
                    return scheduling.record_position(session, done.visit_id, None, None, None)
                return scheduling.record_position(
                    session, done.visit_id, fix.latitude, fix.longitude, fix.accuracy_m, far_m=far_m
                )

            def recorded(check: scheduling.PositionCheck | None) -> None:
                if check is None:
                    return  # undone meanwhile
                said = _tr("no position fix") if check.flag == "no_fix" else check.describe()
                ctx.tell(f"{text} — {said}.", undo)
                if on_check is not None:
                    on_check(check)

            ctx.bg.write(job, {"visits"}, recorded, owner=parent)

        ctx.position.request(fixed)

    ctx.bg.write(
        lambda s: scheduling.check_in(s, account_id, visit_id=visit_id),
        {"visits"},
        checked_in,
        on_error=lambda e: ctx.tell(_tr("Not checked in: ") + user_message(e)),
        owner=parent,
    )


def _report_values(report: dialogs.VisitReport) -> dict[str, Any]:
    return {
        "outcome": report.outcome,
        "notes": report.notes or None,
        "next_step": report.next_step or None,
    }


def check_out(ctx: AppContext, parent: QWidget, account_id: str, visit_id: str) -> None:
    """Ask for outcome, notes and next step; close the visit; maybe add a follow-up task."""
    report = dialogs.ask_visit_report(parent)
    if report is None:
        return

    def job(session: Session) -> None:
        values = {**_report_values(report), "checkout_at": utcnow()}
        services.update(session, "visits", visit_id, values)
        if report.follow_up is not None:
            services.create(
                session,
                "tasks",
                {
                    "title": report.next_step or "Follow up on visit",
                    "account_id": account_id,
                    "visit_id": visit_id,
                    "due_at": report.follow_up,
                },
            )

    ctx.bg.write(job, VISIT_ENTITIES, lambda _r: ctx.tell("Checked out."), owner=parent)


def log_past_visit(ctx: AppContext, parent: QWidget, account_id: str) -> None:
    report = dialogs.ask_visit_report(parent, past=True)
    if report is None:
        return
    start = report.checkin_at or utcnow()

    def job(session: Session) -> str:
        return services.log_visit(
            session,
            account_id,
            checkin_at=start,
            checkout_at=start + timedelta(minutes=30),
            follow_up_due=report.follow_up,
            **_report_values(report),
        )

    ctx.bg.write(job, VISIT_ENTITIES, lambda _r: ctx.tell("Visit logged."), owner=parent)
