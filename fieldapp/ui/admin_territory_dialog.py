"""The dialog that makes or changes a territory: name, postcodes, regions, manager, reps.

A polygon comes from the map (drawn with the lasso, edited by its corners): the dialog
only says whether the territory has one and lets the admin drop it.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QWidget,
)

from fieldapp.sync.territory_changes import TerritoryValues
from fieldapp.ui.admin_widgets import CheckedDialog


def split_codes(text: str) -> list[str]:
    """Postcodes or regions as typed: separated by commas, semicolons or new lines.

    Spaces inside one stay ("SW1A 1"), as the server keeps them.
    """
    return [p.strip() for p in re.split(r"[,;\n]+", text) if p.strip()]


class TerritoryDialog(CheckedDialog):
    def __init__(
        self,
        parent: QWidget | None,
        users: list[dict[str, Any]],
        current: dict[str, Any] | None = None,
        polygon: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Territory {current['name']}" if current else "New territory")
        self.polygon = polygon
        self.current = current
        c = current or {}
        self.name = QLineEdit(str(c.get("name") or ""))
        self.name.setObjectName("territory_name")
        self.postcodes = QLineEdit(", ".join(c.get("postcodes") or []))
        self.postcodes.setObjectName("territory_postcodes")
        self.postcodes.setPlaceholderText(
            "e.g. 10115, 101, 20 — a prefix covers every code it starts"
        )
        self.regions = QLineEdit(", ".join(c.get("regions") or []))
        self.regions.setObjectName("territory_regions")
        self.regions.setPlaceholderText("regions or countries, e.g. Bavaria, AT")
        self.manager = QComboBox()
        self.manager.setObjectName("territory_manager")
        self.manager.addItem("(none)", None)
        for u in users:
            if u.get("role") in ("manager", "admin") and u.get("active", True):
                self.manager.addItem(str(u["username"]), u["username"])
        if c.get("manager"):
            found = self.manager.findData(c["manager"])
            if found < 0:
                self.manager.addItem(str(c["manager"]), c["manager"])
                found = self.manager.count() - 1
            self.manager.setCurrentIndex(found)
        self.reps = QListWidget()
        self.reps.setObjectName("territory_reps")
        chosen = set(c.get("reps") or [])
        names = [str(u["username"]) for u in users if u.get("role") == "rep"]
        for name in sorted(set(names) | chosen, key=str.lower):
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in chosen else Qt.CheckState.Unchecked)
            self.reps.addItem(item)
        self.reps.setMaximumHeight(140)
        form = QFormLayout(self)
        form.addRow("&Name", self.name)
        form.addRow("&Postcodes", self.postcodes)
        form.addRow("Re&gions", self.regions)
        form.addRow("&Manager", self.manager)
        form.addRow("&Reps", self.reps)
        if not names:
            form.addRow("", QLabel("No reps known yet: open the Users tab while online."))
        had = bool(c.get("polygon"))
        if polygon is not None:
            corners = len((polygon.get("coordinates") or [[]])[0]) - 1
            shape = f"the shape drawn on the map ({corners} corners)"
        elif had:
            shape = "its polygon, as it is"
        else:
            shape = "none (draw one on the map with the lasso, then choose “From drawing”)"
        form.addRow("Polygon", QLabel(shape))
        self.drop = QCheckBox("Remove the polygon")
        self.drop.setObjectName("territory_drop_polygon")
        if had and polygon is None:
            form.addRow("", self.drop)
        self.finish_form(form)
        self.setMinimumWidth(520)

    def set_reps(self, names: list[str]) -> None:
        for i in range(self.reps.count()):
            item = self.reps.item(i)
            on = item.text() in names
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def values(self) -> TerritoryValues:
        reps = [
            self.reps.item(i).text()
            for i in range(self.reps.count())
            if self.reps.item(i).checkState() == Qt.CheckState.Checked
        ]
        return TerritoryValues(
            name=self.name.text().strip(),
            postcodes=split_codes(self.postcodes.text()),
            regions=split_codes(self.regions.text()),
            manager=self.manager.currentData(),
            reps=reps,
            polygon=self.polygon,
            drop_polygon=self.drop.isChecked(),
        )

    def problem(self) -> str | None:
        v = self.values()
        if not v.name:
            return "A territory needs a name."
        had = bool((self.current or {}).get("polygon"))
        has_shape = v.polygon is not None or (had and not v.drop_polygon)
        if not (has_shape or v.postcodes or v.regions):
            return "Say where it is: draw a polygon on the map, or give postcodes or regions."
        return None
