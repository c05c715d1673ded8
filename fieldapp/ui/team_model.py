"""The Team panel's table: one row per rep, from :func:`fieldapp.reports.team.team`.

Money is shown per currency ("12,000.00 EUR · 800.00 USD"): amounts in different
currencies are never added up. Numbers are right-aligned; ``REP_ROLE`` gives a row's
user id (None for accounts nobody owns).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

from fieldapp.domain.reports import RepSummary
from fieldapp.ui import fmt
from fieldapp.ui.headers import column_title

Index = QModelIndex | QPersistentModelIndex
REP_ROLE = Qt.ItemDataRole.UserRole + 1
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter

# The columns' full names (``cells`` order). The header shows HEADERS, short so that
# nine columns fit beside the map, with EXPLAINED as their tooltips.
COLUMNS = (
    "Rep",
    "Visits this week",
    "Last week",
    "30 days",
    "Accounts",
    "Overdue",
    "Open pipeline",
    "Weighted forecast",
    "Win rate",
)
HEADERS = ("Rep", "Week", "Last wk", "30 d", "Accts", "Overdue", "Pipeline", "Weighted", "Win %")
EXPLAINED = (
    "Rep",
    "Visits this week",
    "Visits last week",
    "Visits in the last 30 days",
    "Accounts: the active accounts the rep owns",
    "Overdue: active accounts not visited within their visit frequency (default 90 days)",
    "Open pipeline: the open deals' amounts, per currency",
    "Weighted forecast: the open deals' amounts times their probability, per currency",
    "Win rate: deals won of those closed in the last 90 days (won/closed)",
)
(
    COL_REP,
    COL_WEEK,
    COL_LAST_WEEK,
    COL_MONTH,
    COL_ACCOUNTS,
    COL_OVERDUE,
    COL_PIPELINE,
    COL_WEIGHTED,
    COL_WIN_RATE,
) = range(9)
# Long texts: elided when the table is narrow, in full in the cell's tooltip.
ELIDED = (COL_REP, COL_PIPELINE, COL_WEIGHTED)


def per_currency(amounts: dict[str, Decimal], *, short: bool = False) -> str:
    """Each currency's amount on its own, largest first; "–" for none.

    ``short``: rounded to its magnitude ("€28.8M"), for the table's narrow columns;
    the cell's tooltip has the exact amounts.
    """
    if not amounts:
        return "–"
    money = fmt.fmt_money_short if short else fmt.fmt_money
    ordered = sorted(amounts.items(), key=lambda kv: (-kv[1], kv[0]))
    return " · ".join(money(amount, currency) for currency, amount in ordered)


def cells(row: RepSummary) -> tuple[str, ...]:
    """A row as people read it, in :data:`COLUMNS` order."""
    rate = (
        "–"
        if row.win_rate is None
        else f"{row.win_rate * 100:.0f} % ({row.won}/{row.won + row.lost})"
    )
    return (
        row.label,
        f"{row.visits_this_week:,}",
        f"{row.visits_last_week:,}",
        f"{row.visits_30_days:,}",
        f"{row.accounts:,}",
        f"{row.overdue:,}",
        per_currency(row.pipeline, short=True),
        per_currency(row.weighted, short=True),
        rate,
    )


def tooltips(row: RepSummary) -> dict[int, str]:
    """The elided columns' texts in full: the rep's name, the exact amounts."""
    return {
        COL_REP: row.label,
        COL_PIPELINE: per_currency(row.pipeline),
        COL_WEIGHTED: per_currency(row.weighted),
    }


class TeamModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[RepSummary] = []
        self._cells: list[tuple[str, ...]] = []
        self._tips: list[dict[int, str]] = []

        def tr(text: str) -> str:
            return QCoreApplication.translate("team", text)

        self._headers = [tr(c) for c in HEADERS]
        self._explained = [tr(e) for e in EXPLAINED]

    def set_rows(self, rows: list[RepSummary]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self._cells = [cells(r) for r in self.rows]
        self._tips = [tooltips(r) for r in self.rows]
        self.endResetModel()

    def rep_at(self, row: int) -> RepSummary | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def row_of(self, rep_id: str) -> int | None:
        for i, r in enumerate(self.rows):
            if r.rep_id == rep_id:
                return i
        return None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._cells)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._cells):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells[index.row()][index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() != COL_REP:
            return RIGHT
        if role == REP_ROLE:
            return self.rows[index.row()].rep_id
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.column() in ELIDED:
                return self._tips[index.row()][index.column()]
            if index.column() == COL_OVERDUE:
                return self._explained[COL_OVERDUE]
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> str | None:
        if (
            role == Qt.ItemDataRole.ToolTipRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self._explained)
        ):
            return self._explained[section]
        return column_title(self._headers, section, orientation, role)
