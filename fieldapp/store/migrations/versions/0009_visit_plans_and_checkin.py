"""Visit plans per account and check-in verification.

- ``accounts.visit_frequency_days``: visit every N days (NULL: the default of 90 days
  for "due for a visit"; see fieldapp.domain.visits).
- ``visits.checkin_distance_m`` and ``visits.checkin_flag``: how far a check-in's fix
  lay from the account's pin, and the verdict (ok, far, no_fix, no_location).
- ``ix_visits_account_checkin`` (account_id, deleted_at, checkin_at): an account's
  last visit in one seek of the index, without reading the row.

Existing rows keep NULL in the new columns: visits checked in before this release
were never measured, and say nothing rather than "no fix".

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, no default): SQLite changes only the schema text,
    # however many rows the tables hold.
    op.add_column("accounts", sa.Column("visit_frequency_days", sa.Integer))
    op.add_column("visits", sa.Column("checkin_distance_m", sa.Float))
    op.add_column("visits", sa.Column("checkin_flag", sa.String(16)))
    op.create_index(
        "ix_visits_account_checkin", "visits", ["account_id", "deleted_at", "checkin_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_visits_account_checkin", "visits")
    op.drop_column("visits", "checkin_flag")
    op.drop_column("visits", "checkin_distance_m")
    op.drop_column("accounts", "visit_frequency_days")
