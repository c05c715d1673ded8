"""The benchmark replica: accounts with addresses, and visits to a fifth of them."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path
from typing import Any

SYLLABLES = ["ka", "lo", "mi", "ber", "stein", "ro", "hau", "sen", "tal", "bach", "wer", "ke"]
KINDS = ["GmbH", "AG", "Handel", "Bau", "Logistik", "Technik", "Markt", "Apotheke", "KG"]
CITIES = [
    ("Köln", "50667"),
    ("Bonn", "53111"),
    ("Düsseldorf", "40213"),
    ("Aachen", "52062"),
    ("Essen", "45127"),
    ("München", "80331"),
    ("Hamburg", "20095"),
    ("Berlin", "10115"),
]


def build(data_dir: Path, accounts: int, seed: int = 1) -> None:
    from fieldapp.store import services
    from fieldapp.store.db import open_replica
    from fieldapp.store.types import utcnow

    rng = random.Random(seed)
    replica = open_replica(data_dir)
    try:
        with replica.read_session() as s:
            if services.count(s, "accounts") >= accounts:
                return
        now = utcnow()
        chunk = 20_000
        ids: list[str] = []
        for start in range(0, accounts, chunk):
            rows: list[dict[str, Any]] = []
            for i in range(start, min(start + chunk, accounts)):
                city, postcode = rng.choice(CITIES)
                word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
                rows.append(
                    {
                        "name": f"{word.capitalize()} {rng.choice(KINDS)} {i}",
                        "type": rng.choice(["customer", "prospect", "partner"]),
                        "status": "active",
                        "city": city,
                        "postcode": postcode,
                        "country": "Germany",
                        "street": f"Hauptstraße {rng.randint(1, 300)}",
                        "tags": rng.choice([None, "vip", "retail", "key account"]),
                    }
                )
            with replica.session() as s:
                ids += services.bulk_create(s, "accounts", rows)
        visits = [
            {
                "account_id": rng.choice(ids),
                "checkin_at": now - timedelta(days=rng.randint(1, 400)),
                "outcome": "successful",
            }
            for _ in range(accounts // 5)
        ]
        with replica.session() as s:
            services.bulk_create(s, "visits", visits)
    finally:
        replica.close()


def locate(session: Any) -> None:
    """Give nine accounts in ten a pin spread over the Rhineland, once.

    The benchmark's accounts have addresses only. A benchmark fixture, so written
    without outbox entries; ``updated_at`` moves, as an edit's would.
    """
    from sqlalchemy import text

    if not session.execute(text("SELECT 1 FROM accounts WHERE latitude IS NOT NULL")).first():
        session.execute(
            text(
                "UPDATE accounts SET latitude = 50.3 + (abs(random()) % 100000) / 100000.0,"
                " longitude = 6.4 + (abs(random()) % 150000) / 100000.0,"
                " updated_at = CURRENT_TIMESTAMP WHERE rowid % 10 != 0"
            )
        )
