"""The Proposals tab's tables: accounts changing hands, each rep's figures, the versions.

One small read-only model (:class:`RowsModel`) over plain rows (the server's JSON, or the
balance's numbers) and a column list saying what each column shows; the rows of the
diff go in as the server sent them, so the table and the server diff cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from fieldapp.sync.proposal_batch import describe
from fieldapp.ui import fmt

Index = QModelIndex | QPersistentModelIndex
Column = tuple[str, Callable[[Any], Any]]
ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the whole row, for the widget and tests


class RowsModel(QAbstractTableModel):
    def __init__(self, columns: Sequence[Column], parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[Any] = []

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            return str(self.columns[index.column()][1](row))
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            return self.columns[section][0]
        return None


def names(values: Sequence[str] | None) -> str:
    return ", ".join(values or []) or "–"


def money(value: dict[str, str]) -> str:
    parts = [fmt.fmt_money(Decimal(a), c) for c, a in sorted(value.items())]
    return ", ".join(parts) or "–"


def change(before: Any, after: Any) -> str:
    return str(before) if before == after else f"{before} → {after}"


def hours(value: float) -> str:
    return fmt.fmt_number(value, 1)


MOVING: list[Column] = [
    ("Account", lambda a: a["name"] or a["id"]),
    ("From", lambda a: a["from_territory"] or "–"),
    ("To", lambda a: a["to_territory"] or "–"),
    ("Reps before", lambda a: names(a["from_reps"])),
    ("Reps after", lambda a: names(a["to_reps"])),
]

# Per rep: the server's diff, plus the planned hours this replica adds ("hours").
PER_REP: list[Column] = [
    ("Rep", lambda r: r["rep"]),
    ("Gains", lambda r: r["gained"]),
    ("Loses", lambda r: r["lost"]),
    ("Accounts", lambda r: change(r["before"]["accounts"], r["after"]["accounts"])),
    (
        "Planned visit hours",
        lambda r: change(hours(r["hours"][0]), hours(r["hours"][1])) if "hours" in r else "–",
    ),
    (
        "Open pipeline",
        lambda r: change(money(r["before"]["open_pipeline"]), money(r["after"]["open_pipeline"])),
    ),
]


def balance_columns(measure: str) -> list[Column]:
    shown = hours if measure != "accounts" else (lambda v: fmt.fmt_number(v, 0))
    return [
        ("Rep", lambda r: r[0]),
        ("Before", lambda r: shown(r[1])),
        ("After", lambda r: shown(r[2])),
        ("Change", lambda r: ("+" if r[2] > r[1] else "") + shown(r[2] - r[1])),
    ]


VERSIONS: list[Column] = [
    ("Version", lambda p: p["version"]),
    ("State", lambda p: p["state"]),
    (
        "What",
        lambda p: "the assignment before the first proposal" if not p["version"] else describe(p),
    ),
    ("Moved", lambda p: p.get("moved", "")),
    ("By", lambda p: p["applied_by"] or p["created_by"]),
    ("When (UTC)", lambda p: (p["applied_at"] or p["created_at"])[:16].replace("T", " ")),
]
