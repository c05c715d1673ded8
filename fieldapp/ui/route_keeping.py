"""Keeping a planned day: save, reopen, plan its visits, navigate, export.

The companion of :class:`fieldapp.ui.route_planner.RoutePlanner` (its ``keeping``):
planning (stops, optimise, re-optimise) lives there, what happens to a plan afterwards
lives here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, QTime, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog
from sqlalchemy.orm import Session

from fieldapp.maps import day_context, exports, planner, saved_plans
from fieldapp.maps.routing import DayPlan, in_order
from fieldapp.store.files import atomic_text
from fieldapp.ui import fmt
from fieldapp.ui.background import user_message
from fieldapp.ui.route_extras import SavedPlansDialog
from fieldapp.ui.route_table import window_text

if TYPE_CHECKING:
    from fieldapp.ui.route_planner import RoutePlanner

# Google's directions link takes up to 9 stops between start and end.
LINK_STOPS = 9
PLAN_ENTITIES = {"route_plans", "route_stops"}


class PlanKeeping:
    def __init__(self, planner: RoutePlanner) -> None:
        self.planner = planner

    def load_saved(self, reopened: saved_plans.Reopened) -> None:
        """Show a saved plan again: its day, ends, hours and stops, timed in its order."""
        p = self.planner
        req = reopened.request
        p.plan_id = reopened.plan_id
        p.date.setDate(QDate(req.plan_date.year, req.plan_date.month, req.plan_date.day))
        p.start.setText(f"{req.start[0]:.6f}, {req.start[1]:.6f}")
        p.end.setText("" if req.end is None else f"{req.end[0]:.6f}, {req.end[1]:.6f}")
        p.day_start.setTime(QTime(0, 0).addSecs(req.day_start))
        p.day_end.setTime(QTime(0, 0).addSecs(req.day_end))
        p.lunch.setChecked(bool(req.breaks))
        p.stops.setRowCount(0)
        p.stop_ids = []
        p._add_rows(reopened.order, {s.account_id: s.name for s in req.stops})
        for s in req.stops:
            if s.window:
                p.set_window(s.account_id, window_text(s.window))
        p._ends_note = [f"Saved route {reopened.name} reopened; edit it, or Optimise anew."]
        provider, order = p.provider, reopened.order
        p.ctx.bg.read(
            lambda _s: in_order(req, order, provider),
            p._planned,
            on_error=p._failed,
            owner=p,
        )

    def show_saved(self) -> None:
        p = self.planner
        SavedPlansDialog(p.ctx, self.load_saved, p).open()

    def add_day_visits(self) -> None:
        """Add the day's planned visits (the agenda) as stops, their times as appointments."""
        p = self.planner
        day, timezone = p._day(), p.settings.timezone

        def found(visits: list[day_context.DayVisit]) -> None:
            if not visits:
                p.ctx.tell(f"No visits are planned on {fmt.fmt_date(day)}.")
                return
            ids = [v.account_id for v in visits]
            windows = {v.account_id: window_text(v.window) for v in visits}

            def added(names: dict[str, str]) -> None:
                p._add_rows(ids, names)
                for account_id, text in windows.items():
                    if account_id in p.stop_ids:
                        p.set_window(account_id, text)

            p.ctx.bg.read(
                lambda s: {p.id: p.name for p in planner.account_points(s, ids=ids)},
                added,
                owner=p,
            )

        p.ctx.bg.read(lambda s: day_context.planned_visits(s, day, timezone), found, owner=p)

    def _write_plan(self, then: Callable[[str], None] | None = None) -> None:
        p = self.planner
        plan, plan_id = p.plan, p.plan_id
        if plan is None:
            return

        def write(session: Session) -> str:
            if plan_id is not None:
                return saved_plans.replace_plan(session, plan_id, plan)
            return planner.save_plan(session, plan)

        def saved(new_id: str) -> None:
            p.plan_id = new_id
            if then is not None:
                then(new_id)
            else:
                p.ctx.tell(f"Route for {fmt.fmt_date(plan.request.plan_date)} saved.")

        p.ctx.bg.write(
            write,
            PLAN_ENTITIES,
            saved,
            on_error=lambda e: p.ctx.tell(f"Route not saved: {user_message(e)}"),
            owner=p,
        )

    def save(self) -> None:
        """Save the plan; a plan saved or reopened before is updated, not copied."""
        self._write_plan()

    def plan_visits(self) -> None:
        """Save the plan, then make each stop a planned visit in the agenda."""
        p = self.planner

        def visits(plan_id: str) -> None:
            p.ctx.bg.write(
                lambda s: saved_plans.plan_visits(s, plan_id),
                {"visits", "route_stops"},
                lambda made: p.ctx.tell(
                    f"Route saved; {len(made)} visit(s) are now in the agenda."
                    if made
                    else "Route saved; every stop already has a planned visit."
                ),
                on_error=lambda e: p.ctx.tell(f"Visits not planned: {user_message(e)}"),
                owner=p,
            )

        self._write_plan(visits)

    def navigate(self) -> None:
        """Directions through the stops in the browser (or the maps app it hands to)."""
        p = self.planner
        plan = p.plan
        if plan is None:
            return
        QDesktopServices.openUrl(QUrl(exports.google_maps_url(plan)))
        if len(plan.stops) > LINK_STOPS:
            p.ctx.tell(
                f"The directions link holds the first {LINK_STOPS} stops; for all"
                f" {len(plan.stops)}, use Navigation (.gpx)."
            )

    def export(self, kind: str, path: str | None = None) -> None:
        """Write the plan as .ics or .gpx (``path`` given: no dialog, for scripts and tests)."""
        p = self.planner
        plan = p.plan
        if plan is None:
            return
        if path is None:
            suggested = str(Path.home() / f"route-{plan.request.plan_date}.{kind}")
            path, _ = QFileDialog.getSaveFileName(p, "Export route", suggested)
            if not path:
                return
        render: Callable[[DayPlan], str] = exports.to_ics if kind == "ics" else exports.to_gpx
        try:
            with atomic_text(path) as out:
                out.write(render(plan))
        except OSError as exc:
            p.ctx.tell(f"Could not write {path}: {exc.strerror or exc}")
            return
        p.ctx.tell(f"Route written to {path}.")
