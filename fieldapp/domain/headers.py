"""Which field a CSV column fills: header names as Salesforce, HubSpot and Dynamics write them.

Headers are compared normalised ("Billing Zip/Postal Code" → "billing zip postal code",
"Address 1: City" → "address 1 city"). For each field the aliases are listed best
first: a file with both "Billing Street" and "Shipping Street" fills ``street`` from
the billing address (the one reps visit), whatever the column order.

Besides an entity's fields a column can fill:

- ``id``: fieldapp's own record id. Only a header spelt exactly ``id`` (what
  ``fieldapp export`` writes) means that; Salesforce's ``Id``/``ID`` is the CRM's
  record id and goes to ``source_id``, like "Account ID", HubSpot's "Record ID" and
  Dynamics' "(Do Not Modify) Account".
- ``account`` and ``account_name`` (contacts and opportunities): the account a row
  belongs to, by its id (fieldapp's or the CRM's) or by its name.
"""

from __future__ import annotations

from fieldapp.domain import values
from fieldapp.domain.fields import SPECS
from fieldapp.domain.picklists import normalise
from fieldapp.errors import FieldappError

ID = "id"
IGNORE = "-"  # `--map "Column=-"` drops a column
LINKS = {"contacts": ("account", "account_name"), "opportunities": ("account", "account_name")}

_FIRST = ("first name", "given name", "firstname")
_LAST = ("last name", "surname", "family name", "lastname")
_EMAIL = ("email", "e mail", "email address", "email address 1")
_TITLE = ("title", "job title", "position")
_DESCRIPTION = ("description", "notes")
_COUNTRY = ("country", "country region", "address 1 country region")

ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "accounts": {
        "source_id": (
            "account id", "record id", "company id", "do not modify account",
            "salesforce id", "hubspot company id", "crm id", "external id",
        ),
        "name": ("account name", "company name", "company", "organization", "organisation"),
        "type": ("type", "account type", "company type", "relationship type", "lifecycle stage"),
        "phone": (
            "phone", "account phone", "main phone", "phone number", "company phone",
            "business phone", "telephone",
        ),
        "email": ("email", "account email", "e mail", "email address"),
        "website": ("website", "website url", "web site", "url", "company domain name", "domain"),
        "street": (
            "billing street", "billing address", "street address", "street", "address 1 street 1",
            "address", "address line 1", "street 1", "shipping street",
        ),
        "city": ("billing city", "city", "address 1 city", "town", "shipping city"),
        "region": (
            "billing state province", "state region", "state province", "state",
            "address 1 state province", "province", "region", "shipping state province",
        ),
        "postcode": (
            "billing zip postal code", "zip postal code", "postal code", "zip code", "zip",
            "postcode", "post code", "address 1 zip postal code", "shipping zip postal code",
        ),
        "country": ("billing country", *_COUNTRY, "shipping country"),
        "latitude": ("billing latitude", "latitude", "lat", "address 1 latitude",
                     "shipping latitude"),
        "longitude": ("billing longitude", "longitude", "lon", "lng", "long",
                      "address 1 longitude", "shipping longitude"),
        "status": ("status", "account status"),
        "tags": ("tags", "labels", "keywords"),
        "description": ("description", "about us", "account description", "notes"),
    },
    "contacts": {
        "source_id": (
            "contact id", "record id", "do not modify contact", "salesforce id",
            "hubspot contact id", "crm id", "external id",
        ),
        "account": ("account id", "company id", "associated company id", "parent account id"),
        "account_name": (
            "account name", "company name", "associated company", "company", "account",
            "organization", "organisation",
        ),
        "first_name": _FIRST,
        "last_name": _LAST,
        "title": _TITLE,
        "email": _EMAIL,
        "phone": ("phone", "business phone", "phone number", "work phone", "telephone"),
        "mobile": ("mobile", "mobile phone", "mobile phone number", "cell phone"),
        "street": ("mailing street", "street address", "street", "address 1 street 1", "address"),
        "city": ("mailing city", "city", "address 1 city"),
        "postcode": (
            "mailing zip postal code", "postal code", "zip postal code", "zip", "zip code",
            "postcode", "post code", "address 1 zip postal code",
        ),
        "country": ("mailing country", *_COUNTRY),
        "description": _DESCRIPTION,
    },
    "leads": {
        "source_id": (
            "lead id", "record id", "do not modify lead", "salesforce id", "crm id",
            "external id",
        ),
        "first_name": _FIRST,
        "last_name": _LAST,
        "company": ("company", "company account", "company name", "account name", "organization"),
        "title": _TITLE,
        "email": _EMAIL,
        "phone": ("phone", "business phone", "phone number", "telephone", "mobile phone"),
        "street": ("street", "street address", "address 1 street 1", "address"),
        "city": ("city", "address 1 city"),
        "postcode": (
            "zip postal code", "postal code", "zip", "zip code", "postcode", "post code",
            "address 1 zip postal code",
        ),
        "country": _COUNTRY,
        "source": ("lead source", "source", "original source", "original source type"),
        "status": ("lead status", "status", "status reason"),
        "score": ("score", "lead score", "hubspot score"),
        "rating": ("rating", "lead rating"),
        "description": _DESCRIPTION,
    },
    "opportunities": {
        "source_id": (
            "opportunity id", "deal id", "record id", "do not modify opportunity",
            "salesforce id", "crm id", "external id",
        ),
        "account": ("account id", "company id", "associated company id"),
        "account_name": (
            "account name", "company name", "associated company", "potential customer",
            "company", "account",
        ),
        "name": ("opportunity name", "deal name", "topic", "name"),
        "stage": ("stage", "deal stage", "sales stage", "pipeline phase", "opportunity stage"),
        "amount": ("amount", "deal amount", "est revenue", "estimated revenue", "value"),
        "currency": ("currency", "opportunity currency", "currency code", "deal currency code"),
        "probability": ("probability", "deal probability", "probability percent"),
        "close_date": ("close date", "est close date", "estimated close date",
                       "expected close date"),
        "won_lost_reason": (
            "loss reason", "closed lost reason", "closed won reason", "win loss reason",
            "reason lost", "close reason",
        ),
        "description": _DESCRIPTION,
    },
}  # fmt: skip
IMPORTABLE = values.IMPORTABLE  # ALIASES has a table for each (a test checks it)


