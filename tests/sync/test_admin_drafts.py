"""Territory drafts: kept on disk, laid over the server's list, sent in order to a real
server; a refusal is kept with its reason, a lost network keeps everything."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldapp.sync.admin_api import AdminApi
from fieldapp.sync.admin_drafts import DRAFTS_FILE, Draft, Drafts, overlay
from fieldapp.sync.errors import Unreachable
from fieldapp.sync.territory_changes import TerritoryValues, change_drafts, create_drafts
from fieldapp.sync.transport import Transport
from tests.sync.conftest import World
from tests.syncutil import PASSWORD, free_port

ROW = {
    "id": "t1",
    "name": "North",
    "reps": ["ana"],
    "manager": "maria",
    "accounts": 12,
    "postcodes": ["10"],
    "regions": [],
    "polygon": False,
}


def test_drafts_survive_a_new_process_and_an_unreadable_file_is_kept_aside(
    tmp_path: Path,
) -> None:
    drafts = Drafts(tmp_path)
    made = drafts.add(Draft("create", "South", {"postcodes": ["80"]}))
    drafts.remember("territories", [ROW])
    again = Drafts(tmp_path)
    assert again.pending() == [made]
    assert again.remembered("territories") == [ROW]
    assert (tmp_path / DRAFTS_FILE).stat().st_mode & 0o077 == 0
    assert again.discard(made.id) and not again.discard(made.id)
    assert drafts.pending() == []  # the file is the truth, not what an object read before
    (tmp_path / DRAFTS_FILE).write_text("{not json", encoding="utf-8")
    assert Drafts(tmp_path).pending() == []
    assert (tmp_path / "admin-drafts.unreadable.json").read_text() == "{not json"


def test_overlay_shows_the_territories_as_they_will_be() -> None:
    pending = [
        Draft("change", "North", {"name": "North-East", "postcodes": ["10", "11"]}),
        Draft("reps", "North-East", {"reps": ["ben", "ana"]}),
        Draft("create", "South", {"regions": ["Bavaria"]}),
        Draft("delete", "South", refused="territory South still holds 3 accounts"),
    ]
    rows = {r["name"]: r for r in overlay([ROW], pending)}
    assert set(rows) == {"North-East", "South"}
    east = rows["North-East"]
    assert east["postcodes"] == ["10", "11"] and east["reps"] == ["ana", "ben"]
    assert east["manager"] == "maria" and east["accounts"] == 12
    assert "rename North to North-East" in east["draft"]
    south = rows["South"]
    assert south["regions"] == ["Bavaria"] and south["deleted"]
    assert south["refused"] == "territory South still holds 3 accounts"


def test_a_change_sends_only_what_differs_and_knows_its_undo() -> None:
    v = TerritoryValues("North-East", ["10"], [], None, ["ana", "ben"], None)
    made, undo = change_drafts(ROW, v)
    assert [(d.action, d.territory, d.fields) for d in made] == [
        ("change", "North", {"name": "North-East", "clear_manager": True}),
        ("reps", "North-East", {"reps": ["ana", "ben"]}),
    ]
    assert [(d.action, d.territory, d.fields) for d in undo] == [
        ("change", "North-East", {"name": "North", "manager": "maria"}),
        ("reps", "North", {"reps": ["ana"]}),
    ]
    same = TerritoryValues("North", ["10"], [], "maria", ["ana"], None)
    assert change_drafts(ROW, same) == ([], [])
    created = create_drafts(TerritoryValues("X", ["1"], [], None, [], None))
    assert [d.action for d in created] == ["create"]  # no reps: no reps draft


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_sending_in_order_keeps_a_refusal_with_its_reason(world: World, tmp_path: Path) -> None:
    world.user("boss", "admin")
    world.user("ana")
    transport = Transport(world.server.base)
    transport.login("boss", PASSWORD)
    api = AdminApi(transport)
    drafts = Drafts(tmp_path)
    drafts.add(Draft("create", "North", {"postcodes": ["10"]}))
    drafts.add(Draft("create", "North", {"postcodes": ["11"]}))  # the same name again
    drafts.add(Draft("reps", "North", {"reps": ["ana"]}))
    steps: list[tuple[int, int]] = []
    report = drafts.send(api, lambda done, total: steps.append((done, total)))
    assert [d.describe() for d in report.sent] == ["create North", "give North the reps ana"]
    assert len(report.refused) == 1 and "already a territory named North" in str(
        report.refused[0].refused
    )
    assert report.left == 1 and steps[-1] == (3, 3)
    kept = Drafts(tmp_path).pending()
    assert [d.refused for d in kept] == [report.refused[0].refused]
    north = next(t for t in api.territories() if t["name"] == "North")
    assert north["postcodes"] == ["10"] and north["reps"] == ["ana"]
    transport.close()
    # No server at all: the send stops, every draft stays.
    drafts.add(Draft("delete", "North"))
    gone = Transport(f"http://127.0.0.1:{free_port()}", "token", retries=0)
    with pytest.raises(Unreachable):
        drafts.send(AdminApi(gone))
    assert len(Drafts(tmp_path).pending()) == 2
    gone.close()
