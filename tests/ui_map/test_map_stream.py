"""The Map panel streams its markers and reuses the last ones at the next start."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from fieldapp.maps import feed as feeds
from fieldapp.maps import shell
from fieldapp.maps.settings import MapSettings
from fieldapp.store import services
from fieldapp.store.db import Replica
from tests.ui_map.pages import LOAD_MS, accounts, js, wait_ready


def test_markers_arrive_in_batches_and_the_map_answers_a_click_before_the_last(
    qtbot: QtBot, replica: Replica, panel_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = accounts(replica, 100)
    # The worker is held before its last batch, as a slow read of 100k accounts
    # would hold it: the page must be usable with what it has.
    gate = threading.Event()
    put_batch = feeds.MarkerFeed.put_batch

    def held(feed: feeds.MarkerFeed, encoded: bytes) -> None:
        if feed.batch_count == 9:
            gate.wait(LOAD_MS / 1000)
        put_batch(feed, encoded)

    monkeypatch.setattr(feeds.MarkerFeed, "put_batch", held)
    loaded: list[tuple[int, int]] = []
    ready: list[int] = []
    panel, recorder = panel_factory(MapSettings(tiles_online=False), batch=10)
    panel.markers_loaded.connect(lambda n, total: loaded.append((n, total)))
    panel.map_ready.connect(ready.append)
    qtbot.waitUntil(lambda: len(loaded) == 9, timeout=LOAD_MS)
    assert loaded == [(10 * i, 100) for i in range(1, 10)]  # batch by batch, of 100
    state = json.loads(
        js(qtbot, panel.web_page, "JSON.stringify([fieldappState.ready, fieldappState.batches])")
    )
    assert state == [False, 9] and not ready
    # A marker that is in answers a click: its popup's Open reaches Qt.
    shown = js(
        qtbot,
        panel.web_page,
        "(function(){var m=null; fieldappState.cluster.eachLayer(function(l){"
        " if (!m) m = l; });"
        " fieldappState.cluster.zoomToShowLayer(m, function(){"
        " m._icon.dispatchEvent(new MouseEvent('click', {bubbles: true})); });"
        " return m.fieldappId; })()",
    )
    assert shown in ids
    qtbot.waitUntil(
        lambda: js(qtbot, panel.web_page, "document.querySelectorAll('.fa-act').length") == 3,
        timeout=LOAD_MS,
    )
    with qtbot.waitSignal(panel.account_activated, timeout=LOAD_MS) as opened:
        js(
            qtbot,
            panel.web_page,
            "document.querySelector('.fa-act[data-action=open]')"
            ".dispatchEvent(new MouseEvent('click', {bubbles: true})); 1",
        )
    assert opened.args == [shown] and not ready
    # A lasso around all of them catches the 90 markers already on the map.
    ring = [[50.9, 6.9], [50.9, 7.0], [51.0, 7.0], [51.0, 6.9]]
    with qtbot.waitSignal(panel.selection_changed, timeout=LOAD_MS) as lassoed:
        js(qtbot, panel.web_page, f"fieldappLasso({json.dumps(ring)}); 1")
    assert len(lassoed.args[0]) == 90 and set(lassoed.args[0]) < set(ids)
    # The page says what it is waiting for.
    status = js(qtbot, panel.web_page, "document.querySelector('.fa-status').textContent")
    assert status == "Loading accounts… 90 of 100"

    gate.set()
    qtbot.waitUntil(lambda: ready == [100], timeout=LOAD_MS)
    assert loaded[-1] == (100, 100)
    assert js(qtbot, panel.web_page, "document.querySelectorAll('.fa-status').length") == 0
    assert js(qtbot, panel.web_page, "fieldappState.cluster.getLayers().length") == 100
    # The page holds the markers now; the app keeps no copy of the batches.
    assert panel.feed is not None and json.loads(panel.feed.part("3") or b"")["rows"] == []
    # Every part came from the app, none from outside.
    parts = [p for p, _ in panel.handler.served if p.startswith("/feed/")]
    assert parts[0].endswith("/meta")
    # Ten batches of ten, each asked for once and in order; when the tenth was made
    # before the worker knew it was the last, one empty part more closes the stream.
    numbers = [p.rsplit("/", 1)[1] for p in parts[1:]]
    assert numbers == [str(i) for i in range(len(numbers))] and len(numbers) in (10, 11)
    assert recorder.outside() == []


def test_a_restart_reuses_the_cached_page_and_markers_until_the_replica_changes(
    qtbot: QtBot, replica: Replica, panel_factory: Any
) -> None:
    ids = accounts(replica, 30)
    settings = MapSettings(tiles_online=False)

    def open_map() -> Any:
        panel, _ = panel_factory(settings)
        with qtbot.waitSignal(panel.map_ready, timeout=LOAD_MS) as ready:
            pass
        assert panel.feed is not None
        return panel, ready.args[0]

    first, count = open_map()
    assert count == 30 and not first.feed.from_cache
    assert (replica.data_dir / shell.FILENAME).is_file()
    first.close_panel()

    # The next start: the page's frame from disk, the markers from the cache.
    again, count = open_map()
    assert count == 30 and again.feed.from_cache
    assert again._shell == first._shell
    wait_ready(qtbot, again.web_page)
    # The lasso works on cached markers too (their positions come with them).
    ring = [[50.915, 6.929], [50.915, 6.931], [50.945, 6.931], [50.945, 6.929]]
    with qtbot.waitSignal(again.selection_changed, timeout=LOAD_MS) as lassoed:
        js(qtbot, again.web_page, f"fieldappLasso({json.dumps(ring)}); 1")
    assert sorted(lassoed.args[0]) == sorted(ids[:10])
    again.close_panel()

    # An edit made meanwhile (here: a new account) is not hidden by the cache.
    with replica.session() as session:
        services.create(
            session,
            "accounts",
            {"name": "Newcomer", "latitude": 50.93, "longitude": 6.95, "status": "active"},
        )
    changed, count = open_map()
    assert count == 31 and not changed.feed.from_cache
    names = json.loads(
        js(
            qtbot,
            changed.web_page,
            "JSON.stringify(fieldappState.cluster.getLayers().map(function(m){"
            "return m.options.title}))",
        )
    )
    assert "Newcomer" in names
