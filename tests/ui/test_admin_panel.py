"""The Admin panel against a real server on loopback: territories (drawn on the real map,
by postcodes), reps and managers, users, drafts kept offline; who sees the panel."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

import fieldapp.ui.map_panel  # noqa: F401  (the app's URL scheme, before the QApplication)
from fieldapp.server import admin, territories
from fieldapp.server.db import Database
from fieldapp.store.db import Replica
from fieldapp.sync import state
from fieldapp.sync.admin_drafts import DRAFTS_FILE, Drafts
from fieldapp.sync.credentials import CREDENTIALS
from fieldapp.sync.errors import AuthRequired
from fieldapp.sync.signin import sign_in
from fieldapp.sync.territory_changes import TerritoryValues
from fieldapp.sync.transport import Transport
from fieldapp.ui import dialogs
from fieldapp.ui.admin_panel import AdminPanel
from fieldapp.ui.admin_territory_list import COL_NAME, COL_POSTCODES
from fieldapp.ui.main_window import MainWindow
from tests.syncutil import PASSWORD, ServerProcess, database_url
from tests.ui.test_team_panel import shown_titles, signed_in_as

LOAD_MS = 30_000
CALL_MS = 30_000


class Served:
    """A server process on loopback, its database for checks, and the admin signed in."""

    def __init__(self, url: str, replica: Replica) -> None:
        self.url = url
        self.db = Database.open(url)
        admin.add_user(self.db, "boss", PASSWORD, "admin")
        admin.add_user(self.db, "maria", PASSWORD, "manager")
        for rep in ("ana", "ben", "cleo"):
            admin.add_user(self.db, rep, PASSWORD, "rep", "maria")
        self.server = ServerProcess(url)
        sign_in(replica, self.server.base, "boss", PASSWORD)

    def territory(self, name: str) -> dict[str, Any] | None:
        rows = {t.name: t.as_dict() for t in territories.list_territories(self.db)}
        return rows.get(name)

    def polygon(self, name: str) -> dict[str, Any]:
        with self.db.session() as session:
            rec = territories.find(session, name)
            return dict(json.loads(json.loads(rec.data)["polygon"]))

    def close(self) -> None:
        self.server.stop()
        self.db.close()


def _served(kind: str, tmp_path: Path, replica: Replica) -> Iterator[Served]:
    with database_url(kind, tmp_path) as url:
        served = Served(url, replica)
        try:
            yield served
        finally:
            served.close()


@pytest.fixture
def served(tmp_path: Path, replica: Replica) -> Iterator[Served]:
    yield from _served("sqlite", tmp_path, replica)


@pytest.fixture(params=["sqlite", "postgresql"])
def served_any(
    request: pytest.FixtureRequest, tmp_path: Path, replica: Replica
) -> Iterator[Served]:
    yield from _served(request.param, tmp_path, replica)


def page_ready(qtbot: QtBot, panel: Any) -> None:
    """Wait for the map page's script to be up (its ready flag)."""
    box: dict[str, Any] = {}

    def ask() -> bool:
        panel.run_js(
            "!!(window.fieldappState && window.fieldappState.ready && window.fieldappDraw)",
            lambda r: box.__setitem__("ready", r),
        )
        return bool(box.get("ready"))

    qtbot.waitUntil(ask, timeout=LOAD_MS)


def open_admin(qtbot: QtBot, make_window: Callable[..., MainWindow]) -> AdminPanel:
    window = make_window()
    qtbot.waitUntil(lambda: window.role == "admin", timeout=CALL_MS)
    panel = window.show_panel("admin")
    assert isinstance(panel, AdminPanel)
    # The first show loads both lists from the server.
    qtbot.waitUntil(lambda: panel.calls.running() == 0 and bool(panel.users.rows), timeout=CALL_MS)
    return panel


def settle(qtbot: QtBot, panel: AdminPanel) -> None:
    """The panel's calls are done, and what they started (a sync after a send)."""
    qtbot.waitUntil(
        lambda: panel.calls.running() == 0 and panel.ctx.bg.pending() == 0, timeout=CALL_MS
    )


def message(panel: AdminPanel) -> str:
    window = panel.window()
    assert isinstance(window, MainWindow)
    return window.statusBar().currentMessage()


