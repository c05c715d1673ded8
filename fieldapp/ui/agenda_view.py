"""The agenda's calendar: days side by side, a time grid, and an all-day strip.

Drawn by hand on a QAbstractScrollArea, as an item view is: the day names and the
all-day strip live in the viewport's top margin, so they stay put while the hours
scroll. It shows plain values (the frozen dataclasses of :mod:`fieldapp.store.agenda`)
and never writes: a drop, a resize or a keyboard move emits ``visit_moved`` and the
panel writes it. Placement is :mod:`fieldapp.ui.agenda_layout`.

Signals:
    visit_moved(str, object, object): a planned visit was dragged, resized or moved
        with Shift+arrows to (start, end), aware UTC datetimes on the 15-minute grid.
    slot_activated(object): double click on free time: the slot's start (UTC).
    visit_activated(str): double click or Enter on a visit.
    task_activated(str): double click or Enter on a task.
    day_requested(object): a click on a day's name or on "+N": show that date.
    selection_changed(): the selected visit or task changed.
    context_menu(str, QPoint): right click on a visit, at this global position.
    navigate(int): Left/Right or Page Up/Down: one period back (-1) or on (+1).
    today_requested(): T.
    mode_requested(bool): D (False: a day) or W (True: a week).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from PySide6.QtCore import QEvent, QPoint, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QToolTip, QWidget

from fieldapp.store import scheduling
from fieldapp.store.agenda import AgendaTask, AgendaVisit
from fieldapp.ui import agenda_layout as lay
from fieldapp.ui import agenda_paint
from fieldapp.ui.agenda_header import DayHeader, Look
from fieldapp.ui.agenda_layout import DAY_MINUTES, SNAP_MINUTES, Layout, Placed


@dataclass
class Drag:
    visit: AgendaVisit
    placed: Placed
    press: QPoint
    resize: bool
    active: bool = False
    day: int = 0
    start: int = 0
    end: int = 0


class AgendaView(QAbstractScrollArea):
    """See the module doc."""

    visit_moved = Signal(str, object, object)
    slot_activated = Signal(object)
    visit_activated = Signal(str)
    task_activated = Signal(str)
    day_requested = Signal(object)
    selection_changed = Signal()
    context_menu = Signal(str, QPoint)
    navigate = Signal(int)
    today_requested = Signal()
    mode_requested = Signal(bool)

    def __init__(self, parent: QWidget | None = None, look: Look | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("agenda_view")
        self.look = look or Look()
        self.days: list[date] = []
        self.visits: dict[str, AgendaVisit] = {}
        self.tasks: dict[str, AgendaTask] = {}
        self.layout_: Layout = Layout()
        self.selected: tuple[str, str] | None = None  # (kind, id)
        self.text_cache: dict[str, list[str]] = {}  # a visit's lines, by id
        self.drag: Drag | None = None
        self._scrolled = False
        self.all_day_rows = 1
        self.header = DayHeader(self)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setMouseTracking(True)
        self.verticalScrollBar().valueChanged.connect(lambda _v: self.viewport().update())
        # The "now" line moves on.
        self._clock = QTimer(self)
        self._clock.timeout.connect(self.viewport().update)
        self._clock.start(60_000)

    # -- content ------------------------------------------------------------------------

    def set_content(
        self, days: list[date], visits: list[AgendaVisit], tasks: list[AgendaTask]
    ) -> None:
        self.days = list(days)
        self.visits = {v.id: v for v in visits}
        self.text_cache.clear()
        self.tasks = {t.id: t for t in tasks}
        if self.selected and self.selected[1] not in (self.visits | self.tasks):
            self.selected = None
            self.selection_changed.emit()
        self.drag = None
        self._relayout()
        if not self._scrolled:
            self._scrolled = True
            self.scroll_to_minutes(7 * 60 - 10)  # the 07:00 label whole

    def apply_move(self, visit_id: str, start: datetime, end: datetime) -> None:
        """Show a move at once, before the store has written it."""
        visit = self.visits.get(visit_id)
        if visit is not None:
            self.visits[visit_id] = dataclasses.replace(visit, start=start, end=end)
            self.text_cache.pop(visit_id, None)
            self._relayout()

    def _relayout(self) -> None:
        self.layout_ = lay.lay_out(self.days, list(self.visits.values()), list(self.tasks.values()))
        rows = max((len(t) for t in self.layout_.all_day), default=0)
        self.all_day_rows = max(1, min(rows, self.look.max_all_day_rows))
        self._update_geometry()
        self.header.update()
        self.viewport().update()

    def selected_visit(self) -> AgendaVisit | None:
        if self.selected and self.selected[0] == "visit":
            return self.visits.get(self.selected[1])
        return None

    def selected_task(self) -> AgendaTask | None:
        if self.selected and self.selected[0] == "task":
            return self.tasks.get(self.selected[1])
        return None

    def select(self, kind: str, item_id: str | None) -> None:
        new = (kind, item_id) if item_id else None
        if new != self.selected:
            self.selected = new
            self.viewport().update()
            self.header.update()
            self.selection_changed.emit()

    # -- geometry ---------------------------------------------------------------------

    def header_height(self) -> int:
        return self.look.day_name_px + self.all_day_rows * self.look.all_day_row_px + 4

    def px_per_minute(self) -> float:
        return self.look.hour_px / 60.0

    def day_width(self) -> float:
        width = self.viewport().width() - self.look.gutter_px
        return width / max(1, len(self.days))

    def _update_geometry(self) -> None:
        header = self.header_height()
        self.setViewportMargins(0, header, 0, 0)
        rect = self.viewport().geometry()
        self.header.setGeometry(rect.left(), rect.top() - header, rect.width(), header)
        bar = self.verticalScrollBar()
        bar.setRange(0, max(0, 24 * self.look.hour_px - self.viewport().height()))
        bar.setPageStep(self.viewport().height())
        bar.setSingleStep(self.look.hour_px // 4)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_geometry()

    def scroll_to_minutes(self, minutes: int) -> None:
        self.verticalScrollBar().setValue(int(minutes * self.px_per_minute()))

    def item_rect(self, placed: Placed) -> QRectF:
        """Where an item is drawn, in viewport coordinates."""
        day_w = self.day_width()
        col_w = day_w / placed.columns
        ppm = self.px_per_minute()
        x = self.look.gutter_px + placed.day * day_w + placed.column * col_w
        y = placed.start * ppm - self.verticalScrollBar().value()
        height = max(14.0, (placed.end - placed.start) * ppm)
        return QRectF(x + 1, y + 1, col_w - 3, height - 2)

    def overflow_rect(self, over: lay.Overflow) -> QRectF:
        """The "+N" badge of a cluster with more items than columns."""
        day_w, ppm = self.day_width(), self.px_per_minute()
        x = self.look.gutter_px + (over.day + 1) * day_w - 34
        y = over.start * ppm - self.verticalScrollBar().value()
        return QRectF(x, y + 1, 32, 16)

    def slot_at(self, pos: QPoint) -> tuple[int, int] | None:
        """(day index, minutes) of a viewport point, the minutes on the 15-minute grid."""
        if not self.days or pos.x() < self.look.gutter_px:
            return None
        day = min(len(self.days) - 1, int((pos.x() - self.look.gutter_px) / self.day_width()))
        y = pos.y() + self.verticalScrollBar().value()
        minutes = int(y / self.px_per_minute()) // SNAP_MINUTES * SNAP_MINUTES
        return day, max(0, min(DAY_MINUTES - SNAP_MINUTES, minutes))

    def item_at(self, pos: QPoint) -> Placed | None:
        for placed in reversed(self.layout_.items):
            if self.item_rect(placed).contains(pos.toPointF()):
                return placed
        return None

    def point_of(self, kind: str, item_id: str) -> QPoint | None:
        """The centre of an item in viewport coordinates (for tests and tooltips)."""
        placed = self.layout_.item(kind, item_id)
        return None if placed is None else self.item_rect(placed).center().toPoint()

    # -- mouse --------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus()
        placed = self.item_at(event.position().toPoint())
        if placed is None:
            self.select("visit", None)
            return
        self.select(placed.kind, placed.id)
        if event.button() != Qt.MouseButton.LeftButton or placed.kind != "visit":
            return
        visit = self.visits[placed.id]
        if visit.movable:
            rect = self.item_rect(placed)
            resize = event.position().y() > rect.bottom() - 6
            self.drag = Drag(visit, placed, event.position().toPoint(), resize)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        drag = self.drag
        if drag is None:
            self._set_cursor(pos)
            return
        if not drag.active:
            distance = (pos - drag.press).manhattanLength()
            if distance < QApplication.startDragDistance():
                return
            drag.active = True
        self._track(drag, pos)
        self.viewport().update()

    def _set_cursor(self, pos: QPoint) -> None:
        placed = self.item_at(pos)
        shape = Qt.CursorShape.ArrowCursor
        if placed is not None and placed.kind == "visit" and self.visits[placed.id].movable:
            near_edge = pos.y() > self.item_rect(placed).bottom() - 6
            shape = Qt.CursorShape.SizeVerCursor if near_edge else Qt.CursorShape.OpenHandCursor
        self.viewport().setCursor(shape)

    def _track(self, drag: Drag, pos: QPoint) -> None:
        """Where the dragged visit would go, on the 15-minute grid."""
        delta = lay.snap((pos.y() - drag.press.y()) / self.px_per_minute())
        length = drag.placed.end - drag.placed.start
        if drag.resize:
            drag.day = drag.placed.day
            drag.start = drag.placed.start
            drag.end = max(drag.start + SNAP_MINUTES, min(DAY_MINUTES, drag.placed.end + delta))
            drag.end = lay.snap(drag.end) if drag.end < DAY_MINUTES else drag.end
            return
        slot = self.slot_at(QPoint(pos.x(), max(0, pos.y())))
        drag.day = slot[0] if slot else drag.placed.day
        drag.start = max(0, min(DAY_MINUTES - length, lay.snap(drag.placed.start + delta)))
        drag.end = drag.start + length

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        drag, self.drag = self.drag, None
        if drag is None or not drag.active:
            return
        self._track(drag, event.position().toPoint())
        self.viewport().update()
        self.drop(drag.visit.id, drag.day, drag.start, drag.end)

    def drop(self, visit_id: str, day: int, start: int, end: int) -> None:
        """Move a visit to ``day`` (index) from ``start`` to ``end`` minutes, as a drop does."""
        visit = self.visits.get(visit_id)
        if visit is None or not visit.movable or not 0 <= day < len(self.days):
            return
        begin = lay.moment_at(self.days[day], start)
        finish = lay.moment_at(self.days[day], end)
        if (begin, finish) != (visit.start, visit.end):
            self.visit_moved.emit(visit_id, begin, finish)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.drag = None
        placed = self.item_at(event.position().toPoint())
        if placed is not None:
            signal = self.visit_activated if placed.kind == "visit" else self.task_activated
            signal.emit(placed.id)
            return
        for over in self.layout_.overflow:
            if self.overflow_rect(over).contains(event.position()):
                self.day_requested.emit(self.days[over.day])
                return
        slot = self.slot_at(event.position().toPoint())
        if slot is not None:
            self.slot_activated.emit(lay.moment_at(self.days[slot[0]], slot[1]))

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        placed = self.item_at(event.pos())
        if placed is not None and placed.kind == "visit":
            self.select("visit", placed.id)
            self.context_menu.emit(placed.id, event.globalPos())

    def viewportEvent(self, event: QEvent) -> bool:
        if isinstance(event, QHelpEvent) and event.type() == QEvent.Type.ToolTip:
            placed = self.item_at(event.pos())
            if placed is not None:
                QToolTip.showText(event.globalPos(), self._tooltip(placed), self.viewport())
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)

    def _tooltip(self, placed: Placed) -> str:
        if placed.kind == "task":
            task = self.tasks[placed.id]
            return f"{task.title}" + (f" — {task.account}" if task.account else "")
        v = self.visits[placed.id]
        lines = [v.account, f"{v.start.astimezone():%H:%M}–{v.end.astimezone():%H:%M}"]
        if v.city:
            lines.append(v.city)
        lines.append(self.state_text(v))
        check = scheduling.describe_check(v.checkin_flag, v.checkin_distance_m, None)
        if check:
            lines.append(check)
        return "\n".join(lines)

    # -- keyboard -----------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        visit = self.selected_visit()
        if key == Qt.Key.Key_Escape and self.drag is not None:
            self.drag = None
            self.viewport().update()
        elif shift and visit is not None and int(key) in _NUDGES:
            self._nudge(visit, *_NUDGES[int(key)])
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_PageUp) and not shift:
            self.navigate.emit(-1)
        elif key in (Qt.Key.Key_Right, Qt.Key.Key_PageDown) and not shift:
            self.navigate.emit(1)
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and not shift:
            step = self.look.hour_px * (-1 if key == Qt.Key.Key_Up else 1)
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() + step)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.selected:
            kind, item_id = self.selected
            (self.visit_activated if kind == "visit" else self.task_activated).emit(item_id)
        elif key == Qt.Key.Key_T and not mods:
            self.today_requested.emit()
        elif key in (Qt.Key.Key_D, Qt.Key.Key_W) and not mods:
            self.mode_requested.emit(key == Qt.Key.Key_W)
        else:
            super().keyPressEvent(event)

    def _nudge(self, visit: AgendaVisit, minutes: int, days: int) -> None:
        if visit.movable:
            delta = timedelta(minutes=minutes, days=days)
            self.visit_moved.emit(visit.id, visit.start + delta, visit.end + delta)

    def focusNextPrevChild(self, forward: bool) -> bool:
        """Tab walks through the items in time order, then leaves the calendar."""
        order = sorted(self.layout_.items, key=lambda p: (p.day, p.start, p.column))
        keys = [(p.kind, p.id) for p in order]
        if keys and self.hasFocus():
            here = keys.index(self.selected) if self.selected in keys else -1
            nxt = here + (1 if forward else -1)
            if here == -1 and not forward:
                nxt = len(keys) - 1
            if 0 <= nxt < len(keys):
                self.select(*keys[nxt])
                placed = order[nxt]
                self._ensure_visible(placed)
                return True
        return super().focusNextPrevChild(forward)

    def _ensure_visible(self, placed: Placed) -> None:
        rect = self.item_rect(placed)
        if rect.top() < 0 or rect.bottom() > self.viewport().height():
            self.scroll_to_minutes(max(0, placed.start - 60))

    # -- painting -------------------------------------------------------------------------

    def state_text(self, visit: AgendaVisit) -> str:
        return {
            "planned": self.tr("planned"),
            "checked_in": self.tr("checked in"),
            "done": self.tr("done") if visit.planned else self.tr("visited"),
        }[visit.state]

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self.viewport())
        try:
            agenda_paint.paint(self, painter)
        finally:
            painter.end()


_NUDGES: dict[int, tuple[int, int]] = {
    Qt.Key.Key_Up: (-SNAP_MINUTES, 0),
    Qt.Key.Key_Down: (SNAP_MINUTES, 0),
    Qt.Key.Key_Left: (0, -1),
    Qt.Key.Key_Right: (0, 1),
}
