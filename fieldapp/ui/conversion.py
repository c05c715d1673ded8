"""Converting a lead: a new account or an existing one, a contact, maybe a deal.

:func:`ask` shows the :class:`ConversionDialog` (tests answer it through the module);
:func:`convert` does the work: the lead becomes account + contact (+ deal) in one
transaction, and a new account is then placed at its town by the offline gazetteer
(:class:`fieldapp.maps.geocode.Gazetteer`), marked ``approximate`` so that
``fieldapp geocode --missing --refine`` (or the map) improves it when online. Nothing
waits for a network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from fieldapp.maps.geocode import Location

from fieldapp.store import fields, services
from fieldapp.ui import style
from fieldapp.ui.background import user_message
from fieldapp.ui.field_editors import AmountField
from fieldapp.ui.panel import AppContext
from fieldapp.ui.pickers import AccountPicker

ENTITIES = ("leads", "accounts", "contacts", "opportunities")


def _tr(text: str) -> str:
    return QCoreApplication.translate("conversion", text)


@dataclass(frozen=True)
class ConversionChoice:
    account_id: str | None  # None: make a new account from the lead's company
    create_deal: bool = True
    deal_name: str = ""
    amount: Decimal | None = None


class ConversionDialog(QDialog):
    """New or existing account (picked by search), and the deal to open."""

    def __init__(self, ctx: AppContext, parent: QWidget | None, lead: dict[str, Any]) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Convert lead"))
        company = lead.get("company") or lead.get("last_name") or ""
        self.new_account = QRadioButton(self.tr("Create a new account “{0}”").format(company))
        self.existing = QRadioButton(self.tr("Add to an existing account:"))
        group = QButtonGroup(self)
        group.addButton(self.new_account)
        group.addButton(self.existing)
        self.new_account.setChecked(True)
        self.account = AccountPicker(ctx.bg)
        self.account.setEnabled(False)
        self.existing.toggled.connect(self.account.setEnabled)
        self.account.picked.connect(self._picked)
        where = lead.get("city")
        self.place = QLabel(
            self.tr("It is placed on the map at {0} (approximate) until it is geocoded.").format(
                where
            )
            if where
            else self.tr("The lead has no town, so the new account is not on the map yet.")
        )
        self.place.setWordWrap(True)
        style.set_role(self.place, "subheading")
        self.create_deal = QCheckBox(self.tr("Open a deal"))
        self.create_deal.setChecked(True)
        self.deal_name = QLineEdit(f"{company} — new business")
        self.amount = AmountField()
        self.amount.edit.setPlaceholderText(self.tr("leave empty if not known yet"))
        self.create_deal.toggled.connect(self.deal_name.setEnabled)
        self.create_deal.toggled.connect(self.amount.setEnabled)
        self.error = QLabel("")
        self.error.setObjectName("conversion_error")
        style.set_role(self.error, "error")
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("Convert"))
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(self.tr("Deal name"), self.deal_name)
        form.addRow(self.tr("Amount"), self.amount)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Makes a contact from the lead, at:")))
        layout.addWidget(self.new_account)
        layout.addWidget(self.place)
        layout.addWidget(self.existing)
        layout.addWidget(self.account)
        layout.addWidget(self.create_deal)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(480, 0)

    def _picked(self, account_id: str) -> None:
        if account_id:
            self.existing.setChecked(True)

    def choice(self) -> ConversionChoice | None:
        """What was chosen, or None (with the reason shown) if it cannot be done."""
        account_id = None
        if self.existing.isChecked():
            account_id = self.account.text() or None
            if account_id is None:
                self._refuse(self.tr("Pick the account from the list, or make a new one."))
                return None
        amount = None
        if self.create_deal.isChecked():
            try:
                amount = fields.SPECS["opportunities"]["amount"].parse(self.amount.text())
            except ValueError as exc:
                self._refuse(self.tr("Amount") + " " + str(exc))
                return None
        return ConversionChoice(
            account_id, self.create_deal.isChecked(), self.deal_name.text().strip(), amount
        )

    def _refuse(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
        return None

    def _accept(self) -> None:
        if self.choice() is not None:
            self.accept()


def ask(ctx: AppContext, parent: QWidget | None, lead: dict[str, Any]) -> ConversionChoice | None:
    """Show the dialog; the choice, or None when cancelled."""
    dialog = ConversionDialog(ctx, parent, lead)
    # Load the gazetteer while the user decides: its first use reads a large file.
    ctx.bg.read(lambda _s: _town("Berlin", None), owner=dialog)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.choice()


def _conversion_job(lead_id: str, choice: ConversionChoice) -> Callable[[Session], Any]:
    def job(session: Session) -> services.Conversion:
        return services.convert_lead(
            session,
            lead_id,
            account_id=choice.account_id,
            opportunity_name=choice.deal_name or None,
            amount=choice.amount,
            create_opportunity=choice.create_deal,
        )

    return job


def convert(
    ctx: AppContext,
    parent: QWidget,
    lead: dict[str, Any],
    choice: ConversionChoice,
    on_done: Callable[[services.Conversion], None],
    on_error: Callable[[Exception], None],
) -> None:
    """Convert ``lead`` as chosen; then place a new account at the lead's town."""
    from fieldapp.maps.settings import MapSettings

    lead_id = lead["id"]
    country = lead.get("country") or MapSettings.load(ctx.data_dir).geocode_country

    def converted(result: services.Conversion) -> None:
        on_done(result)
        if choice.account_id is None and lead.get("city"):
            ctx.bg.read(
                lambda _s: _town(lead.get("city"), country),
                lambda loc: _place(ctx, result.account_id, loc),
            )

    ctx.bg.write(_conversion_job(lead_id, choice), ENTITIES, converted, on_error=on_error)


def _town(city: str | None, country: str | None) -> Location | None:
    # geopy (under fieldapp.maps.geocode) is imported on first use: it is slow to load
    # and start-up does not need it.
    from fieldapp.maps.geocode import Gazetteer

    return Gazetteer().lookup(city, country)


def _place(ctx: AppContext, account_id: str, loc: Location | None) -> None:
    if loc is None:
        ctx.tell(_tr("Converted; the town is not in the offline gazetteer, so not on the map."))
        return
    values = {"latitude": loc.lat, "longitude": loc.lon, "geocode_precision": "approximate"}

    def place(session: Session) -> None:
        # Only if nobody placed it meanwhile (a sync, a pin dragged by hand).
        if services.get(session, "accounts", account_id)["latitude"] is None:
            services.update(session, "accounts", account_id, values)

    ctx.bg.write(
        place,
        {"accounts"},
        lambda _r: ctx.tell(
            _tr("Converted; placed at {0} (approximate until geocoded).").format(loc.label)
        ),
        on_error=lambda e: ctx.tell(user_message(e)),
    )
