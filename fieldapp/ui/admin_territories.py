"""The Territories tab of the Admin panel: the list, its changes, and the territory map.

Every change (create, rename, reshape, manager, reps, delete) is first kept as a draft
on disk (:mod:`fieldapp.sync.admin_drafts`) and then sent in a worker; without the
server it waits, shown in the list as "waiting", and goes with the next send (the Send
button, F5, or any later change; :mod:`fieldapp.ui.admin_territory_sync`). A territory
is placed by a polygon drawn on the map (:mod:`fieldapp.ui.admin_map`), by postcodes or
prefixes, or by regions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from fieldapp.maps.drawing import polygon_of
from fieldapp.sync import team
from fieldapp.sync.admin_drafts import Draft, Drafts, overlay
from fieldapp.sync.territory_changes import (
    TerritoryValues,
    change_drafts,
    create_drafts,
    recreate_drafts,
)
from fieldapp.ui import dialogs, style
from fieldapp.ui.admin_calls import AdminCalls
from fieldapp.ui.admin_map import AdminMap
from fieldapp.ui.admin_territory_dialog import TerritoryDialog
from fieldapp.ui.admin_territory_list import TerritoryList
from fieldapp.ui.admin_territory_sync import TerritorySync
from fieldapp.ui.admin_widgets import shortcut_button
from fieldapp.ui.panel import AppContext


class TerritoriesTab(QWidget):
    """Signals:
    loaded(int): the list was shown (this many territories).
    sent(object): a send of the drafts finished (its SendReport).
    """

    loaded = Signal(int)
    sent = Signal(object)

    def __init__(
        self, ctx: AppContext, calls: AdminCalls, drafts: Drafts, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx, self.calls, self.drafts = ctx, calls, drafts
        remembered = drafts.remembered("territories")
        self.server_rows: list[dict[str, Any]] = remembered or []
        self.server = TerritorySync(ctx, calls, drafts, self)
        self.server.listed.connect(self._loaded)
        self.server.sent.connect(self.sent)
        self.server.failed.connect(self._fill)
        self._from_replica = False  # rows from the last sync, not (yet) from the server
        if remembered is None:
            # Never reached the server from here: show what the last sync brought (a
            # blank list would say there are no territories at all).
            ctx.bg.read(
                lambda s: team.replica_territories(s.connection()), self._synced, owner=self
            )
        self.list = TerritoryList()
        self.list.selected.connect(self._selected)
        self.list.activated.connect(self.edit_selected)
        self.new_button = shortcut_button(self, "&New…", self.new_record, "Ctrl+N")
        self.drawn_button = shortcut_button(
            self, "From &drawing…", self.new_from_drawing, "Ctrl+Shift+N"
        )
        self.edit_button = shortcut_button(self, "&Edit…", self.edit_selected, "F2")
        self.reshape_button = shortcut_button(
            self, "&Reshape", self.reshape_selected, "Ctrl+Shift+R"
        )
        self.delete_button = shortcut_button(self, "De&lete…", self.delete_selected, "Delete")
        self.waiting = QLabel("")
        self.waiting.setObjectName("drafts_waiting")
        self.waiting.setWordWrap(True)
        style.set_role(self.waiting, "hint")
        self.send_button = shortcut_button(self, "&Send now", self.send_drafts, "Ctrl+Return")
        self.discard_button = shortcut_button(self, "Discard refused", self.discard_refused, "")
        buttons = QHBoxLayout()
        for b in (
            self.new_button,
            self.drawn_button,
            self.edit_button,
            self.reshape_button,
            self.delete_button,
        ):
            buttons.addWidget(b)
        buttons.addStretch(1)
        drafts_row = QHBoxLayout()
        drafts_row.addWidget(self.waiting, 1)
        drafts_row.addWidget(self.send_button)
        drafts_row.addWidget(self.discard_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.list, 1)
        left_layout.addLayout(drafts_row)
        self.map = AdminMap(ctx)
        self.map.drawn.connect(lambda _n: self._enable())
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("territories_splitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.map)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)
        self._fill()

    # --- the list ------------------------------------------------------------------------

    def refresh(self) -> None:
        """Send what waits, then load the list; rebuild the map."""
        self.map.reload()
        self.server.load()

    def _loaded(self, rows: list[dict[str, Any]]) -> None:
        self.server_rows = rows
        self._from_replica = False
        self._fill()
        self.loaded.emit(len(rows))

    def _synced(self, rows: list[dict[str, Any]]) -> None:
        if self.drafts.remembered("territories") is None and not self.server_rows:
            self.server_rows = rows
            self._from_replica = True
            self._fill()

    def _fill(self) -> None:
        pending = self.drafts.pending()
        self.list.show_rows(overlay(self.server_rows, pending))
        refused = sum(1 for d in pending if d.refused)
        if pending:
            text = f"{len(pending)} changes wait to be sent"
            if refused:
                text += f" ({refused} refused by the server: see Waiting)"
            self.waiting.setText(text + ".")
        elif self._from_replica:
            self.waiting.setText(
                "Shown as this laptop's last sync left them: not loaded from the server yet."
            )
        else:
            self.waiting.setText("All territory changes are on the server.")
        self.send_button.setEnabled(bool(pending))
        self.discard_button.setVisible(bool(refused))
        self._enable()
        self.map.show_drafts(pending)

    @property
    def rows(self) -> list[dict[str, Any]]:
        return self.list.rows

    def row(self, name: str | None) -> dict[str, Any] | None:
        return self.list.row(name)

    def selected_name(self) -> str | None:
        return self.list.selected_name()

    def select(self, name: str) -> None:
        self.list.select(name)

    def _selected(self, name: str | None) -> None:
        self._enable()
        if name is not None:
            self.map.show_territory(name, self._draft_polygon(name))

    def _draft_polygon(self, name: str) -> dict[str, Any] | None:
        """The newest polygon a waiting draft gives ``name``, if any."""
        found = None
        for d in self.drafts.pending():
            if d.territory == name and d.fields.get("polygon"):
                found = d.fields["polygon"]
            if d.action == "change" and d.fields.get("name") and d.territory == name:
                name = d.fields["name"]
        return found

    def _enable(self) -> None:
        chosen = self.row(self.selected_name())
        live = chosen is not None and not chosen["deleted"]
        for b in (self.edit_button, self.delete_button):
            b.setEnabled(live)
        self.reshape_button.setEnabled(live and self.map.has_drawing())
        self.drawn_button.setEnabled(self.map.has_drawing())

    def focus_search(self) -> None:
        self.list.focus_search()

    # --- drafts --------------------------------------------------------------------------

    def keep(self, *drafts: Draft, undo: Callable[[], None] | None = None) -> None:
        """Keep ``drafts`` on disk, show them, and try to send them at once."""
        for d in drafts:
            self.drafts.add(d)
        self._fill()
        self.ctx.tell("Saved: " + "; ".join(d.describe() for d in drafts) + ".", undo)
        self.send_drafts()

    def send_drafts(self) -> None:
        self.server.send()

    def discard_refused(self) -> None:
        refused = [d for d in self.drafts.pending() if d.refused]
        if refused and dialogs.confirm(
            self,
            "Discard refused changes",
            "Discard these changes the server refused?\n"
            + "\n".join(f"• {d.describe()}: {d.refused}" for d in refused),
        ):
            for d in refused:
                self.drafts.discard(d.id)
            self._fill()

    # --- changes -------------------------------------------------------------------------

    def _users(self) -> list[dict[str, Any]]:
        return self.drafts.remembered("users") or []

    def new_record(self) -> None:
        dialog = TerritoryDialog(self, self._users())
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.create_territory(dialog.values())

    def new_from_drawing(self) -> None:
        """A territory whose polygon is the shape drawn (and perhaps edited) on the map."""

        def got(polygon: dict[str, Any] | None) -> None:
            if polygon is None:
                self.ctx.tell("Draw the shape on the map first: ◯ lasso, then drag around.")
                return
            dialog = TerritoryDialog(self, self._users(), polygon=polygon)
            if dialog.exec() == QDialog.DialogCode.Accepted:
                self.create_territory(dialog.values())

        self.map.drawing(got)

    def create_territory(self, v: TerritoryValues) -> None:
        if self.row(v.name) is not None:
            self.ctx.tell(f"There is already a territory named {v.name}; nothing was saved.")
            return
        made = create_drafts(v)
        if v.polygon is not None:
            self.map.clear_drawing()
        self.keep(
            *made, undo=self._undo(made, [Draft("delete", v.name)], f"{v.name} was not made.")
        )

    def _undo(self, made: list[Draft], reverse: list[Draft], said: str) -> Callable[[], None]:
        """Undo: drop ``made`` while they wait; once sent, send ``reverse``."""

        def undo() -> None:
            if all(self.drafts.discard(d.id) for d in made):
                self._fill()
                self.ctx.tell(said)
            elif reverse:
                self.keep(*reverse)

        return undo

    def edit_selected(self) -> None:
        current = self.row(self.selected_name())
        if current is None or current["deleted"]:
            return
        dialog = TerritoryDialog(self, self._users(), current)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.change(current, dialog.values())

    def change(self, current: dict[str, Any], v: TerritoryValues) -> None:
        if v.name != current["name"] and self.row(v.name) is not None:
            self.ctx.tell(f"There is already a territory named {v.name}; nothing changed.")
            return
        made, reverse = change_drafts(current, v)
        if not made:
            self.ctx.tell("Nothing changed.")
            return
        said = f"The change to {current['name']} was undone."
        self.keep(*made, undo=self._undo(made, reverse, said))

    def reshape_selected(self) -> None:
        """Give the selected territory the shape drawn or edited on the map."""
        current = self.row(self.selected_name())
        if current is None or current["deleted"]:
            return

        def got(polygon: dict[str, Any] | None) -> None:
            if polygon is None:
                self.ctx.tell("Draw or edit the shape on the map first.")
                return
            self.map.clear_drawing()
            self.keep(Draft("change", current["name"], {"polygon": polygon}))

        self.map.drawing(got)

    def delete_selected(self) -> None:
        current = self.row(self.selected_name())
        if current is None or current["deleted"]:
            return
        name = current["name"]
        held = int(current.get("accounts") or 0)
        if held:
            self.ctx.tell(
                f"{name} still holds {held:,} accounts: move them to another territory "
                "first (a proposal), then delete it."
            )
            return
        if not dialogs.confirm(
            self,
            "Delete territory",
            f"Delete the territory {name}? Its reps lose it "
            f"({', '.join(current['reps']) or 'none'}). Undo (Ctrl+Z) makes it again with "
            "the same shape and reps.",
        ):
            return
        self.ctx.bg.read(
            lambda s: polygon_of(s, name),
            lambda polygon: self._delete(current, polygon),
            owner=self,
        )

    def _delete(self, current: dict[str, Any], polygon: dict[str, Any] | None) -> None:
        name = current["name"]
        draft = Draft("delete", name)
        again = recreate_drafts(current, polygon or self._draft_polygon(name))
        self.keep(draft, undo=self._undo([draft], again, f"{name} was not deleted."))

    # --- the map and layout ------------------------------------------------------------------

    def close_map(self) -> None:
        self.map.close_map()

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("admin/territories_splitter", self.splitter.saveState())

    def restore_state(self, settings: QSettings) -> None:
        state = settings.value("admin/territories_splitter")
        if state is not None:
            self.splitter.restoreState(state)
