"""Report figures against the hand-counted fixture (see fixture.py for the records).

Every expected number below was counted by hand from the fixture's list, so a
report that counts the wrong thing, mixes currencies or drops a filter fails.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from fieldapp import reports
from fieldapp.domain.reports import (
    CoverageReport,
    PipelineReport,
    ReportFilter,
    VisitsReport,
    WinsReport,
    from_wire,
    to_wire,
)
from fieldapp.domain.visits import DEFAULT_FREQUENCY_DAYS
from fieldapp.errors import FieldappError
from fieldapp.store import services
from fieldapp.store.db import Replica
from tests.reports.fixture import Known, build

MARCH = ReportFilter(start=date(2026, 3, 1), end=date(2026, 3, 31))


@pytest.fixture
def known(replica: Replica) -> Known:
    return build(replica)


def by_label(rows: list[Any]) -> dict[str, Any]:
    return {r.label: r for r in rows}


# --- visits ------------------------------------------------------------------------------


def test_visits_per_rep_in_march(replica: Replica, known: Known) -> None:
    with replica.read_session() as s:
        report = reports.visits(s, MARCH, "rep")
    assert [r.label for r in report.rows] == ["Ana Silva", "Ben Braun"]
    ana, ben = report.rows
    assert (ana.visits, ana.timed, ana.minutes) == (3, 3, 135)
    assert ana.outcomes == {"successful": 2, "follow_up": 1}
    assert ana.average_minutes == 45
    # #4 has no check-out: counted, but not in the minutes. #8 is deleted.
    assert (ben.visits, ben.timed, ben.minutes) == (3, 2, 70)
    assert ben.outcomes == {"no_show": 1, "not_interested": 1, "rescheduled": 1}
    assert (report.total.visits, report.total.timed, report.total.minutes) == (6, 5, 205)
    assert report.outcomes == (
        "successful",
        "follow_up",
        "not_interested",
        "no_show",
        "rescheduled",
    )
    assert ana.key == known.users["ana"]


def test_visits_per_territory_follow_the_account(replica: Replica, known: Known) -> None:
    with replica.read_session() as s:
        report = reports.visits(s, MARCH, "territory")
    rows = by_label(report.rows)
    assert set(rows) == {"North", "South"}
    # North: #1 #2 #10 at Alpha, #3 at Beta; South: #4 #5 at Gamma.
    assert (rows["North"].visits, rows["North"].timed, rows["North"].minutes) == (4, 4, 185)
    assert (rows["South"].visits, rows["South"].timed, rows["South"].minutes) == (2, 1, 20)


def test_visits_per_week_cover_the_whole_period(replica: Replica, known: Known) -> None:
    with replica.read_session() as s:
        report = reports.visits(s, MARCH, "week")
    # Weeks touching March 2026: W09 (only Sunday the 1st) ... W14 (Mon 30, Tue 31).
    assert [r.label for r in report.rows] == [
        "2026-W09",
        "2026-W10",
        "2026-W11",
        "2026-W12",
        "2026-W13",
        "2026-W14",
    ]
    assert [r.visits for r in report.rows] == [0, 2, 2, 0, 2, 0]
    assert report.rows[1].key == "2026-03-02"


def test_visits_per_month_and_period_bounds(replica: Replica, known: Known) -> None:
    flt = ReportFilter(start=date(2026, 2, 1), end=date(2026, 3, 31))
    with replica.read_session() as s:
        report = reports.visits(s, flt, "month")
        from_the_10th = reports.visits(
            s, ReportFilter(start=date(2026, 3, 10), end=date(2026, 3, 24)), "month"
        )
    assert [(r.label, r.visits) for r in report.rows] == [("Feb 2026", 1), ("Mar 2026", 6)]
    # The month is cut at the period: #2 #3 #5 (the 10th to the 24th, both included).
    assert [(r.label, r.visits) for r in from_the_10th.rows] == [("Mar 2026", 3)]


def test_visit_filters_rep_and_territory(replica: Replica, known: Known) -> None:
    with replica.read_session() as s:
        bens = reports.visits(s, ReportFilter(MARCH.start, MARCH.end, rep_id=known.users["ben"]))
        north = reports.visits(
            s, ReportFilter(MARCH.start, MARCH.end, territory_id=known.territories["North"])
        )
        north_weeks = reports.visits(
            s, ReportFilter(MARCH.start, MARCH.end, territory_id=known.territories["North"]), "week"
        )
    assert [(r.label, r.visits) for r in bens.rows] == [("Ben Braun", 3)]
    # In North ben made one visit (#10 at Alpha).
    assert [(r.label, r.visits) for r in north.rows] == [("Ana Silva", 3), ("Ben Braun", 1)]
    assert [r.visits for r in north_weeks.rows] == [0, 1, 2, 0, 1, 0]


def test_all_time_visits_count_every_visit_done(replica: Replica, known: Known) -> None:
    with replica.read_session() as s:
        report = reports.visits(s, ReportFilter(), "month")
    # #1-#7 and #10; from Sep 2025 (Zeta) to Mar 2026, quiet months as zero.
    assert report.total.visits == 8
    assert [r.label for r in report.rows] == [
        "Sep 2025",
        "Oct 2025",
        "Nov 2025",
        "Dec 2025",
        "Jan 2026",
        "Feb 2026",
        "Mar 2026",
    ]
    assert [r.visits for r in report.rows] == [1, 0, 0, 0, 0, 1, 6]


def test_days_begin_at_the_readers_midnight(replica: Replica) -> None:
    with replica.session() as s:
        account = services.create(s, "accounts", {"name": "Late"})
        services.log_visit(s, account, outcome="successful", checkin_at="2026-02-28T23:30+00:00")
    with replica.read_session() as s:
        utc = reports.visits(s, ReportFilter(date(2026, 3, 1), date(2026, 3, 31)), "month")
        berlin = reports.visits(
            s, ReportFilter(date(2026, 3, 1), date(2026, 3, 31), utc_offset_minutes=60), "month"
        )
    assert utc.total.visits == 0  # 23:30 UTC on 28 February
    assert berlin.total.visits == 1  # 00:30 on 1 March in Berlin
    assert berlin.rows[0].label == "Mar 2026"


# --- coverage ----------------------------------------------------------------------------


def test_coverage_by_territory_as_of_the_end_of_march(replica: Replica, known: Known) -> None:
    with replica.read_session() as s:
        report = reports.coverage(s, ReportFilter(end=date(2026, 3, 31)), "territory")
    assert isinstance(report, CoverageReport)
    assert report.as_of == date(2026, 3, 31)
    assert report.default_frequency_days == DEFAULT_FREQUENCY_DAYS == 90
    got = [(r.label, r.accounts, r.overdue, r.never_visited) for r in report.rows]
    # Epsilon is inactive; Delta's only visit was deleted; Zeta's is 200 days old.
    assert got == [
        ("(no territory)", 1, 1, 0),
        ("South", 2, 1, 1),
        ("North", 2, 0, 0),
    ]
    total = report.total
    assert (total.accounts, total.overdue, total.never_visited, total.covered) == (5, 2, 1, 3)
    assert total.coverage == pytest.approx(0.6)


def test_coverage_by_rep_and_an_earlier_day(replica: Replica, known: Known) -> None:
    with replica.read_session() as s:
        by_rep = reports.coverage(s, ReportFilter(end=date(2026, 3, 31)), "rep")
        february = reports.coverage(s, ReportFilter(end=date(2026, 2, 15)), "territory")
        bens = reports.coverage(
            s, ReportFilter(end=date(2026, 3, 31), rep_id=known.users["ben"]), "territory"
        )
    assert [(r.label, r.accounts, r.overdue, r.never_visited) for r in by_rep.rows] == [
        ("Ana Silva", 3, 1, 0),
        ("Ben Braun", 2, 1, 1),
    ]
    # On 15 February only Zeta had been visited (in September: overdue).
    t = february.total
    assert (t.accounts, t.overdue, t.never_visited) == (5, 5, 4)
    assert [(r.label, r.accounts, r.overdue) for r in bens.rows] == [("South", 2, 1)]


def test_a_territorys_only_rep_has_its_accounts_whoever_owns_them(
    replica: Replica, known: Known
) -> None:
    """As the server says after a reassignment: North is Ben's alone, South is shared.

    Alpha and Beta (North, made by Ana) are then Ben's; South's stay with their owners
    (Gamma and Delta: Ben); Zeta (no territory) stays Ana's.
    """
    from fieldapp.store import due
    from fieldapp.store.territory_reps import territory_reps

    users, places = known.users, known.territories
    with replica.session() as s:
        s.execute(
            territory_reps.insert(),
            [
                {"territory_id": places["North"], "user_id": users["ben"]},
                {"territory_id": places["South"], "user_id": users["ana"]},
                {"territory_id": places["South"], "user_id": users["ben"]},
            ],
        )
    end = ReportFilter(end=date(2026, 3, 31))
    with replica.read_session() as s:
        by_rep = reports.coverage(s, end, "rep")
        bens = reports.coverage(
            s, ReportFilter(end=date(2026, 3, 31), rep_id=users["ben"]), "territory"
        )
        team = {r.label: (r.accounts, r.overdue) for r in reports.team(s, today=date(2026, 3, 31))}
        late = {a.name: a.owner_id for a in reports.overdue_accounts(s, end)}
        due_bens = {a.name for a in due.due_for_visit(s, owner_id=users["ben"]).accounts}
        due_anas = {a.name for a in due.due_for_visit(s, owner_id=users["ana"]).accounts}
    # Overdue on 31 March: Zeta (last visit September), Delta (never visited).
    assert [(r.label, r.accounts, r.overdue, r.never_visited) for r in by_rep.rows] == [
        ("Ana Silva", 1, 1, 0),
        ("Ben Braun", 4, 1, 1),
    ]
    assert [(r.label, r.accounts, r.overdue) for r in bens.rows] == [
        ("South", 2, 1),
        ("North", 2, 0),
    ]
    assert team == {"Ana Silva": (1, 1), "Ben Braun": (4, 1)}
    assert late == {"Zeta": users["ana"], "Delta": users["ben"]}
    # Today (long after March) every visited active account is due, each to its rep;
    # Delta, never visited, counts from its creation (today): not due yet.
    assert due_bens == {"Alpha", "Beta", "Gamma"} and due_anas == {"Zeta"}


def test_coverage_of_a_period_not_over_yet_is_as_of_today(replica: Replica, known: Known) -> None:
    quarter = ReportFilter(date(2026, 1, 1), date(2026, 6, 30))
    with replica.read_session() as s:
        report = reports.coverage(s, quarter, "territory", today=date(2026, 3, 31))
    assert report.as_of == date(2026, 3, 31)
    assert (report.total.accounts, report.total.overdue) == (5, 2)


def test_coverage_reads_each_accounts_own_visit_frequency(replica: Replica, known: Known) -> None:
    # Accounts without one (NULL) are due by the default of 90 days.
    with replica.session() as s:
        services.update(s, "accounts", known.accounts["Beta"], {"visit_frequency_days": 7})
        services.update(s, "accounts", known.accounts["Zeta"], {"visit_frequency_days": 365})
    with replica.read_session() as s:
        report = reports.coverage(s, ReportFilter(end=date(2026, 3, 31)), "rep")
        late = reports.overdue_accounts(s, ReportFilter(end=date(2026, 3, 31)))
    # Beta (last visit 11 March) is now overdue within 7 days; Zeta (September) is not.
    assert [(r.label, r.overdue, r.never_visited) for r in report.rows] == [
        ("Ana Silva", 1, 0),
        ("Ben Braun", 1, 1),
    ]
    assert [a.name for a in late] == ["Delta", "Beta"]


def test_overdue_accounts_never_visited_first(replica: Replica, known: Known) -> None:
    with replica.read_session() as s:
        late = reports.overdue_accounts(s, ReportFilter(end=date(2026, 3, 31)))
    assert [(a.name, a.last_visit is None) for a in late] == [("Delta", True), ("Zeta", False)]
    assert late[1].last_visit is not None and late[1].last_visit.date() == date(2025, 9, 12)
    assert late[0].owner_id == known.users["ben"]


# --- deals --------------------------------------------------------------------------------


def test_pipeline_by_stage_per_currency(replica: Replica, known: Known) -> None:
    with replica.read_session() as s:
        report = reports.pipeline(s, ReportFilter(), "stage")
    assert isinstance(report, PipelineReport)
    got = [(r.label, r.currency, r.deals, r.amount, r.weighted) for r in report.rows]
    assert got == [
        ("Qualification", "EUR", 1, Decimal("1234.56"), Decimal("246.91")),
        ("Proposal", "EUR", 2, Decimal("12500.50"), Decimal("7500.30")),
        ("Negotiation", "EUR", 1, Decimal("5000.00"), Decimal("2500.00")),  # its own 50 %
        ("Prospecting", "USD", 1, Decimal("8000.00"), Decimal("800.00")),
    ]
    totals = {t.currency: (t.deals, t.amount, t.weighted) for t in report.totals}
    # 1234.56×20 % + 12500.50×60 % + 5000×50 % = 10247.212: rounded once, at the end.
    assert totals == {
        "EUR": (4, Decimal("18735.06"), Decimal("10247.21")),
        "USD": (1, Decimal("8000.00"), Decimal("800.00")),
    }
    assert report.stages == (
        "Prospecting",
        "Qualification",
        "Needs Analysis",
        "Proposal",
        "Negotiation",
    )


def test_pipeline_by_rep_and_close_month(replica: Replica, known: Known) -> None:
    with replica.read_session() as s:
        by_rep = reports.pipeline(s, ReportFilter(), "rep")
        by_month = reports.pipeline(s, ReportFilter(), "month")
        april = reports.pipeline(s, ReportFilter(date(2026, 4, 1), date(2026, 4, 30)), "stage")
    assert [(r.label, r.currency, r.deals, r.amount, r.weighted) for r in by_rep.rows] == [
        ("Ana Silva", "EUR", 3, Decimal("16234.56"), Decimal("8746.91")),
        ("Ben Braun", "EUR", 1, Decimal("2500.50"), Decimal("1500.30")),
        ("Ben Braun", "USD", 1, Decimal("8000.00"), Decimal("800.00")),
    ]
    assert by_rep.rows[0].by_stage == {
        "Proposal": Decimal("10000.00"),
        "Negotiation": Decimal("5000.00"),
        "Qualification": Decimal("1234.56"),
    }
    assert [(r.label, r.currency, r.amount) for r in by_month.rows] == [
        ("Apr 2026", "EUR", Decimal("12500.50")),
        ("May 2026", "EUR", Decimal("5000.00")),
        ("(no close date)", "EUR", Decimal("1234.56")),
        ("Apr 2026", "USD", Decimal("8000.00")),
    ]
    # Closing in April: D1, D3 (EUR) and D4 (USD); D5 has no date, D6 is deleted.
    assert [(r.label, r.currency, r.deals) for r in april.rows] == [
        ("Proposal", "EUR", 2),
        ("Prospecting", "USD", 1),
    ]


def test_forecast_adds_won_to_the_weighted_open_pipeline(replica: Replica, known: Known) -> None:
    flt = ReportFilter(date(2026, 3, 1), date(2026, 4, 30))
    with replica.read_session() as s:
        report = reports.forecast(s, flt, "month")
    got = [
        (r.label, r.currency, r.open_deals, r.pipeline, r.weighted, r.won_deals, r.won, r.expected)
        for r in report.rows
    ]
    assert got == [
        (
            "Mar 2026",
            "EUR",
            0,
            Decimal("0.00"),
            Decimal("0.00"),
            2,
            Decimal("10000.00"),
            Decimal("10000.00"),
        ),
        (
            "Apr 2026",
            "EUR",
            2,
            Decimal("12500.50"),
            Decimal("7500.30"),
            0,
            Decimal("0.00"),
            Decimal("7500.30"),
        ),
        (
            "Apr 2026",
            "USD",
            1,
            Decimal("8000.00"),
            Decimal("800.00"),
            0,
            Decimal("0.00"),
            Decimal("800.00"),
        ),
    ]
    eur = next(t for t in report.totals if t.currency == "EUR")
    assert (eur.open_deals, eur.won_deals, eur.expected) == (2, 2, Decimal("17500.30"))


def test_won_and_lost_by_reason_in_march(replica: Replica, known: Known) -> None:
    with replica.read_session() as s:
        report = reports.wins(s, MARCH, "reason")
    assert isinstance(report, WinsReport)
    got = [(r.label, r.currency, r.won, r.won_amount, r.lost, r.lost_amount) for r in report.rows]
    # "Price" and " price " are one reason: W1, W2 won, L2 lost.
    assert got == [
        ("Price", "EUR", 2, Decimal("10000.00"), 1, Decimal("1000.00")),
        ("Competitor", "EUR", 0, Decimal("0.00"), 1, Decimal("6000.00")),
    ]
    assert report.rows[0].win_rate == pytest.approx(2 / 3)
    assert report.rows[1].win_rate == 0
    [eur] = report.totals
    assert (eur.won, eur.lost, eur.win_rate) == (2, 2, 0.5)


def test_won_and_lost_by_rep_keep_currencies_apart(replica: Replica, known: Known) -> None:
    with replica.read_session() as s:
        report = reports.wins(s, ReportFilter(), "rep")
        reasons = reports.wins(s, ReportFilter(), "reason")
    got = [(r.label, r.currency, r.won, r.lost, r.win_rate) for r in report.rows]
    assert got == [
        ("Ben Braun", "EUR", 1, 2, pytest.approx(1 / 3)),
        ("Ana Silva", "EUR", 1, 1, 0.5),
        ("Ana Silva", "USD", 1, 0, 1.0),
    ]
    assert {t.currency: (t.won_amount, t.lost_amount) for t in report.totals} == {
        "EUR": (Decimal("10000.00"), Decimal("9000.00")),
        "USD": (Decimal("4000.00"), Decimal("0.00")),
    }
    assert ("(no reason given)", 0, 1) in [(r.label, r.won, r.lost) for r in reasons.rows]


def test_no_report_ever_adds_amounts_of_two_currencies(replica: Replica, known: Known) -> None:
    with replica.read_session() as s:
        for kind in ("pipeline", "forecast", "wins"):
            for by in reports.GROUPINGS[kind]:
                report = reports.run(s, kind, ReportFilter(), by)
                # Each (group, currency) once, one total per currency; the USD amounts
                # only ever come from the USD deals.
                keys = [(r.key, r.currency) for r in report.rows]  # type: ignore[union-attr]
                assert len(keys) == len(set(keys)), (kind, by)
                totals = [t.currency for t in report.totals]  # type: ignore[union-attr]
                assert sorted(totals) == sorted(set(totals)), (kind, by)
                usd = sum(money(kind, r) for r in report.rows if r.currency == "USD")  # type: ignore[union-attr]
                assert usd == USD_ALL_TIME[kind], (kind, by)


# What the USD deals hold: D4 open (8000), W3 won (4000).
USD_ALL_TIME = {"pipeline": Decimal(8000), "forecast": Decimal(12000), "wins": Decimal(4000)}


def money(kind: str, row: Any) -> Decimal:
    if kind == "pipeline":
        return row.amount
    if kind == "forecast":
        return row.pipeline + row.won
    return row.won_amount + row.lost_amount


# --- activity ------------------------------------------------------------------------------


def test_activity_feed_of_one_rep_newest_first(replica: Replica, known: Known) -> None:
    with replica.session() as s:
        task = services.create(
            s, "tasks", {"title": "Send offer", "account_id": known.accounts["Gamma"]}
        )
        services.update(
            s,
            "tasks",
            task,
            {"done": True, "done_at": "2026-03-04T12:00+00:00", "owner_id": known.users["ben"]},
        )
        services.create(
            s,
            "notes",
            {
                "body": "Wants a call back",
                "account_id": known.accounts["Gamma"],
                "owner_id": known.users["ben"],
            },
        )
        services.update(s, "opportunities", known.deals["D3"], {"stage": "Negotiation"})
    ben = known.users["ben"]
    with replica.read_session() as s:
        feed = reports.activity(s, ReportFilter(rep_id=ben))
        march = reports.activity(s, ReportFilter(MARCH.start, MARCH.end, rep_id=ben))
        short = reports.activity(s, ReportFilter(rep_id=ben), limit=2)
    kinds = [(i.kind, i.text) for i in feed.items]
    # Changed just now: the deal (last), the note; then the task done on 4 March, then
    # ben's visits. Then his older deals (created with the fixture, before the note).
    assert kinds[:2] == [
        ("deal", "Deal: D3 Gamma · Negotiation"),
        ("note", "Note: Wants a call back"),
    ]
    assert [i.kind for i in feed.items].count("visit") == 3
    assert all(i.rep == "Ben Braun" for i in feed.items)
    assert [(i.kind, i.at.date()) for i in march.items] == [
        ("visit", date(2026, 3, 25)),
        ("visit", date(2026, 3, 24)),
        ("task", date(2026, 3, 4)),
        ("visit", date(2026, 3, 3)),
    ]
    assert march.items[2].text == "Task done: Send offer"
    assert march.items[0].account == "Alpha"
    assert not march.more
    assert len(short.items) == 2 and short.more


# --- the rest --------------------------------------------------------------------------------


def test_bad_filters_are_refused_with_a_sentence(replica: Replica) -> None:
    with replica.read_session() as s:
        with pytest.raises(FieldappError, match="groups by rep, week, month, territory"):
            reports.run(s, "visits", ReportFilter(), "stage")
        with pytest.raises(FieldappError, match=r"ends .* before it starts"):
            reports.visits(s, ReportFilter(date(2026, 3, 2), date(2026, 3, 1)))
        with pytest.raises(FieldappError, match="no report called"):
            reports.run(s, "sales", ReportFilter())


def test_empty_replica_gives_empty_reports(replica: Replica) -> None:
    with replica.read_session() as s:
        by_rep = reports.visits(s, MARCH, "rep")
        by_week = reports.visits(s, MARCH, "week")
        found = [reports.run(s, kind, MARCH) for kind in ("coverage", "pipeline", "wins")]
        feed = reports.activity(s, MARCH)
    assert by_rep.rows == [] and by_rep.total.visits == 0
    # Weeks are still listed (a chart of an empty month shows zeros).
    assert len(by_week.rows) == 6 and {r.visits for r in by_week.rows} == {0}
    assert [r.rows for r in found] == [[], [], []]  # type: ignore[union-attr]
    assert feed.items == [] and not feed.more


def test_reports_travel_as_json(replica: Replica, known: Known) -> None:
    with replica.read_session() as s:
        visits = reports.visits(s, MARCH, "week")
        pipeline = reports.pipeline(s, ReportFilter(), "rep")
    for report, kind in ((visits, VisitsReport), (pipeline, PipelineReport)):
        wire = to_wire(report)
        assert from_wire(wire, kind) == report
    assert to_wire(pipeline)["totals"][0]["amount"] == "18735.06"


def test_team_lines_come_from_the_reports(replica: Replica, known: Known) -> None:
    with replica.read_session() as s:
        rows = reports.team(s, today=date(2026, 3, 26))  # a Thursday
    assert [r.label for r in rows] == ["Ana Silva", "Ben Braun"]
    ana, ben = rows
    # This week is 23-29 March, last week 16-22 March, 30 days from 25 February.
    assert (ana.visits_this_week, ana.visits_last_week, ana.visits_30_days) == (0, 0, 3)
    assert (ben.visits_this_week, ben.visits_last_week, ben.visits_30_days) == (2, 0, 3)
    assert (ana.accounts, ana.overdue, ben.accounts, ben.overdue) == (3, 1, 2, 1)
    assert ana.pipeline == {"EUR": Decimal("16234.56")}
    assert ben.weighted == {"EUR": Decimal("1500.30"), "USD": Decimal("800.00")}
    # Closed in the 90 days to 26 March: ana W1, W3 won, L1 lost; ben W2 won, L3 lost.
    assert (ana.won, ana.lost, ben.won, ben.lost) == (2, 1, 1, 1)
    assert ana.win_rate == pytest.approx(2 / 3) and ben.win_rate == 0.5
