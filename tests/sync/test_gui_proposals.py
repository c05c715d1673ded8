"""The Admin panel's Proposals tab against a real server: preview, balance, apply, roll back.

Real widgets offscreen, the real map page (QtWebEngine), a real server process on
loopback; the reps' replicas sync through it and must converge.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

import fieldapp.ui.map_panel  # noqa: F401  (the app's URL scheme, before the QApplication)
from fieldapp.store import scheduling
from fieldapp.store.types import utcnow
from fieldapp.sync.admin_api import AdminApi
from fieldapp.sync.transport import Transport
from fieldapp.ui import dialogs
from fieldapp.ui.admin_panel import AdminPanel
from fieldapp.ui.background import Background
from fieldapp.ui.panel import AppContext
from fieldapp.ui.proposal_models import ROW_ROLE
from tests.sync.conftest import World
from tests.sync.test_sync_flow import create, ids_of, setup_two_territories

WAIT = 60_000
SHOTS = Path("/work/shots")


class Scene:
    """Boss (admin) with the tab; Alice holds North (6 accounts), Bob South (2)."""

    def __init__(self, qtbot: QtBot, world: World, tmp_path: Path) -> None:
        self.world = world
        t = setup_two_territories(world)
        self.north_id, self.south_id = t["north"], t["south"]
        boss, boss_sync = world.client("boss")
        # North a column of accounts above South's, 1 km apart: neighbours along it.
        self.north = [
            create(boss, "accounts", name=f"N{i}", territory_id=t["north"],
                   latitude=50.95 + i * 0.01, longitude=6.95)
            for i in range(6)
        ]  # fmt: skip
        self.south = [
            create(boss, "accounts", name=f"S{i}", territory_id=t["south"],
                   latitude=50.93 - i * 0.01, longitude=6.95)
            for i in range(2)
        ]  # fmt: skip
        create(boss, "opportunities", account_id=self.north[0], name="Big", stage="Proposal",
               amount="1000.00", currency="EUR")  # fmt: skip
        with boss.session() as s:
            scheduling.schedule_visit(s, self.north[1], utcnow() + timedelta(days=3), minutes=90)
        assert not boss_sync.sync().rejections
        self.alice, self.alice_sync = world.client("alice")
        self.bob, self.bob_sync = world.client("bob")
        self.alice_sync.sync()
        self.bob_sync.sync()
        assert ids_of(self.alice, "accounts") == set(self.north)
        # The boss's laptop: signed in as the app keeps it (server, user, token in the keyring).
        token = world.app_sign_in(boss, "boss")
        self.api_transport = Transport(world.server.base, token)
        self.api = AdminApi(self.api_transport)
        self.bg = Background(boss)
        settings = QSettings(str(tmp_path / "boss.ini"), QSettings.Format.IniFormat)
        self.ctx = AppContext(self.bg, settings, boss.data_dir)
        # The tab as the admin finds it: in the Admin panel.
        self.panel = AdminPanel(self.ctx)
        self.tab = self.panel.proposals
        self.panel.tabs.setCurrentWidget(self.tab)
        # Deleted in close(): the map's page must go before its web profile (as the
        # window's own teardown does), which a garbage-collected widget does not ensure.
        self.panel.resize(1280, 800)
        self.qtbot = qtbot

    def open(self) -> None:
        with self.qtbot.waitSignal(self.tab.versions_loaded, timeout=WAIT):
            self.panel.show()
        self.qtbot.waitUntil(lambda: self.tab.form.territory.count() == 2, timeout=WAIT)
        assert self.tab.map is not None
        self.qtbot.waitUntil(
            lambda: bool(self.js("!!(window.fieldappState && fieldappState.ready)")), timeout=WAIT
        )

    def js(self, script: str) -> Any:
        box: dict[str, Any] = {}
        assert self.tab.map is not None
        self.tab.map.web_page.runJavaScript(script, 0, lambda r: box.setdefault("r", r))
        self.qtbot.waitUntil(lambda: "r" in box, timeout=WAIT)
        return box["r"]

    def highlighted(self) -> set[str]:
        return set(json.loads(self.js("JSON.stringify(fieldappState.highlighted)")))

    def shown(self, model: Any) -> list[Any]:
        return [model.index(r, 0).data(ROW_ROLE) for r in range(model.rowCount())]

    def wait_idle(self) -> None:
        self.qtbot.waitUntil(lambda: not self.tab.busy(), timeout=WAIT)

    def close(self) -> None:
        self.bg.shutdown()  # no answer arrives for a deleted tab
        self.panel.close_map()
        self.panel.close()
        shiboken6.delete(self.panel)
        self.api_transport.close()


@pytest.fixture
def scene(qtbot: QtBot, sqlite_world: World, tmp_path: Path) -> Iterator[Scene]:
    s = Scene(qtbot, sqlite_world, tmp_path)
    yield s
    s.close()


def test_preview_apply_and_roll_back_from_the_tab(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    tab = scene.tab
    scene.open()
    # Lasso the three southernmost North accounts on the map (the page's own lasso).
    ring = [[50.94, 6.9], [50.94, 7.0], [50.975, 7.0], [50.975, 6.9]]
    with scene.qtbot.waitSignal(tab.map.selection_changed, timeout=WAIT):  # type: ignore[union-attr]
        scene.js(f"window.fieldappLasso({json.dumps(ring)})")
    assert set(tab.form.selected) == set(scene.north[:3])
    tab.form.territory.setCurrentText("South")
    with scene.qtbot.waitSignal(tab.previewed, timeout=WAIT):
        tab.form.preview_button.click()

    (version,) = tab.versions
    server = scene.api.diff(version)
    assert scene.shown(tab.moving_model) == server["accounts_moving"]
    assert {a["id"] for a in server["accounts_moving"]} == set(scene.north[:3])
    per_rep = {r["rep"]: r for r in scene.shown(tab.rep_model)}
    assert {k: (r["gained"], r["lost"]) for k, r in per_rep.items()} == {
        "alice": (0, 3),
        "bob": (3, 0),
    }
    assert (
        per_rep["alice"]["after"]
        == next(r for r in server["per_rep"] if r["rep"] == "alice")["after"]
    )
    # The 90-minute visit planned at N1 moves with it; the deal at N0 too (server figures).
    assert per_rep["alice"]["hours"] == (1.5, 0.0) and per_rep["bob"]["hours"] == (0.0, 1.5)
    assert per_rep["bob"]["after"]["open_pipeline"] == {"EUR": "1000.00"}
    scene.qtbot.waitUntil(lambda: scene.highlighted() == set(scene.north[:3]), timeout=WAIT)

    def balance() -> dict[str, tuple[float, float]]:
        return {r[0]: (r[1], r[2]) for r in scene.shown(tab.balance.model)}

    scene.qtbot.waitUntil(lambda: balance() == {"alice": (6, 3), "bob": (2, 5)}, timeout=WAIT)
    tab.balance.measure.setCurrentIndex(2)  # open pipeline: the deal at N0 moves to Bob
    scene.qtbot.waitUntil(lambda: balance() == {"alice": (1000, 0), "bob": (0, 1000)}, timeout=WAIT)
    assert "Open pipeline (EUR)" in tab.balance.score.text()
    assert "1.00 now → 1.00 after" in tab.balance.score.text()
    tab.balance.measure.setCurrentIndex(0)
    scene.qtbot.waitUntil(lambda: balance() == {"alice": (6, 3), "bob": (2, 5)}, timeout=WAIT)
    SHOTS.mkdir(parents=True, exist_ok=True)
    scene.panel.grab().save(str(SHOTS / "proposals-preview.png"))

    asked: list[str] = []
    monkeypatch.setattr(dialogs, "confirm", lambda _p, _t, text: asked.append(text) or True)
    with scene.qtbot.waitSignal(tab.done, timeout=WAIT):
        tab.apply_button.click()
    assert "alice loses 3 accounts" in asked[0] and "bob gains 3 accounts" in asked[0]
    scene.wait_idle()
    assert "told on their next sync" in tab.headline.text()
    # Told on their next sync: Alice's report names where they went, Bob's what he gained.
    told = scene.alice_sync.sync().sentences()
    assert any(s.startswith("3 accounts moved to") for s in told), told
    gained = scene.bob_sync.sync().sentences()
    assert any(s.startswith("3 accounts you gained") for s in gained), gained
    assert ids_of(scene.alice, "accounts") == set(scene.north[3:])
    assert ids_of(scene.bob, "accounts") == set(scene.south) | set(scene.north[:3])

    # Roll back to version 0 (before the first proposal) from the Versions table.
    scene.qtbot.waitUntil(lambda: tab.versions_pane.model.rowCount() == 2, timeout=WAIT)
    rows = scene.shown(tab.versions_pane.model)
    assert [(r["version"], r["state"]) for r in rows] == [(version, "applied"), (0, "applied")]
    assert rows[0]["applied_by"] == "boss" and rows[0]["moved"] == 3
    tab.results.setCurrentIndex(3)
    tab.versions_pane.view.selectRow(1)
    scene.panel.grab().save(str(SHOTS / "proposals-versions.png"))
    with scene.qtbot.waitSignal(tab.done, timeout=WAIT):
        tab.versions_pane.rollback_button.click()
    assert "Roll back to version 0" in asked[1] and "alice gains 3 accounts" in asked[1]
    scene.wait_idle()
    scene.alice_sync.sync()
    scene.bob_sync.sync()
    assert ids_of(scene.alice, "accounts") == set(scene.north)
    assert ids_of(scene.bob, "accounts") == set(scene.south)
    held = {t["name"]: t["accounts"] for t in scene.api.territories()}
    assert held == {"North": 6, "South": 2}


def test_bad_input_and_a_refusal_are_said_in_words(scene: Scene) -> None:
    tab = scene.tab
    scene.open()
    tab.form.territory.setCurrentText("South")
    tab.form.preview_button.click()  # nothing lassoed yet
    assert "Lasso the accounts" in tab.runner.status.text()
    tab.form.source.setCurrentIndex(1)  # matching a filter
    tab.form.accounts_text.setText("nothing like this")
    tab.form.preview_button.click()
    scene.qtbot.waitUntil(
        lambda: "no account matches" in tab.runner.status.text().lower(), timeout=WAIT
    )
    tab.form.source.setCurrentIndex(4)  # reps only
    tab.form.reps.setText("nobody-here")
    tab.form.preview_button.click()
    scene.qtbot.waitUntil(
        lambda: "no user named nobody-here" in tab.runner.status.text().lower(), timeout=WAIT
    )
    assert "Traceback" not in tab.runner.status.text() and not tab.apply_button.isEnabled()


def test_the_suggestion_evens_out_and_becomes_a_proposal(
    qtbot: QtBot, pg_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene = Scene(qtbot, pg_world, tmp_path)
    try:
        tab = scene.tab
        scene.open()
        assert "3 now" not in tab.balance.score.text()
        with qtbot.waitSignal(tab.suggested, timeout=WAIT) as got:
            tab.balance.suggest_button.click()
            assert tab.balance.cancel_button.isVisibleTo(tab)  # while it is worked out
        assert not tab.balance.cancel_button.isVisibleTo(tab)
        suggestion = got.args[0]
        # 6 against 2: two of North's southernmost accounts go to South, 4 and 4.
        assert suggestion.after == {"alice": 4, "bob": 4}
        assert suggestion.score_before == pytest.approx(0.5) and suggestion.score_after == 0
        moved = {m.account for m in suggestion.moves}
        assert moved == set(scene.north[:2])
        qtbot.waitUntil(lambda: scene.highlighted() == moved, timeout=WAIT)
        score = tab.balance.score
        qtbot.waitUntil(lambda: "0.50 now → 0.00 after" in score.text(), timeout=WAIT)
        assert "2 accounts move" in tab.headline.text()
        assert "every rep within ±10% of the mean" in tab.headline.text()
        assert "within ±10% of the mean" in tab.balance.suggest_button.toolTip()
        scene.panel.grab().save(str(SHOTS / "proposals-balance.png"))

        with qtbot.waitSignal(tab.previewed, timeout=WAIT):
            tab.balance.take_button.click()
        assert {a["id"] for a in scene.shown(tab.moving_model)} == moved
        (version,) = tab.versions
        assert scene.api.diff(version)["accounts_moving"] == scene.shown(tab.moving_model)
        monkeypatch.setattr(dialogs, "confirm", lambda *_a: True)
        with qtbot.waitSignal(tab.done, timeout=WAIT):
            tab.apply_button.click()
        scene.wait_idle()
        scene.bob_sync.sync()
        assert ids_of(scene.bob, "accounts") == set(scene.south) | moved
    finally:
        scene.close()
