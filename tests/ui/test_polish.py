"""Polish: one locale format for dates and amounts, empty lists that say what to do,
and lead conversion that attaches to an existing account or places the new one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from PySide6.QtCore import QLocale, Qt
from pytestqt.qtbot import QtBot

from fieldapp.store import services
from fieldapp.store.db import Replica
from fieldapp.ui import fmt
from fieldapp.ui.accounts_panel import AccountsPanel
from fieldapp.ui.conversion import ConversionChoice, ConversionDialog
from fieldapp.ui.field_editors import AmountField
from fieldapp.ui.leads_panel import LeadsPanel
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.tasks_panel import TasksPanel
from fieldapp.ui.today_panel import TodayPanel
from tests.ui.builders import Demo


@pytest.fixture
def locale() -> Iterator[object]:
    before = QLocale()

    def use(language: QLocale.Language, country: QLocale.Country) -> None:
        QLocale.setDefault(QLocale(language, country))

    yield use
    QLocale.setDefault(before)


def test_dates_times_and_money_follow_the_locale(locale: object) -> None:
    assert callable(locale)
    when = datetime(2026, 11, 24, 14, 5, tzinfo=UTC).astimezone()
    day = date(2026, 11, 24)
    locale(QLocale.Language.German, QLocale.Country.Germany)
    assert fmt.fmt_date(day) == "24.11.2026"  # four-digit years, whatever the short format
    assert fmt.date_format() == "dd.MM.yyyy"
    assert fmt.fmt_datetime(when) == f"{fmt.fmt_date(when)} {when:%H:%M}"
    assert fmt.fmt_money(Decimal("12000"), "EUR") == "12.000,00\xa0€"
    assert fmt.fmt_long_date(day) == "Dienstag, 24. November 2026"
    locale(QLocale.Language.English, QLocale.Country.UnitedStates)
    assert fmt.fmt_date(day) == "11/24/2026"
    assert fmt.fmt_money(Decimal("12000.5"), "USD") == "$12,000.50"
    assert fmt.fmt_money(Decimal("1500"), "JPY") == "¥1,500"
    assert fmt.fmt_time(datetime(2026, 11, 24, 14, 5).astimezone()) == "2:05\u202fPM"
    locale(QLocale.Language.C, QLocale.Country.AnyCountry)
    assert fmt.fmt_date(day) == "2026-11-24"  # the C locale: ISO order


def test_amounts_are_typed_as_the_locale_writes_them(qtbot: QtBot, locale: object) -> None:
    assert callable(locale)
    locale(QLocale.Language.German, QLocale.Country.Germany)
    field = AmountField()
    qtbot.addWidget(field)
    field.set_text("12000.50")
    assert field.edit.text() == "12000,50"
    for typed, read in (("12.000,50", "12000.50"), ("7,5", "7.5"), ("7.500", "7500"), ("", "")):
        field.edit.setText(typed)
        assert field.text() == read
    field.edit.setText("12.00.0")  # not thousands: left for the store's rule to refuse
    assert field.text() == "12.00.0"
    locale(QLocale.Language.English, QLocale.Country.UnitedStates)
    field.edit.setText("12,000.50")
    assert field.text() == "12000.50"


def test_totals_are_per_currency_never_mixed(locale: object) -> None:
    assert callable(locale)
    locale(QLocale.Language.German, QLocale.Country.Germany)
    items = [(Decimal("100"), "EUR"), (Decimal("50"), "USD"), (None, "EUR"), (Decimal("1"), None)]
    assert fmt.currency_totals(items) == {"EUR": Decimal("101"), "USD": Decimal("50")}
    assert fmt.money_totals(items) == "101,00\xa0€ · 50,00\xa0$"
    assert fmt.money_totals([], empty="–") == "–"


def test_the_account_view_and_today_use_the_locale(
    qtbot: QtBot, replica: Replica, demo: Demo, locale: object, make_window: object
) -> None:
    assert callable(locale) and callable(make_window)
    locale(QLocale.Language.German, QLocale.Country.Germany)
    target = demo.opportunities[3]
    with replica.session() as s:
        services.update(s, "opportunities", target, {"close_date": date.today(), "currency": "GBP"})
        deal = services.get(s, "opportunities", target)
    window = make_window()
    assert isinstance(window, MainWindow)
    today = window.show_panel("today")
    assert isinstance(today, TodayPanel)
    line = f"{fmt.fmt_date(date.today())}  {deal['name']}"
    qtbot.waitUntil(lambda: today.closing.count() > 0 and today.closing.item(0).text() != "")
    texts = [today.closing.item(i).text() for i in range(today.closing.count())]
    assert any(t.startswith(line) and fmt.fmt_money(deal["amount"], "GBP") in t for t in texts)
    assert "\xa0£" in today.closing.heading.text()
    assert today.greeting.text() == f"Today, {fmt.fmt_long_date(date.today())}"
    window.open_account(deal["account_id"])
    accounts = window.panel("accounts")
    assert isinstance(accounts, AccountsPanel)
    timeline = accounts.detail.timeline
    qtbot.waitUntil(lambda: timeline.topLevelItemCount() > 0)
    when = timeline.topLevelItem(0).text(0)
    assert when[2] == "." and when[5] == "." and len(when.split()[0]) == 10  # 24.11.2026 14:05


def test_empty_lists_say_what_to_do(
    qtbot: QtBot, replica: Replica, demo: Demo, window: MainWindow
) -> None:
    accounts = window.show_panel("accounts")
    assert isinstance(accounts, AccountsPanel)
    qtbot.waitUntil(lambda: accounts.model.rowCount() == 40)
    assert accounts.hint.hint() == ""
    qtbot.keyClicks(accounts.search, "xyz")
    qtbot.waitUntil(lambda: accounts.model.rowCount() == 0)
    assert (
        accounts.hint.hint() == "No accounts match “xyz”.\nCheck the spelling or clear the search."
    )
    accounts.type_filter.setCurrentIndex(1)
    qtbot.waitUntil(lambda: "with these filters" in accounts.hint.hint())
    accounts.search.clear()
    accounts.type_filter.setCurrentIndex(0)
    qtbot.waitUntil(lambda: accounts.model.rowCount() == 40 and accounts.hint.hint() == "")

    tasks = window.show_panel("tasks")
    assert isinstance(tasks, TasksPanel)
    qtbot.waitUntil(lambda: tasks.model.rowCount() == 3)
    with replica.session() as s:
        for task in services.list_records(s, "tasks", limit=None):
            services.complete_task(s, task["id"])
    qtbot.keyClick(window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: tasks.model.rowCount() == 0)
    assert tasks.hint.hint() == "No tasks due — press Ctrl+N to add one."

    leads = window.show_panel("leads")
    assert isinstance(leads, LeadsPanel)
    leads.search.setText("nobody-like-this")
    qtbot.waitUntil(lambda: leads.hint.hint() == "No open leads match “nobody-like-this”.")


def test_conversion_attaches_to_an_existing_account(
    qtbot: QtBot, replica: Replica, demo: Demo, window: MainWindow
) -> None:
    panel = window.show_panel("leads")
    assert isinstance(panel, LeadsPanel)
    with replica.read_session() as s:
        lead = services.get(s, "leads", demo.leads[0])
        account = services.get(s, "accounts", demo.accounts[4])
        before = services.count(s, "accounts")
    dialog = ConversionDialog(window.ctx, panel, lead)
    qtbot.addWidget(dialog)
    assert dialog.new_account.isChecked() and not dialog.account.isEnabled()
    dialog.existing.setChecked(True)
    assert dialog.choice() is None  # no account picked yet
    assert dialog.error.text() == "Pick the account from the list, or make a new one."
    qtbot.keyClicks(dialog.account.edit, account["name"][:-2])
    qtbot.waitUntil(lambda: any(c.id == account["id"] for c in dialog.account.matches()))
    dialog.account.pick(
        next(i for i, c in enumerate(dialog.account.matches()) if c.id == account["id"])
    )
    dialog.amount.edit.setText("7,5")  # no thousands grouping: refused, not read as 75
    assert dialog.choice() is None
    assert dialog.error.text() == "Amount is not an amount: 7,5"
    dialog.amount.edit.setText("7,500")
    choice = dialog.choice()
    assert choice == ConversionChoice(
        account["id"], True, f"{lead['company']} — new business", Decimal("7500.00")
    )
    with qtbot.waitSignal(panel.converted) as converted:
        panel.convert_with(lead, choice)
    result = converted.args[0]
    assert result.account_id == account["id"]
    with replica.read_session() as s:
        assert services.count(s, "accounts") == before  # no new account
        contact = services.get(s, "contacts", result.contact_id)
        deal = services.get(s, "opportunities", result.opportunity_id)
        assert services.get(s, "leads", lead["id"])["status"] == "converted"
    assert (contact["account_id"], contact["last_name"]) == (account["id"], lead["last_name"])
    assert (deal["account_id"], deal["amount"]) == (account["id"], Decimal("7500.00"))


def test_conversion_places_the_new_account_from_the_gazetteer(
    qtbot: QtBot, replica: Replica, demo: Demo, window: MainWindow
) -> None:
    panel = window.show_panel("leads")
    assert isinstance(panel, LeadsPanel)
    with replica.session() as s:
        lead_id = services.create(
            s, "leads", {"last_name": "Kaya", "company": "Kaya Feinkost", "city": "Bonn"}
        )
        lead = services.get(s, "leads", lead_id)
    with qtbot.waitSignal(panel.converted) as converted:
        panel.convert_with(lead, ConversionChoice(None, create_deal=False))
    account_id = converted.args[0].account_id
    assert converted.args[0].opportunity_id is None

    def placed() -> dict[str, object]:
        with replica.read_session() as s:
            return services.get(s, "accounts", account_id)

    qtbot.waitUntil(lambda: placed()["latitude"] is not None, timeout=30_000)
    account = placed()
    assert account["name"] == "Kaya Feinkost" and account["geocode_precision"] == "approximate"
    assert abs(float(account["latitude"]) - 50.73) < 0.05  # Bonn's town centre
    assert abs(float(account["longitude"]) - 7.10) < 0.05
    qtbot.waitUntil(lambda: "approximate until geocoded" in window.toast.label.text())
