"""The day planner for a rep's day, as their manager plans it.

The same planner as the Map panel's (stops, appointments, hours, Optimise, moving
stops by hand); what differs is whose day it is. It starts with the rep's accounts
due for a visit and at the rep's home (or their territory's centre), and **Save as
planned visits** writes the route and one planned visit per stop owned by the rep
(:func:`fieldapp.maps.team_routes.save_for_rep`). They reach the rep on the next
syncs; the rep accepts or moves them in their Agenda.

Signals:
    saved(object): the :class:`~fieldapp.maps.team_routes.RepRoute` just written.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from fieldapp.maps import team_routes
from fieldapp.maps.team_homes import Home
from fieldapp.maps.team_routes import RepRoute
from fieldapp.ui import fmt, style
from fieldapp.ui.background import user_message
from fieldapp.ui.panel import AppContext
from fieldapp.ui.route_planner import RoutePlanner


class RepRoutePlanner(RoutePlanner):
    saved = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.rep_id: str | None = None
        self.rep_name = ""
        self.whose = QLabel(self.tr("Pick a rep in the table, then Plan route."))
        self.whose.setObjectName("team_route_whose")
        self.whose.setWordWrap(True)
        style.set_role(self.whose, "section")
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(0, self.whose)
        # Saving is planning the rep's visits; what the rep's own planner keeps (their home
        # and office, their saved routes, their day's visits) is not the manager's to use.
        self.save_button.clicked.disconnect()
        self.save_button.clicked.connect(self.save)
        self.save_button.setText(self.tr("Save as planned visits"))
        self.save_button.setToolTip(
            self.tr("The rep gets them as planned visits on their next sync (Ctrl+S)")
        )
        for button in (
            self.visits_button,
            self.day_visits_button,
            self.places_button,
            self.saved_button,
        ):
            button.hide()
        self.start.setPlaceholderText(self.tr("an address or LAT, LON (empty: the first stop)"))
        self.end.setPlaceholderText(self.tr("as the start (default: back to the start)"))
        self.summary.setText(self.tr("Lasso more of the rep's accounts on the map, then Optimise."))

    def plan_for(self, rep_id: str, name: str, start: Home | None, stops: list[str]) -> None:
        """Start a new day for ``rep_id``: their start and these stops, no plan yet."""
        self.rep_id, self.rep_name = rep_id, name
        self.stops.setRowCount(0)
        self.stop_ids.clear()
        self.result.setRowCount(0)
        self.plan = None
        self.plan_id = None
        self._enable_plan_actions()
        if start is None:
            self.start.clear()
            where = self.tr("at the first stop (no home or territory known)")
        else:
            self.start.setText(f"{start.point[0]:.5f}, {start.point[1]:.5f}")
            where = (
                self.tr("at home (%1)")
                if start.source == "home"
                else self.tr("at the centre of %1")
            ).replace("%1", start.text)
        self.whose.setText(
            self.tr("Route for %1, starting %2").replace("%1", name).replace("%2", where)
        )
        if stops:
            self.add_accounts(stops)
        else:
            self.summary.setText(
                self.tr("%1 has no account due for a visit: lasso accounts on the map.").replace(
                    "%1", name
                )
            )

    def save(self) -> None:
        plan, rep, name = self.plan, self.rep_id, self.rep_name
        if plan is None or rep is None:
            return
        day = fmt.fmt_date(plan.request.plan_date)

        def undo(route: RepRoute) -> None:
            self.ctx.bg.write(
                lambda s: team_routes.undo_for_rep(s, route),
                {"route_plans", "route_stops", "visits"},
                lambda _r: self.ctx.tell(
                    self.tr("The route for %1 was taken back.").replace("%1", name)
                ),
                on_error=lambda e: self.ctx.tell(user_message(e)),
                owner=self,
            )

        def done(route: RepRoute) -> None:
            self.ctx.tell(
                self.tr("%1 visits planned for %2 on %3; they reach %2 with the next sync.")
                .replace("%1", str(len(route.visit_ids)))
                .replace("%2", name)
                .replace("%3", day),
                lambda: undo(route),
            )
            self.saved.emit(route)

        self.ctx.bg.write(
            lambda s: team_routes.save_for_rep(s, plan, rep),
            {"route_plans", "route_stops", "visits"},
            done,
            on_error=lambda e: self.ctx.tell(
                self.tr("Route not saved: %1").replace("%1", user_message(e))
            ),
            owner=self,
        )
