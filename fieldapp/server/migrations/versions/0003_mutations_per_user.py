"""applied_mutations keyed by (user, mutation id): one namespace per user.

A mutation id is made on a device; with one namespace for everyone, a user replaying
another user's id got that user's stored answer and their own change was dropped.

Revision ID: s0003
Revises: s0002
"""

from __future__ import annotations

from alembic import op

revision = "s0003"
down_revision = "s0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot change a primary key in place (the table is copied).
    with op.batch_alter_table("applied_mutations", recreate="always") as batch:
        batch.drop_constraint("pk_applied_mutations", type_="primary")
        batch.create_primary_key("pk_applied_mutations", ["user_id", "mutation_id"])


def downgrade() -> None:
    with op.batch_alter_table("applied_mutations", recreate="always") as batch:
        batch.drop_constraint("pk_applied_mutations", type_="primary")
        batch.create_primary_key("pk_applied_mutations", ["mutation_id"])