# --- who sees it ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["rep", "manager"])
def test_reps_and_managers_do_not_see_the_admin_panel(
    qtbot: QtBot, replica: Replica, make_window: Callable[..., MainWindow], role: str
) -> None:
    signed_in_as(replica, role)
    window = make_window()
    qtbot.waitUntil(lambda: window.role == role)
    assert "Admin" not in shown_titles(window)
    window.show_panel_index(window.keys().index("admin"))
    assert "admin" not in window.panels  # never built for them
    # Promoted to admin at the next sign-in: the panel appears.
    signed_in_as(replica, "admin")
    window.load_role()
    qtbot.waitUntil(lambda: "Admin" in shown_titles(window))


def test_before_reaching_the_server_the_list_is_the_last_syncs(
    qtbot: QtBot, replica: Replica, make_window: Callable[..., MainWindow]
) -> None:
    """Signed out (no server reached from this laptop yet): not "no territories" but the
    territories, reps and managers as the replica holds them, said to be that."""
    from fieldapp.store import services
    from fieldapp.store.territory_reps import territory_reps

    signed_in_as(replica, "admin")
    with replica.session() as s:
        ana = services.create(s, "users", {"username": "ana", "role": "rep"})
        maria = services.create(s, "users", {"username": "maria", "role": "manager"})
        north = services.create(
            s, "territories", {"name": "North", "postcodes": "N1, N2", "manager_id": maria}
        )
        services.create(s, "territories", {"name": "Empty"})
        for i in range(2):
            services.create(s, "accounts", {"name": f"Nord {i}", "territory_id": north})
        s.execute(territory_reps.insert(), [{"territory_id": north, "user_id": ana}])
    window = make_window()
    qtbot.waitUntil(lambda: window.role == "admin", timeout=CALL_MS)
    panel = window.show_panel("admin")
    assert isinstance(panel, AdminPanel)
    tab = panel.territories
    qtbot.waitUntil(lambda: len(tab.rows) == 2, timeout=CALL_MS)
    settle(qtbot, panel)
    row = tab.row("North")
    assert row is not None
    assert (row["reps"], row["manager"], row["accounts"], row["postcodes"]) == (
        ["ana"],
        "maria",
        2,
        ["N1", "N2"],
    )
    assert "last sync left them" in tab.waiting.text()


