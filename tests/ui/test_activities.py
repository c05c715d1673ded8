"""Notes edited and deleted in the timeline, the task editor, phone/email/web links,
and Email… from a template logged as an email on the timeline."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from pytestqt.qtbot import QtBot

from fieldapp.errors import NotFoundError
from fieldapp.store import email_templates, services
from fieldapp.store.db import Replica
from fieldapp.sync import state
from fieldapp.ui import dialogs, links
from fieldapp.ui.account_detail import AccountDetail
from fieldapp.ui.accounts_panel import AccountsPanel
from fieldapp.ui.agenda_panel import DUE_RELOAD_MS
from fieldapp.ui.email_compose import TemplatesDialog, open_email
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.record_tab import ID_ROLE, items
from fieldapp.ui.task_editor import TaskDialog, default_due
from fieldapp.ui.tasks_panel import TasksPanel
from tests.ui.builders import Demo


class UrlCatcher(QObject):
    """Receives the URLs the app hands to the system (instead of a dialler or mail app)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def handle(self, url: QUrl) -> None:
        self.urls.append(url)


@pytest.fixture
def urls() -> Iterator[UrlCatcher]:
    catcher = UrlCatcher()
    for scheme in ("tel", "mailto", "https"):
        QDesktopServices.setUrlHandler(scheme, catcher, "handle")
    yield catcher
    for scheme in ("tel", "mailto", "https"):
        QDesktopServices.unsetUrlHandler(scheme)


def open_detail(
    qtbot: QtBot, window: MainWindow, replica: Replica, account_id: str
) -> AccountDetail:
    panel = window.show_panel("accounts")
    assert isinstance(panel, AccountsPanel)
    with replica.read_session() as s:
        name = services.get(s, "accounts", account_id)["name"]
    window.open_account(account_id)
    qtbot.waitUntil(lambda: panel.detail.heading.text() == name)
    return panel.detail


def timeline_texts(detail: AccountDetail) -> list[str]:
    tree = detail.timeline
    return [tree.topLevelItem(i).text(1) for i in range(tree.topLevelItemCount())]


def notes_of(replica: Replica, account_id: str) -> list[dict[str, object]]:
    with replica.read_session() as s:
        return services.list_records(s, "notes", limit=None, where={"account_id": account_id})


