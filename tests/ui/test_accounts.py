"""Accounts: lazy list, search as you type, filters, sorting, 360° view, create/edit/delete."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from fieldapp.store import services
from fieldapp.store.db import Replica
from fieldapp.store.types import utcnow
from fieldapp.sync import state, team
from fieldapp.ui import dialogs, fmt
from fieldapp.ui.accounts_model import PLACEHOLDER, AccountsModel
from fieldapp.ui.accounts_panel import AccountsPanel
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.queries import ACCOUNT_COLUMNS
from tests.ui.builders import Demo


def accounts_panel(window: MainWindow) -> AccountsPanel:
    panel = window.show_panel("accounts")
    assert isinstance(panel, AccountsPanel)
    return panel


def names(panel: AccountsPanel) -> list[str]:
    model = panel.model
    return [str(model.index(r, 0).data()) for r in range(model.rowCount())]


def wait_rows(qtbot: QtBot, panel: AccountsPanel, n: int) -> None:
    qtbot.waitUntil(lambda: panel.model.rowCount() == n)
    qtbot.waitUntil(lambda: all(panel.model.is_loaded(r) for r in range(n)))


def test_accounts_model_passes_qtmodeltester(
    qtbot: QtBot, qtmodeltester: ModelTester, window: MainWindow
) -> None:
    model = AccountsModel(window.bg)
    with qtbot.waitSignal(model.loaded):
        model.reload()
    assert model.rowCount() == 40
    qtmodeltester.check(model, force_py=True)


def test_rows_load_lazily_in_blocks(qtbot: QtBot, replica: Replica, window: MainWindow) -> None:
    with replica.session() as s:
        services.bulk_create(s, "accounts", [{"name": f"Zeta {i:04}"} for i in range(650)])
    model = AccountsModel(window.bg)
    with qtbot.waitSignal(model.loaded):
        model.reload()
    assert model.rowCount() == 690
    assert model.is_loaded(0) and not model.is_loaded(600)  # only a screenful came
    assert model.index(600, 0).data() == PLACEHOLDER  # ... and asking fetches its block
    qtbot.waitUntil(lambda: model.is_loaded(600))
    assert model.index(600, 0).data().startswith("Zeta")


def test_search_as_you_type(qtbot: QtBot, replica: Replica, window: MainWindow) -> None:
    with replica.session() as s:
        services.create(s, "accounts", {"name": "Café Zimmermann", "city": "Bonn"})
    panel = accounts_panel(window)
    qtbot.keyClick(window, Qt.Key.Key_F5)  # written behind the window's back: refresh
    wait_rows(qtbot, panel, 41)
    qtbot.keyClicks(panel.search, "zimm")
    wait_rows(qtbot, panel, 1)
    assert names(panel) == ["Café Zimmermann"]
    assert panel.count_label.text() == "1 accounts"
    panel.search.clear()
    wait_rows(qtbot, panel, 41)


def test_filters_and_sorting(
    qtbot: QtBot, replica: Replica, demo: Demo, window: MainWindow
) -> None:
    with replica.session() as s:
        kinds = {a["type"] for a in services.list_records(s, "accounts", limit=None)}
        partners = len(services.list_records(s, "accounts", limit=None, where={"type": "partner"}))
        services.update(s, "accounts", demo.accounts[0], {"tags": "golden"})
    assert "partner" in kinds
    panel = accounts_panel(window)
    wait_rows(qtbot, panel, 40)
    panel.type_filter.setCurrentIndex(panel.type_filter.findData("partner"))
    wait_rows(qtbot, panel, partners)
    panel.type_filter.setCurrentIndex(0)
    panel.tag_filter.setText("golden")
    wait_rows(qtbot, panel, 1)
    panel.tag_filter.clear()
    # The builder visited the first 30 accounts within the last 90 days.
    panel.not_visited.setValue(100)
    wait_rows(qtbot, panel, 10)
    panel.not_visited.setValue(0)
    wait_rows(qtbot, panel, 40)
    assert names(panel) == sorted(names(panel), key=str.lower)
    with qtbot.waitSignal(panel.model.loaded):
        panel.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.DescendingOrder)
    wait_rows(qtbot, panel, 40)
    assert names(panel) == sorted(names(panel), key=str.lower, reverse=True)


def test_account_360_shows_related_records(qtbot: QtBot, demo: Demo, window: MainWindow) -> None:
    panel = accounts_panel(window)
    window.open_account(demo.accounts[0])
    detail = panel.detail
    qtbot.waitUntil(lambda: detail.opportunities.topLevelItemCount() == 1)
    assert detail.contacts.topLevelItemCount() >= 1
    assert detail.visits.topLevelItemCount() == 1
    assert detail.tasks.topLevelItemCount() == 1
    timeline = [
        detail.timeline.topLevelItem(i).text(1) for i in range(detail.timeline.topLevelItemCount())
    ]
    assert any(t.startswith("Note 1") for t in timeline)
    assert any(t.startswith("Visit") for t in timeline)


def test_create_account(qtbot: QtBot, replica: Replica, window: MainWindow) -> None:
    panel = accounts_panel(window)
    wait_rows(qtbot, panel, 40)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = panel.detail.form
    assert form.editors["name"].hasFocus()
    qtbot.keyClicks(form.editors["name"], "Neue Baeckerei")
    form.editors["city"].insert("Köln")  # QTest types ASCII only
    qtbot.keyClicks(form.editors["phone"], "+49 221 4711")
    qtbot.mouseClick(panel.detail.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.detail.account_id is not None)
    wait_rows(qtbot, panel, 41)
    with replica.read_session() as s:
        stored = services.get(s, "accounts", panel.detail.account_id or "")
    assert (stored["name"], stored["city"], stored["phone"]) == (
        "Neue Baeckerei",
        "Köln",
        "+49 221 4711",
    )
    assert "Neue Baeckerei" in names(panel)
    # Saving placed it at its town's centre (the offline gazetteer, slow to load on a
    # busy machine); the geocoder, unreachable here, leaves it approximate. Both run in
    # the background: wait for them rather than leave them to the teardown's drain.
    qtbot.waitUntil(lambda: window.bg.pending() == 0, timeout=30_000)
    with replica.read_session() as s:
        placed = services.get(s, "accounts", panel.detail.account_id or "")
    assert placed["geocode_precision"] == "approximate" and placed["latitude"] is not None


def test_edit_marks_bad_fields_and_keeps_typing(
    qtbot: QtBot, replica: Replica, demo: Demo, window: MainWindow
) -> None:
    panel = accounts_panel(window)
    window.open_account(demo.accounts[1])
    form = panel.detail.form
    qtbot.waitUntil(lambda: form.isEnabled() and form.text("name") != "")
    form.editors["email"].clear()
    qtbot.keyClicks(form.editors["email"], "not-an-email")
    form.editors["latitude"].clear()
    qtbot.keyClicks(form.editors["latitude"], "123")
    form.editors["city"].clear()
    qtbot.keyClicks(form.editors["city"], "Neustadt")
    qtbot.mouseClick(panel.detail.save_button, Qt.MouseButton.LeftButton)
    # Plain sentences naming the field as the form labels it.
    assert form.error_text("email") == "Email must look like name@example.com (got not-an-email)"
    assert form.error_text("latitude") == "Latitude must be between -90 and 90 (got 123)"
    assert panel.detail.save_error.isVisible()
    assert form.text("city") == "Neustadt"  # nothing typed is lost
    with replica.read_session() as s:
        assert services.get(s, "accounts", demo.accounts[1])["city"] != "Neustadt"
    form.editors["email"].clear()
    qtbot.keyClicks(form.editors["email"], "einkauf@example.de")
    assert form.error_text("email") == ""  # re-checked while typing
    form.editors["latitude"].clear()
    qtbot.keyClicks(form.editors["latitude"], "50.5")
    qtbot.mouseClick(panel.detail.save_button, Qt.MouseButton.LeftButton)

    def saved() -> bool:
        with replica.read_session() as s:
            return services.get(s, "accounts", demo.accounts[1])["city"] == "Neustadt"

    qtbot.waitUntil(saved)
    with replica.read_session() as s:
        stored = services.get(s, "accounts", demo.accounts[1])
    assert (stored["email"], stored["latitude"]) == ("einkauf@example.de", 50.5)
    qtbot.waitUntil(lambda: not form.is_modified())


def test_store_refusal_is_shown_inline(qtbot: QtBot, demo: Demo, window: MainWindow) -> None:
    """Rules only the store knows (lat without lon) come back as inline marks too."""
    panel = accounts_panel(window)
    window.open_account(demo.accounts[2])
    form = panel.detail.form
    qtbot.waitUntil(lambda: form.text("name") != "")
    form.editors["longitude"].clear()
    qtbot.keyClicks(form.editors["name"], " II")
    qtbot.mouseClick(panel.detail.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.error_text("latitude") != "")
    assert "go together" in form.error_text("latitude")
    assert panel.detail.save_error.text() == "Not saved: fix the marked fields."
    assert form.text("name").endswith(" II")


def test_delete_with_confirmation_and_undo(
    qtbot: QtBot, replica: Replica, demo: Demo, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = accounts_panel(window)
    wait_rows(qtbot, panel, 40)
    target = demo.accounts[0]
    window.open_account(target)
    qtbot.waitUntil(
        lambda: panel.detail.account_id == target and panel.detail.form.text("name") != ""
    )
    name = panel.detail.form.text("name")
    asked: list[str] = []
    monkeypatch.setattr(dialogs, "confirm", lambda _p, _t, text: asked.append(text) or False)
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Delete)
    assert asked and name in asked[0]
    assert panel.detail.account_id == target  # said no: nothing happens
    monkeypatch.setattr(dialogs, "confirm", lambda *_a: True)
    qtbot.keyClick(panel.table, Qt.Key.Key_Delete)
    wait_rows(qtbot, panel, 39)
    assert name not in names(panel)
    with replica.read_session() as s:
        assert services.count(s, "opportunities") == 23  # the account's deal went with it
    assert window.toast.isVisible() and window.undo_action.isEnabled()
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    wait_rows(qtbot, panel, 40)
    assert name in names(panel)
    with replica.read_session() as s:
        assert services.get(s, "accounts", target)["name"] == name
        assert services.count(s, "opportunities") == 24


def test_background_change_refreshes_list(
    qtbot: QtBot, replica: Replica, window: MainWindow
) -> None:
    panel = accounts_panel(window)
    wait_rows(qtbot, panel, 40)
    window.bg.write(
        lambda s: services.create(s, "accounts", {"name": "Aaron Apotheke"}), {"accounts"}
    )
    wait_rows(qtbot, panel, 41)
    assert names(panel)[0] == "Aaron Apotheke"
    assert utcnow() - timedelta(minutes=1) < utcnow()


def test_a_visit_updates_its_row_without_reloading_the_list(
    qtbot: QtBot, replica: Replica, window: MainWindow
) -> None:
    panel = accounts_panel(window)
    wait_rows(qtbot, panel, 40)
    column = ACCOUNT_COLUMNS.index("last_visit")
    row = 5
    account_id = panel.model.account_id(row)
    panel.table.selectRow(row)
    before = panel.model.index(row, column).data()
    reloads: list[object] = []
    panel.model.loaded.connect(lambda: reloads.append(None))
    when = utcnow() - timedelta(days=1)
    window.bg.write(
        lambda s: services.create(
            s, "visits", {"account_id": account_id, "checkin_at": when, "outcome": "successful"}
        ),
        {"visits"},
    )
    shown = fmt.fmt_date(when)
    qtbot.waitUntil(lambda: panel.model.index(row, column).data() == shown)
    assert shown != before
    assert reloads == []  # the same ids: no 100k-id read, no model reset
    assert panel.table.selectionModel().selectedRows()[0].row() == row
    # Filtered by visits, the same notice lists the accounts again.
    panel.not_visited.setValue(100)
    qtbot.waitUntil(lambda: len(reloads) == 1)
    window.bg.write(
        lambda s: services.create(s, "visits", {"account_id": account_id, "checkin_at": when}),
        {"visits"},
    )
    qtbot.waitUntil(lambda: len(reloads) == 2)


def test_the_territory_filter_names_each_territorys_reps(
    qtbot: QtBot, replica: Replica, demo: Demo, make_window: Callable[..., MainWindow]
) -> None:
    # As the last sync said (fieldapp.sync.team): Rheinland is Ana's and Ben's.
    with replica.session() as s:
        ana = services.create(s, "users", {"username": "ana", "display_name": "Ana Silva"})
        ben = services.create(s, "users", {"username": "ben", "display_name": "Ben Braun"})
        empty = services.create(s, "territories", {"name": "Saar"})
    with replica.engine.begin() as conn:
        team.store_reps(conn, {demo.territory_id: [ben, ana]})
    panel = accounts_panel(make_window())
    combo = panel.territory_filter
    qtbot.waitUntil(lambda: combo.count() == 3)
    labels = {combo.itemData(i): combo.itemText(i) for i in range(1, combo.count())}
    assert labels == {demo.territory_id: "Rheinland — Ana Silva, Ben Braun", empty: "Saar"}


def test_a_new_account_in_another_reps_territory_says_where_it_goes(
    qtbot: QtBot, replica: Replica, demo: Demo, make_window: Callable[..., MainWindow]
) -> None:
    with replica.session() as s:
        me = services.create(s, "users", {"username": "alice", "display_name": "Alice Adler"})
        ana = services.create(s, "users", {"username": "ana", "display_name": "Ana Silva"})
        saar = services.create(s, "territories", {"name": "Saar", "postcodes": "66"})
    with replica.engine.begin() as conn:
        state.put(conn, "user_id", me)
        state.put(conn, "role", "rep")
        team.store_reps(conn, {demo.territory_id: [me], saar: [ana]})
    window = make_window()
    panel = accounts_panel(window)
    wait_rows(qtbot, panel, 40)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = panel.detail.form
    qtbot.keyClicks(form.editors["name"], "Saarbrau")
    qtbot.keyClicks(form.editors["postcode"], "66111")
    qtbot.mouseClick(panel.detail.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Account created." in window.toast.label.text())
    assert window.toast.label.text() == (
        "Account created. It lies in Saar, Ana Silva's territory: it goes to them at your "
        "next sync and leaves this laptop."
    )
    with replica.read_session() as s:
        assert services.get(s, "accounts", panel.detail.account_id or "")["territory_id"] == saar
