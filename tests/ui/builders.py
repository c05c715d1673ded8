"""Demo-like records for the GUI tests, written through the store's services."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fieldapp.store import services
from fieldapp.store.db import Replica
from fieldapp.store.types import utcnow

CITIES = [
    ("Köln", "50667", 50.94, 6.96),
    ("Bonn", "53111", 50.73, 7.10),
    ("Düsseldorf", "40213", 51.23, 6.78),
    ("Aachen", "52062", 50.78, 6.08),
    ("Essen", "45127", 51.46, 7.01),
    ("Leverkusen", "51373", 51.03, 6.98),
]
PREFIXES = ["Acme", "Rhein", "Nord", "Bauer", "Kessler", "Linde", "Vogel", "Sonnen", "Alpen"]
SUFFIXES = ["GmbH", "AG", "Handel", "Bau", "Logistik", "Technik", "Markt", "Apotheke"]
INDUSTRIES = ["Retail", "Construction", "Healthcare", "Logistics", "Manufacturing"]
TAGS = ["vip", "retail", "key account", "new", "wholesale"]
FIRST = ["Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hans", "Ines", "Jonas"]
LAST = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker"]


def account_rows(n: int, seed: int = 1, territory_id: str | None = None) -> list[dict[str, Any]]:
    """Cleaned account rows for :func:`services.bulk_create`."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        city, postcode, lat, lon = rng.choice(CITIES)
        name = f"{rng.choice(PREFIXES)} {rng.choice(SUFFIXES)} {i + 1}"
        rows.append(
            {
                "name": name,
                "type": rng.choice(["customer", "customer", "prospect", "partner"]),
                "status": "active" if rng.random() < 0.9 else "inactive",
                "industry": rng.choice(INDUSTRIES),
                "phone": f"+49 221 {rng.randint(100000, 999999)}",
                "street": f"Hauptstraße {rng.randint(1, 200)}",
                "city": city,
                "postcode": postcode,
                "country": "Germany",
                "latitude": round(lat + rng.uniform(-0.05, 0.05), 5),
                "longitude": round(lon + rng.uniform(-0.05, 0.05), 5),
                "tags": ",".join(sorted(set(rng.sample(TAGS, rng.randint(0, 2))))) or None,
                "territory_id": territory_id,
            }
        )
    return rows


@dataclass
class Demo:
    accounts: list[str]
    territory_id: str
    leads: list[str] = field(default_factory=list)
    opportunities: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)


def fill(replica: Replica, accounts: int = 40, seed: int = 1) -> Demo:
    rng = random.Random(seed)
    now = utcnow().replace(microsecond=0)
    local_noon = datetime.now().astimezone().replace(hour=12, minute=0, second=0, microsecond=0)
    end_of_day = (local_noon + timedelta(hours=12)).astimezone(UTC)
    with replica.session() as s:
        territory = services.create(s, "territories", {"name": "Rheinland"})
        ids = services.bulk_create(s, "accounts", account_rows(accounts, seed, territory))
        demo = Demo(ids, territory)
        contact_rows = []
        for aid in ids[: max(1, accounts // 2)]:
            for _ in range(rng.randint(1, 2)):
                contact_rows.append(
                    {
                        "account_id": aid,
                        "first_name": rng.choice(FIRST),
                        "last_name": rng.choice(LAST),
                        "title": rng.choice(["Buyer", "Owner", "Store manager", "CFO"]),
                        "email": f"contact{len(contact_rows)}@example.com",
                    }
                )
        services.bulk_create(s, "contacts", contact_rows)
        stages = [st.name for st in services.pipeline(s)]
        for i in range(min(accounts, 24)):
            demo.opportunities.append(
                services.create(
                    s,
                    "opportunities",
                    {
                        "account_id": ids[i],
                        "name": f"{rng.choice(['Rollout', 'Renewal', 'Upgrade', 'Pilot'])} {i + 1}",
                        "stage": stages[i % len(stages)],
                        "amount": str(rng.randint(5, 120) * 1000),
                    },
                )
            )
        for i in range(min(accounts, 30)):
            when = now - timedelta(days=rng.randint(1, 90), hours=rng.randint(0, 8))
            services.log_visit(
                s,
                ids[i],
                outcome=rng.choice(["successful", "follow_up", "no_decision"]),
                notes=rng.choice(["Discussed new range", "Met the buyer", "Left samples"]),
                checkin_at=when,
                checkout_at=when + timedelta(minutes=40),
            )
        for i in range(min(accounts, 4)):
            services.create(
                s,
                "visits",
                {
                    "account_id": ids[-1 - i],
                    "planned_start": (local_noon + timedelta(hours=i - 3)).astimezone(UTC),
                    "planned_end": (local_noon + timedelta(hours=i - 2)).astimezone(UTC),
                },
            )
        task_plan = [
            ("Send price list", -timedelta(days=2)),
            ("Call back about delivery", -timedelta(hours=3)),
            # Later today, whatever the hour the tests run at.
            ("Prepare quarterly review", min(timedelta(hours=2), (end_of_day - now) / 2)),
            ("Order samples", timedelta(days=3)),
            ("Renewal reminder", timedelta(days=10)),
        ]
        for i, (title, delta) in enumerate(task_plan):
            demo.tasks.append(
                services.create(
                    s,
                    "tasks",
                    {"title": title, "account_id": ids[i % len(ids)], "due_at": now + delta},
                )
            )
        for i in range(min(accounts, 10)):
            services.create(
                s, "notes", {"body": f"Note {i + 1}: asked about Q3 prices", "account_id": ids[i]}
            )
        for i in range(12):
            demo.leads.append(
                services.create(
                    s,
                    "leads",
                    {
                        "first_name": rng.choice(FIRST),
                        "last_name": rng.choice(LAST),
                        "company": f"{rng.choice(PREFIXES)} Lead {i + 1}",
                        "email": f"lead{i}@example.org",
                        "city": rng.choice(CITIES)[0],
                        "rating": rng.choice(["hot", "warm", "cold"]),
                        "score": rng.randint(5, 95),
                    },
                )
            )
    return demo
