"""records.origin (the client whose copy equals the current version); territory index.

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
    op.create_index("ix_records_territory", "records", ["territory_id"])
    # Records hanging off an account now carry its territory (the scope filter uses it).
    op.execute(
        "UPDATE records SET territory_id = (SELECT a.territory_id FROM records a "
        "WHERE a.id = records.account_id) "
        "WHERE entity <> 'accounts' AND account_id IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_records_territory", "records")
    with op.batch_alter_table("records") as batch:
        batch.drop_column("origin")
