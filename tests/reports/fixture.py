"""A small replica with known visits, deals, reasons, owners and dates, for hand counting.

Written through the store's services like any device's edits. The tests beside this
file state the figures each report must give, counted by hand from the list below
(not recomputed by the SQL under test).

People and places::

    ana  "Ana Silva"   rep        North, South: territories
    ben  "Ben Braun"   rep
    maria              manager

Accounts (owner, territory; active unless said)::

    Alpha    ana  North        Delta    ben  South   (never visited)
    Beta     ana  North        Epsilon  ben  North   inactive
    Gamma    ben  South        Zeta     ana  -       (last visit 2025-09-12)

Visits (UTC; "-" = no check-out, so no length)::

    #1  Alpha  ana  2026-03-02 09:00-09:45  successful
    #2  Alpha  ana  2026-03-10 10:00-10:30  follow_up
    #3  Beta   ana  2026-03-11 14:00-15:00  successful
    #4  Gamma  ben  2026-03-03 08:00 -      no_show
    #5  Gamma  ben  2026-03-24 11:00-11:20  not_interested
    #6  Beta   ana  2026-02-20 09:00-09:30  successful
    #7  Zeta   ana  2025-09-12 10:00-10:40  successful
    #8  Delta  ben  2026-03-05 09:00        successful  -> deleted (tombstone)
    #9  Delta       planned 2026-04-02, never checked in
    #10 Alpha  ben  2026-03-25 16:00-16:50  rescheduled   (ben visits ana's account)

Deals (stage probabilities: Prospecting 10, Qualification 20, Proposal 60,
Negotiation 80)::

    D1  Alpha  ana  Proposal       10,000.00 EUR        close 2026-04-15
    D2  Beta   ana  Negotiation     5,000.00 EUR  50 %  close 2026-05-10
    D3  Gamma  ben  Proposal        2,500.50 EUR        close 2026-04-30
    D4  Gamma  ben  Prospecting     8,000.00 USD        close 2026-04-20
    D5  Zeta   ana  Qualification   1,234.56 EUR        no close date
    D6  Alpha  ana  Proposal       99,999.00 EUR        -> deleted
    W1  Alpha  ana  Closed Won      7,000.00 EUR  2026-03-15  "Price"
    W2  Gamma  ben  Closed Won      3,000.00 EUR  2026-03-20  " price "
    W3  Beta   ana  Closed Won      4,000.00 USD  2026-02-10  "Relationship"
    L1  Beta   ana  Closed Lost     6,000.00 EUR  2026-03-05  "Competitor"
    L2  Gamma  ben  Closed Lost     1,000.00 EUR  2026-03-28  "Price"
    L3  Delta  ben  Closed Lost     2,000.00 EUR  2026-01-10  (no reason)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fieldapp.store import services
from fieldapp.store.db import Replica


@dataclass
class Known:
    users: dict[str, str] = field(default_factory=dict)
    territories: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, str] = field(default_factory=dict)
    deals: dict[str, str] = field(default_factory=dict)


def build(replica: Replica, people: Known | None = None) -> Known:
    """The records above; ``people``: users and territories made elsewhere (a server's)."""
    known = people or Known()
    with replica.session() as s:
        for username, display, role in (
            ()
            if people
            else (
                ("ana", "Ana Silva", "rep"),
                ("ben", "Ben Braun", "rep"),
                ("maria", "", "manager"),
            )
        ):
            known.users[username] = services.create(
                s, "users", {"username": username, "display_name": display, "role": role}
            )
        for name in () if people else ("North", "South"):
            known.territories[name] = services.create(s, "territories", {"name": name})
        for name, owner, territory, status in (
            ("Alpha", "ana", "North", "active"),
            ("Beta", "ana", "North", "active"),
            ("Gamma", "ben", "South", "active"),
            ("Delta", "ben", "South", "active"),
            ("Epsilon", "ben", "North", "inactive"),
            ("Zeta", "ana", None, "active"),
        ):
            known.accounts[name] = services.create(
                s,
                "accounts",
                {
                    "name": name,
                    "owner_id": known.users[owner],
                    "territory_id": known.territories[territory] if territory else None,
                    "status": status,
                },
            )
        for account, owner, start, end, outcome in (
            ("Alpha", "ana", "2026-03-02T09:00", "2026-03-02T09:45", "successful"),
            ("Alpha", "ana", "2026-03-10T10:00", "2026-03-10T10:30", "follow_up"),
            ("Beta", "ana", "2026-03-11T14:00", "2026-03-11T15:00", "successful"),
            ("Gamma", "ben", "2026-03-03T08:00", None, "no_show"),
            ("Gamma", "ben", "2026-03-24T11:00", "2026-03-24T11:20", "not_interested"),
            ("Beta", "ana", "2026-02-20T09:00", "2026-02-20T09:30", "successful"),
            ("Zeta", "ana", "2025-09-12T10:00", "2025-09-12T10:40", "successful"),
            ("Alpha", "ben", "2026-03-25T16:00", "2026-03-25T16:50", "rescheduled"),
        ):
            visit(s, known, account, owner, start, end, outcome)
        gone = visit(s, known, "Delta", "ben", "2026-03-05T09:00", None, "successful")
        services.delete(s, "visits", gone)
        services.create(
            s,
            "visits",
            {"account_id": known.accounts["Delta"], "planned_start": "2026-04-02T09:00+00:00"},
        )
        for key, account, owner, stage, amount, currency, extra in (
            ("D1", "Alpha", "ana", "Proposal", "10000.00", "EUR", {"close_date": "2026-04-15"}),
            (
                "D2",
                "Beta",
                "ana",
                "Negotiation",
                "5000.00",
                "EUR",
                {"probability": 50, "close_date": "2026-05-10"},
            ),
            ("D3", "Gamma", "ben", "Proposal", "2500.50", "EUR", {"close_date": "2026-04-30"}),
            ("D4", "Gamma", "ben", "Prospecting", "8000.00", "USD", {"close_date": "2026-04-20"}),
            ("D5", "Zeta", "ana", "Qualification", "1234.56", "EUR", {}),
            ("D6", "Alpha", "ana", "Proposal", "99999.00", "EUR", {"close_date": "2026-04-01"}),
            ("W1", "Alpha", "ana", "Closed Won", "7000", "EUR", _closed("2026-03-15", "Price")),
            ("W2", "Gamma", "ben", "Closed Won", "3000", "EUR", _closed("2026-03-20", " price ")),
            (
                "W3",
                "Beta",
                "ana",
                "Closed Won",
                "4000",
                "USD",
                _closed("2026-02-10", "Relationship"),
            ),
            (
                "L1",
                "Beta",
                "ana",
                "Closed Lost",
                "6000",
                "EUR",
                _closed("2026-03-05", "Competitor"),
            ),
            ("L2", "Gamma", "ben", "Closed Lost", "1000", "EUR", _closed("2026-03-28", "Price")),
            ("L3", "Delta", "ben", "Closed Lost", "2000", "EUR", {"close_date": "2026-01-10"}),
        ):
            known.deals[key] = services.create(
                s,
                "opportunities",
                {
                    "account_id": known.accounts[account],
                    "owner_id": known.users[owner],
                    "name": f"{key} {account}",
                    "stage": stage,
                    "amount": amount,
                    "currency": currency,
                    **extra,
                },
            )
        services.delete(s, "opportunities", known.deals["D6"])
    return known


def _closed(day: str, reason: str) -> dict[str, Any]:
    return {"close_date": day, "won_lost_reason": reason}


def visit(
    s: Any,
    known: Known,
    account: str,
    owner: str,
    start: str,
    end: str | None,
    outcome: str,
) -> str:
    return services.log_visit(
        s,
        known.accounts[account],
        outcome=outcome,
        checkin_at=f"{start}+00:00",
        checkout_at=f"{end}+00:00" if end else None,
        owner_id=known.users[owner],
    )
