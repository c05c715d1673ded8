"""The pipeline board's reads: ids per stage, cards for some ids, totals per currency.

The board is lazy, as the accounts list is: a column holds the ids of its deals in
display order (biggest first) and the card text of only the rows shown, so opening it
at 100k accounts (50k deals) costs two indexed scans, not 50k card objects. Closed
deals whose close date is more than :data:`FOLD_DAYS` ago are folded away (counted,
not listed) unless the filter asks for them. Amounts are summed in integer cents per
currency and never added across currencies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from fieldapp.domain.reports import amount as cents_to_amount
from fieldapp.domain.reports import weighted_amount
from fieldapp.store import services
from fieldapp.store.models import Account, Opportunity, User

FOLD_DAYS = 90
SelectT = TypeVar("SelectT", bound=Select)
# Raw integer cents (the Money type would turn a sum of cents × percent into an amount).
# The 0 is written into the SQL, not bound: SQLite uses the expression index
# ix_opportunities_board (models.py) only for the very expression it was made with.
_CENTS = func.coalesce(type_coerce(Opportunity.amount, Integer), literal_column("0"))
# A column's display order: biggest first, then by name (the index's order).
_ORDER = (_CENTS.desc(), Opportunity.name, Opportunity.id)


@dataclass(frozen=True)
class BoardFilter:
    """What the board shows. Amounts are in the deal's own currency."""

    text: str = ""  # part of the deal's or its account's name
    owner_id: str | None = None
    close_from: date | None = None
    close_to: date | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    show_old_closed: bool = False  # closed more than FOLD_DAYS ago


@dataclass(frozen=True)
class Money:
    amount: Decimal
    weighted: Decimal


@dataclass(frozen=True)
class StageTotals:
    """One column's header: deals listed, deals folded away, sums per currency."""

    stage: services.Stage
    count: int = 0
    folded: int = 0
    by_currency: dict[str, Money] = field(default_factory=dict)


@dataclass(frozen=True)
class Card:
    id: str
    name: str
    account: str
    amount: Decimal | None
    currency: str
    probability: int
    close_date: date | None


def _closed_names(stages: list[services.Stage]) -> list[str]:
    return [s.name for s in stages if s.is_won or s.is_lost]


