"""Records in and out of CSV, surviving what real CRM exports look like.

Import (:mod:`fieldapp.store.csv_import`) streams a Salesforce, HubSpot or Dynamics
export through the rules the server shares (:mod:`fieldapp.domain.imports`) and
updates the records a re-import matches instead of duplicating them; export
(:mod:`fieldapp.store.csv_export`) writes every entity, whole or a selection, with
formula cells escaped. This module is the one the command line and the app call.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from sqlalchemy.orm import Session

from fieldapp.domain.report import ImportReport, RowError, UnknownValue
from fieldapp.store.csv_export import EXPORTABLE, Selection, columns, export_records, read_ids
from fieldapp.store.csv_import import IMPORTABLE, import_file

ACCOUNT_FIELDS = columns("accounts")

__all__ = [
    "ACCOUNT_FIELDS",
    "EXPORTABLE",
    "IMPORTABLE",
    "ImportReport",
    "RowError",
    "Selection",
    "UnknownValue",
    "export_accounts",
    "export_records",
    "import_accounts",
    "import_file",
    "read_ids",
]


def import_accounts(
    session: Session,
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    mapping: dict[str, str] | None = None,
    value_maps: Iterable[str] = (),
    dry_run: bool = False,
    skip_invalid: bool = False,
) -> ImportReport:
    """:func:`import_file` for accounts."""
    return import_file(
        session,
        "accounts",
        path,
        encoding=encoding,
        mapping=mapping,
        value_maps=value_maps,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
    )


def export_accounts(session: Session, path: str | os.PathLike[str]) -> int:
    """Every live account to ``path`` (see :func:`export_records`)."""
    return export_records(session, "accounts", path)
