"""Refused changes, lead territories and the sync history.

- ``outbox.state`` "rejected" becomes "refused" (the server's reason stays in
  ``error``) and ``outbox.refused_at`` says when the server refused it: a refused change
  waits, visible, for a person to fix and resend or discard it.
- ``leads.territory_id``: a lead whose address lies in a territory is seen by that
  territory's reps (and their manager), not only by its owner.
- ``sync_history``: one row per sync run (when, counts, error), for ``fieldapp sync
  --history`` and the app's Sync screen.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, no default): SQLite changes only the schema text.
    op.add_column("outbox", sa.Column("refused_at", sa.DateTime))
    op.execute(
        "UPDATE outbox SET state = 'refused', refused_at = created_at WHERE state = 'rejected'"
    )
    op.add_column("leads", sa.Column("territory_id", sa.String(36)))
    op.create_index("ix_leads_territory_id", "leads", ["territory_id"])
    op.create_table(
        "sync_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("started_at", sa.String(40), nullable=False),
        sa.Column("finished_at", sa.String(40), nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("sentences", sa.JSON, nullable=False),
        sa.Column("error", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("sync_history")
    op.drop_index("ix_leads_territory_id", "leads")
    op.drop_column("leads", "territory_id")
    op.execute("UPDATE outbox SET state = 'rejected' WHERE state = 'refused'")
    op.drop_column("outbox", "refused_at")
