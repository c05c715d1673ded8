"""Start-up builds the panel shown first and imports only what it needs (issue 15).

The restart on the Map panel had to wait for every panel's module (the Admin panel's
route table brought in VROOM, pandas and NumPy) and for the other panels' loads.
"""

from __future__ import annotations

import json
import subprocess
import sys

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from fieldapp.store.db import Replica
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.panels import PANELS
from tests.ui.builders import Demo

# What no panel needs to be shown; each costs 50 ms to half a second of imports.
NOT_AT_START = (
    "vroom",
    "pyvrp",
    "pandas",
    "numpy",
    "pydantic",
    "fieldapp.maps.vrp",
    "fieldapp.sync.protocol",
    "fieldapp.ui.admin_panel",
    "fieldapp.ui.team_panel",
    "fieldapp.ui.reports_panel",
    "fieldapp.ui.route_planner",
    "fieldapp.ui.import_dialog",
    "fieldapp.ui.export_dialog",
)


def _loaded(code: str) -> list[str]:
    probe = (
        f"import sys, json\n{code}\n"
        f"print(json.dumps(sorted(m for m in {NOT_AT_START!r} if m in sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_the_window_module_imports_no_panel_and_no_solver() -> None:
    assert _loaded("import fieldapp.ui.app, fieldapp.ui.main_window") == []


def test_the_map_panel_does_not_load_the_route_solver_until_a_route_is_optimised() -> None:
    # The Map panel is what a restart on the map shows first; VROOM waits for Optimise.
    code = "import fieldapp.ui.app, fieldapp.ui.map_screen, fieldapp.ui.map_panel"
    assert _loaded(code) == []
    solver = "import fieldapp.maps.routing, fieldapp.ui.solver_process"
    assert _loaded(solver) == []


def test_only_the_first_panel_is_built_at_once_then_the_rest_when_the_background_is_idle(
    qtbot: QtBot, replica: Replica, demo: Demo, settings: QSettings
) -> None:
    settings.setValue("window/panel", "accounts")
    window = MainWindow(replica, settings=settings)
    try:
        window.show()
        assert list(window.panels) == ["accounts"]
        assert window.current_panel() is window.panels["accounts"]
        # Every panel the role may use, once the start-up reads are done.
        shown = [s.key for s in PANELS if window.allowed(s)]
        qtbot.waitUntil(lambda: sorted(window.panels) == sorted(shown), timeout=30_000)
        qtbot.waitUntil(lambda: window.bg.pending() == 0, timeout=10_000)
    finally:
        window.shutdown()
        window.close()
        window.deleteLater()


def test_a_panel_not_yet_built_is_built_when_it_is_shown(
    qtbot: QtBot, replica: Replica, demo: Demo, settings: QSettings
) -> None:
    window = MainWindow(replica, settings=settings)
    try:
        window.show()
        assert "rules" not in window.panels
        window.show_panel_index([s.key for s in window.specs].index("rules"))
        assert "rules" in window.panels
        assert window.current_panel() is window.panels["rules"]
        qtbot.waitUntil(lambda: window.bg.pending() == 0, timeout=10_000)
    finally:
        window.shutdown()
        window.close()
        window.deleteLater()


def test_the_panels_built_at_start_up_import_their_modules_on_a_worker(tmp_path: object) -> None:
    # An import on the GUI thread holds the window for all of it; on a worker the GUI
    # thread gets the interpreter lock back every few milliseconds.
    probe = """
import importlib.abc, os, sys, threading, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
seen = {}
class Spy(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.startswith("fieldapp.ui.") and name.endswith("_panel"):
            seen.setdefault(name, threading.get_ident())
        return None
sys.meta_path.insert(0, Spy())
from pathlib import Path
from PySide6.QtCore import QSettings
from fieldapp.store.db import open_replica
from fieldapp.ui.app import application
from fieldapp.ui.main_window import MainWindow
app = application()
replica = open_replica(Path(sys.argv[1]))
ini = QSettings(sys.argv[1] + "/ui.ini", QSettings.Format.IniFormat)
window = MainWindow(replica, settings=ini)
window.show()
end = time.monotonic() + 60
while time.monotonic() < end and "rules" not in window.panels:
    app.processEvents()
    time.sleep(0.01)
window.shutdown()
replica.close()
main = threading.main_thread().ident
print(sorted(n for n, t in seen.items() if t != main), "rules" in window.panels)
"""
    done = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    workers, built = done.stdout.strip().splitlines()[-1].rsplit(" ", 1)
    assert built == "True"
    assert "fieldapp.ui.rules_panel" in workers and "fieldapp.ui.refused_panel" in workers
