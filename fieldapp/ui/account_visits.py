"""The visit parts of the account's 360° view: how a check-in stood, the visit plan,
the Visits tab's rows, and scheduling a visit from the account.

Plain functions over the plain values :mod:`fieldapp.ui.queries` and
:mod:`fieldapp.store.due` return, so :mod:`fieldapp.ui.account_detail` stays a layout.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QWidget

from fieldapp.store import due, scheduling
from fieldapp.store.types import utcnow
from fieldapp.ui import schedule_dialog
from fieldapp.ui.background import user_message
from fieldapp.ui.panel import AppContext
from fieldapp.ui.record_tab import record_tree


def _tr(text: str) -> str:
    return QCoreApplication.translate("account_visits", text)


VISIT_HEADERS = [
    _tr("When"),
    _tr("Status"),
    _tr("Check-in"),
    _tr("Outcome"),
    _tr("Notes"),
    _tr("Next step"),
]


def visits_tree() -> QTreeWidget:
    """The Visits tab's list. Six columns in the narrow detail pane: when and status as
    wide as their text, the other four share the rest (elided, the full text in the
    tooltip), so the list never scrolls sideways at 1280×800."""
    tree = record_tree(VISIT_HEADERS)
    header = tree.header()
    header.setStretchLastSection(False)  # the Stretch columns fill the width already
    for col in range(len(VISIT_HEADERS)):
        mode = (
            QHeaderView.ResizeMode.ResizeToContents if col < 2 else QHeaderView.ResizeMode.Stretch
        )
        header.setSectionResizeMode(col, mode)
    return tree


def where(visit: dict[str, Any], locating: bool) -> str:
    """How a check-in stood: "far — 1.0 km from the account (± 15 m) · fix at 50.95,
    6.96", "no fix", or "locating…" while the fix is on its way."""
    if visit["checkin_latitude"] is None:
        if locating:
            return _tr("locating…")
        return scheduling.describe_check(visit["checkin_flag"], None, None) or "no fix"
    place = _tr("fix at %1").replace(
        "%1", f"{visit['checkin_latitude']:.5f}, {visit['checkin_longitude']:.5f}"
    )
    check = scheduling.describe_check(
        visit["checkin_flag"], visit["checkin_distance_m"], visit["checkin_accuracy_m"]
    )
    return f"{check} · {place}" if check else place


def status(visit: dict[str, Any]) -> str:
    if visit["checkout_at"] is not None:
        return _tr("done")
    if visit["checkin_at"] is not None:
        return _tr("checked in")
    return _tr("planned") if visit["planned_start"] is not None else ""


def visit_rows(visits: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The Visits tab: when, status, the check-in's verdict, outcome, notes, next step."""
    return [
        (
            v["checkin_at"] or v["planned_start"],
            status(v),
            scheduling.describe_check(
                v["checkin_flag"], v["checkin_distance_m"], v["checkin_accuracy_m"]
            ),
            (v["outcome"] or "").replace("_", " "),
            v["notes"],
            v["next_step"],
        )
        for v in visits
    ]


def planned_today(plan: due.VisitPlan | None) -> tuple[str, str] | None:
    """(id, "10:00") of the account's visit planned for today and not checked in."""
    if plan is None or plan.next_planned_id is None or plan.next_planned_at is None:
        return None
    start = plan.next_planned_at.astimezone()
    if start.date() != utcnow().astimezone().date():
        return None
    return plan.next_planned_id, f"{start:%H:%M}"


def schedule_for(ctx: AppContext, parent: QWidget, account_id: str) -> None:
    """Ask when to visit this account (tomorrow 09:00 to start with) and schedule it."""

    def ask(account: schedule_dialog.AccountChoice) -> None:
        start = (utcnow() + timedelta(days=1)).astimezone()
        start = start.replace(hour=9, minute=0, second=0, microsecond=0)
        request = schedule_dialog.ask_schedule(parent, ctx.bg, start, account)
        if request is None:
            return
        when = f"{request.start.astimezone():%a %d %b %H:%M}"
        ctx.bg.write(
            lambda s: scheduling.schedule_visit(
                s,
                request.account_id,
                request.start,
                minutes=request.minutes,
                every_days=request.every_days,
            ),
            {"visits", "accounts"},
            lambda _id: ctx.tell(
                _tr("Visit to %1 scheduled for %2.").replace("%1", account.name).replace("%2", when)
            ),
            on_error=lambda e: ctx.tell(_tr("Not scheduled: ") + user_message(e)),
            owner=parent,
        )

    ctx.bg.read(lambda s: schedule_dialog.account_choice(s, account_id), ask, owner=parent)
