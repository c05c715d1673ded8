"""The agenda's day names and all-day strip, and the calendar's colours and sizes.

:class:`DayHeader` sits in the :class:`~fieldapp.ui.agenda_view.AgendaView`'s top
margin, so it stays put while the hours scroll. :class:`Look` holds every colour and
size the calendar draws with, in one place.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from fieldapp.store.agenda import AgendaTask

if TYPE_CHECKING:
    from fieldapp.ui.agenda_view import AgendaView


@dataclass(frozen=True)
class Look:
    """Every colour and size of the calendar, in one place."""

    hour_px: int = 44
    gutter_px: int = 52
    day_name_px: int = 24
    all_day_row_px: int = 20
    max_all_day_rows: int = 3
    grid: QColor = dataclasses.field(default_factory=lambda: QColor("#d5dbe1"))
    half_hour: QColor = dataclasses.field(default_factory=lambda: QColor("#eef1f4"))
    today: QColor = dataclasses.field(default_factory=lambda: QColor("#fff8e1"))
    weekend: QColor = dataclasses.field(default_factory=lambda: QColor("#f6f7f9"))
    now_line: QColor = dataclasses.field(default_factory=lambda: QColor("#e74c3c"))
    text: QColor = dataclasses.field(default_factory=lambda: QColor("#1b2631"))
    muted: QColor = dataclasses.field(default_factory=lambda: QColor("#5d6d7e"))
    selected: QColor = dataclasses.field(default_factory=lambda: QColor("#1f3a5f"))
    task: QColor = dataclasses.field(default_factory=lambda: QColor("#f2e6ff"))
    task_edge: QColor = dataclasses.field(default_factory=lambda: QColor("#8e44ad"))
    # Visits by state (planned, checked in, done) and the far-from-the-account mark.
    states: dict[str, tuple[QColor, QColor]] = dataclasses.field(
        default_factory=lambda: {
            "planned": (QColor("#d6eaf8"), QColor("#2e86c1")),
            "checked_in": (QColor("#fdebd0"), QColor("#d68910")),
            "done": (QColor("#d5f5e3"), QColor("#239b56")),
        }
    )
    far: QColor = dataclasses.field(default_factory=lambda: QColor("#c0392b"))


class DayHeader(QWidget):
    """Day names and the all-day strip, above the hours (in the view's top margin)."""

    def __init__(self, view: AgendaView) -> None:
        super().__init__(view)
        self.view = view

    def paintEvent(self, event: QPaintEvent) -> None:
        view, look = self.view, self.view.look
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window())
        day_w = view.day_width()
        today = date.today()
        bold = QFont(self.font())
        bold.setBold(True)
        for i, day in enumerate(view.days):
            x = look.gutter_px + i * day_w
            name = QRectF(x, 0, day_w, look.day_name_px)
            if day == today:
                painter.setBrush(look.selected)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.drawRoundedRect(name.adjusted(4, 3, -4, -3), 9, 9)
                painter.setPen(QColor("white"))
                painter.setFont(bold)
            else:
                painter.setPen(look.text)
                painter.setFont(self.font())
            painter.drawText(name, Qt.AlignmentFlag.AlignCenter, self._day_name(day))
            self._paint_all_day(painter, i, x, day_w)
        painter.setFont(self.font())
        painter.setPen(look.muted)
        strip = QRectF(0, look.day_name_px, look.gutter_px - 4, look.all_day_row_px)
        painter.drawText(strip, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         self.tr("all day"))  # fmt: skip
        painter.setPen(QPen(look.grid, 1))
        painter.drawLine(0, self.height() - 1, self.width(), self.height() - 1)
        painter.end()

    def _day_name(self, day: date) -> str:
        if len(self.view.days) == 1:
            return day.strftime("%A %d %B %Y")
        return day.strftime("%a %d %b")

    def _paint_all_day(self, painter: QPainter, i: int, x: float, day_w: float) -> None:
        look = self.view.look
        tasks = self.view.layout_.all_day[i] if i < len(self.view.layout_.all_day) else []
        rows = self.view.all_day_rows
        for n, task in enumerate(tasks[:rows]):
            rect = QRectF(x + 2, look.day_name_px + n * look.all_day_row_px + 1, day_w - 4,
                          look.all_day_row_px - 2)  # fmt: skip
            last_row = n == rows - 1 and len(tasks) > rows
            chosen = self.view.selected == ("task", task.id)
            painter.setPen(QPen(look.selected if chosen else look.task_edge, 1))
            painter.setBrush(look.task)
            painter.drawRoundedRect(rect, 3, 3)
            painter.setPen(look.text)
            text = (
                self.tr("+%1 more").replace("%1", str(len(tasks) - rows + 1))
                if last_row
                else f"{'☑' if task.done else '☐'} {task.title}"
            )
            elided = painter.fontMetrics().elidedText(
                text, Qt.TextElideMode.ElideRight, int(rect.width() - 6)
            )
            painter.drawText(rect.adjusted(4, 0, -2, 0), Qt.AlignmentFlag.AlignVCenter, elided)

    def task_at(self, pos: QPoint) -> tuple[int, AgendaTask | None] | None:
        """(day index, task or None) under a point of the header; None outside days."""
        view, look = self.view, self.view.look
        if pos.x() < look.gutter_px or not view.days:
            return None
        i = min(len(view.days) - 1, int((pos.x() - look.gutter_px) / view.day_width()))
        row = (pos.y() - look.day_name_px) // look.all_day_row_px
        tasks = view.layout_.all_day[i]
        if pos.y() < look.day_name_px or row >= min(len(tasks), view.all_day_rows):
            return i, None
        if row == view.all_day_rows - 1 and len(tasks) > view.all_day_rows:
            return i, None  # the "+N more" row
        return i, tasks[row]

    def mousePressEvent(self, event: QMouseEvent) -> None:
        hit = self.task_at(event.position().toPoint())
        if hit is None:
            return
        day, task = hit
        if task is not None:
            self.view.select("task", task.id)
        elif event.position().y() < self.view.look.day_name_px:
            self.view.day_requested.emit(self.view.days[day])

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        hit = self.task_at(event.position().toPoint())
        if hit is not None and hit[1] is not None:
            self.view.task_activated.emit(hit[1].id)
