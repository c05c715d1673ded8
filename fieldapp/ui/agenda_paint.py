"""Drawing the agenda's time grid: hours, days, visits, tasks and a drag in progress.

Functions of :class:`~fieldapp.ui.agenda_view.AgendaView`'s paint event, apart from
its interaction code. Colours and sizes come from the view's :class:`Look`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen

from fieldapp.store.agenda import AgendaVisit
from fieldapp.ui import agenda_layout as lay
from fieldapp.ui.agenda_layout import Placed

if TYPE_CHECKING:
    from fieldapp.ui.agenda_view import AgendaView


def paint(view: AgendaView, painter: QPainter) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    _grid(view, painter)
    height = view.viewport().height()
    ppm = view.px_per_minute()
    top = view.verticalScrollBar().value() / ppm  # minutes shown, before any rectangle
    bottom = top + height / ppm
    for placed in view.layout_.items:
        if placed.end < top or placed.start > bottom:
            continue
        rect = view.item_rect(placed)
        if rect.bottom() < 0 or rect.top() > height:
            continue
        if placed.kind == "visit":
            _visit(view, painter, placed, rect)
        else:
            _task(view, painter, placed, rect)
    for over in view.layout_.overflow:
        _overflow(view, painter, over)
    _now_line(view, painter)
    _drag(view, painter)


def _grid(view: AgendaView, painter: QPainter) -> None:
    look, vp = view.look, view.viewport().rect()
    painter.fillRect(vp, view.palette().base())
    day_w = view.day_width()
    top = view.verticalScrollBar().value()
    today = date.today()
    for i, day in enumerate(view.days):
        x = look.gutter_px + i * day_w
        column = QRectF(x, 0, day_w, vp.height())
        if day == today:
            painter.fillRect(column, look.today)
        elif day.weekday() >= 5:
            painter.fillRect(column, look.weekend)
    small = QFont(view.font())
    small.setPointSizeF(max(7.0, small.pointSizeF() - 1))
    painter.setFont(small)
    for hour in range(25):
        line = hour * look.hour_px - top
        if -look.hour_px <= line <= vp.height() + look.hour_px:
            painter.setPen(QPen(look.grid, 1))
            painter.drawLine(look.gutter_px, line, vp.width(), line)
            painter.setPen(QPen(look.half_hour, 1))
            half = line + look.hour_px // 2
            painter.drawLine(look.gutter_px, half, vp.width(), half)
            if 0 < hour < 24:
                painter.setPen(look.muted)
                painter.drawText(
                    QRect(0, line - 8, look.gutter_px - 6, 16),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    f"{hour:02d}:00",
                )
    painter.setPen(QPen(look.grid, 1))
    for i in range(len(view.days) + 1):
        edge = int(look.gutter_px + i * day_w)
        painter.drawLine(edge, 0, edge, vp.height())


def _now_line(view: AgendaView, painter: QPainter) -> None:
    """Where today's column is at this minute, over the visits."""
    today = date.today()
    if today not in view.days:
        return
    look, day_w, ppm = view.look, view.day_width(), view.px_per_minute()
    now = datetime.now().astimezone()
    i = view.days.index(today)
    y = (now.hour * 60 + now.minute) * ppm - view.verticalScrollBar().value()
    x = look.gutter_px + i * day_w
    painter.setPen(QPen(look.now_line, 2))
    painter.drawLine(int(x), int(y), int(x + day_w), int(y))
    painter.setBrush(look.now_line)
    painter.drawEllipse(QRectF(x - 4, y - 4, 8, 8))


# Narrower than this, an item is a coloured bar: no text would fit, and a manager's
# week of thousands of visits paints in a fraction of the time.
TEXT_MIN_WIDTH = 36


