"""Places in the app: Nearby, geocoding on save, the unplotted queue, pin corrections."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from fieldapp.maps.settings import MapSettings
from fieldapp.store import services
from fieldapp.store.db import Replica
from fieldapp.ui import dialogs
from fieldapp.ui.accounts_panel import AccountsPanel
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.nearby_dialog import ID_ROLE
from tests.maps.servers import Place, nominatim, serve

BONN = (50.7374, 7.0982)
PLACES = {
    "Markt 1": Place(50.7357, 7.1013, "Markt 1, 53111 Bonn", "house", 30, "building", "yes"),
    "Siegburg": Place(50.7998, 7.2079, "Siegburg", "town", 16, "place", "town"),
}


def _panel(window: MainWindow) -> AccountsPanel:
    panel = window.show_panel("accounts")
    assert isinstance(panel, AccountsPanel)
    return panel


def _accounts(replica: Replica) -> dict[str, str]:
    rows = {
        "Bonn Markt": {"latitude": 50.7374, "longitude": 7.0982, "city": "Bonn"},
        "Beuel Bäckerei": {"latitude": 50.7390, "longitude": 7.1290, "city": "Bonn"},
        "Siegburg Eisen": {"latitude": 50.7998, "longitude": 7.2079, "city": "Siegburg"},
        "Köln Dom": {"latitude": 50.9413, "longitude": 6.9583, "city": "Köln"},
        "Unplotted Weber": {"city": "Siegburg", "street": "Nirgendwo 1"},
        "Unplotted Nowhere": {"city": "Atlantis"},
    }
    with replica.session() as s:
        return {n: services.create(s, "accounts", {"name": n, **v}) for n, v in rows.items()}


def _position(replica: Replica, account_id: str) -> tuple[float | None, float | None, str | None]:
    with replica.read_session() as s:
        acc = services.get(s, "accounts", account_id)
    return acc["latitude"], acc["longitude"], acc["geocode_precision"]


def _names(tree) -> list[str]:  # type: ignore[no-untyped-def]
    return [tree.topLevelItem(i).text(1) for i in range(tree.topLevelItemCount())]


def test_nearby_from_the_selected_account_nearest_first(
    qtbot: QtBot, replica: Replica, make_window
) -> None:  # type: ignore[no-untyped-def]
    ids = _accounts(replica)
    window = make_window()
    panel = _panel(window)
    panel.select_account(ids["Bonn Markt"])
    qtbot.waitUntil(lambda: panel.detail.heading.text() == "Bonn Markt")
    dialog = panel.show_nearby()
    dialog.km.setValue(12)
    dialog.search_nearby()
    qtbot.waitUntil(lambda: dialog.results.topLevelItemCount() == 2)
    assert _names(dialog.results) == ["Beuel Bäckerei", "Siegburg Eisen"]  # itself left out
    first = dialog.results.topLevelItem(0)
    assert first is not None and first.text(0) == "2.2 km"
    assert "2 accounts within 12 km of Bonn Markt" in dialog.status.text()
    # Open the second one: the Accounts panel shows it.
    dialog.results.setCurrentItem(dialog.results.topLevelItem(1))
    assert dialog.selected_id() == ids["Siegburg Eisen"]
    dialog.open_button.click()
    qtbot.waitUntil(lambda: panel.detail.heading.text() == "Siegburg Eisen")
    # A point typed over the account's name: measured from the point.
    dialog.where.setText("50.7998, 7.2079")
    dialog.km.setValue(1)
    dialog.search_nearby()
    qtbot.waitUntil(lambda: _names(dialog.results) == ["Siegburg Eisen"])
    assert dialog.results.topLevelItem(0).text(0) == "0 m"  # type: ignore[union-attr]
    dialog.close()


def test_nearby_from_a_typed_point_or_address(
    qtbot: QtBot, replica: Replica, make_window, data_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    _accounts(replica)
    window = make_window()
    panel = _panel(window)
    panel.table.clearSelection()
    panel.detail.account_id = None
    dialog = panel.show_nearby()
    assert dialog.where.text() == ""
    dialog.where.setText("50.7374, 7.0982")
    dialog.km.setValue(3)
    dialog.search_nearby()
    qtbot.waitUntil(lambda: dialog.results.topLevelItemCount() == 2)
    assert _names(dialog.results) == ["Bonn Markt", "Beuel Bäckerei"]
    assert dialog.results.topLevelItem(0).data(0, ID_ROLE)  # type: ignore[union-attr]
    with serve(nominatim(PLACES)) as server:
        MapSettings(nominatim_url=server.url, geocode_min_delay_s=0.0).save(data_dir)
        dialog.where.setText("Markt 1, Bonn")
        dialog.km.setValue(15)
        dialog.search_nearby()
        qtbot.waitUntil(lambda: "Markt 1, 53111 Bonn" in dialog.status.text())
        assert _names(dialog.results) == ["Bonn Markt", "Beuel Bäckerei", "Siegburg Eisen"]
        # A place nobody knows: said in plain words, nothing listed.
        dialog.where.setText("Nirgendwoheim Xyz")
        dialog.search_nearby()
        qtbot.waitUntil(lambda: "could not find" in dialog.status.text(), timeout=30_000)
        assert dialog.results.topLevelItemCount() == 0
    dialog.close()


def test_a_new_address_is_placed_at_once_then_geocoded(
    qtbot: QtBot, replica: Replica, make_window, data_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    panel = _panel(window)
    with serve(nominatim(PLACES)) as server:
        MapSettings(nominatim_url=server.url, geocode_min_delay_s=0.0).save(data_dir)
        panel.new_record()
        form = panel.detail.form
        form.set_text("name", "Neu am Markt")
        form.set_text("street", "Markt 1")
        form.set_text("city", "Bonn")
        seen: list[str] = []
        panel.detail.locator.located.connect(lambda _id, precision: seen.append(precision))
        panel.detail.save()
        qtbot.waitUntil(lambda: seen == ["approximate", "house"], timeout=30_000)
    account_id = panel.detail.account_id
    assert account_id is not None
    assert _position(replica, account_id) == (50.7357, 7.1013, "house")


def test_offline_the_town_is_kept_and_marked_approximate(
    qtbot: QtBot, replica: Replica, make_window
) -> None:  # type: ignore[no-untyped-def]
    ids = _accounts(replica)
    window = make_window()
    panel = _panel(window)
    panel.select_account(ids["Köln Dom"])
    qtbot.waitUntil(lambda: panel.detail.heading.text() == "Köln Dom")
    seen: list[str] = []
    panel.detail.locator.located.connect(lambda _id, precision: seen.append(precision))
    panel.detail.form.set_text("city", "Siegburg")  # moved; the geocoder is unreachable
    panel.detail.save()
    qtbot.waitUntil(lambda: seen == ["approximate"], timeout=30_000)
    lat, lon, precision = _position(replica, ids["Köln Dom"])
    assert precision == "approximate" and abs(lat - 50.8) < 0.05 and abs(lon - 7.2) < 0.05  # type: ignore[operator]
    qtbot.waitUntil(lambda: "approximate" in panel.detail.subheading.text())
    # Typed coordinates win over the address: nothing is looked up.
    panel.detail.form.set_text("city", "Bonn")
    panel.detail.form.set_text("latitude", "50.1")
    panel.detail.form.set_text("longitude", "7.5")
    panel.detail.save()
    qtbot.waitUntil(lambda: _position(replica, ids["Köln Dom"])[0] == 50.1)
    qtbot.wait(300)
    assert seen == ["approximate"]


def test_unplotted_queue_geocodes_all_with_progress(
    qtbot: QtBot, replica: Replica, make_window, data_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    ids = _accounts(replica)
    window = make_window()
    panel = _panel(window)
    dialog = panel.show_unplotted()
    qtbot.waitUntil(lambda: dialog.list.topLevelItemCount() == 2)
    assert "2 accounts have no location" in dialog.summary.text()
    steps: list[tuple[int, int]] = []
    dialog.progressed.connect(lambda done, total, _name: steps.append((done, total)))
    with serve(nominatim(PLACES)) as server:
        MapSettings(nominatim_url=server.url, geocode_min_delay_s=0.0).save(data_dir)
        with qtbot.waitSignal(dialog.finished, timeout=15_000) as blocker:
            dialog.geocode_button.click()
    report = blocker.args[0]
    assert steps[-1] == (2, 2)
    assert report.not_found == [ids["Unplotted Nowhere"]]
    assert "Located 1 of 2; 1 not found." in dialog.status.text()
    # The street is unknown to the server, the town is not: placed at the town.
    assert _position(replica, ids["Unplotted Weber"]) == (50.7998, 7.2079, "town")
    qtbot.waitUntil(lambda: dialog.list.topLevelItemCount() == 1)
    dialog.close()


def test_cancel_stops_a_run(qtbot: QtBot, replica: Replica, make_window, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    with replica.session() as s:
        for i in range(30):
            services.create(s, "accounts", {"name": f"Slow {i}", "city": "Siegburg"})
    window = make_window()
    dialog = _panel(window).show_unplotted()
    qtbot.waitUntil(lambda: dialog.list.topLevelItemCount() == 30)
    with serve(nominatim(PLACES)) as server:
        # One request a second, as the geocoder's usage policy asks: slow enough to cancel.
        MapSettings(nominatim_url=server.url, geocode_min_delay_s=1.0).save(data_dir)
        dialog.progressed.connect(lambda done, _t, _n: dialog.cancel() if done == 1 else None)
        with qtbot.waitSignal(dialog.finished, timeout=20_000) as blocker:
            dialog.geocode_button.click()
    report = blocker.args[0]
    assert report.cancelled and report.done < 30
    assert "Cancelled." in dialog.status.text()
    dialog.close()


def test_pin_typed_by_hand_with_undo(
    qtbot: QtBot, replica: Replica, make_window, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    ids = _accounts(replica)
    window = make_window()
    panel = _panel(window)
    panel.select_account(ids["Köln Dom"])
    qtbot.waitUntil(lambda: panel.detail.heading.text() == "Köln Dom")
    monkeypatch.setattr(dialogs, "ask_text", lambda *_a: "95, 7")
    panel.detail.set_pin()
    qtbot.waitUntil(lambda: "latitude lies between" in window.toast.label.text())
    assert _position(replica, ids["Köln Dom"]) == (50.9413, 6.9583, None)
    monkeypatch.setattr(dialogs, "ask_text", lambda *_a: "50.9420; 6.9570")
    panel.detail.set_pin()
    qtbot.waitUntil(lambda: _position(replica, ids["Köln Dom"]) == (50.942, 6.957, "manual"))
    qtbot.waitUntil(lambda: "Pin moved" in window.toast.label.text())
    assert window.toast.trigger()  # Undo
    qtbot.waitUntil(lambda: _position(replica, ids["Köln Dom"]) == (50.9413, 6.9583, None))


def test_a_pin_dragged_on_the_map_can_be_undone(
    qtbot: QtBot, replica: Replica, make_window
) -> None:  # type: ignore[no-untyped-def]
    from fieldapp.maps import geocode
    from fieldapp.ui import locating

    ids = _accounts(replica)
    window = make_window()
    # What the map panel does on a drag: note the old position, save the new one.
    before = geocode.location_of(replica, ids["Köln Dom"])
    geocode.set_location(replica, ids["Köln Dom"], 50.5, 7.5)
    locating.undo_offer(window.ctx, ids["Köln Dom"], before, "Pin moved on the map.")
    qtbot.waitUntil(lambda: "Pin moved on the map" in window.toast.label.text())
    assert _position(replica, ids["Köln Dom"]) == (50.5, 7.5, "manual")
    assert window.toast.trigger()
    qtbot.waitUntil(lambda: _position(replica, ids["Köln Dom"]) == (50.9413, 6.9583, None))
