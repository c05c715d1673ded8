"""The app's colours and sizes, in one stylesheet.

Widgets do not style themselves: they say what they are, with an object name (the
sidebar, the toast) or a ``role`` property (a heading, an error, an empty-state hint),
and :data:`STYLESHEET`, applied to the whole application by :func:`apply`, decides how
that looks. Item models that colour text (lead ratings, task buckets) take their
colours from :data:`COLORS`, so a palette change is made here and nowhere else.
"""

from __future__ import annotations

from string import Template

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QWidget

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

_QSS = """
#sidebar { font-size: 14px; background: $navy; color: white; border: none; }
#sidebar::item { padding: 10px 8px; }
#sidebar::item:selected { background: $accent; }

#toast { background: $toast; border-radius: 6px; }
#toast QLabel { color: white; padding: 4px; }
#toast QPushButton { color: $toast_action; font-weight: bold; border: none; padding: 4px; }

QLabel[role="title"] { font-size: 20px; font-weight: bold; }
QLabel[role="heading"] { font-size: 16px; font-weight: bold; }
QLabel[role="section"] { font-size: 15px; font-weight: bold; margin-top: 6px; }
QLabel[role="subheading"] { color: $muted; }
QLabel[role="summary"] { font-size: 14px; }
QLabel[role="totals"] { color: $muted; }
QLabel[role="error"] { color: $danger; }
QLabel[role="field-error"] { color: $danger; font-size: 11px; }
QLabel[role="hint"] { color: $hint; font-size: 14px; padding: 12px; }
QLabel[role="links"] { padding: 2px 0; }

QLabel[stage="open"] { font-weight: bold; color: white; background: $navy; padding: 4px; }
QLabel[stage="won"] { font-weight: bold; color: white; background: $won; padding: 4px; }
QLabel[stage="lost"] { font-weight: bold; color: white; background: $lost; padding: 4px; }

*[invalid="true"] { border: 1px solid $danger; background: $danger_bg; }
"""
STYLESHEET = Template(_QSS).substitute(COLORS)


def apply(app: QApplication | None = None) -> None:
    """Give the application (and so every window and dialog) the stylesheet."""
    app = app or QApplication.instance()  # type: ignore[assignment]
    if isinstance(app, QApplication) and app.styleSheet() != STYLESHEET:
        app.setStyleSheet(STYLESHEET)


def color(name: str) -> QColor:
    return QColor(COLORS[name])


def link_color() -> str:
    return COLORS["link"]


def set_role(widget: QWidget, role: str) -> QWidget:
    """Mark ``widget`` as a heading, an error, a hint ... (see :data:`STYLESHEET`)."""
    widget.setProperty("role", role)
    _repolish(widget)
    return widget


def set_invalid(widget: QWidget, invalid: bool) -> None:
    """Mark an editor whose value was refused (red border) or clear the mark."""
    if bool(widget.property("invalid")) == invalid:
        return
    widget.setProperty("invalid", invalid)
    _repolish(widget)


def _repolish(widget: QWidget) -> None:
    # A property selector is only re-evaluated when the widget is polished again.
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