def test_long_postcode_lists_leave_the_name_readable_at_1280_by_800(
    qtbot: QtBot, replica: Replica, make_window: Callable[..., MainWindow]
) -> None:
    from fieldapp.store import services

    signed_in_as(replica, "admin")
    postcodes = ", ".join(str(50600 + i) for i in range(60))
    name = "Rhein-Sieg-Kreis and Bergisches Land"
    with replica.session() as s:
        services.create(s, "territories", {"name": name, "postcodes": postcodes})
        services.create(s, "territories", {"name": "Bonn", "postcodes": "531, 532"})
    window = make_window()
    window.resize(1280, 800)
    qtbot.waitUntil(lambda: window.role == "admin", timeout=CALL_MS)
    panel = window.show_panel("admin")
    assert isinstance(panel, AdminPanel)
    tab = panel.territories
    qtbot.waitUntil(lambda: len(tab.rows) == 2, timeout=CALL_MS)
    settle(qtbot, panel)
    table = tab.list.table
    header = table.horizontalHeader()
    qtbot.waitUntil(lambda: header.length() == table.viewport().width())
    assert table.horizontalScrollBar().maximum() == 0  # no sideways scrolling
    assert header.sectionSize(COL_NAME) >= table.sizeHintForColumn(COL_NAME)  # whole
    assert header.sectionSize(COL_POSTCODES) < table.sizeHintForColumn(COL_POSTCODES)
    rows = {table.item(i, COL_NAME).text(): i for i in range(table.rowCount())}  # type: ignore[union-attr]
    cell = table.item(rows[name], COL_POSTCODES)
    assert cell is not None and cell.toolTip() == cell.text() == postcodes  # in full
    folder = os.environ.get("FIELDAPP_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        assert window.grab().save(str(Path(folder) / "admin-long-postcodes.png"))


# --- territories ---------------------------------------------------------------------------


def test_territory_by_postcodes_reps_manager_rename_delete(
    qtbot: QtBot,
    served_any: Served,
    make_window: Callable[..., MainWindow],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    panel = open_admin(qtbot, make_window)
    tab = panel.territories
    values = TerritoryValues("North", ["101", "10115"], [], "maria", ["ana", "ben"], None)
    with qtbot.waitSignal(tab.sent, timeout=CALL_MS):
        tab.create_territory(values)
    settle(qtbot, panel)
    made = served_any.territory("North")
    assert made is not None
    assert made["postcodes"] == ["101", "10115"] and made["manager"] == "maria"
    assert made["reps"] == ["ana", "ben"]
    assert not Drafts(tab.drafts.path.parent).pending()  # sent: nothing waits
    tab.select("North")
    assert tab.selected_name() == "North"
    # Rename, one rep more, no manager.
    current = tab.row("North")
    assert current is not None and current["reps"] == ["ana", "ben"]
    changed = TerritoryValues(
        "North-East", ["101", "10115"], [], None, ["ana", "ben", "cleo"], None
    )
    with qtbot.waitSignal(tab.sent, timeout=CALL_MS):
        tab.change(current, changed)
    settle(qtbot, panel)
    assert served_any.territory("North") is None
    renamed = served_any.territory("North-East")
    assert renamed is not None and renamed["reps"] == ["ana", "ben", "cleo"]
    assert renamed["manager"] is None
    row = tab.row("North-East")
    assert row is not None and row["reps"] == ["ana", "ben", "cleo"] and row["draft"] == ""
    # Delete, after a confirmation; Undo makes it again with its reps.
    asked: list[str] = []
    monkeypatch.setattr(dialogs, "confirm", lambda _p, _t, text: asked.append(text) or True)
    tab.select("North-East")
    with qtbot.waitSignal(tab.sent, timeout=CALL_MS):
        panel.delete_selected()
    settle(qtbot, panel)
    assert asked and "North-East" in asked[0]
    assert served_any.territory("North-East") is None
    assert tab.row("North-East") is None
    window = panel.window()
    assert isinstance(window, MainWindow)
    with qtbot.waitSignal(tab.sent, timeout=CALL_MS):
        window.undo()
    settle(qtbot, panel)
    back = served_any.territory("North-East")
    assert back is not None and back["reps"] == ["ana", "ben", "cleo"]
    assert back["postcodes"] == ["101", "10115"]


def test_a_territory_drawn_on_the_map_then_edited_by_a_corner(
    qtbot: QtBot, served: Served, make_window: Callable[..., MainWindow]
) -> None:
    panel = open_admin(qtbot, make_window)
    tab = panel.territories
    area = tab.map
    qtbot.waitUntil(lambda: area.map is not None, timeout=LOAD_MS)
    assert area.map is not None
    page_ready(qtbot, area.map)
    # The lasso as the page reports a drag: many points around a square.
    lasso = []
    for i in range(40):
        lasso.append([50.90 + 0.1 * i / 40, 6.90])
    for i in range(40):
        lasso.append([51.00, 6.90 + 0.1 * i / 40])
    for i in range(40):
        lasso.append([51.00 - 0.1 * i / 40, 7.00])
    for i in range(40):
        lasso.append([50.90, 7.00 - 0.1 * i / 40])
    with qtbot.waitSignal(area.drawn, timeout=LOAD_MS) as drawn:
        area.map.run_js(f"window.fieldappLasso({json.dumps(lasso)})")
    assert drawn.args is not None and drawn.args[0] == 4  # the square's four corners
    assert tab.drawn_button.isEnabled()
    corners: dict[str, Any] = {}
    area.map.run_js("window.fieldappDraw.corners()", lambda n: corners.setdefault("n", n))
    qtbot.waitUntil(lambda: "n" in corners, timeout=LOAD_MS)
    assert corners["n"] == 4  # the handles are on the page
    # Drag one corner outwards (as the handle's drag does).
    area.map.run_js("window.fieldappDraw.moveCorner(0, 50.85, 6.85)")
    got: dict[str, Any] = {}
    area.drawing(lambda polygon: got.setdefault("polygon", polygon))
    qtbot.waitUntil(lambda: "polygon" in got, timeout=LOAD_MS)
    polygon = got["polygon"]
    assert polygon["type"] == "Polygon" and [6.85, 50.85] in polygon["coordinates"][0]
    with qtbot.waitSignal(tab.sent, timeout=CALL_MS):
        tab.create_territory(TerritoryValues("Cologne", [], [], None, ["cleo"], polygon))
    settle(qtbot, panel)
    made = served.territory("Cologne")
    assert made is not None and made["polygon"] and made["reps"] == ["cleo"]
    ring = served.polygon("Cologne")["coordinates"][0]
    assert [6.85, 50.85] in ring and len(ring) == 5  # four corners, closed
    assert not area.has_drawing()  # used up


# --- users ---------------------------------------------------------------------------------


def test_users_add_role_reset_and_deactivate(
    qtbot: QtBot,
    served: Served,
    make_window: Callable[..., MainWindow],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fieldapp.ui.admin_user_dialog import UserValues

    panel = open_admin(qtbot, make_window)
    tab = panel.users
    panel.tabs.setCurrentWidget(tab)  # Alt+2
    assert {r["username"] for r in tab.rows} == {"boss", "maria", "ana", "ben", "cleo"}
    with qtbot.waitSignal(tab.loaded, timeout=CALL_MS):
        tab.add_user(UserValues("dora", "rep", "maria", "dora-secret-1"))
    dora = tab.user("dora")
    assert dora is not None and dora["role"] == "rep" and dora["manager"] == "maria"
    assert tab.shown_password() == "dora-secret-1"
    Transport(served.server.base).login("dora", "dora-secret-1")  # she can sign in
    with qtbot.waitSignal(tab.loaded, timeout=CALL_MS):
        tab.change_user("dora", "manager", None)
    dora = tab.user("dora")
    assert dora is not None and dora["role"] == "manager" and dora["manager"] is None
    # A made-up password, shown once.
    monkeypatch.setattr(dialogs, "ask_text", lambda *_a: "")
    tab.select("dora")
    with qtbot.waitSignal(tab.loaded, timeout=CALL_MS):
        tab.reset_selected()
    new_password = tab.shown_password()
    assert new_password != "dora-secret-1" and len(new_password) >= 8
    transport = Transport(served.server.base)
    transport.login("dora", new_password)
    # Deactivated after a confirmation that says her sign-ins stop at once.
    asked: list[str] = []
    monkeypatch.setattr(dialogs, "confirm", lambda _p, _t, text: asked.append(text) or True)
    tab.select("dora")
    with qtbot.waitSignal(tab.loaded, timeout=CALL_MS):
        panel.delete_selected()
    assert "at once" in asked[0]
    dora = tab.user("dora")
    assert dora is not None and dora["active"] is False
    with pytest.raises(AuthRequired):
        transport.hello()  # her next request is refused
    transport.close()
    # A refusal is said in words and changes nothing.
    tab.add_user(UserValues("dora", "rep", None, "another-pass"))
    settle(qtbot, panel)
    assert "already" in message(panel) and "Nothing was changed" in message(panel)


# --- offline drafts ------------------------------------------------------------------------


def test_an_offline_draft_survives_a_restart_and_is_sent_later(
    qtbot: QtBot,
    served: Served,
    replica: Replica,
    make_window: Callable[..., MainWindow],
    tmp_path: Path,
) -> None:
    panel = open_admin(qtbot, make_window)
    tab = panel.territories
    served.server.stop()  # the network is gone
    with qtbot.waitSignal(panel.calls.busy, timeout=CALL_MS, check_params_cb=lambda s: s == ""):
        tab.create_territory(TerritoryValues("South", ["80"], ["Bavaria"], None, ["ana"], None))
    assert "cannot be reached" in message(panel) and "Kept as drafts" in message(panel)
    row = tab.row("South")
    assert row is not None and "create South" in row["draft"]
    assert "2 changes wait" in tab.waiting.text()
    path = replica.data_dir / DRAFTS_FILE
    assert path.stat().st_mode & 0o077 == 0  # private, as the replica
    # The app is closed and opened again: the drafts are still there.
    again = Drafts(replica.data_dir)
    assert [d.describe() for d in again.pending()] == ["create South", "give South the reps ana"]
    # The server is back (on another port): the next refresh sends them.
    served.server = ServerProcess(served.url)
    token = CREDENTIALS.load(served_base(replica), "boss")
    assert token is not None
    with replica.engine.begin() as conn:
        state.put(conn, "server", served.server.base)
    CREDENTIALS.save(served.server.base, "boss", token)
    fresh = AdminPanel(panel.ctx)
    qtbot.addWidget(fresh)
    assert fresh.territories.row("South") is not None  # shown from the file, offline
    with qtbot.waitSignal(fresh.territories.sent, timeout=CALL_MS):
        fresh.refresh()
    settle(qtbot, fresh)
    south = served.territory("South")
    assert south is not None and south["postcodes"] == ["80"] and south["reps"] == ["ana"]
    assert not Drafts(replica.data_dir).pending()
    fresh.close_map()


def served_base(replica: Replica) -> str:
    with replica.engine.connect() as conn:
        value = state.get(conn, "server")
    assert value is not None
    return value
