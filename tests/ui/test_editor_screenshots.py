"""Every panel and the new editors at 1280×800: saved for a person to look at (to the
folder named by FIELDAPP_SCREENSHOTS) and checked for clipped buttons, labels and tabs."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QLabel,
    QTabBar,
    QTableView,
    QTreeView,
    QWidget,
)
from pytestqt.qtbot import QtBot

from fieldapp.store import services
from fieldapp.store.db import Replica
from fieldapp.ui.accounts_panel import AccountsPanel
from fieldapp.ui.contact_editor import open_contact_editor
from fieldapp.ui.contacts_panel import ContactsPanel
from fieldapp.ui.conversion import ConversionDialog
from fieldapp.ui.deal_editor import open_deal_editor
from fieldapp.ui.email_compose import TemplatesDialog, open_email
from fieldapp.ui.leads_panel import LeadsPanel
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.pipeline_panel import PipelinePanel
from fieldapp.ui.task_editor import open_task_editor
from fieldapp.ui.tasks_panel import TasksPanel
from fieldapp.ui.today_panel import TodayPanel
from tests.ui.builders import fill
from tests.ui.test_screenshots import distinct_colours

SIZE = (1280, 800)


def clipped(root: QWidget) -> list[str]:
    """Visible buttons, combo boxes, one-line labels and tabs narrower than their text."""
    problems = []
    for widget in root.findChildren(QWidget):
        if not widget.isVisibleTo(root) or widget.width() == 0:
            continue
        name = f"{type(widget).__name__} {widget.objectName() or ''}".strip()
        if isinstance(widget, QAbstractButton) and widget.width() < widget.sizeHint().width() - 2:
            problems.append(
                f"{name} '{widget.text()}' {widget.width()} < {widget.sizeHint().width()}"
            )
        elif isinstance(widget, QComboBox):
            wanted = (
                widget.sizeHint()
                if widget.sizeAdjustPolicy() == QComboBox.SizeAdjustPolicy.AdjustToContents
                else widget.minimumSizeHint()
            )
            if widget.width() < wanted.width() - 2:
                problems.append(
                    f"{name} '{widget.currentText()}' {widget.width()} < {wanted.width()}"
                )
        elif isinstance(widget, QTableView | QTreeView) and widget.horizontalScrollBar().maximum():
            # Columns wider than the list: some are cut off or need scrolling to see.
            problems.append(f"{name}: columns wider than the list")
        elif (
            isinstance(widget, QLabel)
            and not widget.wordWrap()
            and widget.text()
            and widget.pixmap().isNull()
            and widget.width() < widget.minimumSizeHint().width() - 2
        ):
            wanted = widget.minimumSizeHint().width()
            problems.append(f"{name} '{widget.text()[:40]}' {widget.width()} < {wanted}")
        elif isinstance(widget, QTabBar):
            for i in range(widget.count()):
                if widget.tabRect(i).width() < widget.tabSizeHint(i).width() - 2:
                    problems.append(f"tab '{widget.tabText(i)}' clipped")
    return problems


def test_screens_fit_at_1280x800(
    qtbot: QtBot, replica: Replica, make_window: Callable[..., MainWindow]
) -> None:
    demo = fill(replica, accounts=300, seed=7)
    with replica.session() as s:
        services.update(
            s, "accounts", demo.accounts[0], {"email": "info@example.com", "website": "example.com"}
        )
        services.update(
            s, "opportunities", demo.opportunities[1], {"currency": "USD", "amount": "12500"}
        )
        soon = date.today() + timedelta(days=9)
        for deal in demo.opportunities[:3]:
            services.update(s, "opportunities", deal, {"close_date": soon})
    window = make_window()
    window.resize(*SIZE)
    folder = os.environ.get("FIELDAPP_SCREENSHOTS")
    problems: dict[str, list[str]] = {}

    def shoot(name: str, widget: QWidget | None = None) -> None:
        qtbot.wait(80)
        target = widget or window
        image = target.grab().toImage()
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            assert image.save(str(Path(folder) / f"{name}.png"))
        assert distinct_colours(image) > 20, f"{name} looks blank"
        if widget is None:
            assert (image.width(), image.height()) == SIZE, name
        found = clipped(target)
        if found:
            problems[name] = found

    today = window.show_panel("today")
    assert isinstance(today, TodayPanel)
    qtbot.waitUntil(lambda: today.planned.count() == 4 and today.closing.count() > 0)
    shoot("10-today")

    accounts = window.show_panel("accounts")
    assert isinstance(accounts, AccountsPanel)
    qtbot.waitUntil(lambda: accounts.model.rowCount() == 300 and accounts.model.is_loaded(0))
    window.open_account(demo.accounts[0])
    detail = accounts.detail
    qtbot.waitUntil(lambda: detail.timeline.topLevelItemCount() > 0)
    qtbot.waitUntil(lambda: "mailto:" in detail.links.text())
    qtbot.waitUntil(lambda: all(accounts.model.is_loaded(r) for r in range(30)))
    for index, name in enumerate(("timeline", "contacts", "deals", "visits", "tasks")):
        detail.tabs.setCurrentIndex(index)
        shoot(f"11-account-{index}-{name}")

    contacts = window.show_panel("contacts")
    assert isinstance(contacts, ContactsPanel)
    qtbot.waitUntil(lambda: contacts.model.rowCount() > 0 and contacts.model.is_loaded(0))
    contacts.table.selectRow(0)
    qtbot.waitUntil(lambda: contacts.editor.form.text("last_name") != "")
    qtbot.waitUntil(lambda: all(contacts.model.is_loaded(r) for r in range(25)))
    shoot("12-contacts")
    contacts.search.setText("zzzz-nobody")
    qtbot.waitUntil(lambda: contacts.hint.hint() != "")
    shoot("12b-contacts-empty")

    leads = window.show_panel("leads")
    assert isinstance(leads, LeadsPanel)
    qtbot.waitUntil(lambda: leads.model.rowCount() == 12)
    leads.table.selectRow(0)
    qtbot.waitUntil(lambda: leads.form.text("last_name") != "")
    shoot("13-leads")

    pipeline = window.show_panel("pipeline")
    assert isinstance(pipeline, PipelinePanel)
    qtbot.waitUntil(lambda: len(pipeline.columns) == 7 and "forecast" in pipeline.summary.text())
    shoot("14-pipeline")

    tasks = window.show_panel("tasks")
    assert isinstance(tasks, TasksPanel)
    qtbot.waitUntil(lambda: tasks.model.rowCount() == 3)
    shoot("15-tasks")

    # The editors, each in its own window.
    deal = open_deal_editor(window.ctx, window, demo.opportunities[1])
    qtbot.waitUntil(lambda: deal.save_button.isEnabled())
    shoot("20-deal-editor", deal)
    deal.stage.set_text("Closed Lost")
    shoot("20b-deal-editor-lost", deal)
    deal.reject()
    task = open_task_editor(window.ctx, window, None, demo.accounts[0])
    qtbot.waitUntil(lambda: task.save_button.isEnabled())
    shoot("21-task-editor", task)
    task.reject()
    contact = open_contact_editor(window.ctx, window, None, demo.accounts[0], "Acme")
    shoot("22-contact-dialog", contact)
    contact.reject()
    email = open_email(window.ctx, window, demo.accounts[0])
    qtbot.waitUntil(lambda: email.send_button.isEnabled())
    shoot("23-email", email)
    templates = TemplatesDialog(window.ctx, email)
    templates.show()
    shoot("24-templates", templates)
    templates.reject()
    email.reject()
    with replica.read_session() as s:
        lead = services.get(s, "leads", demo.leads[0])
    conversion = ConversionDialog(window.ctx, window, lead)
    conversion.show()
    shoot("25-conversion", conversion)
    conversion.reject()

    assert not problems, problems
