"""Visit actions: check in, check out, log a past visit.

Check-in never waits for a position: the visit is written at once with the time, and
the position (with its accuracy) is added when the platform delivers a fix. No fix —
no position source, or none within the timeout — leaves the visit without one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from PySide6.QtWidgets import QWidget
from sqlalchemy.orm import Session

from fieldapp.store import services
from fieldapp.store.types import utcnow
from fieldapp.ui import dialogs
from fieldapp.ui.panel import AppContext
from fieldapp.ui.position import Fix

VISIT_ENTITIES = ("visits", "tasks")
Done = Callable[[str], None]


def check_in(
    ctx: AppContext, parent: QWidget, account_id: str, on_fix: Callable[[Fix | None], None]
) -> None:
    """Open a visit now; ``on_fix`` learns the position result (None = no fix)."""

    def located(visit_id: str) -> None:
        def fixed(fix: Fix | None) -> None:
            if fix is not None:
                values = {
                    "checkin_latitude": fix.latitude,
                    "checkin_longitude": fix.longitude,
                    "checkin_accuracy_m": fix.accuracy_m,
                }
                ctx.bg.write(
                    lambda s: services.update(s, "visits", visit_id, values),
                    {"visits"},
                    lambda _r: on_fix(fix),
                    owner=parent,
                )
            else:
                on_fix(None)

        ctx.position.request(fixed)

    ctx.bg.write(
        lambda s: services.create(s, "visits", {"account_id": account_id, "checkin_at": utcnow()}),
        {"visits"},
        located,
        owner=parent,
    )
    ctx.tell("Checked in.")


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
