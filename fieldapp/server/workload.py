"""What a change of assignments does to each rep: the diff of a proposal.

A :class:`Plan` is the change itself (accounts changing territory, territories changing
reps). :func:`diff` says which accounts change hands, how many each rep gains and
loses, and each affected rep's workload before and after: accounts, and open pipeline
(opportunities not in a won or lost stage) per currency. Only the territories of the
affected reps are read, so a preview costs what the change touches, not the database.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from fieldapp.domain.values import DEFAULT_STAGES
from fieldapp.server import idsets
from fieldapp.server.models import Assignment, Record, User

CHUNK = 1000
# Until an admin changes the stages, these two close a deal (fieldapp.domain.values).
CLOSED_STAGES = frozenset(DEFAULT_STAGES[-2:])

Money = dict[str, Decimal]


@dataclass
class Plan:
    # account id -> (territory before, territory after)
    moves: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    # territory id -> (rep ids before, rep ids after)
    reps: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    # moving account id -> its document (JSON) as read for the plan, if it was read
    docs: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "moves": {k: list(v) for k, v in self.moves.items()},
            "reps": {k: [list(v[0]), list(v[1])] for k, v in self.reps.items()},
        }


def user_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(User.id, User.username)).all())


def territory_names(session: Session) -> dict[str, str]:
    rows = session.execute(select(Record.id, Record.data).where(Record.entity == "territories"))
    return {tid: str(json.loads(data).get("name")) for tid, data in rows}


def _closed_stages(session: Session) -> frozenset[str]:
    rows = session.scalars(
        select(Record.data).where(Record.entity == "pipeline_stages", Record.deleted.is_(False))
    ).all()
    if not rows:
        return CLOSED_STAGES
    stages = [json.loads(r) for r in rows]
    return frozenset(str(s.get("name")) for s in stages if s.get("is_won") or s.get("is_lost"))


def _add(total: Money, other: Money, sign: int = 1) -> None:
    for currency, amount in other.items():
        total[currency] = total.get(currency, Decimal(0)) + sign * amount


def _text(money: Money) -> dict[str, str]:
    return {c: str(a) for c, a in sorted(money.items()) if a}


def _chunks(ids: list[str]) -> list[list[str]]:
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


def assignments(session: Session) -> dict[str, set[str]]:
    held: dict[str, set[str]] = {}
    for a in session.scalars(select(Assignment)):
        held.setdefault(a.territory_id, set()).add(a.user_id)
    return held


def _open_pipeline(
    session: Session, territory_ids: list[str]
) -> tuple[dict[str, Money], dict[str, Money]]:
    """Open pipeline per account and per territory, for these territories."""
    closed = _closed_stages(session)
    per_account: dict[str, Money] = {}
    per_territory: dict[str, Money] = {}
    account = aliased(Record)
    for part in _chunks(territory_ids):
        # A deal is in its account's territory (it carries none of its own).
        rows = session.execute(
            select(Record.account_id, account.territory_id, Record.data)
            .join(account, account.id == Record.account_id)
            .where(
                Record.entity == "opportunities",
                Record.deleted.is_(False),
                account.entity == "accounts",
                account.territory_id.in_(part),
            )
        )
        for account_id, territory_id, data in rows:
            deal = json.loads(data)
            if deal.get("stage") in closed or deal.get("amount") in (None, ""):
                continue
            try:
                amount = {str(deal.get("currency") or "EUR"): Decimal(str(deal["amount"]))}
            except InvalidOperation:
                continue
            _add(per_account.setdefault(str(account_id), {}), amount)
            _add(per_territory.setdefault(str(territory_id), {}), amount)
    return per_account, per_territory


def _account_names(session: Session, ids: list[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for condition in idsets.among(session, Record.id, ids):
        rows = session.execute(select(Record.id, Record.data).where(condition))
        names.update((row_id, str(json.loads(data).get("name"))) for row_id, data in rows)
    return names


def diff(session: Session, plan: Plan) -> dict[str, Any]:
    """The plan's effect on accounts and reps (see the module's docstring)."""
    users = user_names(session)
    tnames = territory_names(session)
    before = assignments(session)
    after = {**before, **{t: set(new) for t, (_, new) in plan.reps.items()}}
    touched = {t for move in plan.moves.values() for t in move if t} | set(plan.reps)
    reps: set[str] = set()
    for t in touched:
        reps |= before.get(t, set()) | after.get(t, set())
    held_before = {r: {t for t, us in before.items() if r in us} for r in reps}
    held_after = {r: {t for t, us in after.items() if r in us} for r in reps}
    relevant = sorted(touched.union(*held_before.values(), *held_after.values()))
    counts: Counter[str] = Counter()
    for part in _chunks(relevant):
        rows = session.execute(
            select(Record.territory_id, func.count())
            .where(
                Record.entity == "accounts",
                Record.territory_id.in_(part),
                Record.deleted.is_(False),
            )
            .group_by(Record.territory_id)
        )
        counts.update({str(t): n for t, n in rows})
    pipe_of_account, pipe_before = _open_pipeline(session, relevant)
    counts_after = Counter(counts)
    pipe_after = {t: dict(m) for t, m in pipe_before.items()}
    gained: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    moving: list[dict[str, Any]] = []
    names = {a: str(json.loads(doc).get("name")) for a, doc in plan.docs.items()}
    names.update(_account_names(session, [a for a in plan.moves if a not in plan.docs]))

    def line(account: str, old: str | None, new: str | None) -> dict[str, Any]:
        return {
            "id": account,
            "name": names.get(account),
            "from_territory": tnames.get(old or ""),
            "to_territory": tnames.get(new or ""),
            "from_reps": sorted(users.get(u, u) for u in before.get(old or "", ())),
            "to_reps": sorted(users.get(u, u) for u in after.get(new or "", ())),
        }

    for account, (old, new) in plan.moves.items():
        if old:
            counts_after[old] -= 1
            _add(pipe_after.setdefault(old, {}), pipe_of_account.get(account, {}), -1)
        if new:
            counts_after[new] += 1
            _add(pipe_after.setdefault(new, {}), pipe_of_account.get(account, {}))
        was, will = before.get(old or "", set()), after.get(new or "", set())
        gained.update(will - was)
        lost.update(was - will)
        moving.append(line(account, old, new))
    # Accounts that stay in a territory whose reps change change hands too.
    for tid in plan.reps:
        staying = [
            row_id
            for row_id in session.scalars(
                select(Record.id).where(
                    Record.entity == "accounts",
                    Record.territory_id == tid,
                    Record.deleted.is_(False),
                )
            )
            if row_id not in plan.moves
        ]
        names.update(_account_names(session, staying))
        was, will = before.get(tid, set()), after.get(tid, set())
        for u in will - was:
            gained[u] += len(staying)
        for u in was - will:
            lost[u] += len(staying)
        moving.extend(line(row_id, tid, tid) for row_id in staying)

    def load(held: set[str], count: Counter[str], pipe: dict[str, Money]) -> dict[str, Any]:
        money: Money = {}
        for t in held:
            _add(money, pipe.get(t, {}))
        return {"accounts": sum(count[t] for t in held), "open_pipeline": _text(money)}

    per_rep = [
        {
            "rep": users.get(r, r),
            "gained": gained[r],
            "lost": lost[r],
            "before": load(held_before[r], counts, pipe_before),
            "after": load(held_after[r], counts_after, pipe_after),
        }
        for r in reps
    ]
    per_rep.sort(key=lambda row: str(row["rep"]))
    return {
        "moving_count": len(moving),
        "territory_moves": len(plan.moves),
        "reps_changes": [
            {
                "territory": tnames.get(t, t),
                "before": sorted(users.get(u, u) for u in old),
                "after": sorted(users.get(u, u) for u in new),
            }
            for t, (old, new) in plan.reps.items()
        ],
        "per_rep": per_rep,
        "accounts_moving": moving,
    }
