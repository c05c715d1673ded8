"""One contact: its details checked as typed, its phone and email as links, Email….

:class:`ContactEditor` is the Contacts panel's right-hand side; :class:`ContactDialog`
wraps it for adding or editing a contact from the account view. Open one with
:func:`open_contact_editor`. Holds the contact's id and plain values only; saving runs
in the background and a refused save marks the fields and keeps what was typed.

Signals (ContactEditor):
    saved(str): a contact was created or updated (its id).
    deleted(str): a contact was deleted (its id).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp.store import services
from fieldapp.ui import dialogs, email_compose, links, lookups, style
from fieldapp.ui.background import user_message
from fieldapp.ui.forms import RecordForm
from fieldapp.ui.panel import AppContext
from fieldapp.ui.pickers import AccountPicker

ENTITIES = ("contacts",)


class ContactEditor(QWidget):
    """See the module doc. ``compact`` leaves out Delete and Open account (dialogs)."""

    saved = Signal(str)
    deleted = Signal(str)

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, *, compact: bool = False
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.contact_id: str | None = None
        self.creating = False
        self._record: dict[str, Any] = {}
        self._generation = 0

        self.heading = QLabel(self.tr("No contact selected"))
        style.set_role(self.heading, "heading")
        self.links = links.link_label()
        self.links.setObjectName("contact_links")
        self.account = AccountPicker(ctx.bg)
        self.form = RecordForm(
            "contacts",
            [
                ("first_name", self.tr("First name")),
                ("last_name", self.tr("Last name")),
                ("title", self.tr("Title")),
                ("account_id", self.tr("Account"), self.account),
                ("email", self.tr("Email")),
                ("phone", self.tr("Phone")),
                ("mobile", self.tr("Mobile")),
                ("street", self.tr("Street")),
                ("postcode", self.tr("Postcode")),
                ("city", self.tr("City")),
                ("country", self.tr("Country")),
                ("description", self.tr("Notes")),
            ],
        )
        self.form.edited.connect(self._update_buttons)
        self.error = QLabel("")
        self.error.setObjectName("contact_error")
        style.set_role(self.error, "error")
        self.error.setWordWrap(True)
        self.error.hide()

        self.save_button = QPushButton(self.tr("Save"))
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.revert_button = QPushButton(self.tr("Revert"))
        self.revert_button.clicked.connect(self.revert)
        self.email_button = QPushButton(self.tr("Email…"))
        self.email_button.setToolTip(self.tr("Write to this contact from a template"))
        self.email_button.clicked.connect(self.email)
        self.account_button = QPushButton(self.tr("Open account"))
        self.account_button.clicked.connect(self.open_account)
        self.delete_button = QPushButton(self.tr("Delete"))
        self.delete_button.clicked.connect(self.delete)
        buttons = QHBoxLayout()
        for button in (self.save_button, self.revert_button, self.email_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        if compact:
            self.account_button.hide()
            self.delete_button.hide()
        else:
            buttons.addWidget(self.account_button)
            buttons.addWidget(self.delete_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.links)
        layout.addLayout(buttons)
        layout.addWidget(self.form)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self._update_buttons()

    # -- showing ------------------------------------------------------------------------

    def show_contact(self, contact_id: str) -> None:
        if (
            contact_id != self.contact_id
            and self.form.is_modified()
            and not dialogs.confirm(
                self, self.tr("Unsaved changes"), self.tr("Discard the changes you made?")
            )
        ):
            return
        self.contact_id = contact_id
        self.creating = False
        self.reload(reset_form=True)

    def reload(self, *, reset_form: bool = False) -> None:
        contact_id = self.contact_id
        if contact_id is None:
            return
        self._generation += 1
        gen = self._generation
        self.ctx.bg.read(
            lambda s: lookups.contact_detail(s, contact_id),
            lambda record: self._show(gen, record, reset_form),
            on_error=self._load_failed,
            owner=self,
        )

    def _show(self, gen: int, record: dict[str, Any], reset_form: bool) -> None:
        if gen != self._generation:
            return
        self._record = record
        name = lookups.contact_name(record["first_name"], record["last_name"])
        title = ", ".join(p for p in (record["title"], record["account_name"]) if p)
        self.heading.setText(f"{name} — {title}" if title else name)
        self.links.setText(
            links.links_html(phone=record["phone"], mobile=record["mobile"], email=record["email"])
        )
        if reset_form or not self.form.is_modified():
            self.account.remember(record["account_id"], record["account_name"])
            self.form.load(record)
            self.error.hide()
        self._update_buttons()

    def _load_failed(self, exc: Exception) -> None:
        self.clear()
        self.heading.setText(self.tr("Contact not found"))
        self.error.setText(user_message(exc))
        self.error.show()

    def clear(self) -> None:
        self.contact_id = None
        self.creating = False
        self._record = {}
        self.form.load({})
        self.heading.setText(self.tr("No contact selected"))
        self.links.setText("")
        self.error.hide()
        self._update_buttons()

    def new_contact(self, account_id: str = "", account_name: str = "") -> None:
        """An empty form for a new contact (at ``account_id``, when given)."""
        self.contact_id = None
        self.creating = True
        self._record = {}
        self.form.load({})
        if account_id:
            self.account.choose(account_id, account_name)
        self.heading.setText(
            self.tr("New contact at {0}").format(account_name)
            if account_name
            else self.tr("New contact")
        )
        self.links.setText("")
        self.error.hide()
        self._update_buttons()
        self.form.focus("first_name")

    def _update_buttons(self) -> None:
        has = self.contact_id is not None
        self.form.setEnabled(has or self.creating)
        self.save_button.setEnabled(has or self.creating)
        self.revert_button.setEnabled(has and self.form.is_modified())
        self.email_button.setEnabled(has and bool(self._record.get("email")))
        self.account_button.setEnabled(has and bool(self._record.get("account_id")))
        self.delete_button.setEnabled(has)

    # -- editing ------------------------------------------------------------------------

    def save(self) -> None:
        if not self.form.check_all():
            self._failed_text(self.tr("Fix the marked fields, then save again."))
            return
        contact_id = self.contact_id
        if contact_id is not None and not self.form.is_modified():
            return
        self.error.hide()
        self.ctx.bg.write(
            self.form.save_job("contacts", contact_id),
            ENTITIES,
            lambda result: self._saved(contact_id or str(result), contact_id is None),
            on_error=lambda exc: self._failed_text(self.form.failure_message(exc)),
            owner=self,
        )

    def _saved(self, contact_id: str, created: bool) -> None:
        self.contact_id = contact_id
        self.creating = False
        self.ctx.tell(self.tr("Contact added.") if created else self.tr("Contact saved."))
        self.reload(reset_form=True)
        self.saved.emit(contact_id)

    def _failed_text(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def revert(self) -> None:
        self.reload(reset_form=True)

    def delete(self) -> None:
        contact_id = self.contact_id
        if contact_id is None:
            return
        name = lookups.contact_name(self._record.get("first_name"), self._record.get("last_name"))
        if delete_contact(self.ctx, self, contact_id, name):
            self.clear()
            self.deleted.emit(contact_id)

    def email(self) -> None:
        if self.contact_id is not None:
            email_compose.open_email(
                self.ctx, self, self._record.get("account_id"), self.contact_id
            )

    def open_account(self) -> None:
        account_id = self._record.get("account_id")
        if account_id:
            self.ctx.open_account.emit(account_id)


def delete_contact(ctx: AppContext, parent: QWidget, contact_id: str, name: str) -> bool:
    """Ask, then delete the contact with an Undo in the toast; False if the user said no."""
    tr = parent.tr
    if not dialogs.confirm(parent, tr("Delete contact"), tr("Delete {0}?").format(name)):
        return False

    def undo() -> None:
        ctx.bg.write(
            lambda s: services.restore(s, "contacts", contact_id),
            ENTITIES,
            lambda _r: ctx.tell(tr("Restored {0}.").format(name)),
        )

    ctx.bg.write(
        lambda s: services.delete(s, "contacts", contact_id),
        ENTITIES,
        lambda _r: ctx.tell(tr("Deleted {0}.").format(name), undo),
        on_error=lambda e: ctx.tell(tr("Not deleted: {0}").format(user_message(e))),
    )
    return True


class ContactDialog(QDialog):
    """A :class:`ContactEditor` in a window of its own; closes when the contact is saved."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Contact"))
        self.editor = ContactEditor(ctx, self, compact=True)
        self.editor.saved.connect(lambda _id: self.accept())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.editor)
        layout.addWidget(buttons)
        self.resize(520, 560)


def open_contact_editor(
    ctx: AppContext,
    parent: QWidget | None = None,
    contact_id: str | None = None,
    account_id: str = "",
    account_name: str = "",
) -> ContactDialog:
    """Edit ``contact_id``, or add a contact (at ``account_id``); returns the open dialog."""
    dialog = ContactDialog(ctx, parent)
    if contact_id is None:
        dialog.setWindowTitle(dialog.tr("New contact"))
        dialog.editor.new_contact(account_id, account_name)
    else:
        dialog.setWindowTitle(dialog.tr("Edit contact"))
        dialog.editor.show_contact(contact_id)
    dialog.open()
    return dialog
