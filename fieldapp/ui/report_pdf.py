"""A report as a PDF: title, the chart(s) as vector drawings, then the table, paginated.

Two steps, for the app's sake. :func:`chart_pictures` draws each chart into a
QPicture: Qt Charts are graphics widgets, so this runs on the GUI thread (a few
milliseconds a chart). :func:`write_pdf` lays out pages and writes the file with
QPdfWriter; QPainter may paint onto a PDF writer and replay pictures in any thread,
so the app runs it in the background. :func:`export` does both, for the command
line, which needs no display: :func:`application` starts Qt offscreen.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPicture,
)
from PySide6.QtWidgets import QApplication, QGraphicsScene

from fieldapp.errors import FieldappError
from fieldapp.reports import tables
from fieldapp.reports.charts import Chart
from fieldapp.reports.tables import Table
from fieldapp.ui.report_charts import build_chart

# Pages are laid out in the pictures' pixels (their logical DPI, 96 on most systems):
# a landscape A4 page is ~1123 of them wide. The writer itself works at RESOLUTION
# DPI and the painter scales, so glyph positions are not rounded to whole pixels.
CHART_WIDTH, CHART_HEIGHT = 1000, 380
MARGIN = 40
RESOLUTION = 1200
GREY = QColor("#666666")
RULE = QColor("#bbbbbb")
HEADER_FILL = QColor("#eef1f5")


def application() -> QCoreApplication:
    """The running Qt application, or a new offscreen one (a CLI export has no display)."""
    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "fieldapp", "-platform", "offscreen"])
    return app


def chart_pictures(charts: list[Chart]) -> list[QPicture]:
    """Each chart drawn as a vector picture (GUI thread: Qt Charts are widgets)."""
    pictures = []
    for spec in charts:
        scene = QGraphicsScene()
        chart = build_chart(spec)
        chart.setGeometry(QRectF(0, 0, CHART_WIDTH, CHART_HEIGHT))
        scene.addItem(chart)
        scene.setSceneRect(chart.geometry())
        picture = QPicture()
        painter = QPainter(picture)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        scene.render(painter, QRectF(0, 0, CHART_WIDTH, CHART_HEIGHT), scene.sceneRect())
        painter.end()
        scene.clear()  # deletes the chart
        pictures.append(picture)
    return pictures


def export(table: Table, charts: list[Chart], path: Path) -> int:
    """Write ``table`` with ``charts`` to ``path``; the number of pages."""
    application()
    return write_pdf(table, chart_pictures(charts), path)


def write_pdf(table: Table, pictures: list[QPicture], path: Path) -> int:
    """Lay out and write the PDF (any thread); the number of pages.

    The file appears complete or not at all: pages go to a temporary file that
    replaces ``path`` at the end.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".pdf", dir=folder)
    except OSError as exc:
        raise FieldappError(f"cannot write {path}: {exc.strerror}") from exc
    os.close(fd)
    try:
        pages = _Pages(tmp, table.title, pictures[0].logicalDpiX() if pictures else 96)
        pages.heading(table)
        for picture in pictures:
            pages.picture(picture)
        pages.table(table)
        count = pages.finish()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


@dataclass
class _Grid:
    widths: list[float]
    font: QFont
    row_height: float