def targets(entity: str) -> tuple[str, ...]:
    """What a column of an ``entity`` file can fill: ``id``, the fields, the links."""
    return (ID, *SPECS[entity], *LINKS.get(entity, ()))


def _alias_rank(entity: str) -> dict[str, tuple[str, int]]:
    """normalised header -> (target, rank); rank 0 is the field's own name."""
    rank: dict[str, tuple[str, int]] = {}
    for target in targets(entity):
        rank.setdefault(normalise(target), (target, 0))
    for target, aliases in ALIASES[entity].items():
        for i, alias in enumerate(aliases, 1):
            rank.setdefault(alias, (target, i))
    return rank


_RANKS = {entity: _alias_rank(entity) for entity in IMPORTABLE}


def automatic_target(entity: str, column: str) -> tuple[str, int] | None:
    """The target a column named ``column`` fills by itself, with its rank (lower wins)."""
    if column == ID:
        return ID, 0
    key = normalise(column)
    if key == ID:  # "Id", "ID": a CRM's own record id
        return "source_id", 0
    return _RANKS[entity].get(key)


def map_columns(
    entity: str, header: list[str], overrides: dict[str, str] | None = None
) -> tuple[dict[int, str], dict[str, str], list[str]]:
    """Decide which target each column fills.

    Returns (column index → target, column name → target, ignored column names).
    ``--map`` overrides come first; then for each target the column with the best
    alias rank (the first of equals) wins, and the others are ignored and reported.
    """
    overrides = overrides or {}
    allowed = targets(entity)
    unknown = [column for column in overrides if column not in header]
    if unknown:
        raise FieldappError(
            f"--map names a column that is not in the file: {', '.join(unknown)} "
            f"(columns: {', '.join(header)})"
        )
    bad = [f for f in overrides.values() if f != IGNORE and f not in allowed]
    if bad:
        raise FieldappError(
            f"--map names an unknown field: {', '.join(bad)} (fields: {', '.join(allowed)})"
        )
    best: dict[str, tuple[int, int]] = {}  # target -> (rank, column index)
    for i, column in enumerate(header):
        if column in overrides:
            target, rank = overrides[column], -1
        else:
            found = automatic_target(entity, column) if column else None
            if found is None:
                continue
            target, rank = found
        if target == IGNORE:
            continue
        if target not in best or (rank, i) < best[target]:
            best[target] = (rank, i)
    by_index = dict(sorted((i, target) for target, (_rank, i) in best.items()))
    column_map = {header[i]: target for i, target in by_index.items()}
    unmapped = [column for i, column in enumerate(header) if i not in by_index and column]
    return by_index, column_map, unmapped