def test_edit_and_delete_a_note_with_undo(
    qtbot: QtBot, replica: Replica, demo: Demo, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    account_id = demo.accounts[0]
    detail = open_detail(qtbot, window, replica, account_id)
    tab = detail.timeline_tab
    qtbot.waitUntil(lambda: "Note 1: asked about Q3 prices" in timeline_texts(detail))
    [note] = notes_of(replica, account_id)
    tab.select(str(note["id"]))
    assert tab.edit_button.isEnabled() and tab.delete_button.isEnabled()
    monkeypatch.setattr(
        dialogs, "ask_long_text", lambda _p, _t, _l, text: text + "\nThey want 5% off."
    )
    tab.edit_selected()
    qtbot.waitUntil(lambda: "They want 5% off." in str(notes_of(replica, account_id)[0]["body"]))
    # The timeline shows the first line; the whole note is the tooltip.
    qtbot.waitUntil(
        lambda: (
            tab.tree.topLevelItem(0) is not None
            and any(
                tab.tree.topLevelItem(i).toolTip(1).endswith("They want 5% off.")
                for i in range(tab.tree.topLevelItemCount())
            )
        )
    )
    assert "Note 1: asked about Q3 prices" in timeline_texts(detail)
    tab.select(str(note["id"]))
    tab.tree.setFocus()
    qtbot.waitUntil(tab.tree.hasFocus)
    # The Delete key deletes the note selected in the timeline, not the account.
    qtbot.keyClick(tab.tree, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: notes_of(replica, account_id) == [])
    qtbot.waitUntil(lambda: not any(t.startswith("Note 1") for t in timeline_texts(detail)))
    with replica.read_session() as s:
        assert services.get(s, "accounts", account_id)["deleted_at"] is None
    qtbot.waitUntil(lambda: "Note deleted." in window.toast.label.text())
    assert window.toast.trigger()  # Undo
    qtbot.waitUntil(lambda: len(notes_of(replica, account_id)) == 1)
    qtbot.waitUntil(lambda: "Note 1: asked about Q3 prices" in timeline_texts(detail))
    # Visits and tasks on the timeline are not notes: nothing to edit there.
    visit_row = next(i for i, k in enumerate(tab.kinds()) if k == "visit")
    tab.tree.setCurrentItem(tab.tree.topLevelItem(visit_row))
    assert not tab.edit_button.isEnabled()


def test_delete_a_task_from_the_account_with_undo(
    qtbot: QtBot, replica: Replica, demo: Demo, window: MainWindow
) -> None:
    account_id = demo.accounts[0]
    with replica.session() as s:
        task_id = services.create(s, "tasks", {"title": "Bring samples", "account_id": account_id})
    detail = open_detail(qtbot, window, replica, account_id)
    tab = detail.tasks_tab

    def listed() -> bool:
        return task_id in [item.data(0, ID_ROLE) for item in items(tab.tree)]

    qtbot.waitUntil(listed)
    tab.select(task_id)
    assert tab.delete_selected()
    qtbot.waitUntil(lambda: not listed(), timeout=30_000)
    assert "Deleted task “Bring samples”." in window.toast.label.text()
    with replica.read_session() as s, pytest.raises(NotFoundError):
        services.get(s, "tasks", task_id)  # deleted
    assert window.toast.trigger()  # Undo
    qtbot.waitUntil(listed, timeout=30_000)
    with replica.read_session() as s:
        assert services.get(s, "tasks", task_id)["deleted_at"] is None
    # The Agenda reloads its due list a moment after a tasks notice: let that run too.
    qtbot.wait(DUE_RELOAD_MS + 50)
    qtbot.waitUntil(lambda: window.bg.pending() == 0, timeout=30_000)


def test_due_default_is_never_in_the_past() -> None:
    morning = datetime(2026, 11, 24, 8, 15).astimezone()
    assert default_due(morning) == datetime(2026, 11, 24, 17, 0).astimezone()
    late = datetime(2026, 11, 24, 16, 30).astimezone()  # under an hour before 17:00
    assert default_due(late) == datetime(2026, 11, 25, 9, 0).astimezone()
    night = datetime(2026, 11, 24, 23, 50).astimezone()
    assert default_due(night) == datetime(2026, 11, 25, 9, 0).astimezone()
    now = datetime.now().astimezone()
    assert default_due() > now


def test_task_editor_with_assignee_from_the_tasks_panel(
    qtbot: QtBot, replica: Replica, demo: Demo, make_window: object
) -> None:
    with replica.session() as s:
        me = services.create(s, "users", {"username": "alice", "display_name": "Alice Adler"})
        boss = services.create(s, "users", {"username": "maria", "display_name": "Maria Berg"})
        state.put(s.connection(), "user_id", me)
        account = services.get(s, "accounts", demo.accounts[1])
        contact = services.list_records(s, "contacts", where={"account_id": account["id"]})[0]
    assert callable(make_window)
    window = make_window()
    assert isinstance(window, MainWindow)
    panel = window.show_panel("tasks")
    assert isinstance(panel, TasksPanel)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3)
    before = datetime.now().astimezone()
    panel.new_record()
    dialog = panel.editor
    assert isinstance(dialog, TaskDialog)
    qtbot.waitUntil(lambda: dialog.save_button.isEnabled())
    # Assigned to the signed-in user; due in the future.
    assert dialog.owner.people() == [(me, "Alice Adler (me)"), (boss, "Maria Berg")]
    assert dialog.form.text("owner_id") == me
    due = dialog.due.value()
    assert due is not None and due > before and due == default_due(before).replace(second=0)
    qtbot.keyClicks(dialog.form.editors["title"], "Send the revised quote")
    qtbot.keyClicks(dialog.account.edit, account["name"])  # the whole name picks it
    qtbot.waitUntil(lambda: dialog.account.text() == account["id"])
    qtbot.waitUntil(lambda: contact["id"] in dialog.contact.choices())
    dialog.contact.set_text(contact["id"])
    dialog.form.set_text("priority", "high")
    dialog.owner.set_text(boss)
    dialog.form.editors["description"].setPlainText("With the new delivery terms")  # type: ignore[union-attr]
    with qtbot.waitSignal(dialog.saved) as saved:
        dialog.save()
    with replica.read_session() as s:
        task = services.get(s, "tasks", saved.args[0])
    assert (
        task["title"],
        task["account_id"],
        task["contact_id"],
        task["priority"],
        task["owner_id"],
        task["description"],
    ) == (
        "Send the revised quote",
        account["id"],
        contact["id"],
        "high",
        boss,
        "With the new delivery terms",
    )
    assert task["due_at"] == due
    # Edit it: double-click opens the editor on the stored values.
    panel.view_combo.setCurrentIndex(2)  # all open
    qtbot.waitUntil(lambda: panel.model.row_of(task["id"]) >= 0)
    panel.table.selectRow(panel.model.row_of(task["id"]))
    panel.edit_selected()
    dialog = panel.editor
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.form.text("title") == "Send the revised quote")
    assert dialog.form.text("owner_id") == boss and dialog.account.name() == account["name"]
    dialog.owner.set_text(me)
    with qtbot.waitSignal(dialog.saved):
        dialog.save()
    with replica.read_session() as s:
        assert services.get(s, "tasks", task["id"])["owner_id"] == me


