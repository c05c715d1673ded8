"""The pipeline board's reads (store/board.py): lazy ids, totals per currency, folding."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from fieldapp.store import board, services
from fieldapp.store.board import BoardFilter
from fieldapp.store.db import Replica

TODAY = date(2026, 11, 23)
OWNER = "11111111-1111-4111-8111-111111111111"


def _deals(replica: Replica) -> dict[str, str]:
    with replica.session() as s:
        services.bulk_create(
            s, "users", [{"id": OWNER, "username": "rita", "display_name": "Rita Rep"}]
        )
        acme = services.create(s, "accounts", {"name": "Acme Mühle"})
        bolt = services.create(s, "accounts", {"name": "Bolt Brauerei"})

        def deal(name: str, account: str, stage: str, amount: str, **extra: object) -> str:
            values = {"name": name, "account_id": account, "stage": stage, "amount": amount}
            return services.create(s, "opportunities", {**values, **extra})

        return {
            "big": deal("Big rollout", acme, "Proposal", "50000", owner_id=OWNER,
                        close_date=TODAY + timedelta(days=20)),
            "small": deal("Small pilot", bolt, "Proposal", "1000.50",
                          close_date=TODAY + timedelta(days=200)),
            "dollars": deal("US branch", bolt, "Proposal", "7000", currency="USD"),
            "won_recent": deal("Won lately", acme, "Closed Won", "3000",
                               close_date=TODAY - timedelta(days=10)),
            "won_old": deal("Won long ago", acme, "Closed Won", "9000",
                            close_date=TODAY - timedelta(days=200)),
        }  # fmt: skip


def test_ids_biggest_first_and_old_closed_deals_folded(replica: Replica) -> None:
    d = _deals(replica)
    with replica.read_session() as s:
        assert board.stage_ids(s, "Proposal", BoardFilter(), TODAY) == [
            d["big"],
            d["dollars"],
            d["small"],
        ]
        assert board.stage_ids(s, "Closed Won", BoardFilter(), TODAY) == [d["won_recent"]]
        shown = BoardFilter(show_old_closed=True)
        assert board.stage_ids(s, "Closed Won", shown, TODAY) == [d["won_old"], d["won_recent"]]
        won = {t.stage.name: t for t in board.totals(s, BoardFilter(), TODAY)}["Closed Won"]
        assert (won.count, won.folded) == (1, 1)
        assert won.by_currency["EUR"].amount == Decimal("3000.00")


def test_totals_per_currency_never_mixed(replica: Replica) -> None:
    _deals(replica)
    with replica.read_session() as s:
        proposal = {t.stage.name: t for t in board.totals(s, BoardFilter(), TODAY)}["Proposal"]
    assert proposal.count == 3
    assert set(proposal.by_currency) == {"EUR", "USD"}
    assert proposal.by_currency["EUR"].amount == Decimal("51000.50")
    assert proposal.by_currency["EUR"].weighted == Decimal("30600.30")  # 60%
    assert proposal.by_currency["USD"] == board.Money(Decimal("7000.00"), Decimal("4200.00"))


def test_filters_by_text_owner_close_date_and_amount(replica: Replica) -> None:
    d = _deals(replica)

    def ids(flt: BoardFilter) -> list[str]:
        with replica.read_session() as s:
            return board.stage_ids(s, "Proposal", flt, TODAY)

    assert ids(BoardFilter(text="brauerei")) == [d["dollars"], d["small"]]  # the account's name
    assert ids(BoardFilter(text="pilot")) == [d["small"]]
    assert ids(BoardFilter(owner_id=OWNER)) == [d["big"]]
    assert ids(BoardFilter(close_to=TODAY + timedelta(days=30))) == [d["big"]]
    assert ids(BoardFilter(min_amount=Decimal("1000.50"), max_amount=Decimal(7000))) == [
        d["dollars"],
        d["small"],
    ]
    with replica.read_session() as s:
        assert board.owners(s) == [(OWNER, "Rita Rep")]
        cards = board.cards(s, [d["dollars"]])
    [card] = cards[d["dollars"]]
    assert (card.account, card.currency, card.probability) == ("Bolt Brauerei", "USD", 60)


def test_first_ids_are_each_columns_head_in_board_order(replica: Replica) -> None:
    d = _deals(replica)
    filters = [
        BoardFilter(),
        BoardFilter(show_old_closed=True),
        BoardFilter(owner_id=OWNER),
        BoardFilter(text="brauerei"),
        BoardFilter(max_amount=Decimal(7000)),
    ]
    with replica.read_session() as s:
        for flt in filters:
            every = board.board_ids(s, flt, TODAY)
            assert board.first_ids(s, flt, 2, TODAY) == {k: v[:2] for k, v in every.items()}
            assert every["Proposal"] == board.stage_ids(s, "Proposal", flt, TODAY)
        assert board.first_ids(s, BoardFilter(), 2, TODAY)["Proposal"] == [d["big"], d["dollars"]]


def _plans(replica: Replica, run: Callable[[Session], object]) -> list[str]:
    """The query plans of the statements ``run`` sends."""
    plans: list[str] = []
    with replica.read_session() as s:
        conn = s.connection()

        def explain(_conn: Any, _cursor: Any, sql: str, params: Any, *_: Any) -> None:
            if sql.lstrip().upper().startswith("SELECT") and "opportunities" in sql:
                rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).all()
                plans.append(" / ".join(str(row[-1]) for row in rows))

        event.listen(conn, "before_cursor_execute", explain)
        try:
            run(s)
        finally:
            event.remove(conn, "before_cursor_execute", explain)
    return plans


def test_columns_are_read_in_the_order_of_the_board_index(replica: Replica) -> None:
    _deals(replica)
    plans = _plans(replica, lambda s: board.first_ids(s, BoardFilter(), 60, TODAY))
    plans += _plans(replica, lambda s: board.board_ids(s, BoardFilter(), TODAY))
    board_plans = [p for p in plans if "ix_opportunities_board" in p]
    # One plan per stage's head, one for every id; none sorts what the index holds sorted.
    assert len(board_plans) == len(plans) == 8
    assert not [p for p in plans if "TEMP B-TREE FOR ORDER BY" in p]
