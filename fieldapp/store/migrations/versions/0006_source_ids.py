"""The CRM's own record id on imported accounts, contacts, leads and opportunities.

A re-import of a Salesforce, HubSpot or Dynamics export finds the record it made the
first time by this id and updates it instead of adding a duplicate. Indexed: an
import looks up every row's id.

Revision ID: 0006
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = ("accounts", "contacts", "leads", "opportunities")


def upgrade() -> None:
    for table in TABLES:
        # A plain ADD COLUMN: the table is not rebuilt, so its search triggers stay.
        op.add_column(table, sa.Column("source_id", sa.String(64), nullable=True))
        op.create_index(f"ix_{table}_source_id", table, ["source_id"])


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_source_id", table_name=table)
        op.drop_column(table, "source_id")
