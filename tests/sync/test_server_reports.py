"""Reports computed on the server (GET /reports/{kind}) against the replica's and by hand.

The hand-counted fixture (tests/reports/fixture.py) is written on an admin's replica
and synced; the server's answer must be the very document the replica's report gives
(``fieldapp report … --json``), for the admin, a manager and a rep, each over their
own scope, on SQLite and PostgreSQL. The figures a rep sees are counted by hand.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from fieldapp import reports
from fieldapp.domain.reports import ReportFilter, to_wire
from fieldapp.server import admin
from fieldapp.store.db import Replica, open_replica
from fieldapp.sync import state
from fieldapp.sync.credentials import CREDENTIALS
from tests.reports.fixture import Known, build
from tests.sync.conftest import World
from tests.sync.test_admin_cli import Cli
from tests.syncutil import PASSWORD

# A loopback port nothing listens on (port 9 is "discard", never served in tests).
DEAD = "http://127.0.0.1:9"
MARCH = ReportFilter(start=date(2026, 3, 1), end=date(2026, 3, 31))
CASES = [
    ("visits", "rep", MARCH),
    ("visits", "territory", MARCH),
    ("visits", "week", MARCH),
    ("visits", "month", ReportFilter()),
    ("visits", "rep", ReportFilter(end=date(2026, 2, 28))),
    ("coverage", "territory", MARCH),
    ("coverage", "rep", MARCH),
    ("coverage", "territory", ReportFilter(end=date(2026, 3, 5))),
    ("coverage", "rep", ReportFilter()),
    *(("pipeline", by, ReportFilter()) for by in ("stage", "rep", "month", "territory")),
    ("pipeline", "stage", ReportFilter(start=date(2026, 4, 1), end=date(2026, 4, 30))),
    *(("forecast", by, ReportFilter()) for by in ("month", "rep", "territory")),
    *(("wins", by, MARCH) for by in ("reason", "rep", "month", "territory")),
    ("wins", "reason", ReportFilter()),
]


class Team:
    """The fixture on a server: boss (admin), maria (manager of ana and ben), zoe (rep
    elsewhere); ana has North, ben South. Each person's replica synced."""

    def __init__(self, world: World) -> None:
        self.world = world
        world.user("boss", "admin")
        people = Known()
        people.users["maria"] = world.user("maria", "manager")
        for name in ("ana", "ben"):
            people.users[name] = world.user(name, "rep", "maria")
        people.users["zoe"] = world.user("zoe", "rep")
        for name in ("North", "South", "West"):
            people.territories[name] = admin.add_territory(world.db, name, None, [])
        admin.assign_territory(world.db, "North", "ana")
        admin.assign_territory(world.db, "South", "ben")
        admin.assign_territory(world.db, "West", "zoe")
        self.replicas: dict[str, Replica] = {}
        replica, engine = world.client("boss")
        engine.sync()
        self.known = build(replica, people)
        assert not engine.sync().rejections
        self.replicas["boss"] = replica
        for name in ("maria", "ana"):
            self.replicas[name], engine = world.client(name)
            engine.sync()
        self.tokens = {
            name: requests.post(
                f"{world.server.base}/auth/login",
                json={"username": name, "password": PASSWORD},
                timeout=30,
            ).json()["token"]
            for name in ("boss", "maria", "ana", "ben", "zoe")
        }

    def ask(self, who: str | None, kind: str, **params: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return requests.get(
            f"{self.world.server.base}/reports/{kind}", params=params, headers=headers, timeout=60
        )

    def served(self, who: str, kind: str, by: str, flt: ReportFilter) -> dict[str, Any]:
        params: dict[str, Any] = {"by": by}
        if flt.start:
            params["from"] = flt.start.isoformat()
        if flt.end:
            params["to"] = flt.end.isoformat()
        if flt.rep_id:
            params["rep"] = flt.rep_id
        if flt.territory_id:
            params["territory"] = flt.territory_id
        reply = self.ask(who, kind, **params)
        assert reply.status_code == 200, reply.text
        answer: dict[str, Any] = reply.json()
        return answer

    def replicas_report(self, who: str, kind: str, by: str, flt: ReportFilter) -> dict[str, Any]:
        with self.replicas[who].read_session() as s:
            # As `fieldapp report --json` prints it.
            return dict(json.loads(json.dumps(to_wire(reports.run(s, kind, flt, by)))))


@pytest.fixture
def team(world: World) -> Team:
    return Team(world)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Cli:
    return Cli(capsys, monkeypatch, tmp_path)


@pytest.mark.parametrize("who", ["boss", "maria", "ana"])
def test_the_servers_report_is_the_replicas_document(team: Team, who: str) -> None:
    ana, north = team.known.users["ana"], team.known.territories["North"]
    filtered = [
        ("coverage", "territory", ReportFilter(end=date(2026, 3, 31), rep_id=ana)),
        ("coverage", "rep", ReportFilter(end=date(2026, 3, 31), territory_id=north)),
        ("visits", "rep", ReportFilter(territory_id=north)),
        ("visits", "week", ReportFilter(rep_id=ana)),
    ]
    for kind, by, flt in CASES + filtered:
        assert team.served(who, kind, by, flt) == team.replicas_report(who, kind, by, flt), (
            who,
            kind,
            by,
            flt,
        )


def test_figures_counted_by_hand_for_the_admin_and_a_rep(team: Team) -> None:
    def rows(answer: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
        return {r["label"]: (r["visits"], r["timed"], r["minutes"]) for r in answer["rows"]}

    everyone = team.served("boss", "visits", "rep", MARCH)
    # ana: #1 #2 #3 (135 min); ben: #4 (no check-out) #5 #10; #8 is deleted.
    assert rows(everyone) == {"ana": (3, 3, 135), "ben": (3, 2, 70)}
    assert everyone["total"]["outcomes"] == {
        "successful": 2,
        "follow_up": 1,
        "not_interested": 1,
        "no_show": 1,
        "rescheduled": 1,
    }
    # ana sees North (Alpha, Beta) and Zeta, hers with no territory: ben's #10 at Alpha
    # is there, his Gamma visits in South are not.
    assert rows(team.served("ana", "visits", "rep", MARCH)) == {
        "ana": (3, 3, 135),
        "ben": (1, 1, 50),
    }
    covered = team.served("ana", "coverage", "territory", MARCH)
    by_place = {
        r["label"]: (r["accounts"], r["overdue"], r["never_visited"]) for r in covered["rows"]
    }
    # As of 31 March: Alpha and Beta visited in March; Zeta last in September 2025.
    assert by_place == {"North": (2, 0, 0), "(no territory)": (1, 1, 0)}
    assert team.served("zoe", "visits", "rep", MARCH)["rows"] == []
    # Deals, as tests/reports counts them: 1234.56×20 % + 12500.50×60 % + 5000×50 %.
    pipeline = team.served("boss", "pipeline", "stage", ReportFilter())
    totals = {t["currency"]: (t["deals"], t["amount"], t["weighted"]) for t in pipeline["totals"]}
    assert totals == {"EUR": (4, "18735.06", "10247.21"), "USD": (1, "8000.00", "800.00")}
    won_lost = team.served("boss", "wins", "reason", MARCH)["rows"]
    assert [(r["label"], r["won"], r["lost"], r["lost_amount"]) for r in won_lost] == [
        ("Price", 2, 1, "1000.00"),
        ("Competitor", 0, 1, "6000.00"),
    ]
    # ana's scope: D3 and D4 hang off Gamma in South, which she does not see.
    hers = team.served("ana", "pipeline", "stage", ReportFilter())["totals"]
    assert [(t["currency"], t["deals"], t["amount"]) for t in hers] == [("EUR", 3, "16234.56")]


def test_who_may_ask_for_what(team: Team) -> None:
    assert team.ask(None, "visits").status_code == 401
    # Out of scope: a 403, never figures (nor an empty answer that looks like "none").
    for who, params in (
        ("ana", {"rep": "ben"}),
        ("ana", {"territory": "South"}),
        ("maria", {"rep": "zoe"}),
        ("maria", {"territory": "West"}),
        ("zoe", {"territory": "North"}),
    ):
        for kind in ("visits", "coverage"):
            reply = team.ask(who, kind, **params)
            assert reply.status_code == 403, (who, kind, params, reply.text)
            assert "scope" in reply.json()["detail"] or "yours" in reply.json()["detail"]
    # In scope: the filter applies.
    mine = team.ask("maria", "visits", rep="ben", **{"from": "2026-03-01", "to": "2026-03-31"})
    assert mine.status_code == 200
    assert [(r["label"], r["visits"]) for r in mine.json()["rows"]] == [("ben", 3)]
    assert team.ask("ana", "visits", rep="ana", territory="North").status_code == 200
    assert team.ask("boss", "coverage", rep="zoe").json()["total"]["accounts"] == 0
    # Bad asks get a sentence.
    for params, status in (
        ({"rep": "nobody"}, 400),
        ({"by": "stage"}, 400),
        ({"from": "2026-03-31", "to": "2026-03-01"}, 400),
        ({"from": "0001-01-01"}, 400),
        ({"from": "31/03/2026"}, 422),
    ):
        reply = team.ask("boss", "visits", **params)
        assert reply.status_code == status, (params, reply.text)
    assert team.ask("boss", "nonsense").status_code == 404


def test_fieldapp_report_server_prints_the_replicas_document(team: Team, cli: Cli) -> None:
    cli.login(team.world, "ana")
    code, _, err = cli("ana", "sync")
    assert code == 0, err
    period = ("--from", "2026-03-01", "--to", "2026-03-31")
    for kind, by, days in (
        ("wins", "reason", period),
        ("pipeline", "stage", ()),
        ("visits", "week", period),
        ("visits", "rep", period),
        ("coverage", "territory", period),
    ):
        mine = cli.json("ana", "report", kind, "--by", by, *days)
        served = cli.json("ana", "report", kind, "--by", by, *days, "--server")
        assert served == mine, kind
        assert mine["rows"], kind  # figures, not an empty agreement
    assert [r["label"] for r in mine["rows"]] == ["(no territory)", "North"]  # overdue first
    code, out, _ = cli("ana", "report", "visits", *period, "--server")
    assert code == 0 and "ana" in out and "Total" in out
    # Names are the replica's; the server still refuses what is outside her scope.
    code, _, err = cli("ana", "report", "visits", "--rep", "ben", "--server")
    assert code == 1 and "not in your scope" in err
    code, _, err = cli("ana", "report", "activity", "--server")
    assert code == 1 and "leave out --server" in err

    # Offline: one sentence naming the server. Signed out: how to sign in.
    laptop = open_replica(cli.tmp / "cli-ana")
    with laptop.engine.begin() as conn:
        state.put(conn, "server", DEAD)
    laptop.close()
    CREDENTIALS.save(DEAD, "ana", team.tokens["ana"])
    code, _, err = cli("ana", "report", "visits", "--server")
    assert code == 1 and DEAD in err, err
    CREDENTIALS.delete(DEAD, "ana")
    code, _, err = cli("ana", "report", "visits", "--server")
    assert code == 1 and "sign in first" in err, err
