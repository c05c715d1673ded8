"""Sync bookkeeping on the client: cursor / checkpoints and conflicts from the server.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Key/value: server URL, user, cursor (the checkpoint after each applied chunk),
    # scope sequence, client id.
    op.create_table(
        "sync_state",
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "sync_conflicts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("row_id", sa.String(36), nullable=False, index=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("field", sa.String(80)),
        sa.Column("base", sa.JSON),
        sa.Column("mine", sa.JSON),
        sa.Column("theirs", sa.JSON),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("resolved_at", sa.String(40)),
        sa.Column("resolution", sa.String(8)),
    )


def downgrade() -> None:
    op.drop_table("sync_conflicts")
    op.drop_table("sync_state")
