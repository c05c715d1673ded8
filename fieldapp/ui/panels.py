"""The panels of the main window, in sidebar order.

To add a panel, write a :class:`fieldapp.ui.panel.Panel` subclass in its own module and
add a :class:`PanelSpec` to :data:`PANELS` below (or call :func:`register` before the
window is built). The window gives each panel it shows a Ctrl+<number> shortcut in this
order. ``roles`` names who sees the panel (see :mod:`fieldapp.ui.roles`): the window
hides the others' sidebar entries and shortcuts.

A spec names its panel's module instead of importing it: the module is imported when
the panel is first built, so a start on one panel does not pay for the others' imports
(the Admin panel's route table alone brings in VROOM, pandas and NumPy).
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fieldapp.ui.roles import ADMINS, EVERYONE, MANAGERS

if TYPE_CHECKING:
    from fieldapp.ui.panel import AppContext, Panel


@dataclass(frozen=True)
class PanelSpec:
    key: str
    title: str
    # "package.module:Class"; a bare module name is looked up in fieldapp.ui.
    where: str
    roles: frozenset[str] = EVERYONE

    @property
    def module(self) -> str:
        module_name = self.where.partition(":")[0]
        return module_name if "." in module_name else f"fieldapp.ui.{module_name}"

    def imported(self) -> bool:
        return self.module in sys.modules

    def load(self) -> None:
        """Import the panel's module (any thread; see MainWindow._build_next)."""
        importlib.import_module(self.module)

    def build(self, ctx: AppContext) -> Panel:
        """Import the panel's module (the first time) and make the panel."""
        class_name = self.where.partition(":")[2]
        panel: Panel = getattr(importlib.import_module(self.module), class_name)(ctx)
        return panel


PANELS: list[PanelSpec] = [
    PanelSpec("today", "Today", "today_panel:TodayPanel"),
    PanelSpec("agenda", "Agenda", "agenda_panel:AgendaPanel"),
    PanelSpec("accounts", "Accounts", "accounts_panel:AccountsPanel"),
    PanelSpec("contacts", "Contacts", "contacts_panel:ContactsPanel"),
    PanelSpec("leads", "Leads", "leads_panel:LeadsPanel"),
    PanelSpec("pipeline", "Pipeline", "pipeline_panel:PipelinePanel"),
    PanelSpec("tasks", "Tasks", "tasks_panel:TasksPanel"),
    PanelSpec("map", "Map", "map_screen:MapScreen"),
    PanelSpec("reports", "Reports", "reports_panel:ReportsPanel"),
    PanelSpec("team", "Team", "team_panel:TeamPanel", MANAGERS),
    PanelSpec("admin", "Admin", "admin_panel:AdminPanel", ADMINS),
    PanelSpec("conflicts", "Conflicts", "conflicts_panel:ConflictsPanel"),
    PanelSpec("refused", "Refused", "refused_panel:RefusedPanel"),
    # Last: the panels before it keep their Ctrl+<number>.
    PanelSpec("rules", "Rules", "rules_panel:RulesPanel"),
]


def register(spec: PanelSpec) -> None:
    """Add a panel (replacing one with the same key)."""
    PANELS[:] = [p for p in PANELS if p.key != spec.key] + [spec]
