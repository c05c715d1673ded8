"""Values in wire form: what JSON carries for a column value, on both sides of sync."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any


def to_wire(value: Any) -> Any:
    """A JSON-safe form of a value (for the outbox, the server's documents, ``--json``).

    ISO 8601 strings for dates and times, decimal strings for money, plain JSON otherwise.
    """
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
