"""Each account's workload on this replica, for the Admin panel's balance figures.

Three measures (``MEASURES``) per account: 1 for the account itself; **planned visit
hours**, the planned length of its visits not yet checked in that start within the next
``HORIZON_DAYS`` (a visit without an end counts as its account type's usual length,
``domain.visits.visit_minutes``); and **open pipeline**, the amounts of its deals in an
open stage, per currency. An admin's replica holds every account, so the figures cover
every rep; the balance itself (loads, score, suggestion) is ``domain/balance.py``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldapp.domain.balance import Spot, rep_loads, score
from fieldapp.domain.visits import visit_minutes
from fieldapp.errors import FieldappError
from fieldapp.reports.deals import Stages
from fieldapp.store.models import Account, Opportunity, Territory, Visit
from fieldapp.store.types import utcnow

HORIZON_DAYS = 90
MEASURES = {"accounts": "Accounts", "hours": "Planned visit hours", "pipeline": "Open pipeline"}


@dataclass(frozen=True)
class AccountLoad:
    id: str
    name: str
    territory_id: str | None
    lat: float | None
    lon: float | None
    hours: float = 0.0
    pipeline: dict[str, Decimal] = field(default_factory=dict)


def account_loads(session: Session, now: datetime | None = None) -> list[AccountLoad]:
    """Every live account with its planned hours and open pipeline (module docstring)."""
    start = now or utcnow()
    end = start + timedelta(days=HORIZON_DAYS)
    hours: dict[str, float] = {}
    planned = session.execute(
        select(Visit.account_id, Visit.planned_start, Visit.planned_end, Account.type)
        .join(Account, Account.id == Visit.account_id)
        .where(
            Visit.deleted_at.is_(None),
            Visit.checkin_at.is_(None),
            Visit.planned_start >= start,
            Visit.planned_start < end,
        )
    )
    for account_id, begin, finish, kind in planned:
        if begin is not None and finish is not None and finish > begin:
            length = (finish - begin).total_seconds() / 3600
        else:
            length = visit_minutes(kind) / 60
        hours[account_id] = hours.get(account_id, 0.0) + length
    stages = Stages.read(session)
    pipeline: dict[str, dict[str, Decimal]] = {}
    deals = session.execute(
        select(Opportunity.account_id, Opportunity.currency, func.sum(Opportunity.amount))
        .where(Opportunity.deleted_at.is_(None), stages.open, Opportunity.amount.is_not(None))
        .group_by(Opportunity.account_id, Opportunity.currency)
    )
    for account_id, currency, amount in deals:
        if amount:
            pipeline.setdefault(account_id, {})[currency] = Decimal(amount)
    rows = session.execute(
        select(Account.id, Account.name, Account.territory_id, Account.latitude, Account.longitude)
        .where(Account.deleted_at.is_(None))
        .order_by(Account.id)
    )
    return [
        AccountLoad(aid, name, tid, lat, lon, round(hours.get(aid, 0.0), 2), pipeline.get(aid, {}))
        for aid, name, tid, lat, lon in rows
    ]


def territory_names(session: Session) -> dict[str, str]:
    rows = session.execute(
        select(Territory.id, Territory.name).where(Territory.deleted_at.is_(None))
    )
    return dict(rows.tuples().all())


def main_currency(loads: list[AccountLoad]) -> str | None:
    """The currency with the most open pipeline by number of deals' accounts (ties: A–Z)."""
    seen: Counter[str] = Counter(c for a in loads for c in a.pipeline)
    if not seen:
        return None
    return sorted(seen.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def weight(load: AccountLoad, measure: str, currency: str | None = None) -> float:
    if measure == "accounts":
        return 1.0
    if measure == "hours":
        return load.hours
    if measure == "pipeline":
        return float(load.pipeline.get(currency or "", 0))
    raise ValueError(f"unknown measure {measure!r}")


def spots(
    loads: list[AccountLoad],
    measure: str,
    currency: str | None = None,
    where: dict[str, str | None] | None = None,
) -> list[Spot]:
    """The accounts as the balance sees them; ``where`` overrides territories (a preview)."""
    where = where or {}
    return [
        Spot(
            a.id,
            where.get(a.id, a.territory_id),
            a.lat,
            a.lon,
            weight(a, measure, currency),
        )
        for a in loads
    ]


def accounts_matching(session: Session, text: str) -> list[str]:
    """Live accounts whose name, city or postcode contains ``text`` (any case)."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = session.scalars(
        select(Account.id)
        .where(
            Account.deleted_at.is_(None),
            Account.name.ilike(pattern, escape="\\")
            | Account.city.ilike(pattern, escape="\\")
            | Account.postcode.ilike(pattern, escape="\\"),
        )
        .order_by(Account.name, Account.id)
    )
    return list(rows)


def accounts_named(session: Session, names_or_ids: list[str]) -> list[str]:
    """The accounts with these exact names or ids; raises when one is not found."""
    wanted = [w.strip() for w in names_or_ids if w.strip()]
    found: list[str] = []
    missing = []
    for item in wanted:
        ids = session.scalars(
            select(Account.id).where(
                Account.deleted_at.is_(None), (Account.id == item) | (Account.name == item)
            )
        ).all()
        if not ids:
            missing.append(item)
        found.extend(i for i in ids if i not in found)
    if missing:
        raise FieldappError(f"no account named {', '.join(missing[:5])} on this laptop")
    return found


@dataclass(frozen=True)
class BalanceView:
    """Each rep's load in one measure, now and after a change, with the balance scores."""

    measure: str
    currency: str | None
    rows: list[tuple[str, float, float]]  # rep, now, after
    score_before: float
    score_after: float


def balance_view(
    loads: list[AccountLoad],
    measure: str,
    before: dict[str, list[str]],
    where: dict[str, str | None],
    after: dict[str, list[str]],
) -> BalanceView:
    """The loads with the territories' reps ``before``, and with ``where`` and ``after``
    applied (a preview or a suggestion); a pass over every account, so off the GUI thread."""
    currency = main_currency(loads)
    now = rep_loads(spots(loads, measure, currency), before)
    then = rep_loads(spots(loads, measure, currency, where), after)
    reps = sorted(set(now) | set(then))
    return BalanceView(
        measure,
        currency,
        [(rep, now.get(rep, 0.0), then.get(rep, 0.0)) for rep in reps],
        score(now.values()),
        score(then.values()),
    )
