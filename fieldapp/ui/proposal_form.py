"""The Proposals tab's form: which territory, which accounts, which reps after, and why.

The accounts come from the map's lasso, a filter (name, city or postcode), a list of
names or ids, or the territory's own shape (polygon, postcodes, regions: the server
matches them). :meth:`ProposalForm.request` checks what was chosen and says in a
sentence what is missing, before anything is sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLineEdit, QPushButton, QWidget

SOURCES = (
    ("map", "Selected on the map"),
    ("filter", "Matching a filter"),
    ("list", "Listed by name or id"),
    ("match", "Those its shape holds"),
    ("none", "None (change its reps only)"),
)


@dataclass(frozen=True)
class FormRequest:
    territory: str
    source: str  # a key of SOURCES
    text: str  # the filter or the list
    selected: list[str]  # lassoed on the map
    reps: list[str] | None  # None: unchanged
    note: str | None


class ProposalForm(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Propose"))
        self.selected: list[str] = []
        self.territory = QComboBox()
        self.territory.setObjectName("proposal_territory")
        self.source = QComboBox()
        self.source.setObjectName("proposal_source")
        for key, label in SOURCES:
            self.source.addItem(self.tr(label), key)
        self.source.currentIndexChanged.connect(self._source_changed)
        self.accounts_text = QLineEdit()
        self.accounts_text.setObjectName("proposal_accounts")
        self.reps = QLineEdit()
        self.reps.setObjectName("proposal_reps")
        self.reps.setPlaceholderText(self.tr("unchanged (or names, comma separated)"))
        self.note = QLineEdit()
        self.note.setPlaceholderText(self.tr("why (kept with the proposal)"))
        self.preview_button = QPushButton(self.tr("&Preview"))
        self.preview_button.setToolTip(self.tr("Record the proposal and show its diff (Ctrl+P)"))
        form = QFormLayout(self)
        form.addRow(self.tr("Move into"), self.territory)
        form.addRow(self.tr("Accounts"), self.source)
        form.addRow("", self.accounts_text)
        form.addRow(self.tr("Reps after"), self.reps)
        form.addRow(self.tr("Note"), self.note)
        form.addRow("", self.preview_button)
        self._source_changed()

    def set_territories(self, names: list[str]) -> None:
        current = self.territory.currentText()
        self.territory.clear()
        self.territory.addItems(names)
        if current in names:
            self.territory.setCurrentText(current)

    def set_selected(self, ids: list[str]) -> None:
        """Accounts lassoed on the map: they become the accounts moving."""
        self.selected = list(ids)
        self.source.setCurrentIndex(0)
        self._source_changed()

    def _source_changed(self) -> None:
        key = self.source.currentData()
        hints = {
            "map": self.tr("lasso accounts on the map (◯ button)"),
            "filter": self.tr("text in the name, city or postcode, e.g. Köln"),
            "list": self.tr("names or ids, comma separated"),
        }
        self.accounts_text.setEnabled(key in ("filter", "list"))
        self.accounts_text.setPlaceholderText(hints.get(key, ""))
        if key == "map":
            self.accounts_text.setText(f"{len(self.selected)} selected")
        elif not self.accounts_text.isEnabled():
            self.accounts_text.clear()

    def request(self) -> FormRequest | str:
        """What the form asks for, or the sentence saying what is missing."""
        territory = self.territory.currentText()
        key = str(self.source.currentData())
        reps_text = self.reps.text().strip()
        reps = [r.strip() for r in reps_text.split(",") if r.strip()] if reps_text else None
        text = self.accounts_text.text().strip() if key in ("filter", "list") else ""
        if not territory:
            return self.tr("Choose the territory the accounts move into.")
        if key == "map" and not self.selected:
            return self.tr("Lasso the accounts on the map first (the ◯ button).")
        if key in ("filter", "list") and not text:
            return self.tr("Type what the accounts' names, cities or postcodes contain.")
        if key == "none" and reps is None:
            return self.tr("Say who the territory's reps are after, or choose accounts.")
        note = self.note.text().strip() or None
        return FormRequest(territory, key, text, list(self.selected), reps, note)