def _conditions(flt: BoardFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [Opportunity.deleted_at.is_(None)]
    if flt.text.strip():
        pattern = f"%{flt.text.strip()}%"
        conds.append(or_(Opportunity.name.ilike(pattern), Account.name.ilike(pattern)))
    if flt.owner_id:
        conds.append(Opportunity.owner_id == flt.owner_id)
    if flt.close_from is not None:
        conds.append(Opportunity.close_date >= flt.close_from)
    if flt.close_to is not None:
        conds.append(Opportunity.close_date <= flt.close_to)
    if flt.min_amount is not None:
        conds.append(int(flt.min_amount * 100) <= _CENTS)
    if flt.max_amount is not None:
        conds.append(int(flt.max_amount * 100) >= _CENTS)
    return conds


def _folded(stages: list[services.Stage], today: date) -> ColumnElement[bool]:
    """Closed deals whose close date is more than FOLD_DAYS ago.

    A closed deal without a close date is dated by its last change, as the reports
    date it (never NULL: a NULL here would hide the deal from both the list and the
    folded count).
    """
    closed = _closed_names(stages)
    if not closed:
        return false()
    cutoff = today - timedelta(days=FOLD_DAYS)
    closed_on = func.coalesce(Opportunity.close_date, func.date(Opportunity.updated_at))
    return and_(Opportunity.stage.in_(closed), closed_on < cutoff.isoformat())


def _filtered(query: SelectT, flt: BoardFilter) -> SelectT:
    """``query`` over opportunities with the filter's conditions.

    Joined to accounts only to search their names: the join costs a primary-key
    lookup per deal, a third of the board's read at 50k deals.
    """
    if flt.text.strip():
        query = query.join(Account, Account.id == Opportunity.account_id)
    return query.where(*_conditions(flt))


def _listed(query: SelectT, stages: list[services.Stage], flt: BoardFilter, today: date) -> SelectT:
    """``query`` over the deals the board lists (the filter's, less the folded ones)."""
    query = _filtered(query, flt)
    if not flt.show_old_closed:
        query = query.where(not_(_folded(stages, today)))
    return query


def board_ids(
    session: Session, flt: BoardFilter, today: date | None = None
) -> dict[str, list[str]]:
    """Every column's deal ids, biggest first (then by name), from one walk of the index."""
    today = today or date.today()
    stages = services.pipeline(session)
    out: dict[str, list[str]] = {s.name: [] for s in stages}
    query = select(Opportunity.stage, Opportunity.id)
    query = _listed(query, stages, flt, today).order_by(Opportunity.stage, *_ORDER)
    for stage, opp_id in session.execute(query):
        column = out.get(stage)
        if column is not None:
            column.append(opp_id)
    return out


def first_ids(
    session: Session, flt: BoardFilter, limit: int, today: date | None = None
) -> dict[str, list[str]]:
    """The first ``limit`` ids of every column, as :func:`board_ids` orders them.

    What the board paints first: each column is a short walk of the index from its
    stage's start (a few hundred entries at most), where every id of 50k deals takes
    a walk of the whole index and a Python object per deal.
    """
    today = today or date.today()
    stages = services.pipeline(session)
    ids = _listed(select(Opportunity.id), stages, flt, today).order_by(*_ORDER).limit(limit)
    return {s.name: list(session.scalars(ids.where(Opportunity.stage == s.name))) for s in stages}


def stage_ids(
    session: Session, stage: str, flt: BoardFilter, today: date | None = None
) -> list[str]:
    """The ids of one column's deals, biggest first (then by name)."""
    today = today or date.today()
    query = _listed(select(Opportunity.id), services.pipeline(session), flt, today)
    return list(session.scalars(query.where(Opportunity.stage == stage).order_by(*_ORDER)))


def totals(session: Session, flt: BoardFilter, today: date | None = None) -> list[StageTotals]:
    """Every stage's header, in pipeline order, from one grouped scan."""
    today = today or date.today()
    stages = services.pipeline(session)
    probability = {s.name: s.probability for s in stages}
    folded = _folded(stages, today)
    percent = func.coalesce(Opportunity.probability, -1)
    query = select(
        Opportunity.stage,
        Opportunity.currency,
        folded,
        func.count(),
        func.sum(_CENTS),
        # Deals without their own probability are weighted by their stage's below.
        func.sum(func.iif(percent >= 0, _CENTS * percent, 0)),
        func.sum(func.iif(percent < 0, _CENTS, 0)),
    )
    query = _filtered(query, flt).group_by(Opportunity.stage, Opportunity.currency, folded)
    counts: dict[str, list[Any]] = {s.name: [0, 0, {}] for s in stages}
    for stage, currency, is_folded, n, cents, own_weighted, unweighted in session.execute(query):
        if stage not in counts:
            continue  # a stage no longer in the pipeline
        slot = counts[stage]
        if is_folded and not flt.show_old_closed:
            slot[1] += n
            continue
        slot[0] += n
        sums = slot[2].setdefault(currency or "EUR", [0, 0])
        sums[0] += cents or 0
        sums[1] += (own_weighted or 0) + (unweighted or 0) * probability[stage]
    return [
        StageTotals(
            s,
            counts[s.name][0],
            counts[s.name][1],
            {
                cur: Money(cents_to_amount(c), weighted_amount(w))
                for cur, (c, w) in sorted(counts[s.name][2].items())
            },
        )
        for s in stages
    ]


def cards(session: Session, ids: list[str]) -> dict[str, tuple[Card]]:
    """The cards of ``ids`` (a screenful), keyed by id, for the lazy column model."""
    if not ids:
        return {}
    stage_probability = {s.name: s.probability for s in services.pipeline(session)}
    rows = session.execute(
        select(
            Opportunity.id,
            Opportunity.name,
            Account.name,
            Opportunity.amount,
            Opportunity.currency,
            Opportunity.probability,
            Opportunity.stage,
            Opportunity.close_date,
        )
        .join(Account, Account.id == Opportunity.account_id)
        .where(Opportunity.id.in_(ids))
    )
    out: dict[str, tuple[Card]] = {}
    for oid, name, account, amount, currency, prob, stage, close in rows:
        p = prob if prob is not None else stage_probability.get(stage, 0)
        out[oid] = (Card(oid, name, account, amount, currency or "EUR", p, close),)
    return out


def owners(session: Session) -> list[tuple[str, str]]:
    """(id, name) of the users who own deals, for the owner filter."""
    owned = select(Opportunity.owner_id).where(Opportunity.owner_id.is_not(None)).distinct()
    rows = session.execute(
        select(User.id, User.display_name, User.username).where(User.id.in_(owned))
    )
    return sorted(
        ((uid, display or username) for uid, display, username in rows), key=lambda r: r[1]
    )
