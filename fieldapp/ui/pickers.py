"""Records picked by search or from a list: an account, a contact of it, an owner.

Each is a :class:`fieldapp.ui.forms.FieldEditor`, so a :class:`RecordForm` validates
it with the store's rule like any field: the picker's text is the record id the rule
parses, whatever the user sees. Dates, choices and amounts are
:mod:`fieldapp.ui.field_editors`.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QLineEdit,
    QWidget,
)

from fieldapp.ui import lookups
from fieldapp.ui.background import Background
from fieldapp.ui.field_editors import editor_row
from fieldapp.ui.forms import FieldEditor

ID_ROLE = Qt.ItemDataRole.UserRole + 1
NAME_ROLE = Qt.ItemDataRole.UserRole + 2
SEARCH_DELAY_MS = 120  # wait for a pause in typing before asking the index


class AccountPicker(FieldEditor):
    """Type part of an account's name (or town, postcode); pick from the matches.

    Matches come from the search index in the background; the popup lists up to
    :data:`lookups.PICKER_LIMIT`. Typing clears the choice until one is picked; text
    that names exactly one match picks it.

    Signals:
        picked(str): the chosen account id ("" when cleared).
    """

    picked = Signal(str)

    def __init__(self, bg: Background, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bg = bg
        self._id = ""
        self._generation = 0
        self.known: dict[str, str] = {}  # account id -> name, so showing one needs no read
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(self.tr("Type to search accounts"))
        self.edit.setClearButtonEnabled(True)
        self.matches_model = QStandardItemModel(self)
        self.completer = QCompleter(self.matches_model, self)
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setCompletionRole(NAME_ROLE)
        self.completer.setWidget(self.edit)
        # The index overload: two accounts may share a name. (The stubs lack overloads.)
        self.completer.activated[QModelIndex].connect(self._activated)  # type: ignore[index]
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(SEARCH_DELAY_MS)
        self.timer.timeout.connect(self._search)
        self.edit.textEdited.connect(self._typed)
        editor_row(self.edit, self)

    # -- FieldEditor --------------------------------------------------------------------

    def text(self) -> str:
        return self._id

    def set_text(self, value: str) -> None:
        """Show the account ``value`` (an id); its name is looked up if not known."""
        self._generation += 1
        self._id = value
        if not value:
            self.edit.clear()
            return
        if value in self.known:
            self.edit.setText(self.known[value])
            return
        gen = self._generation
        self.bg.read(
            lambda s: lookups.account_name(s, value),
            lambda name: self._named(gen, name),
            owner=self,
        )

    def focus_widget(self) -> QWidget:
        return self.edit

    # -- choosing -----------------------------------------------------------------------

    def choose(self, account_id: str, name: str) -> None:
        """Pick an account whose name is already known (e.g. the account being viewed)."""
        self._generation += 1
        self._id = account_id
        self.known[account_id] = name
        self.edit.setText(name)
        self.changed.emit()
        self.picked.emit(account_id)

    def matches(self) -> list[lookups.Choice]:
        """What the popup offers now."""
        out = []
        for row in range(self.matches_model.rowCount()):
            item = self.matches_model.item(row)
            out.append(
                lookups.Choice(str(item.data(ID_ROLE)), str(item.data(NAME_ROLE)), item.text())
            )
        return out

    def pick(self, row: int) -> None:
        """Take the popup's ``row`` (what clicking it or pressing Enter on it does)."""
        self._activated(self.matches_model.index(row, 0))

    def name(self) -> str:
        return self.edit.text()

    def remember(self, account_id: str | None, name: str) -> None:
        """Tell the picker an account's name before a form shows it."""
        if account_id:
            self.known[account_id] = name

    def _named(self, gen: int, name: str) -> None:
        if gen == self._generation:
            self.known[self._id] = name
            self.edit.setText(name)

    def _typed(self, _text: str) -> None:
        if self._id:
            self._id = ""
            self.changed.emit()
            self.picked.emit("")
        self.timer.start()

    def _search(self) -> None:
        text = self.edit.text()
        self._generation += 1
        gen = self._generation
        if not text.strip():
            self.matches_model.clear()
            return
        self.bg.read(
            lambda s: lookups.account_choices(s, text),
            lambda found: self._found(gen, text, found),
            owner=self,
        )

    def _found(self, gen: int, text: str, found: list[lookups.Choice]) -> None:
        if gen != self._generation:
            return
        self.matches_model.clear()
        for choice in found:
            item = QStandardItem(choice.label)
            item.setData(choice.id, ID_ROLE)
            item.setData(choice.name, NAME_ROLE)
            self.matches_model.appendRow(item)
        exact = [c for c in found if c.name.casefold() == text.strip().casefold()]
        if len(exact) == 1:
            self.choose(exact[0].id, exact[0].name)
        elif found and self.edit.hasFocus():
            self.completer.complete()

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.choose(str(index.data(ID_ROLE)), str(index.data(NAME_ROLE)))


