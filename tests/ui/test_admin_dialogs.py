"""The Admin panel's dialogs: what they offer, what they refuse, what they hand back."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from fieldapp.ui.admin_territory_dialog import TerritoryDialog, split_codes
from fieldapp.ui.admin_user_dialog import UserDialog, made_up_password

USERS = [
    {"username": "boss", "role": "admin", "active": True},
    {"username": "maria", "role": "manager", "active": True},
    {"username": "old", "role": "manager", "active": False},
    {"username": "ana", "role": "rep", "active": True},
    {"username": "ben", "role": "rep", "active": True},
]
SQUARE = {"type": "Polygon", "coordinates": [[[7, 50], [7.1, 50], [7.1, 50.1], [7, 50.1], [7, 50]]]}


def test_postcodes_and_regions_as_typed() -> None:
    assert split_codes(" 531, 532;SW1A 1\n\n10115 ") == ["531", "532", "SW1A 1", "10115"]
    assert split_codes(" , ;") == []


def test_a_new_territory_needs_a_name_and_a_place(qtbot: QtBot) -> None:
    dialog = TerritoryDialog(None, USERS)
    qtbot.addWidget(dialog)
    managers = [dialog.manager.itemText(i) for i in range(dialog.manager.count())]
    assert managers == ["(none)", "boss", "maria"]  # no reps, no deactivated manager
    reps = [dialog.reps.item(i).text() for i in range(dialog.reps.count())]
    assert reps == ["ana", "ben"]
    assert dialog.problem() == "A territory needs a name."
    dialog.name.setText("North")
    assert dialog.problem() is not None and "postcodes" in str(dialog.problem())
    dialog._check()
    assert dialog.result() == 0 and "postcodes" in dialog.error.text()  # stays open
    dialog.postcodes.setText("531, 532")
    dialog.manager.setCurrentIndex(dialog.manager.findData("maria"))
    dialog.reps.item(1).setCheckState(Qt.CheckState.Checked)
    assert dialog.problem() is None
    v = dialog.values()
    assert (v.name, v.postcodes, v.manager, v.reps, v.polygon) == (
        "North", ["531", "532"], "maria", ["ben"], None
    )  # fmt: skip


def test_a_drawn_shape_is_enough_and_an_existing_one_can_be_dropped(qtbot: QtBot) -> None:
    drawn = TerritoryDialog(None, USERS, polygon=SQUARE)
    qtbot.addWidget(drawn)
    drawn.name.setText("Cologne")
    assert drawn.problem() is None and drawn.values().polygon == SQUARE
    current = {"name": "Cologne", "postcodes": [], "regions": [], "manager": "old",
               "reps": ["ana"], "polygon": True}  # fmt: skip
    edit = TerritoryDialog(None, USERS, current)
    qtbot.addWidget(edit)
    assert edit.manager.currentData() == "old"  # kept though no longer offered to new ones
    assert edit.problem() is None and edit.values().reps == ["ana"]
    edit.drop.setChecked(True)  # no polygon and nothing else: nowhere
    assert edit.problem() is not None
    edit.regions.setText("NRW")
    assert edit.problem() is None and edit.values().drop_polygon


def test_a_new_user_gets_a_password_of_at_least_eight_characters(qtbot: QtBot) -> None:
    dialog = UserDialog(None, ["boss", "maria"])
    qtbot.addWidget(dialog)
    dialog.name.setText("dora")
    dialog.password.setText("short")
    assert "8 characters" in str(dialog.problem())
    made = made_up_password()
    assert len(made) == 19 and made != made_up_password()
    assert not set(made) & set("0O1lI")  # nothing to misread when handing it over
    make = next(b for b in dialog.findChildren(QPushButton) if "up" in b.text())
    make.click()
    assert len(dialog.password.text()) == 19 and dialog.problem() is None
    assert dialog.values().role == "rep"  # the default role
    change = UserDialog(None, ["boss", "maria"], {"username": "maria", "role": "manager",
                                                 "manager": "boss"})  # fmt: skip
    qtbot.addWidget(change)
    assert change.name.isReadOnly() and change.problem() is None  # no password asked
    assert [change.manager.itemText(i) for i in range(change.manager.count())] == [
        "(none)", "boss"
    ]  # fmt: skip
    assert change.values().manager == "boss"
