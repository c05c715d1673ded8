"""The conflict inbox: fields changed here and on the server, for a person to decide.

Left, the records with open conflicts; right, one row per conflicting field with the
value before (base), mine (this laptop) and theirs (the server) side by side, and the
choice: keep mine, keep theirs, or type the merged value. Resolve (Ctrl+Return) records
the decisions on the laptop (:mod:`fieldapp.sync.resolutions`) and asks for a sync,
which sends them; until then a decision can be taken back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from fieldapp.errors import field_label
from fieldapp.sync.resolutions import ConflictItem, decide, open_conflicts, undecided
from fieldapp.ui import style
from fieldapp.ui.background import user_message
from fieldapp.ui.empty_state import EmptyHint
from fieldapp.ui.panel import AppContext, Panel
from fieldapp.ui.record_opener import entity_name, open_record
from fieldapp.ui.sync_control import capitalised

KEY_ROLE = Qt.ItemDataRole.UserRole
MINE, THEIRS, TYPED = 0, 1, 2


def shown(value: Any) -> str:
    """A wire value in words for the comparison."""
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        parts = [f"{field_label(k)}: {shown(v)}" for k, v in value.items() if k != "id"]
        return "; ".join(parts) or "(the record)"
    return str(value)


@dataclass
class FieldChoice:
    """The widgets of one conflicting field's decision."""

    item: ConflictItem
    group: QButtonGroup
    typed: QLineEdit | None

    def decision(self) -> tuple[str, Any] | None:
        """("mine"|"theirs", typed value or None); None when nothing is chosen."""
        chosen = self.group.checkedId()
        if chosen == MINE:
            return "mine", None
        if chosen == THEIRS:
            return "theirs", None
        if chosen == TYPED and self.typed is not None:
            return "typed", self.typed.text()
        return None


