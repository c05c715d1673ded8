"""Pulled records the replica could not store, kept aside with the reason.

``sync_quarantine`` (fieldapp.sync.quarantine): a record from the server that cannot be
written (a bad value, a missing required field) is kept here instead of stopping every
sync, and named in the sync report.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_quarantine",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("row_id", sa.Text, nullable=False),
        sa.Column("version", sa.BigInteger),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("received_at", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sync_quarantine")