def _visit(view: AgendaView, painter: QPainter, placed: Placed, rect: QRectF) -> None:
    visit = view.visits[placed.id]
    fill, edge = view.look.states[visit.state]
    dragging = view.drag is not None and view.drag.active and view.drag.visit.id == visit.id
    if dragging:
        fill = QColor(fill)
        fill.setAlpha(110)
    chosen = view.selected == ("visit", visit.id)
    if rect.width() < TEXT_MIN_WIDTH and not chosen:
        painter.fillRect(rect, fill)
        painter.fillRect(QRectF(rect.left(), rect.top(), 2, rect.height()), edge)
        return
    painter.setPen(QPen(view.look.selected if chosen else edge, 2 if chosen else 1))
    painter.setBrush(fill)
    painter.drawRoundedRect(rect, 3, 3)
    painter.fillRect(QRectF(rect.left(), rect.top(), 3, rect.height()), edge)
    if visit.checkin_flag == "far":
        painter.setPen(QPen(view.look.far, 2))
        painter.drawLine(rect.topRight().toPoint(), rect.bottomRight().toPoint())
    lines = view.text_cache.get(visit.id)
    if lines is None:  # made once per content, not at every paint
        lines = view.text_cache[visit.id] = _visit_text(view, visit)
    _lines(view, painter, rect.adjusted(6, 1, -3, -1), lines)


def _visit_text(view: AgendaView, visit: AgendaVisit) -> list[str]:
    start = visit.start.astimezone()
    lines = [f"{start:%H:%M} {visit.account}"]
    details = [p for p in (visit.city, view.state_text(visit)) if p]
    if visit.checkin_flag in ("far", "no_fix"):
        details.append(
            view.tr("far from the account") if visit.checkin_flag == "far" else view.tr("no fix")
        )
    lines.append(" · ".join(details))
    if len(view.days) == 1:
        lines.append(view.tr("%1 min").replace("%1", str(visit.minutes)))
    return lines


def _task(view: AgendaView, painter: QPainter, placed: Placed, rect: QRectF) -> None:
    task = view.tasks[placed.id]
    chosen = view.selected == ("task", task.id)
    painter.setPen(QPen(view.look.selected if chosen else view.look.task_edge, 1))
    painter.setBrush(view.look.task)
    painter.drawRoundedRect(rect, 3, 3)
    mark = "☑" if task.done else "☐"
    due = task.due_at.astimezone()
    _lines(view, painter, rect.adjusted(4, 0, -2, 0), [f"{mark} {due:%H:%M} {task.title}"])


def _lines(view: AgendaView, painter: QPainter, rect: QRectF, lines: list[str]) -> None:
    metrics = painter.fontMetrics()
    painter.setPen(view.look.text)
    y = rect.top()
    for i, line in enumerate(lines):
        if y + metrics.height() > rect.bottom() + 2 and i > 0:
            break
        text = metrics.elidedText(line, Qt.TextElideMode.ElideRight, int(rect.width()))
        painter.drawText(QRectF(rect.left(), y, rect.width(), metrics.height()), text)
        y += metrics.height()
        painter.setPen(view.look.muted)


def _overflow(view: AgendaView, painter: QPainter, over: lay.Overflow) -> None:
    rect = view.overflow_rect(over)
    painter.setPen(QPen(view.look.selected, 1))
    painter.setBrush(view.palette().base())
    painter.drawRoundedRect(rect, 7, 7)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"+{over.count}")


def _drag(view: AgendaView, painter: QPainter) -> None:
    drag = view.drag
    if drag is None or not drag.active:
        return
    target = Placed("visit", drag.visit.id, drag.day, drag.start, drag.end, 0, 1)
    rect = view.item_rect(target)
    painter.setPen(QPen(view.look.selected, 2, Qt.PenStyle.DashLine))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRoundedRect(rect, 3, 3)
    label = f"{drag.start // 60:02d}:{drag.start % 60:02d}–{drag.end // 60:02d}:{drag.end % 60:02d}"
    _lines(view, painter, rect.adjusted(6, 1, -3, -1), [label, drag.visit.account])
