"""Every territory's reps, as the server last said (fieldapp.sync.team).

``territory_reps`` (territory id, user id): replaced whole from each pull that carries a
change of who-sees-what, so the app can name whose territory an account went to
("moved to Ben's territory") and show a territory's reps.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "territory_reps",
        sa.Column("territory_id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(36), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("territory_reps")
