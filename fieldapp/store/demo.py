"""A realistic demo territory: accounts around real towns, with their history.

Everything is drawn from one seeded random generator (:mod:`.demo_draws`) — ids
included — so the same seed on the same day gives the same data. Dates are relative
to ``today`` so there is always something overdue, due today and coming up. The
words come from :mod:`.demo_words`, the towns from :mod:`.demo_towns`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from fieldapp.store import sandbox, services
from fieldapp.store.db import Replica, indexes_dropped
from fieldapp.store.demo_draws import Draws
from fieldapp.store.demo_towns import Town, towns
from fieldapp.store.demo_words import (
    CONTACT_TITLES,
    FORMS,
    LEAD_SOURCES,
    LEAD_STATUSES,
    NOTE_BODIES,
    STREETS,
    SURNAMES,
    TAGS,
    TASK_PRIORITIES,
    TASK_TITLES,
    TRADES,
    VISIT_NOTES,
    slug,
)
from fieldapp.store.models import ENTITIES as MODELS
from fieldapp.store.models import VISIT_OUTCOMES
from fieldapp.store.pipeline import Stage

Progress = Callable[[int, int], None]
Row = dict[str, Any]

# Accounts generated between two writes: ~5 rows each, so ~50k rows (tens of MB) in
# Python at a time, and each write still far above the bulk indexing threshold.
CHUNK = 10_000

# Every set of up to two tags, as an account's tags column spells it (sorted, comma
# separated): picking a set of the drawn size is what sorting a random sample gave.
TAG_SETS = tuple(
    tuple(",".join(c) for c in itertools.combinations(sorted(TAGS), size)) for size in (0, 1, 2)
)
# Parents before children: the foreign keys are checked on insert.
ENTITIES = ("accounts", "contacts", "leads", "opportunities", "visits", "tasks", "notes")


@dataclass
class DemoSummary:
    territories: int = 0
    accounts: int = 0
    contacts: int = 0
    leads: int = 0
    opportunities: int = 0
    visits: int = 0
    tasks: int = 0
    notes: int = 0


def fill(
    replica: Replica,
    *,
    accounts: int,
    seed: int = 1,
    today: date | None = None,
    progress: Progress | None = None,
    syncable: bool = False,
) -> DemoSummary:
    """:func:`generate` in one transaction of ``replica``, the indexes built afterwards.

    Updating a table's secondary indexes row by row, with keys in no order (times,
    stages, coordinates), touches a different page for nearly every row once they
    outgrow the page cache; building each in one pass over the loaded rows is a sort (see
    :func:`indexes_dropped`, which also puts them back if anything fails).
    The search index is still built once per write (:func:`bulk.bulk_create`): building
    it once at the end measured no cheaper.
    """
    tables = [MODELS[entity].__table__ for entity in ENTITIES]  # type: ignore[attr-defined]
    with indexes_dropped(replica.engine, tables), replica.session() as session:
        return generate(
            session,
            accounts=accounts,
            seed=seed,
            today=today,
            progress=progress,
            syncable=syncable,
        )


def generate(
    session: Session,
    *,
    accounts: int,
    seed: int = 1,
    today: date | None = None,
    progress: Progress | None = None,
    syncable: bool = False,
) -> DemoSummary:
    """Fill the replica behind ``session`` with a demo territory of ``accounts`` accounts.

    Unless ``syncable``, the replica becomes a local sandbox (:mod:`.sandbox`): the
    records get no outbox entries and the replica refuses to sign in to a server.
    Rows are written every :data:`CHUNK` accounts, so memory stays flat at any size.
    """
    report = progress or (lambda done, total: None)
    if not syncable:
        sandbox.mark(session)
    territory = _Territory(session, Draws(seed, today or date.today()), syncable=syncable)
    for n in range(accounts):
        territory.add_account(n)
        if n % CHUNK == CHUNK - 1:
            territory.write()
        if n % 500 == 499:
            report(n + 1, accounts)
    territory.plan_agenda()
    territory.write()
    report(accounts, accounts)
    return territory.summary


class _Territory:
    """The demo's rows as they are drawn, one method per kind of record.

    Rows wait in :attr:`rows` until :meth:`write`; :attr:`summary` counts those written.
    """

    def __init__(self, session: Session, draws: Draws, *, syncable: bool) -> None:
        self.session = session
        self.draws = draws
        self.syncable = syncable
        self.places: list[Town] = towns(draws.rng)
        self.stages: list[Stage] = services.pipeline(session)
        self.summary = DemoSummary(territories=1)
        self.rows: dict[str, list[Row]] = {entity: [] for entity in ENTITIES}
        self.account_ids: list[str] = []
        self.territory_id = draws.id()
        territory = {"id": self.territory_id, "name": "Rhineland demo"}
        territory["postcodes"] = "40,41,42,50,51,52,53"
        services.bulk_create(session, "territories", [territory], outbox=syncable)

    def write(self) -> None:
        """Insert the rows drawn so far and forget them."""
        for entity, batch in self.rows.items():
            services.bulk_create(self.session, entity, batch, outbox=self.syncable)
            setattr(self.summary, entity, getattr(self.summary, entity) + len(batch))
            batch.clear()

    def add_account(self, n: int) -> None:
        """The ``n``-th account with its contacts, deal, visits, task, note; every 4th a lead."""
        g = self.draws
        # The first accounts cover every town, then towns are drawn.
        town = g.pick(self.places) if n >= len(self.places) else self.places[n]
        family = g.pick(SURNAMES)
        trade, industry = g.pick(TRADES)
        domain = slug(family + trade)
        account_id = g.id()
        self.rows["accounts"].append(
            {
                "id": account_id,
                "name": f"{family} {trade} {g.pick(FORMS)}",
                "type": g.weighted(("customer", "prospect", "partner"), (5, 4, 1)),
                "industry": industry,
                "phone": g.phone(),
                "email": f"info@{domain}.de",
                "website": f"https://www.{domain}.de",
                "street": f"{g.pick(STREETS)} {g.between(1, 180)}",
                "city": town.name,
                "region": "Nordrhein-Westfalen",
                "postcode": town.postcode,
                "country": "Germany",
                # Spread around the town centre, within about 3 km.
                "latitude": round(town.latitude + g.rng.uniform(-0.025, 0.025), 6),
                "longitude": round(town.longitude + g.rng.uniform(-0.04, 0.04), 6),
                "geocode_precision": "street",
                "territory_id": self.territory_id,
                "status": "active" if g.chance(0.92) else "inactive",
                "tags": g.pick(TAG_SETS[g.between(0, 2)]) or None,
                "description": f"{industry.capitalize()} business in {town.name}.",
            }
        )
        self.account_ids.append(account_id)
        contact_id = self._contacts(account_id, domain)
        if g.chance(0.5) or n < len(self.stages):
            # The first accounts cover every stage, so the board is never empty.
            stage = self.stages[n] if n < len(self.stages) else g.pick(self.stages)
            self._deal(account_id, contact_id, trade, stage)
        self._visits(account_id, contact_id)
        if g.chance(0.12):
            self._task(account_id, contact_id)
        if g.chance(0.3):
            self._note(account_id)
        if n % 4 == 0:
            self._lead()

    def _contacts(self, account_id: str, domain: str) -> str:
        """One to three people at the account; the id of the first."""
        g = self.draws
        ids = []
        for _ in range(g.weighted((1, 2, 3), (5, 3, 2))):
            first, last = g.person()
            ids.append(g.id())
            self.rows["contacts"].append(
                {
                    "id": ids[-1],
                    "account_id": account_id,
                    "first_name": first,
                    "last_name": last,
                    "title": g.pick(CONTACT_TITLES),
                    "email": f"{slug(first)}.{slug(last)}@{domain}.de",
                    "phone": g.phone(),
                    "mobile": g.mobile(),
                }
            )
        return ids[0]

    def _deal(self, account_id: str, contact_id: str, trade: str, stage: Stage) -> None:
        g = self.draws
        closed = stage.is_won or stage.is_lost
        days = g.between(-60, -1) if closed else g.between(7, 120)
        self.rows["opportunities"].append(
            {
                "id": g.id(),
                "account_id": account_id,
                "contact_id": contact_id,
                "name": f"{trade} supply {g.today.year + (0 if closed else 1)}",
                "stage": stage.name,
                "amount": Decimal(50 * g.between(10, 1599)),
                "currency": "EUR",
                "probability": stage.probability,
                "close_date": g.today + timedelta(days=days),
                "won_lost_reason": (
                    "Best price"
                    if stage.is_won
                    else "Went with a competitor"
                    if stage.is_lost
                    else None
                ),
            }
        )

    def _visits(self, account_id: str, contact_id: str) -> None:
        """Up to three past visits, a month apart, the last some days to months ago."""
        g = self.draws
        last_visit_days_ago = g.pick((3, 10, 25, 45, 80, 150, 300))
        for k in range(g.weighted((0, 1, 2, 3), (2, 4, 3, 1))):
            outcome = g.pick(VISIT_OUTCOMES)
            start = g.when(-(last_visit_days_ago + 30 * k), g.between(8, 16))
            self.rows["visits"].append(
                {
                    "id": g.id(),
                    "account_id": account_id,
                    "contact_id": contact_id,
                    "planned_start": start,
                    "planned_end": start + timedelta(minutes=45),
                    "checkin_at": start + timedelta(minutes=g.between(-5, 10)),
                    "checkout_at": start + timedelta(minutes=g.between(20, 70)),
                    "outcome": outcome,
                    "notes": VISIT_NOTES[outcome],
                    "next_step": "Send quote" if outcome == "follow_up" else None,
                }
            )

    def _task(self, account_id: str, contact_id: str) -> None:
        """Mostly coming up, some due today, a few overdue (and some of those done)."""
        g = self.draws
        due_in = g.pick((-9, -3, -1, 0, 0, 1, 2, 3, 5, 7, 10, 14, 21))
        done = due_in < 0 and g.chance(0.6)
        self.rows["tasks"].append(
            {
                "id": g.id(),
                "title": g.pick(TASK_TITLES),
                "account_id": account_id,
                "contact_id": contact_id,
                "due_at": g.when(due_in, g.between(8, 17)),
                "priority": g.pick(TASK_PRIORITIES),
                "done": done,
                "done_at": g.when(due_in, 18) if done else None,
            }
        )

    def _note(self, account_id: str) -> None:
        g = self.draws
        self.rows["notes"].append(
            {"id": g.id(), "account_id": account_id, "body": g.pick(NOTE_BODIES)}
        )

    def _lead(self) -> None:
        g = self.draws
        first, last = g.person()
        town = g.pick(self.places)
        score = g.between(0, 100)
        self.rows["leads"].append(
            {
                "id": g.id(),
                "first_name": first,
                "last_name": last,
                "company": f"{g.pick(SURNAMES)} {g.pick(TRADES)[0]} GmbH",
                "email": f"{slug(first)}.{slug(last)}@example.de",
                "phone": g.phone(),
                "city": town.name,
                "postcode": town.postcode,
                "country": "Germany",
                "source": g.pick(LEAD_SOURCES),
                "status": g.pick(LEAD_STATUSES),
                "score": score,
                "rating": "hot" if score >= 70 else "warm" if score >= 40 else "cold",
            }
        )

    def plan_agenda(self) -> None:
        """The rep's agenda: five planned visits today, three on each of the next ten days."""
        g = self.draws
        agenda = [0] * 5 + [day for day in range(1, 11) for _ in range(3)]
        chosen = g.rng.sample(self.account_ids, min(len(agenda), len(self.account_ids)))
        for i, (days, account_id) in enumerate(zip(agenda, chosen, strict=False)):
            start = g.when(days, 8 + 2 * (i % 5))
            self.rows["visits"].append(
                {
                    "id": g.id(),
                    "account_id": account_id,
                    "planned_start": start,
                    "planned_end": start + timedelta(minutes=45),
                }
            )
