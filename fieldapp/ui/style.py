"""The app's colours and sizes, in one place.

Widgets do not style themselves: they say what they are — a heading, an error, an
empty-state hint, the sidebar, the toast — with :func:`set_role`, and :data:`ROLES`
here decides how that looks. Item models that colour text (lead ratings, task buckets)
take their colours from :data:`COLORS`, so a palette change is made here and nowhere
else.

Each role's rules go on the widgets that have the role, not on the whole application:
an application-wide stylesheet puts every widget (and every cell a 100k-row list
paints) through Qt's stylesheet engine, which cost 0.1-0.4 s of CPU at start-up
alone in our measurements.
"""

from __future__ import annotations

from string import Template

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

COLORS = {
    "accent": "#2e86c1",
    "navy": "#1f3a5f",
    "danger": "#c0392b",
    "danger_bg": "#fdecea",
    "warning": "#b9770e",
    "muted": "#555555",
    "hint": "#7b7d7d",
    "won": "#1e8449",
    "lost": "#922b21",
    "link": "#1a5fb4",
    "toast": "#2c3e50",
    "toast_action": "#f4d03f",
    # Lead ratings and task buckets.
    "hot": "#c0392b",
    "warm": "#d68910",
    "cold": "#2e86c1",
    "overdue": "#c0392b",
    "today": "#b9770e",
    "upcoming": "#1f618d",
}

_ROLES = {
    "sidebar": """
        QListWidget { font-size: 14px; background: $navy; color: white; border: none; }
        QListWidget::item { padding: 10px 8px; }
        QListWidget::item:selected { background: $accent; }""",
    "toast": """
        #toast { background: $toast; border-radius: 6px; }
        #toast QLabel { color: white; padding: 4px; }
        #toast QPushButton { color: $toast_action; font-weight: bold; border: none;
                             padding: 4px; }""",
    "title": "font-size: 20px; font-weight: bold;",
    "heading": "font-size: 16px; font-weight: bold;",
    "section": "font-size: 15px; font-weight: bold; margin-top: 6px;",
    "subheading": "color: $muted;",
    "summary": "font-size: 14px;",
    "totals": "color: $muted;",
    "error": "color: $danger;",
    "field-error": "color: $danger; font-size: 11px;",
    "hint": "color: $hint; font-size: 14px; padding: 12px;",
    "links": "padding: 2px 0;",
    # Pipeline stage titles.
    "stage-open": "font-weight: bold; color: white; background: $navy; padding: 4px;",
    "stage-won": "font-weight: bold; color: white; background: $won; padding: 4px;",
    "stage-lost": "font-weight: bold; color: white; background: $lost; padding: 4px;",
}
ROLES = {role: Template(rules).substitute(COLORS) for role, rules in _ROLES.items()}
INVALID = Template("border: 1px solid $danger; background: $danger_bg;").substitute(COLORS)


def color(name: str) -> QColor:
    return QColor(COLORS[name])


def link_color() -> str:
    return COLORS["link"]


def set_role(widget: QWidget, role: str) -> QWidget:
    """Mark ``widget`` as a heading, an error, a hint ... and style it so (see ROLES)."""
    widget.setProperty("role", role)
    widget.setStyleSheet(ROLES[role])
    return widget


def set_invalid(widget: QWidget, invalid: bool) -> None:
    """Mark an editor whose value was refused (red border) or clear the mark."""
    if bool(widget.property("invalid")) == invalid:
        return
    widget.setProperty("invalid", invalid)
    widget.setStyleSheet(INVALID if invalid else "")
