"""What each entity's writable fields accept: the declarations of :mod:`fieldapp.domain.fields`.

They moved to ``fieldapp.domain`` so that the central server checks records by the
same rules; the store's call sites (services, the CLI, the GUI's forms) keep
importing them from here.
"""

from __future__ import annotations

from fieldapp.domain.cleaning import check_record, clean, row_cleaner
from fieldapp.domain.fields import (
    BOOKKEEPING,
    SPECS,
    SYSTEM,
    Field,
    Parser,
    entity_fields,
    max_lengths,
    referenced_entity,
    references,
    required_fields,
)
from fieldapp.domain.parse import default_phone_region

__all__ = [
    "BOOKKEEPING",
    "SPECS",
    "SYSTEM",
    "Field",
    "Parser",
    "check_record",
    "clean",
    "default_phone_region",
    "entity_fields",
    "max_lengths",
    "referenced_entity",
    "references",
    "required_fields",
    "row_cleaner",
]
