"""The Admin panel's Proposals tab at 100k accounts: a 10k-account proposal previewed.

The server of ``admin.py`` gets what a proposal needs and that benchmark leaves out:
its territories (Area 0–7, each with its rep) and the replica's 100k accounts as its
records, each in the territory the replica places it in (written straight into the
server's ``records`` table, as ``bench_admin`` seeds PostgreSQL: benchmark data). The
replica's territories take the server's ids. Under the heartbeat: the tab opened (the
server's territories, this replica's workloads, the versions), then 10k accounts of
Areas 0–4 (2k each) proposed into Area 5 and previewed: the server records the
proposal and computes its diff, the tab lists the 10k accounts, each rep's gains and
losses and the balance, and lights the accounts up on the map.
"""

from __future__ import annotations

import json
from typing import Any

from benchmarks.bench_ui.common import Heartbeat, wait

MOVING_PER_AREA = 2_000
SOURCES = 5  # Areas 0-4 give accounts ...
TARGET = "Area 5"  # ... to this one


def seed_server(url: str, territories: int, reps: int) -> list[str]:
    """Territories with a rep each on the server (its own functions); their ids."""
    from fieldapp.server import admin
    from fieldapp.server.db import Database

    db = Database.open(url)
    try:
        ids = []
        for i in range(territories):
            ids.append(admin.add_territory(db, f"Area {i}", strip(i), []))
            admin.assign_territory(db, f"Area {i}", f"rep{i % reps:02d}")
        return ids
    finally:
        db.close()


def strip(i: int) -> dict[str, Any]:
    """Territory ``i``'s polygon: a north-south strip 0.15° wide."""
    west = 6.3 + i * 0.15
    ring = [[west, 50.5], [west + 0.15, 50.5], [west + 0.15, 51.3], [west, 51.3]]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def server_accounts(url: str, placed: list[tuple[str, float, float, str]]) -> None:
    """The replica's accounts as the server's records (territory, position, same ids)."""
    from sqlalchemy import text

    from fieldapp.server.db import Database
    from fieldapp.store.types import utcnow

    db = Database.open(url)
    try:
        now = utcnow().isoformat()
        with db.engine.begin() as conn:
            owners = {
                r.territory_id: r.user_id
                for r in conn.execute(text("SELECT territory_id, user_id FROM assignments"))
            }
            seq = int(
                conn.execute(text("SELECT value FROM counters WHERE name = 'seq'")).scalar_one()
            )
            rows = []
            for n, (territory, lat, lon, aid) in enumerate(placed, start=1):
                doc = {
                    "id": aid, "name": f"Account {n}", "type": "customer", "status": "active",
                    "territory_id": territory, "owner_id": owners.get(territory),
                    "latitude": lat, "longitude": lon,
                    "created_at": now, "updated_at": now, "deleted_at": None,
                }  # fmt: skip
                rows.append(
                    {"id": aid, "v": seq + n, "d": json.dumps(doc), "t": territory,
                     "o": owners.get(territory)}
                )  # fmt: skip
            conn.execute(
                text(
                    "INSERT INTO records (id, entity, version, data, deleted, account_id,"
                    " territory_id, owner_id) VALUES (:id, 'accounts', :v, :d, 0, :id, :t, :o)"
                ),
                rows,
            )
            conn.execute(
                text("UPDATE counters SET value = :v WHERE name IN ('seq', 'scope')"),
                {"v": seq + len(rows)},
            )
    finally:
        db.close()


def moving(placed: list[tuple[str, float, float, str]], ids: list[str]) -> list[str]:
    """The accounts the benchmark proposes: the first 2k of each of Areas 0-4."""
    chosen: list[str] = []
    for area in ids[:SOURCES]:
        chosen += [aid for t, _lat, _lon, aid in placed if t == area][:MOVING_PER_AREA]
    return chosen


def preview_stall(window: Any, chosen: list[str]) -> dict[str, Any]:
    """Open the Proposals tab, then preview ``chosen`` into Area 5, under the heartbeat."""
    import time

    from fieldapp.ui.admin_panel import AdminPanel

    panel = window.panel("admin")
    assert isinstance(panel, AdminPanel)
    tab = panel.proposals
    heartbeat = Heartbeat()
    ready: list[int] = []
    panel.tabs.setCurrentWidget(tab)  # builds its map, whose page loads the 100k markers
    assert tab.map is not None
    tab.map.map_ready.connect(ready.append)
    # The panel may have loaded the tab's lists before it showed: wait for what it shows.
    wait(lambda: bool(ready) and tab.form.territory.count() > 0 and not tab.busy(), 300)
    opened = heartbeat.lap_busy()
    previewed: list[object] = []
    tab.previewed.connect(previewed.append)
    tab.form.set_selected(chosen)
    tab.form.territory.setCurrentText(TARGET)
    started = time.perf_counter()
    tab.preview()
    wait(lambda: bool(previewed) and not tab.busy() and window.bg.pending() == 0, 300)
    seconds = time.perf_counter() - started
    preview = heartbeat.lap_busy()
    heartbeat.stop()
    return {
        "proposals_open": opened,
        "proposals_preview": preview,
        "proposals_preview_s": seconds,
        "proposals_moving": tab.moving_model.rowCount(),
    }


def rows(f: dict[str, Any]) -> list[tuple[str, str, str]]:
    stall, gui, app = max(f["proposals_open"], f["proposals_preview"])
    return [
        (
            "longest GUI-thread stall, Proposals tab",
            "≤ 100 ms",
            f"{stall} ms (GUI CPU {gui} ms, app {app} ms)",
        ),
        (
            f"  … preview of {f['proposals_moving']:,} accounts",
            "",
            f"{f['proposals_preview_s']:.2f} s (stall {f['proposals_preview'][0]} ms)",
        ),
        ("  … the tab opened", "", f"stall {f['proposals_open'][0]} ms"),
    ]
