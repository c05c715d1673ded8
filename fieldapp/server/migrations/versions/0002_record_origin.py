"""records.origin: the client whose copy equals the record's current version.

Revision ID: s0002
Revises: s0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0002"
down_revision = "s0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("origin", sa.String(36)))


def downgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.drop_column("origin")