def test_without_users_the_assignee_is_me(
    qtbot: QtBot, replica: Replica, demo: Demo, window: MainWindow
) -> None:
    detail = open_detail(qtbot, window, replica, demo.accounts[5])
    dialog = detail.tasks_tab.new_task()
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.save_button.isEnabled())
    assert dialog.owner.people() == [("", "me")]
    assert dialog.account.text() == demo.accounts[5]
    qtbot.keyClicks(dialog.form.editors["title"], "Check the shelf space")
    with qtbot.waitSignal(dialog.saved) as saved:
        dialog.save()
    qtbot.waitUntil(lambda: detail.tasks.topLevelItemCount() == 1)
    with replica.read_session() as s:
        task = services.get(s, "tasks", saved.args[0])
    assert task["owner_id"] is None and task["account_id"] == demo.accounts[5]
    assert task["due_at"] > datetime.now().astimezone() - timedelta(minutes=1)


def test_phone_email_and_web_are_links(
    qtbot: QtBot, replica: Replica, demo: Demo, window: MainWindow, urls: UrlCatcher
) -> None:
    account_id = demo.accounts[0]
    with replica.session() as s:
        services.update(
            s, "accounts", account_id, {"email": "info@acme.example", "website": "acme.example"}
        )
    detail = open_detail(qtbot, window, replica, account_id)
    qtbot.waitUntil(lambda: "mailto:info@acme.example" in detail.links.text())
    html = detail.links.text()
    for href in ("tel:", "mailto:info@acme.example", "https://acme.example"):
        start = html.index(f'href="{href}')
        detail.links.linkActivated.emit(html[start + 6 : html.index('"', start + 6)])
    with replica.read_session() as s:
        phone = services.get(s, "accounts", account_id)["phone"]
    assert [u.toString() for u in urls.urls] == [
        "tel:" + phone.replace(" ", ""),
        "mailto:info@acme.example",
        "https://acme.example",
    ]
    # The contacts tab's email and phone cells are links too.
    tab = detail.contacts_tab
    qtbot.waitUntil(lambda: tab.tree.topLevelItemCount() > 0)
    cell = tab.tree.itemWidget(tab.tree.topLevelItem(0), 2)
    assert cell is not None and "mailto:contact" in cell.text()  # type: ignore[attr-defined]
    assert links.tel_url("+49 (221) 123-45").toString() == "tel:+4922112345"