class ConflictsPanel(Panel):
    title = "Conflicts"
    watches = frozenset({"sync_conflicts"})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.items: list[ConflictItem] = []
        self.choices: list[FieldChoice] = []
        self.current: tuple[str, str] | None = None
        self.generation = 0

        heading = QLabel(self.tr("Conflicts"))
        style.set_role(heading, "title")
        intro = QLabel(
            self.tr(
                "The same field was changed on this laptop and on the server. "
                "Choose what to keep; the choice is sent at the next sync."
            )
        )
        intro.setWordWrap(True)
        style.set_role(intro, "subheading")
        self.records = QListWidget()
        self.records.setObjectName("conflict_records")
        self.records.currentItemChanged.connect(lambda item, _old: self._select(item))
        self.empty = EmptyHint(self.records)

        self.record_heading = QLabel("")
        self.record_heading.setObjectName("conflict_record")
        style.set_role(self.record_heading, "heading")
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setColumnStretch(1, 1)
        self.grid.setColumnStretch(2, 1)
        self.grid.setColumnStretch(3, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.grid_host)
        self.state = QLabel("")
        self.state.setObjectName("conflict_state")
        self.state.setWordWrap(True)
        self.open_button = QPushButton(self.tr("Open record"))
        self.open_button.clicked.connect(self.open_current)
        self.take_back_button = QPushButton(self.tr("Take back"))
        self.take_back_button.clicked.connect(self.take_back)
        self.resolve_button = QPushButton(self.tr("Resolve"))
        self.resolve_button.setObjectName("resolve")
        self.resolve_button.setDefault(True)
        self.resolve_button.setToolTip("Ctrl+Return")
        self.resolve_button.clicked.connect(self.resolve)
        QShortcut(QKeySequence("Ctrl+Return"), self, self.resolve)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        buttons.addWidget(self.take_back_button)
        buttons.addWidget(self.resolve_button)

        detail = QWidget()
        right = QVBoxLayout(detail)
        right.addWidget(self.record_heading)
        right.addWidget(scroll, 1)
        right.addWidget(self.state)
        right.addLayout(buttons)
        split = QSplitter()
        split.addWidget(self.records)
        split.addWidget(detail)
        split.setStretchFactor(1, 3)
        split.setSizes([280, 760])
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addWidget(split, 1)
        self._show_record([])
        self.refresh()

    # -- loading ------------------------------------------------------------------------

    def refresh(self) -> None:
        self.generation += 1
        generation = self.generation
        self.ctx.bg.read(open_conflicts, lambda items: self._loaded(generation, items), owner=self)

    def _loaded(self, generation: int, items: list[ConflictItem]) -> None:
        if generation != self.generation:
            return  # a newer load is on its way
        self.items = items
        keep = self.current
        self.records.blockSignals(True)
        self.records.clear()
        groups: dict[tuple[str, str], list[ConflictItem]] = {}
        for c in items:
            groups.setdefault((c.entity, c.row_id), []).append(c)
        for key, group in groups.items():
            fields = len(group)
            what = (
                self.tr("deleted on the server")
                if group[0].kind == "deleted"
                else (self.tr("1 field") if fields == 1 else self.tr("{0} fields").format(fields))
            )
            decided = all(c.decided for c in group)
            text = f"{entity_name(key[0])}: {group[0].label}\n{what}"
            if decided:
                text += self.tr(" · decided, not sent yet")
            item = QListWidgetItem(text)
            item.setData(KEY_ROLE, key)
            self.records.addItem(item)
        self.records.blockSignals(False)
        self.empty.show_hint(
            None
            if groups
            else self.tr(
                "No conflicts. When you and someone else change the same field, "
                "it shows here for you to choose."
            )
        )
        keys = list(groups)
        row = keys.index(keep) if keep in keys else (0 if keys else -1)
        self.records.setCurrentRow(row)
        self._select(self.records.currentItem())

    def _select(self, item: QListWidgetItem | None) -> None:
        key = item.data(KEY_ROLE) if item is not None else None
        self.current = tuple(key) if key else None
        group = [c for c in self.items if (c.entity, c.row_id) == self.current]
        if group and group == [choice.item for choice in self.choices]:
            return  # a reload brought the same: keep the widgets and what was typed in them
        self._show_record(group)

    # -- the comparison -------------------------------------------------------------------

    def _show_record(self, group: list[ConflictItem]) -> None:
        while self.grid.count():
            child = self.grid.takeAt(0)
            widget = child.widget() if child is not None else None
            if widget is not None:
                widget.setParent(None)  # gone now, not at the next event-loop turn
                widget.deleteLater()
        self.choices = []
        has = bool(group)
        for button in (self.open_button, self.resolve_button):
            button.setEnabled(has)
        self.take_back_button.setVisible(has and any(c.decided for c in group))
        if not has:
            self.record_heading.setText("")
            self.state.setText("")
            return
        first = group[0]
        self.record_heading.setText(f"{entity_name(first.entity)}: {first.label}")
        for col, text in enumerate(
            (self.tr("Field"), self.tr("Before"), self.tr("Mine"), self.tr("Theirs (server)"))
        ):
            label = QLabel(f"<b>{text}</b>")
            self.grid.addWidget(label, 0, col)
        row = 1
        for c in group:
            row = self._add_field(c, row)
        self.grid.setRowStretch(row, 1)
        decided = [c for c in group if c.decided]
        self.state.setText(
            self.tr("Decided: {0}. Sent at the next sync (F9).").format(
                ", ".join(f"{self._field_name(c)} → keep {c.decided}" for c in decided)
            )
            if decided
            else ""
        )

    def _field_name(self, c: ConflictItem) -> str:
        return field_label(c.field) if c.kind == "field" and c.field else self.tr("Record")

    def _add_field(self, c: ConflictItem, row: int) -> int:
        deleted = c.kind == "deleted"
        values = (
            (self.tr("(as it was)"), shown(c.mine), self.tr("deleted"))
            if deleted
            else (shown(c.base), shown(c.mine), shown(c.theirs))
        )
        self.grid.addWidget(QLabel(self._field_name(c)), row, 0, Qt.AlignmentFlag.AlignTop)
        for col, text in enumerate(values, start=1):
            value = QLabel(text)
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setObjectName(("base", "mine", "theirs")[col - 1])
            self.grid.addWidget(value, row, col, Qt.AlignmentFlag.AlignTop)
        holder = QWidget()
        group = QButtonGroup(holder)
        line = QHBoxLayout(holder)
        mine = QRadioButton(self.tr("Restore mine") if deleted else self.tr("Keep mine"))
        theirs = QRadioButton(self.tr("Keep it deleted") if deleted else self.tr("Keep theirs"))
        group.addButton(mine, MINE)
        group.addButton(theirs, THEIRS)
        line.addWidget(mine)
        line.addWidget(theirs)
        typed: QLineEdit | None = None
        if not deleted:
            typed_button = QRadioButton(self.tr("Type:"))
            group.addButton(typed_button, TYPED)
            typed = QLineEdit("" if c.mine is None else str(c.mine))
            typed.setObjectName("typed")
            typed.textEdited.connect(lambda _t, b=typed_button: b.setChecked(True))
            line.addWidget(typed_button)
            line.addWidget(typed, 1)
        else:
            line.addStretch(1)
        {"mine": mine, "theirs": theirs}.get(c.decided or "mine", mine).setChecked(True)
        line.setContentsMargins(0, 0, 0, 8)
        self.grid.addWidget(holder, row + 1, 1, 1, 3)
        self.choices.append(FieldChoice(c, group, typed))
        return row + 2

    # -- actions --------------------------------------------------------------------------

    def resolve(self) -> None:
        if not self.choices:
            return
        decisions = []
        for choice in self.choices:
            picked = choice.decision()
            if picked is None:
                continue
            decisions.append((choice.item, *picked))
        if not decisions:
            return
        # A typed value is an edit of the record too; keeping a side touches no record yet.
        entities = {"sync_conflicts"} | {i.entity for i, keep, _t in decisions if keep == "typed"}
        replica = self.ctx.bg.replica

        def work(_session: object) -> int:
            for item, keep, typed in decisions:
                if keep == "typed":
                    decide(replica, item.id, "theirs", typed)
                else:
                    decide(replica, item.id, keep)  # type: ignore[arg-type]
            return len(decisions)

        self.resolve_button.setEnabled(False)
        self.ctx.bg.write(work, entities, self._resolved, on_error=self._failed, owner=self)

    def _resolved(self, count: int) -> None:
        self.ctx.tell(self.tr("Decided {0} conflict(s); sending them to the server.").format(count))
        self.ctx.sync_requested.emit()

    def _failed(self, exc: BaseException) -> None:
        self.resolve_button.setEnabled(True)
        message = capitalised(user_message(exc))
        self.state.setText(message)
        self.ctx.tell(self.tr("Not resolved: {0}").format(message))

    def take_back(self) -> None:
        group = [c for c in self.items if (c.entity, c.row_id) == self.current and c.decided]
        replica = self.ctx.bg.replica

        def work(_session: object) -> None:
            for c in group:
                undecided(replica, c.id)

        self.ctx.bg.write(work, {"sync_conflicts"}, owner=self)

    def open_current(self) -> None:
        if self.current is not None:
            open_record(self.ctx, self, *self.current)