class _Pages:
    """A pen moving down landscape A4 pages; a new page when the next thing does not fit."""

    def __init__(self, file: str, title: str, dpi: int) -> None:
        self.writer = QPdfWriter(file)
        self.writer.setTitle(title)
        self.writer.setCreator("fieldapp")
        self.writer.setResolution(RESOLUTION)
        self.unit = dpi
        self.writer.setPageLayout(
            QPageLayout(
                QPageSize(QPageSize.PageSizeId.A4),
                QPageLayout.Orientation.Landscape,
                QMarginsF(0, 0, 0, 0),
            )
        )
        self.painter = QPainter()
        if not self.painter.begin(self.writer):
            raise FieldappError(f"cannot write a PDF to {file}")
        self.painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.painter.scale(RESOLUTION / dpi, RESOLUTION / dpi)
        area = self.writer.pageLayout().fullRectPixels(dpi)
        self.width = area.width() - 2 * MARGIN
        self.bottom = area.height() - MARGIN - 20  # room for the footer
        self.page = 1
        self.y = float(MARGIN)
        self.stamp = datetime.now().strftime("%Y-%m-%d %H:%M")

    def _font(self, points: float, bold: bool = False) -> QFont:
        """A font of ``points`` on paper: sized in layout pixels, which the painter scales."""
        font = QFont()
        font.setPixelSize(max(1, round(points * self.unit / 72)))
        font.setBold(bold)
        return font

    def _text(self, text: str, font: QFont, colour: QColor | None = None) -> None:
        metrics = QFontMetricsF(font, self.writer)
        self.painter.setFont(font)
        self.painter.setPen(colour or QColor(Qt.GlobalColor.black))
        rect = QRectF(MARGIN, self.y, self.width, metrics.height() * 3)
        bounds = self.painter.boundingRect(rect, Qt.TextFlag.TextWordWrap, text)
        self.room(bounds.height())
        rect.moveTop(self.y)
        self.painter.drawText(rect, Qt.TextFlag.TextWordWrap, text)
        self.y += bounds.height() + 4

    def room(self, height: float) -> None:
        if self.y + height > self.bottom and self.y > MARGIN:
            self._footer()
            self.writer.newPage()
            self.page += 1
            self.y = float(MARGIN)

    def _footer(self) -> None:
        font = self._font(7)
        self.painter.setFont(font)
        self.painter.setPen(GREY)
        rect = QRectF(MARGIN, self.bottom + 6, self.width, 16)
        self.painter.drawText(rect, Qt.AlignmentFlag.AlignLeft, f"fieldapp · {self.stamp}")
        self.painter.drawText(rect, Qt.AlignmentFlag.AlignRight, f"page {self.page}")

    def heading(self, table: Table) -> None:
        self._text(table.title, self._font(16, bold=True))
        self._text(table.subtitle, self._font(9), GREY)
        self.y += 6

    def picture(self, picture: QPicture) -> None:
        size = QSizeF(picture.boundingRect().size())
        scale = min(1.0, self.width / max(size.width(), 1.0))
        height = size.height() * scale
        self.room(height)
        self.painter.save()
        self.painter.translate(MARGIN, self.y)
        self.painter.scale(scale, scale)
        self.painter.drawPicture(0, 0, picture)
        self.painter.restore()
        self.y += height + 10

    def _grid(self, table: Table, cells: list[list[str]]) -> _Grid:
        """Column widths that fit the page: the font shrinks (to 6 pt), then cells are cut."""
        headers = tables.header_cells(table)
        points = 8.5
        while True:
            font = self._font(points)
            metrics = QFontMetricsF(font, self.writer)
            # Headers and totals are bold: measured in bold.
            bold = QFontMetricsF(self._font(points, bold=True), self.writer)
            widths = [
                max(
                    bold.horizontalAdvance(h),
                    *(bold.horizontalAdvance(row[i]) for row in cells),
                )
                + 12
                for i, h in enumerate(headers)
            ]
            if sum(widths) <= self.width or points <= 6:
                break
            points -= 0.5
        total = sum(widths)
        if total > self.width:
            widths = [w * self.width / total for w in widths]
        return _Grid(widths, font, metrics.height() + 4)

    def table(self, table: Table) -> None:
        body = tables.display_rows(table, table.rows)
        foot = tables.display_rows(table, table.totals)
        if not body:
            self._text(
                QCoreApplication.translate("ReportPdf", "Nothing in this period."), self._font(9)
            )
            return
        grid = self._grid(table, [*body, *foot])
        self._row(table, tables.header_cells(table), grid, header=True)
        for cells in body:
            if self.y + grid.row_height > self.bottom:
                self.room(grid.row_height)
                self._row(table, tables.header_cells(table), grid, header=True)
            self._row(table, cells, grid)
        for cells in foot:
            self.room(grid.row_height)
            self._row(table, cells, grid, bold=True)
        if table.note:
            self.y += 6
            self._text(table.note, self._font(8), GREY)

    def _row(
        self,
        table: Table,
        cells: list[str],
        grid: _Grid,
        *,
        header: bool = False,
        bold: bool = False,
    ) -> None:
        painter = self.painter
        font = QFont(grid.font)
        font.setBold(header or bold)
        painter.setFont(font)
        metrics = QFontMetricsF(font, self.writer)
        if header:
            painter.fillRect(QRectF(MARGIN, self.y, self.width, grid.row_height), HEADER_FILL)
        painter.setPen(QColor(Qt.GlobalColor.black))
        x = float(MARGIN)
        for text, width, column in zip(cells, grid.widths, table.columns, strict=True):
            align = Qt.AlignmentFlag.AlignRight if column.numeric else Qt.AlignmentFlag.AlignLeft
            shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, width - 8)
            painter.drawText(
                QRectF(x + 4, self.y, width - 8, grid.row_height),
                align | Qt.AlignmentFlag.AlignVCenter,
                shown,
            )
            x += width
        self.y += grid.row_height
        painter.setPen(RULE)
        painter.drawLine(int(MARGIN), int(self.y), int(MARGIN + self.width), int(self.y))

    def finish(self) -> int:
        self._footer()
        self.painter.end()
        return self.page