def test_email_from_a_template_opens_the_mail_app_and_is_logged(
    qtbot: QtBot, replica: Replica, demo: Demo, window: MainWindow, urls: UrlCatcher
) -> None:
    account_id = demo.accounts[0]
    with replica.session() as s:
        contact = services.list_records(s, "contacts", where={"account_id": account_id})[0]
        services.update(s, "contacts", contact["id"], {"first_name": "Jana"})
        deal = services.list_records(s, "opportunities", where={"account_id": account_id})[0]
    detail = open_detail(qtbot, window, replica, account_id)
    dialog = open_email(window.ctx, detail, account_id, contact["id"])
    qtbot.waitUntil(lambda: dialog.send_button.isEnabled())
    assert dialog.address() == contact["email"]
    dialog.template.setCurrentIndex(dialog.template.findData("quote_follow_up"))
    assert dialog.subject.text() == f"Your quote: {deal['name']}"
    body = dialog.body.toPlainText()
    assert body.startswith("Dear Jana,\n\nthank you for your time.")
    assert f"our quote for {deal['name']} (€" in body
    dialog.body.setPlainText(body + "\nPS: samples are on their way.")
    dialog.send()
    assert len(urls.urls) == 1
    url = urlsplit(urls.urls[0].toString(QUrl.ComponentFormattingOption.FullyEncoded))
    query = parse_qs(url.query)
    assert (url.scheme, unquote(url.path)) == ("mailto", contact["email"])
    assert query["subject"] == [f"Your quote: {deal['name']}"]
    assert query["body"][0].endswith("\r\nPS: samples are on their way.")
    assert "\r\n\r\nthank you" in query["body"][0]  # line ends as RFC 6068 wants them

    def emails() -> list[dict[str, object]]:
        return [n for n in notes_of(replica, account_id) if str(n["body"]).startswith("✉")]

    qtbot.waitUntil(lambda: len(emails()) == 1)
    [note] = emails()
    assert note["contact_id"] == contact["id"]
    assert str(note["body"]).startswith(
        f"✉ Email to {contact['email']}: Your quote: {deal['name']}"
    )
    tab = detail.timeline_tab
    headline = f"✉ Email to {contact['email']}: Your quote: {deal['name']}"
    qtbot.waitUntil(lambda: headline in timeline_texts(detail))
    assert tab.kinds()[timeline_texts(detail).index(headline)] == "email"


def test_templates_are_edited_in_one_place(
    qtbot: QtBot, replica: Replica, demo: Demo, window: MainWindow, urls: UrlCatcher
) -> None:
    dialog = TemplatesDialog(window.ctx, window, "visit_summary")
    qtbot.addWidget(dialog)
    dialog.subject.setText("Summary of {visit_date} at {account}")
    dialog.save()
    saved = email_templates.load(replica.data_dir)
    assert next(t for t in saved if t.key == "visit_summary").subject == (
        "Summary of {visit_date} at {account}"
    )
    account_id = demo.accounts[0]
    with replica.read_session() as s:
        name = services.get(s, "accounts", account_id)["name"]
    compose = open_email(window.ctx, window, account_id)
    qtbot.waitUntil(lambda: compose.send_button.isEnabled())
    compose.template.setCurrentIndex(compose.template.findData("visit_summary"))
    assert compose.subject.text().startswith("Summary of ") and compose.subject.text().endswith(
        f" at {name}"
    )
    assert "{" not in compose.subject.text()  # the last visit's date was filled in
    compose.reject()
    dialog.reset()  # back to the original wording; the file keeps only edits
    assert email_templates.load(replica.data_dir) == list(email_templates.DEFAULTS)
