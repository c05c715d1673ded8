"""Closing and reopening deals: the store's rule and the command line's --reopen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldapp.cli.main import main
from fieldapp.errors import ValidationError
from fieldapp.store import deals, services
from fieldapp.store.db import Replica
from fieldapp.store.models import Outbox


def make_deal(
    replica: Replica, stage: str = "Closed Won", reason: str | None = "Best price"
) -> str:
    with replica.session() as s:
        account = services.create(s, "accounts", {"name": "Acme"})
        return deals.create(
            s,
            {
                "account_id": account,
                "name": "Rollout",
                "stage": stage,
                "amount": "5000",
                "won_lost_reason": reason,
            },
        )


def test_a_won_deal_is_not_reopened_unless_asked(replica: Replica) -> None:
    deal = make_deal(replica)
    with replica.session() as s:
        assert deals.reopens(s, deal, "Proposal")
        assert not deals.reopens(s, deal, "Closed Lost")  # closed to closed: no reopening
    refused = pytest.raises(deals.ReopenRefused, match="Closed Won; moving it to Proposal")
    with refused, replica.session() as s:
        deals.update(s, deal, {"stage": "Proposal"})
    with replica.read_session() as s:
        assert services.get(s, "opportunities", deal)["stage"] == "Closed Won"
    with replica.session() as s:
        changed = deals.update(s, deal, {"stage": "Proposal"}, reopen=True)
    assert changed["stage"] == "Proposal"
    with replica.read_session() as s:
        record = services.get(s, "opportunities", deal)
        entry = s.query(Outbox).filter_by(row_id=deal).order_by(Outbox.seq.desc()).first()
    # Open again: the stage's probability, and the old reason no longer applies.
    assert (record["stage"], record["probability"], record["won_lost_reason"]) == (
        "Proposal",
        60,
        None,
    )
    assert entry is not None and entry.changes["stage"] == ["Closed Won", "Proposal"]


def test_closing_can_require_a_reason(replica: Replica) -> None:
    deal = make_deal(replica, stage="Negotiation", reason=None)
    with pytest.raises(ValidationError) as refused, replica.session() as s:
        deals.update(s, deal, {"stage": "Closed Lost"}, require_reason=True)
    assert refused.value.plain == "Won/lost reason is needed: say why the deal was lost"
    with replica.session() as s:
        deals.update(
            s, deal, {"stage": "Closed Lost", "won_lost_reason": "Price"}, require_reason=True
        )
        assert services.get(s, "opportunities", deal)["probability"] == 0
    with pytest.raises(ValidationError, match="why the deal was won"), replica.session() as s:
        deals.create(
            s,
            {
                "account_id": services.get(s, "opportunities", deal)["account_id"],
                "name": "X",
                "stage": "Closed Won",
            },
            require_reason=True,
        )


def test_cli_refuses_to_reopen_without_the_flag(
    replica: Replica, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deal = make_deal(replica)
    replica.close()

    def cli(*args: str) -> tuple[int, str, str]:
        code = main(["--data-dir", str(data_dir), *args])
        out, err = capsys.readouterr()
        return code, out, err

    code, out, err = cli("opportunities", "update", deal, "--set", "stage=Qualification")
    assert code == 1 and out == ""
    assert err == (
        "fieldapp: Rollout is Closed Won; moving it to Qualification would reopen it; "
        "add --reopen to do that\n"
    )
    assert json.loads(cli("opportunities", "show", deal, "--json")[1])["stage"] == "Closed Won"
    # Changing something else of a closed deal needs no flag.
    assert cli("opportunities", "update", deal, "--set", "amount=6000")[:2] == (
        0,
        "updated 1 field(s)\n",
    )
    code, out, _ = cli("opportunities", "update", deal, "--set", "stage=qualification", "--reopen")
    assert code == 0
    shown = json.loads(cli("opportunities", "show", deal, "--json")[1])
    assert (shown["stage"], shown["amount"], shown["won_lost_reason"]) == (
        "Qualification",
        "6000.00",
        None,
    )
