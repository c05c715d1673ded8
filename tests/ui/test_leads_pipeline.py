"""Leads (list, edit, convert) and the pipeline board (drag between stages, won/lost)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import QMimeData, QModelIndex, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from fieldapp.store import services
from fieldapp.store.db import Replica
from fieldapp.ui import conversion, dialogs
from fieldapp.ui.accounts_panel import AccountsPanel
from fieldapp.ui.leads_panel import LeadsPanel
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.pipeline_panel import PipelinePanel
from tests.ui.builders import Demo


def leads_panel(qtbot: QtBot, window: MainWindow) -> LeadsPanel:
    panel = window.show_panel("leads")
    assert isinstance(panel, LeadsPanel)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 12)
    return panel


def pipeline_panel(qtbot: QtBot, window: MainWindow) -> PipelinePanel:
    panel = window.show_panel("pipeline")
    assert isinstance(panel, PipelinePanel)
    qtbot.waitUntil(lambda: len(panel.columns) == 7)
    return panel


def test_leads_list_is_hottest_first(
    qtbot: QtBot, qtmodeltester: ModelTester, window: MainWindow
) -> None:
    panel = leads_panel(qtbot, window)
    model = panel.model
    ratings = [model.index(r, 2).data() for r in range(model.rowCount())]
    order = {"hot": 0, "warm": 1, "cold": 2}
    assert ratings == sorted(ratings, key=order.__getitem__)
    scores = [int(model.index(r, 3).data()) for r in range(model.rowCount())]
    hot = [s for s, r in zip(scores, ratings, strict=True) if r == ratings[0]]
    assert hot == sorted(hot, reverse=True)
    qtmodeltester.check(model, force_py=True)


def test_edit_lead_with_validation(
    qtbot: QtBot, replica: Replica, demo: Demo, window: MainWindow
) -> None:
    panel = leads_panel(qtbot, window)
    panel.table.selectRow(0)
    lead_id = panel.lead_id
    assert lead_id is not None
    qtbot.waitUntil(lambda: panel.form.text("last_name") != "")
    panel.form.editors["score"].clear()
    qtbot.keyClicks(panel.form.editors["score"], "150")
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    assert "between 0 and 100" in panel.form.error_text("score")
    panel.form.editors["score"].clear()
    qtbot.keyClicks(panel.form.editors["score"], "99")
    panel.form.set_text("rating", "hot")
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)

    def stored() -> tuple[int, str]:
        with replica.read_session() as s:
            lead = services.get(s, "leads", lead_id or "")
        return lead["score"], lead["rating"]

    qtbot.waitUntil(lambda: stored() == (99, "hot"))
    qtbot.waitUntil(lambda: panel.model.index(0, 3).data() == "99")


def test_convert_lead_opens_the_new_account(
    qtbot: QtBot,
    replica: Replica,
    demo: Demo,
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    panel = leads_panel(qtbot, window)
    panel.table.selectRow(0)
    lead_id = panel.lead_id
    qtbot.waitUntil(lambda: panel.convert_button.isEnabled())
    choice = conversion.ConversionChoice(None, amount=Decimal("12500"))
    monkeypatch.setattr(conversion, "ask", lambda *_a, **_k: choice)
    with qtbot.waitSignal(panel.converted) as signal:
        qtbot.mouseClick(panel.convert_button, Qt.MouseButton.LeftButton)
    result = signal.args[0]
    with replica.read_session() as s:
        lead = services.get(s, "leads", lead_id or "")
        opp = services.get(s, "opportunities", result.opportunity_id)
        contact = services.get(s, "contacts", result.contact_id)
    assert lead["status"] == "converted"
    assert opp["amount"] == Decimal("12500.00") and opp["stage"] == "Prospecting"
    assert contact["account_id"] == result.account_id
    accounts = window.current_panel()
    assert isinstance(accounts, AccountsPanel)  # the window switched to the new account
    qtbot.waitUntil(lambda: accounts.detail.heading.text() == lead["company"])
    qtbot.waitUntil(lambda: accounts.detail.opportunities.topLevelItemCount() == 1)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 11)  # converted leads leave the list


def test_stage_models_pass_qtmodeltester(
    qtbot: QtBot, qtmodeltester: ModelTester, window: MainWindow
) -> None:
    panel = pipeline_panel(qtbot, window)
    qtbot.waitUntil(lambda: panel.columns["Prospecting"].model.rowCount() > 0)
    qtmodeltester.check(panel.columns["Prospecting"].model, force_py=True)


def test_board_totals_and_forecast(qtbot: QtBot, replica: Replica, window: MainWindow) -> None:
    panel = pipeline_panel(qtbot, window)
    with replica.read_session() as s:
        opps = services.list_records(s, "opportunities", limit=None)
    proposal = [o for o in opps if o["stage"] == "Proposal"]
    total = sum(o["amount"] for o in proposal)
    qtbot.waitUntil(lambda: panel.columns["Proposal"].model.rowCount() == len(proposal))
    text = panel.columns["Proposal"].totals.text()
    assert f"{len(proposal)} deals · €{total:,.0f}" in text
    assert f"forecast €{total * Decimal('0.6'):,.0f}" in text
    assert "weighted forecast €" in panel.summary.text()


def drag(panel: PipelinePanel, opp_id: str, source: str, target: str) -> bool:
    """What a drop does: the source's mime data handed to the target's dropMimeData."""
    src = panel.columns[source].model
    row = next(i for i, c in enumerate(src.cards()) if c.id == opp_id)
    data = src.mimeData([src.index(row, 0)])
    assert isinstance(data, QMimeData)
    dst = panel.columns[target].model
    return dst.dropMimeData(data, Qt.DropAction.MoveAction, -1, -1, QModelIndex())


def test_drag_deal_to_next_stage(qtbot: QtBot, replica: Replica, window: MainWindow) -> None:
    panel = pipeline_panel(qtbot, window)
    qtbot.waitUntil(lambda: panel.columns["Qualification"].model.rowCount() > 0)
    card = panel.columns["Qualification"].model.cards()[0]
    before = panel.columns["Proposal"].model.rowCount()
    assert drag(panel, card.id, "Qualification", "Proposal")
    qtbot.waitUntil(lambda: panel.columns["Proposal"].model.rowCount() == before + 1)
    assert card.id in [c.id for c in panel.columns["Proposal"].model.cards()]
    assert card.id not in [c.id for c in panel.columns["Qualification"].model.cards()]
    with replica.read_session() as s:
        opp = services.get(s, "opportunities", card.id)
    assert (opp["stage"], opp["probability"]) == ("Proposal", 60)


def test_drop_on_lost_asks_for_reason(
    qtbot: QtBot,
    replica: Replica,
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    panel = pipeline_panel(qtbot, window)
    qtbot.waitUntil(lambda: panel.columns["Negotiation"].model.rowCount() > 0)
    card = panel.columns["Negotiation"].model.cards()[0]
    monkeypatch.setattr(dialogs, "ask_text", lambda *_a, **_k: None)  # cancelled
    drag(panel, card.id, "Negotiation", "Closed Lost")
    monkeypatch.setattr(dialogs, "ask_text", lambda *_a, **_k: "Went with a competitor")
    lost_before = panel.columns["Closed Lost"].model.rowCount()
    drag(panel, card.id, "Negotiation", "Closed Lost")
    qtbot.waitUntil(lambda: panel.columns["Closed Lost"].model.rowCount() == lost_before + 1)
    with replica.read_session() as s:
        opp = services.get(s, "opportunities", card.id)
    assert (opp["stage"], opp["won_lost_reason"]) == ("Closed Lost", "Went with a competitor")


def test_mark_selected_deal_won(
    qtbot: QtBot, replica: Replica, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = pipeline_panel(qtbot, window)
    column = panel.columns["Proposal"]
    qtbot.waitUntil(lambda: column.model.rowCount() > 0)
    column.view.setCurrentIndex(column.model.index(0, 0))
    card = column.model.cards()[0]
    monkeypatch.setattr(dialogs, "ask_text", lambda *_a, **_k: "Best price")
    qtbot.mouseClick(panel.won_button, Qt.MouseButton.LeftButton)

    def stage() -> str:
        with replica.read_session() as s:
            return str(services.get(s, "opportunities", card.id)["stage"])

    qtbot.waitUntil(lambda: stage() == "Closed Won")


def test_new_lead_then_delete_and_undo(
    qtbot: QtBot, replica: Replica, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = leads_panel(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert panel.heading.text() == "New lead"
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    assert panel.form.error_text("last_name") == "Last name is required"  # nothing was written
    qtbot.keyClicks(panel.form.editors["last_name"], "Krause")
    qtbot.keyClicks(panel.form.editors["company"], "Krause Kaffee")
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 13)
    assert panel.lead_id is not None
    with replica.read_session() as s:
        assert services.get(s, "leads", panel.lead_id)["company"] == "Krause Kaffee"
    monkeypatch.setattr(dialogs, "confirm", lambda *_a: True)
    window.delete_selected()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 12)
    window.undo()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 13)


def test_board_search_filters_and_currencies(
    qtbot: QtBot, replica: Replica, window: MainWindow
) -> None:
    with replica.session() as s:
        account = services.create(s, "accounts", {"name": "Zeta Dollar Inc"})
        services.create(
            s,
            "opportunities",
            {
                "name": "Dollar deal",
                "account_id": account,
                "stage": "Proposal",
                "amount": "9000",
                "currency": "USD",
            },
        )
    panel = pipeline_panel(qtbot, window)
    panel.refresh()
    column = panel.columns["Proposal"]
    # Dollars are totalled beside euros, never added to them.
    qtbot.waitUntil(lambda: "$9,000" in column.totals.text())
    assert "€" in column.totals.text() and " + $" in panel.summary.text()
    panel.search.setText("Zeta Dollar")
    qtbot.waitUntil(lambda: column.model.rowCount() == 1)
    assert [c.name for c in column.model.cards()] == ["Dollar deal"]
    assert all(c.model.rowCount() == 0 for n, c in panel.columns.items() if n != "Proposal")
    panel.search.clear()
    panel.min_amount.setText("1000000")
    panel.min_amount.editingFinished.emit()
    qtbot.waitUntil(lambda: column.model.rowCount() == 0)
    assert column.totals.text().startswith("0 deals")
