"""Nearby: the accounts within R km of an account, a typed address or a point.

The search runs in the background (an address may need the geocoder, which may need
the network); an answer for a question asked before the last one is dropped. The
list is nearest first with the distance; Enter or a double-click opens the account.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from fieldapp.store import places
from fieldapp.ui import style
from fieldapp.ui.background import user_message
from fieldapp.ui.panel import AppContext

ID_ROLE = Qt.ItemDataRole.UserRole + 1
DEFAULT_KM = 10.0


@dataclass(frozen=True)
class NearbyAnswer:
    centre_label: str
    approximate: bool
    accounts: list[places.NearbyAccount]


def find_nearby(
    session: Session,
    data_dir: object,
    typed: str,
    account_id: str | None,
    km: float,
    limit: int = places.DEFAULT_LIMIT,
) -> NearbyAnswer:
    """Runs in the background: resolve the centre (geocoding an address), then search."""
    # Imported here: geopy and the gazetteer load slowly and only this needs them.
    from pathlib import Path

    from fieldapp.maps import geocode
    from fieldapp.maps import places as centres

    if account_id is not None:
        centre = centres.account_centre(session, account_id)
    else:
        geocoder = None
        if centres.point_centre(typed) is None and not centres.looks_like_id(typed):
            geocoder = geocode.open_geocoder(Path(str(data_dir)))
        try:
            centre = centres.resolve(session, typed, geocoder)
        finally:
            if geocoder is not None:
                geocoder.cache.close()
    found = places.nearby(session, centre.point, km, limit=limit, exclude=centre.account_id)
    return NearbyAnswer(centre.label, centre.approximate, found)


def _km(value: object) -> float:
    """The radius last used (QSettings gives it back as text)."""
    try:
        return float(str(value))
    except ValueError:
        return DEFAULT_KM


def distance_text(metres: float) -> str:
    if metres < 1000:
        return f"{metres:.0f} m"
    return f"{metres / 1000:.1f} km"


class NearbyDialog(QDialog):
    """From (an account's name, or what was typed), radius, and the list."""

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        *,
        account_id: str | None = None,
        account_name: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Nearby accounts"))
        self.setObjectName("nearby_dialog")
        self.ctx = ctx
        self.account_id = account_id
        self._account_name = account_name
        self._generation = 0

        self.where = QLineEdit(account_name)
        self.where.setObjectName("nearby_where")
        self.where.setPlaceholderText(self.tr("An address, or a point as 50.73, 7.10"))
        self.where.textEdited.connect(self._typed)
        self.where.returnPressed.connect(self.search_nearby)
        self.km = QDoubleSpinBox()
        self.km.setObjectName("nearby_km")
        self.km.setRange(0.1, places.MAX_RADIUS_KM)
        self.km.setDecimals(1)
        self.km.setSuffix(self.tr(" km"))
        self.km.setValue(_km(ctx.settings.value("nearby/km", DEFAULT_KM)))
        self.km.editingFinished.connect(self.search_nearby)
        self.find_button = QPushButton(self.tr("Find"))
        self.find_button.setObjectName("nearby_find")
        self.find_button.clicked.connect(self.search_nearby)
        row = QHBoxLayout()
        row.addWidget(self.km)
        row.addWidget(self.find_button)
        row.addStretch(1)

        self.status = QLabel("")
        self.status.setObjectName("nearby_status")
        self.status.setWordWrap(True)
        self.results = QTreeWidget()
        self.results.setObjectName("nearby_results")
        self.results.setRootIsDecorated(False)
        self.results.setHeaderLabels([self.tr("Distance"), self.tr("Account"), self.tr("Town")])
        self.results.setColumnWidth(0, 80)
        self.results.setColumnWidth(1, 240)
        self.results.itemActivated.connect(self._open)
        self.results.setMinimumSize(460, 300)
        QShortcut(QKeySequence(Qt.Key.Key_Return), self.results, self._open_current)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.open_button = buttons.addButton(
            self.tr("Open account"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.open_button.clicked.connect(self._open_current)
        buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow(self.tr("From"), self.where)
        form.addRow(self.tr("Within"), row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.results, 1)
        layout.addWidget(buttons)
        if account_id is not None:
            self.search_nearby()
        else:
            self.where.setFocus()

    def _typed(self, _text: str) -> None:
        # Typing replaces the account the dialog was opened for.
        self.account_id = None

    def search_nearby(self) -> None:
        typed = self.where.text().strip()
        if typed != self._account_name.strip():
            self.account_id = None  # something else was typed over the account's name
        if self.account_id is None and not typed:
            self.status.setText(self.tr("Type an address or a point (lat, lon)."))
            return
        self._generation += 1
        gen = self._generation
        km = self.km.value()
        self.ctx.settings.setValue("nearby/km", km)
        account_id, data_dir = self.account_id, self.ctx.data_dir
        self.status.setText(self.tr("Looking…"))
        style.set_role(self.status, "subheading")
        self.ctx.bg.read(
            lambda s: find_nearby(s, data_dir, typed, account_id, km),
            lambda answer: self._show(gen, answer),
            on_error=lambda exc: self._failed(gen, exc),
            owner=self,
        )

    def _show(self, gen: int, answer: NearbyAnswer) -> None:
        if gen != self._generation:
            return
        self.results.clear()
        for n in answer.accounts:
            item = QTreeWidgetItem([distance_text(n.distance_m), n.name, n.city or ""])
            item.setData(0, ID_ROLE, n.id)
            item.setTextAlignment(0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.results.addTopLevelItem(item)
        km = f"{self.km.value():g}"
        where = answer.centre_label
        if answer.approximate:
            where += self.tr(" (approximate: the town's centre)")
        if answer.accounts:
            text = self.tr("{0} accounts within {1} km of {2}, nearest first.")
            self.status.setText(text.format(len(answer.accounts), km, where))
            first = self.results.topLevelItem(0)
            if first is not None:
                self.results.setCurrentItem(first)
            self.results.setFocus()
        else:
            text = self.tr("No accounts within {0} km of {1} — try a larger distance.")
            self.status.setText(text.format(km, where))

    def _failed(self, gen: int, exc: Exception) -> None:
        if gen != self._generation:
            return
        self.results.clear()
        style.set_role(self.status, "error")
        self.status.setText(user_message(exc))

    def selected_id(self) -> str | None:
        item = self.results.currentItem()
        value = item.data(0, ID_ROLE) if item is not None else None
        return value if isinstance(value, str) else None

    def _open(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        self.results.setCurrentItem(item)
        self._open_current()

    def _open_current(self) -> None:
        account_id = self.selected_id()
        if account_id is not None:
            self.ctx.open_account.emit(account_id)
