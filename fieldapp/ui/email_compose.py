"""Email… : write to an account or contact from a template, in the user's mail client.

The draft is made from a template (:mod:`fieldapp.store.email_templates`: quote
follow-up, visit summary, blank) with the recipient, the account, the last visit and
the latest deal filled in; the user edits it, and "Open in mail app" hands a
``mailto:`` link with subject and body to the system's mail client. The email is then
logged on the account's timeline (:func:`fieldapp.store.activities.log_email`).
Nothing is sent from the app itself, so this works offline (the mail client queues it).

Open with :func:`open_email`; templates are edited in :class:`TemplatesDialog`.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp.errors import FieldappError
from fieldapp.store import activities, email_templates
from fieldapp.store.email_templates import Template
from fieldapp.ui import fmt, links, lookups, style
from fieldapp.ui.background import user_message
from fieldapp.ui.panel import AppContext

ENTITIES = ("notes",)


def _load_templates(ctx: AppContext, parent: QWidget) -> list[Template]:
    try:
        return email_templates.load(ctx.data_dir)
    except FieldappError as exc:
        ctx.tell(parent.tr("{0}; using the built-in templates.").format(exc.plain))
        return list(email_templates.DEFAULTS)


class EmailDialog(QDialog):
    """See the module doc. Built empty; :meth:`set_context` fills it when the read is in."""

    def __init__(
        self, ctx: AppContext, parent: QWidget | None, contact_id: str | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.tr("Email"))
        self.contact_id = contact_id
        self.context: lookups.EmailContext | None = None
        self.templates = _load_templates(ctx, self)
        self._rendered = ("", "")

        self.to = QComboBox()
        self.to.setEditable(True)
        self.to.setMinimumContentsLength(30)
        self.template = QComboBox()
        for template in self.templates:
            self.template.addItem(template.name, template.key)
        self.edit_templates = QPushButton(self.tr("Edit templates…"))
        self.edit_templates.clicked.connect(self._edit_templates)
        template_row = QHBoxLayout()
        template_row.addWidget(self.template, 1)
        template_row.addWidget(self.edit_templates)
        self.subject = QLineEdit()
        self.body = QPlainTextEdit()
        self.body.setMinimumHeight(220)
        self.error = QLabel("")
        style.set_role(self.error, "error")
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.send_button = self.buttons.addButton(
            self.tr("Open in mail app"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.send_button.setEnabled(False)
        self.buttons.accepted.connect(self.send)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow(self.tr("To"), self.to)
        form.addRow(self.tr("Template"), template_row)
        form.addRow(self.tr("Subject"), self.subject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.template.currentIndexChanged.connect(lambda _i: self.apply_template(force=True))
        self.to.currentIndexChanged.connect(lambda _i: self.apply_template(force=False))
        self.resize(620, 520)

    # -- filling --------------------------------------------------------------------------

    def set_context(self, context: lookups.EmailContext) -> None:
        self.context = context
        self.to.blockSignals(True)
        self.to.clear()
        for choice in context.recipients:
            self.to.addItem(f"{choice.name} <{choice.detail}>", choice.id)
        wanted = self.to.findData(self.contact_id) if self.contact_id else -1
        if wanted < 0 and self.to.count() > 1 and not self.to.itemData(0):
            wanted = 1  # a person rather than the account's general address
        self.to.setCurrentIndex(max(wanted, 0))
        self.to.blockSignals(False)
        if not context.recipients:
            self.error.setText(self.tr("No email address is known here; type one in To."))
            self.error.show()
        self.send_button.setEnabled(True)
        self.apply_template(force=True)

    def values(self) -> dict[str, str]:
        """The placeholders for the recipient chosen now."""
        context = self.context
        if context is None:
            return {}
        values = dict(context.values)
        values["today"] = fmt.fmt_date(date.today())
        values["visit_date"] = fmt.fmt_date(context.last_visit)
        values["deal_amount"] = fmt.fmt_money(context.deal_amount, context.deal_currency)
        contact = str(self.to.currentData() or "")
        person = context.contact_values.get(contact)
        if person is None:
            # Writing to the account's general address: greet the account.
            name = values["account"]
            person = {"contact_name": name, "contact_first_name": name, "contact_title": ""}
        values.update(person)
        return values

    def current_template(self) -> Template:
        key = self.template.currentData()
        return next((t for t in self.templates if t.key == key), self.templates[0])

    def apply_template(self, *, force: bool) -> None:
        """Draft subject and body from the template; keeps what the user already edited
        unless ``force`` (another template was chosen)."""
        if self.context is None:
            return
        if not force and (self.subject.text(), self.body.toPlainText()) != self._rendered:
            return
        template, values = self.current_template(), self.values()
        self._rendered = (
            email_templates.render(template.subject, values),
            email_templates.render(template.body, values),
        )
        self.subject.setText(self._rendered[0])
        self.body.setPlainText(self._rendered[1])

    # -- sending --------------------------------------------------------------------------

    def address(self) -> str:
        text = self.to.currentText().strip()
        if "<" in text and text.endswith(">"):
            return text[text.rindex("<") + 1 : -1].strip()
        return text

    def send(self) -> None:
        address = self.address()
        if "@" not in address:
            self.error.setText(self.tr("Say whom to write to: an email address in To."))
            self.error.show()
            return
        subject, body = self.subject.text().strip(), self.body.toPlainText()
        if not links.open_url(links.mailto_url(address, subject, body)):
            self.error.setText(
                self.tr("No mail app is set up on this computer; nothing was logged.")
            )
            self.error.show()
            return
        context = self.context
        account_id = context.account_id if context else None
        contact = self.recipient_contact(address)
        ctx = self.ctx
        logged = self.tr("Email opened in your mail app and logged on the timeline.")
        not_logged = self.tr("Email not logged: {0}")
        ctx.bg.write(
            lambda s: activities.log_email(
                s,
                account_id=account_id,
                contact_id=contact,
                to=address,
                subject=subject,
                body=body,
            ),
            ENTITIES,
            lambda _id: ctx.tell(logged),
            on_error=lambda e: ctx.tell(not_logged.format(user_message(e))),
        )
        self.accept()

    def recipient_contact(self, address: str) -> str | None:
        """The contact written to, unless the address was typed in by hand."""
        if self.context is None:
            return None
        for choice in self.context.recipients:
            if choice.detail.casefold() == address.casefold() and choice.id:
                return choice.id
        return None

    def _edit_templates(self) -> None:
        dialog = TemplatesDialog(self.ctx, self, self.current_template().key)
        dialog.finished.connect(lambda _r: self._templates_edited())
        dialog.open()

    def _templates_edited(self) -> None:
        self.templates = _load_templates(self.ctx, self)
        self.apply_template(force=True)


def open_email(
    ctx: AppContext,
    parent: QWidget | None,
    account_id: str | None,
    contact_id: str | None = None,
) -> EmailDialog:
    """Compose an email about ``account_id`` (to ``contact_id`` when given)."""
    dialog = EmailDialog(ctx, parent, contact_id)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    ctx.bg.read(
        lambda s: lookups.email_context(s, account_id, contact_id),
        dialog.set_context,
        on_error=lambda e: dialog.error.setText(user_message(e)),
        owner=dialog,
    )
    dialog.open()
    return dialog


class TemplatesDialog(QDialog):
    """Edit the email templates' subject and body; the placeholders are listed."""

    def __init__(self, ctx: AppContext, parent: QWidget | None, key: str = "") -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.tr("Email templates"))
        self.templates = _load_templates(ctx, self)
        self.choice = QComboBox()
        for template in self.templates:
            self.choice.addItem(template.name, template.key)
        self.subject = QLineEdit()
        self.body = QPlainTextEdit()
        self.body.setMinimumHeight(200)
        names = "  ".join("{" + name + "}" for name in email_templates.PLACEHOLDERS)
        self.help = QLabel(self.tr("Placeholders: {0}").format(names))
        self.help.setWordWrap(True)
        self.help.setToolTip(
            "\n".join(f"{{{k}}}: {v}" for k, v in email_templates.PLACEHOLDERS.items())
        )
        style.set_role(self.help, "subheading")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.save_button = buttons.addButton(
            self.tr("Save template"), QDialogButtonBox.ButtonRole.ApplyRole
        )
        self.reset_button = buttons.addButton(
            self.tr("Back to the original"), QDialogButtonBox.ButtonRole.ResetRole
        )
        self.save_button.clicked.connect(self.save)
        self.reset_button.clicked.connect(self.reset)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(self.tr("Template"), self.choice)
        form.addRow(self.tr("Subject"), self.subject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.help)
        layout.addWidget(buttons)
        self.choice.currentIndexChanged.connect(lambda _i: self._show())
        self.choice.setCurrentIndex(max(self.choice.findData(key), 0))
        self._show()
        self.resize(620, 480)

    def current(self) -> Template:
        return self.templates[self.choice.currentIndex()]

    def _show(self) -> None:
        template = self.current()
        self.subject.setText(template.subject)
        self.body.setPlainText(template.body)

    def save(self) -> None:
        old = self.current()
        new = Template(old.key, old.name, self.subject.text(), self.body.toPlainText())
        try:
            email_templates.save(self.ctx.data_dir, new)
        except (OSError, FieldappError) as exc:
            self.ctx.tell(self.tr("Template not saved: {0}").format(exc))
            return
        self.templates[self.choice.currentIndex()] = new
        self.ctx.tell(self.tr("Template “{0}” saved.").format(new.name))

    def reset(self) -> None:
        original = email_templates.default(self.current().key)
        self.subject.setText(original.subject)
        self.body.setPlainText(original.body)
        self.save()
