"""The deal editor: every field of an opportunity, in a dialog of its own.

Open it with :func:`open_deal_editor` — from the account view ("New deal…", a
double-click on a deal) or from the pipeline (one line: ``open_deal_editor(self.ctx,
self)`` for a new deal, ``deal_id=`` to edit one). The account is picked by search,
the contact from that account's people; the probability follows the stage until the
user types one; a won or lost stage needs the reason; moving a won or lost deal back
to an open stage asks first (:mod:`fieldapp.store.deals` refuses it otherwise).

:func:`move_deal` is the same rule for a deal dragged to another stage.

Signals (DealDialog):
    saved(str): the deal was created or updated (its id).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from fieldapp.store import deals, services
from fieldapp.ui import dialogs, lookups, style
from fieldapp.ui.background import user_message
from fieldapp.ui.field_editors import AmountField, ChoiceField, DateField
from fieldapp.ui.forms import RecordForm
from fieldapp.ui.panel import AppContext
from fieldapp.ui.pickers import AccountPicker, ContactCombo

ENTITIES = ("opportunities",)
CURRENCIES = ("EUR", "USD", "GBP", "CHF", "PLN", "CZK", "SEK", "DKK", "NOK")


class DealDialog(QDialog):
    """See the module doc. Built at once; the deal and the pipeline arrive in the background."""

    saved = Signal(str)

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        deal_id: str | None = None,
        account_id: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.deal_id = deal_id
        self.stages: list[services.Stage] = []
        self.deal: dict[str, Any] | None = None
        self.setWindowTitle(self.tr("New deal") if deal_id is None else self.tr("Edit deal"))

        self.account = AccountPicker(ctx.bg)
        self.contact = ContactCombo(ctx.bg)
        self.currency = ChoiceField(editable=True)
        self.currency.set_choices([(c, c) for c in CURRENCIES])
        self.stage = ChoiceField()
        self.close_date = DateField()
        self.amount = AmountField()
        self.form = RecordForm(
            "opportunities",
            [
                ("name", self.tr("Deal")),
                ("account_id", self.tr("Account"), self.account),
                ("contact_id", self.tr("Contact"), self.contact),
                ("amount", self.tr("Amount"), self.amount),
                ("currency", self.tr("Currency"), self.currency),
                ("stage", self.tr("Stage"), self.stage),
                ("probability", self.tr("Probability (%)")),
                ("close_date", self.tr("Close date"), self.close_date),
                ("won_lost_reason", self.tr("Won/lost reason")),
                ("description", self.tr("Description")),
            ],
        )
        self.form.setEnabled(False)
        self.account.picked.connect(self.contact.set_account)
        self.stage.changed.connect(self._stage_changed)
        self._stage_name = ""
        self.error = QLabel("")
        self.error.setObjectName("deal_error")
        style.set_role(self.error, "error")
        self.error.setWordWrap(True)
        self.error.hide()

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setEnabled(False)
        self.delete_button = QPushButton(self.tr("Delete deal"))
        self.delete_button.setVisible(deal_id is not None)
        self.buttons.addButton(self.delete_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        self.delete_button.clicked.connect(self.delete)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(self.error)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.resize(560, 0)

        ctx.bg.read(
            lambda s: lookups.deal_form(s, deal_id, account_id),
            lambda loaded: self._loaded(loaded, account_id),
            on_error=self._failed,
            owner=self,
        )

    # -- loading --------------------------------------------------------------------------

    def _loaded(self, loaded: lookups.DealForm, account_id: str | None) -> None:
        self.stages = loaded.stages
        self.stage.set_choices([(s.name, f"{s.name} · {s.probability}%") for s in self.stages])
        deal = loaded.deal
        self.deal = deal
        if deal is None:
            first = next((s for s in self.stages if not deals.is_closed(s)), self.stages[0])
            record: dict[str, Any] = {
                "account_id": account_id,
                "stage": first.name,
                "probability": first.probability,
                "currency": "EUR",
            }
        else:
            record = deal
        self.account.remember(record.get("account_id"), loaded.account_name)
        self.contact.set_account(record.get("account_id") or "")
        # A new deal saves every field shown, so the defaults are saved too.
        self.form.load(record)
        self._stage_name = self.form.text("stage")
        self._show_reason()
        self.form.setEnabled(True)
        self.save_button.setEnabled(True)
        self.form.focus("name" if deal is None else "amount")

    def _failed(self, exc: Exception) -> None:
        self.error.setText(user_message(exc))
        self.error.show()

    def stage_named(self, name: str) -> services.Stage | None:
        return next((s for s in self.stages if s.name == name), None)

    def _stage_changed(self) -> None:
        old, new = self.stage_named(self._stage_name), self.stage_named(self.form.text("stage"))
        self._stage_name = self.form.text("stage")
        if new is None:
            return
        # The probability follows the stage unless the user typed one of their own.
        typed = self.form.text("probability").strip()
        if not typed or (old is not None and typed == str(old.probability)):
            self.form.set_text("probability", str(new.probability))
        self._show_reason()

    def _show_reason(self) -> None:
        self.form.set_row_visible(
            "won_lost_reason", deals.is_closed(self.stage_named(self.form.text("stage")))
        )

    # -- saving ---------------------------------------------------------------------------

    def save(self) -> None:
        if not self.form.check_all():
            self._error(self.tr("Fix the marked fields, then save again."))
            return
        stage = self.stage_named(self.form.text("stage"))
        if deals.is_closed(stage) and not self.form.text("won_lost_reason").strip():
            assert stage is not None
            outcome = self.tr("won") if stage.is_won else self.tr("lost")
            self.form.set_error(
                "won_lost_reason", self.tr("is needed: say why the deal was {0}").format(outcome)
            )
            self.form.focus("won_lost_reason")
            return
        values: dict[str, Any] = self.form.save_values(self.deal_id is None)
        if self.deal_id is not None and not values:
            self.accept()
            return
        reopen = False
        if self.deal is not None and "stage" in values:
            old = self.stage_named(self.deal["stage"])
            if deals.is_closed(old) and not deals.is_closed(stage):
                if not self._confirm_reopen(old, stage):
                    return
                reopen = True
        self._write(values, reopen)

    def _confirm_reopen(self, old: services.Stage | None, new: services.Stage | None) -> bool:
        name = self.form.text("name") or (self.deal or {}).get("name", "")
        return dialogs.confirm(
            self,
            self.tr("Reopen deal"),
            self.tr("“{0}” is {1}. Move it back to {2} and reopen it?").format(
                name, old.name if old else "", new.name if new else ""
            ),
        )

    def _write(self, values: dict[str, Any], reopen: bool) -> None:
        deal_id = self.deal_id

        def job(session: Session) -> str:
            if deal_id is None:
                return deals.create(session, values, require_reason=True)
            deals.update(session, deal_id, values, reopen=reopen, require_reason=True)
            return deal_id

        self.error.hide()
        self.save_button.setEnabled(False)
        self.ctx.bg.write(
            job,
            ENTITIES,
            lambda saved_id: self._saved(saved_id, deal_id is None),
            on_error=lambda exc: self._save_failed(exc, values),
            owner=self,
        )

    def _saved(self, deal_id: str, created: bool) -> None:
        self.deal_id = deal_id
        self.ctx.tell(self.tr("Deal added.") if created else self.tr("Deal saved."))
        self.saved.emit(deal_id)
        self.accept()

    def _save_failed(self, exc: Exception, values: dict[str, Any]) -> None:
        self.save_button.setEnabled(True)
        if isinstance(exc, deals.ReopenRefused):
            # Closed meanwhile (a sync brought it in): ask now.
            if self._confirm_reopen(
                self.stage_named(exc.closed_stage), self.stage_named(exc.open_stage)
            ):
                self._write(values, True)
            return
        self._error(self.form.failure_message(exc))

    def _error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def delete(self) -> None:
        deal_id = self.deal_id
        if deal_id is None:
            return
        name = self.form.text("name")
        ctx = self.ctx
        if not dialogs.confirm(self, self.tr("Delete deal"), self.tr("Delete {0}?").format(name)):
            return
        deleted, restored = self.tr("Deleted {0}.").format(name), self.tr("Restored {0}.")

        def undo() -> None:
            ctx.bg.write(
                lambda s: services.restore(s, "opportunities", deal_id),
                ENTITIES,
                lambda _r: ctx.tell(restored.format(name)),
            )

        ctx.bg.write(
            lambda s: services.delete(s, "opportunities", deal_id),
            ENTITIES,
            lambda _r: ctx.tell(deleted, undo),
        )
        self.accept()


def open_deal_editor(
    ctx: AppContext,
    parent: QWidget | None = None,
    deal_id: str | None = None,
    account_id: str | None = None,
) -> DealDialog:
    """Edit ``deal_id``, or make a new deal (at ``account_id``); returns the open dialog."""
    dialog = DealDialog(ctx, parent, deal_id, account_id)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def move_deal(ctx: AppContext, parent: QWidget, deal_id: str, stage: services.Stage) -> None:
    """Move a deal to ``stage`` as a drag on the pipeline does: a won or lost stage asks
    for the reason, an open stage for a deal that is closed asks before reopening it."""
    tr = parent.tr

    def write(values: dict[str, Any], reopen: bool) -> None:
        ctx.bg.write(
            lambda s: deals.update(s, deal_id, values, reopen=reopen, require_reason=True),
            ENTITIES,
            lambda _r: ctx.tell(tr("Moved to {0}.").format(stage.name)),
            on_error=lambda e: ctx.tell(tr("Not moved: {0}").format(user_message(e))),
            owner=parent,
        )

    def decide(reopens: bool) -> None:
        values: dict[str, Any] = {"stage": stage.name, "probability": stage.probability}
        if reopens and not dialogs.confirm(
            parent,
            tr("Reopen deal"),
            tr("This deal is closed. Move it back to {0} and reopen it?").format(stage.name),
        ):
            return
        if deals.is_closed(stage):
            outcome = tr("won") if stage.is_won else tr("lost")
            reason = dialogs.ask_text(
                parent, stage.name, tr("Why was this deal {0}?").format(outcome)
            )
            if reason is None:
                return
            if not reason.strip():
                ctx.tell(tr("Not moved: say why the deal was {0}.").format(outcome))
                return
            values["won_lost_reason"] = reason.strip()
        write(values, reopens)

    ctx.bg.read(lambda s: deals.reopens(s, deal_id, stage.name), decide, owner=parent)
