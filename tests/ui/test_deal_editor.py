"""The deal editor: every field, from the account and callable from the pipeline;
closing needs a reason; reopening a won deal asks first."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from fieldapp.store import services
from fieldapp.store.db import Replica
from fieldapp.ui import dialogs
from fieldapp.ui.accounts_panel import AccountsPanel
from fieldapp.ui.deal_editor import DealDialog, move_deal, open_deal_editor
from fieldapp.ui.forms import FieldEditor
from fieldapp.ui.main_window import MainWindow
from tests.ui.builders import Demo


def deal(replica: Replica, deal_id: str) -> dict[str, object]:
    with replica.read_session() as s:
        return services.get(s, "opportunities", deal_id)


def loaded(qtbot: QtBot, dialog: DealDialog) -> DealDialog:
    qtbot.waitUntil(lambda: dialog.save_button.isEnabled())
    return dialog


def type_into(qtbot: QtBot, dialog: DealDialog, name: str, text: str) -> None:
    editor = dialog.form.editors[name]
    target = editor.focus_widget() if isinstance(editor, FieldEditor) else editor
    assert isinstance(target, QLineEdit)
    target.clear()
    qtbot.keyClicks(target, text)


@pytest.fixture
def german() -> Iterator[None]:
    before = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    yield
    QLocale.setDefault(before)


def test_new_deal_from_the_account_with_every_field(
    qtbot: QtBot, replica: Replica, demo: Demo, german: None, window: MainWindow
) -> None:
    panel = window.show_panel("accounts")
    assert isinstance(panel, AccountsPanel)
    account_id = demo.accounts[2]
    with replica.read_session() as s:
        name = services.get(s, "accounts", account_id)["name"]
        contact = services.list_records(s, "contacts", where={"account_id": account_id})[0]
    window.open_account(account_id)
    tab = panel.detail.deals_tab
    qtbot.waitUntil(lambda: tab.account_id == account_id and tab.tree.topLevelItemCount() == 1)
    dialog = tab.new_deal()
    assert dialog is not None
    loaded(qtbot, dialog)
    form = dialog.form
    # Defaults: this account, the first open stage with its probability, euros.
    assert (dialog.account.text(), dialog.account.name()) == (account_id, name)
    assert (form.text("stage"), form.text("probability"), form.text("currency")) == (
        "Prospecting",
        "10",
        "EUR",
    )
    assert not form.editors["won_lost_reason"].isVisibleTo(dialog)  # open deals have none
    type_into(qtbot, dialog, "name", "Shop fitting")
    qtbot.waitUntil(lambda: contact["id"] in dialog.contact.choices())
    dialog.contact.set_text(contact["id"])
    type_into(qtbot, dialog, "amount", "18.500,50")  # as a German writes it
    dialog.currency.combo.setCurrentIndex(dialog.currency.combo.findData("CHF"))
    dialog.stage.set_text("Proposal")
    assert form.text("probability") == "60"  # follows the stage
    type_into(qtbot, dialog, "probability", "70")  # ... until typed
    dialog.stage.set_text("Negotiation")
    assert form.text("probability") == "70"
    dialog.close_date.set_date(date(2027, 3, 31))
    form.editors["description"].setPlainText("Two stores, then the rest")  # type: ignore[union-attr]
    with qtbot.waitSignal(dialog.saved) as saved:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    stored = deal(replica, saved.args[0])
    assert {
        k: stored[k]
        for k in (
            "name",
            "account_id",
            "contact_id",
            "amount",
            "currency",
            "stage",
            "probability",
            "close_date",
            "description",
            "won_lost_reason",
        )
    } == {
        "name": "Shop fitting",
        "account_id": account_id,
        "contact_id": contact["id"],
        "amount": Decimal("18500.50"),
        "currency": "CHF",
        "stage": "Negotiation",
        "probability": 70,
        "close_date": date(2027, 3, 31),
        "description": "Two stores, then the rest",
        "won_lost_reason": None,
    }
    # The account's deals: each amount in its currency, totals kept apart.
    qtbot.waitUntil(lambda: tab.tree.topLevelItemCount() == 2)
    rows = {tab.tree.topLevelItem(i).text(0): tab.tree.topLevelItem(i) for i in range(2)}
    assert rows["Shop fitting"].text(2) == "18.500,50\xa0CHF"
    assert rows["Shop fitting"].text(3) == "31.03.2027"
    # Each currency totalled on its own, never added up.
    other = next(r for n, r in rows.items() if n != "Shop fitting").text(2)
    assert other.endswith("\xa0€")
    assert tab.totals.text() == f"Open: 18.500,50\xa0CHF · {other}"


def test_edit_a_deal_then_close_it_with_a_reason(
    qtbot: QtBot, replica: Replica, demo: Demo, window: MainWindow
) -> None:
    target = demo.opportunities[1]  # in Qualification
    assert deal(replica, target)["stage"] == "Qualification"
    dialog = loaded(qtbot, open_deal_editor(window.ctx, window, target))
    assert dialog.form.text("name") == deal(replica, target)["name"]
    dialog.stage.set_text("Closed Won")
    assert dialog.form.editors["won_lost_reason"].isVisibleTo(dialog)
    assert dialog.form.text("probability") == "100"
    dialog.save()  # no reason given
    assert dialog.form.error_text("won_lost_reason") == (
        "Won/lost reason is needed: say why the deal was won"
    )
    assert deal(replica, target)["stage"] == "Qualification"  # nothing written
    type_into(qtbot, dialog, "won_lost_reason", "Best service in the region")
    type_into(qtbot, dialog, "amount", "abc")
    dialog.save()
    assert dialog.form.error_text("amount") == "Amount is not an amount: abc"
    type_into(qtbot, dialog, "amount", "42000")
    with qtbot.waitSignal(dialog.saved):
        dialog.save()
    stored = deal(replica, target)
    assert (
        stored["stage"],
        stored["probability"],
        stored["won_lost_reason"],
        stored["amount"],
    ) == (
        "Closed Won",
        100,
        "Best service in the region",
        Decimal("42000.00"),
    )


def test_reopening_a_won_deal_asks_first(
    qtbot: QtBot,
    replica: Replica,
    demo: Demo,
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = demo.opportunities[0]
    with replica.session() as s:
        services.update(
            s, "opportunities", target, {"stage": "Closed Won", "won_lost_reason": "Price"}
        )
    asked: list[str] = []
    monkeypatch.setattr(dialogs, "confirm", lambda _p, _t, text: asked.append(text) or False)
    dialog = loaded(qtbot, open_deal_editor(window.ctx, window, target))
    dialog.stage.set_text("Proposal")
    dialog.save()
    assert asked and "is Closed Won. Move it back to Proposal and reopen it?" in asked[0]
    assert deal(replica, target)["stage"] == "Closed Won"  # the user said no
    assert dialog.isVisible()
    monkeypatch.setattr(dialogs, "confirm", lambda *_a: True)
    with qtbot.waitSignal(dialog.saved):
        dialog.save()
    stored = deal(replica, target)
    assert (stored["stage"], stored["won_lost_reason"]) == ("Proposal", None)


def test_pipeline_entry_point_moves_with_the_same_rules(
    qtbot: QtBot,
    replica: Replica,
    demo: Demo,
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the pipeline calls for a dropped card: reason to close, confirmation to reopen."""
    with replica.read_session() as s:
        stages = {st.name: st for st in services.pipeline(s)}
    target = demo.opportunities[0]
    monkeypatch.setattr(dialogs, "ask_text", lambda *_a, **_k: "Chose a rival")
    move_deal(window.ctx, window, target, stages["Closed Lost"])
    qtbot.waitUntil(lambda: deal(replica, target)["stage"] == "Closed Lost")
    assert deal(replica, target)["won_lost_reason"] == "Chose a rival"
    monkeypatch.setattr(dialogs, "confirm", lambda *_a: False)
    move_deal(window.ctx, window, target, stages["Negotiation"])
    qtbot.wait(200)
    assert deal(replica, target)["stage"] == "Closed Lost"
    monkeypatch.setattr(dialogs, "confirm", lambda *_a: True)
    move_deal(window.ctx, window, target, stages["Negotiation"])
    qtbot.waitUntil(lambda: deal(replica, target)["stage"] == "Negotiation")


