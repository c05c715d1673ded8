"""The panels of the main window, in sidebar order.

To add a panel, write a :class:`fieldapp.ui.panel.Panel` subclass in its own module and
add a :class:`PanelSpec` to :data:`PANELS` below (or call :func:`register` before the
window is built). The window gives each panel it shows a Ctrl+<number> shortcut in this
order. ``roles`` names who sees the panel (see :mod:`fieldapp.ui.roles`): the window
hides the others' sidebar entries and shortcuts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fieldapp.ui.accounts_panel import AccountsPanel
from fieldapp.ui.admin_panel import AdminPanel
from fieldapp.ui.agenda_panel import AgendaPanel
from fieldapp.ui.conflicts_panel import ConflictsPanel
from fieldapp.ui.contacts_panel import ContactsPanel
from fieldapp.ui.leads_panel import LeadsPanel
from fieldapp.ui.map_screen import MapScreen
from fieldapp.ui.panel import AppContext, Panel
from fieldapp.ui.pipeline_panel import PipelinePanel
from fieldapp.ui.refused_panel import RefusedPanel
from fieldapp.ui.reports_panel import ReportsPanel
from fieldapp.ui.roles import ADMINS, EVERYONE, MANAGERS
from fieldapp.ui.rules_panel import RulesPanel
from fieldapp.ui.tasks_panel import TasksPanel
from fieldapp.ui.team_panel import TeamPanel
from fieldapp.ui.today_panel import TodayPanel


@dataclass(frozen=True)
class PanelSpec:
    key: str
    title: str
    factory: Callable[[AppContext], Panel]
    roles: frozenset[str] = EVERYONE


PANELS: list[PanelSpec] = [
    PanelSpec("today", "Today", TodayPanel),
    PanelSpec("agenda", "Agenda", AgendaPanel),
    PanelSpec("accounts", "Accounts", AccountsPanel),
    PanelSpec("contacts", "Contacts", ContactsPanel),
    PanelSpec("leads", "Leads", LeadsPanel),
    PanelSpec("pipeline", "Pipeline", PipelinePanel),
    PanelSpec("tasks", "Tasks", TasksPanel),
    PanelSpec("map", "Map", MapScreen),
    PanelSpec("reports", "Reports", ReportsPanel),
    PanelSpec("team", "Team", TeamPanel, MANAGERS),
    PanelSpec("admin", "Admin", AdminPanel, ADMINS),
    PanelSpec("conflicts", "Conflicts", ConflictsPanel),
    PanelSpec("refused", "Refused", RefusedPanel),
    # Last: the panels before it keep their Ctrl+<number>.
    PanelSpec("rules", "Rules", RulesPanel),
]


def register(spec: PanelSpec) -> None:
    """Add a panel (replacing one with the same key)."""
    PANELS[:] = [p for p in PANELS if p.key != spec.key] + [spec]
