"""The words a demo territory is made of: names, trades, streets, notes.

German, because the demo territory is around Cologne (see :mod:`.demo_towns`).
"""

from __future__ import annotations

import functools

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
NOTE_BODIES = (
    "Prefers visits in the morning.",
    "Budget is set in October.",
    "Parking behind the building.",
    "Asked about the new catalogue.",
)
CONTACT_TITLES = ("Owner", "Purchasing", "Office manager", "CEO")
TASK_PRIORITIES = ("low", "normal", "normal", "high")
LEAD_STATUSES = ("new", "contacted", "qualified")

_SPELLED_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


@functools.cache  # a few hundred names, each slugged thousands of times
def slug(text: str) -> str:
    """``text`` as it would appear in a domain or mail address: "Müller Bau" -> "muellerbau"."""
    return "".join(ch for ch in text.lower().translate(_SPELLED_OUT) if ch.isalnum())