def test_new_deal_from_the_pipeline_then_delete_and_undo(
    qtbot: QtBot,
    replica: Replica,
    demo: Demo,
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The pipeline's "New deal" is ``open_deal_editor(ctx, parent)``: no account yet."""
    dialog = loaded(qtbot, open_deal_editor(window.ctx, window))
    type_into(qtbot, dialog, "name", "Spring promotion")
    dialog.save()
    assert dialog.form.error_text("account_id") == "Account is required"
    with replica.read_session() as s:
        account = services.get(s, "accounts", demo.accounts[7])
    qtbot.keyClicks(dialog.account.edit, account["name"])
    qtbot.waitUntil(lambda: dialog.account.text() == account["id"])
    with qtbot.waitSignal(dialog.saved) as saved:
        dialog.save()
    deal_id = saved.args[0]
    assert (deal(replica, deal_id)["account_id"], deal(replica, deal_id)["stage"]) == (
        account["id"],
        "Prospecting",
    )
    monkeypatch.setattr(dialogs, "confirm", lambda *_a: True)
    dialog = loaded(qtbot, open_deal_editor(window.ctx, window, deal_id))
    assert dialog.delete_button.isVisible()
    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)

    def live() -> bool:
        with replica.read_session() as s:
            return any(d["id"] == deal_id for d in services.list_records(s, "opportunities"))

    qtbot.waitUntil(lambda: not live())
    qtbot.waitUntil(lambda: "Deleted Spring promotion." in window.toast.label.text())
    assert window.toast.trigger()  # Undo
    qtbot.waitUntil(live)