class ContactCombo(FieldEditor):
    """The contacts of one account (set with :meth:`set_account`), or none."""

    def __init__(self, bg: Background, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bg = bg
        self.account_id = ""
        self._wanted = ""
        self._generation = 0
        self.combo = QComboBox()
        self.combo.addItem(self.tr("(none)"), "")
        self.combo.currentIndexChanged.connect(lambda _i: self._user_changed())
        self._filling = False
        editor_row(self.combo, self)

    def set_account(self, account_id: str) -> None:
        if account_id == self.account_id:
            return
        self.account_id = account_id
        self._generation += 1
        gen = self._generation
        self._fill([])
        if account_id:
            self.bg.read(
                lambda s: lookups.contacts_of(s, account_id),
                lambda found: self._arrived(gen, found),
                owner=self,
            )

    def _arrived(self, gen: int, found: list[lookups.Choice]) -> None:
        if gen == self._generation:
            self._fill(found)

    def _fill(self, found: list[lookups.Choice]) -> None:
        self._filling = True
        self.combo.clear()
        self.combo.addItem(self.tr("(none)"), "")
        for choice in found:
            self.combo.addItem(choice.label, choice.id)
        self.combo.setCurrentIndex(max(self.combo.findData(self._wanted), 0))
        self._filling = False

    def _user_changed(self) -> None:
        if not self._filling:
            self._wanted = str(self.combo.currentData() or "")
            self.changed.emit()

    def choices(self) -> list[str]:
        return [str(self.combo.itemData(i)) for i in range(1, self.combo.count())]

    def text(self) -> str:
        # Until the account's contacts have arrived, the contact asked for is kept.
        return self._wanted

    def set_text(self, value: str) -> None:
        self._wanted = value
        index = self.combo.findData(value)
        self._filling = True
        self.combo.setCurrentIndex(max(index, 0))
        self._filling = False

    def focus_widget(self) -> QWidget:
        return self.combo


class OwnerCombo(FieldEditor):
    """Whom a record is assigned to: the users the replica knows, the signed-in one
    marked "(me)"; just "me" when the replica knows no users (not signed in yet)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        self.combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.me: str = ""
        self.set_people(lookups.People([], None))
        editor_row(self.combo, self)

    def set_people(self, people: lookups.People) -> None:
        current = self.text() if self.combo.count() else None
        self.me = people.me or ""
        self.combo.blockSignals(True)
        self.combo.clear()
        if not any(u.id == self.me for u in people.users):
            self.combo.addItem(self.tr("me"), self.me)
        for user in people.users:
            label = user.name + (self.tr(" (me)") if user.id == self.me else "")
            self.combo.addItem(label, user.id)
        self.combo.blockSignals(False)
        self.set_text(self.me if current is None else current)

    def people(self) -> list[tuple[str, str]]:
        """``(id, label)`` of every choice."""
        return [
            (str(self.combo.itemData(i)), self.combo.itemText(i)) for i in range(self.combo.count())
        ]

    def text(self) -> str:
        return str(self.combo.currentData() or "")

    def set_text(self, value: str) -> None:
        value = value or self.me
        index = self.combo.findData(value)
        if index < 0 and value:
            # Someone the replica has no user record for (out of this rep's scope).
            self.combo.addItem(self.tr("someone else ({0}…)").format(value[:8]), value)
            index = self.combo.count() - 1
        self.combo.setCurrentIndex(max(index, 0))

    def focus_widget(self) -> QWidget:
        return self.combo
