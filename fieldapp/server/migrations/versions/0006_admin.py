"""Users can be deactivated; the admin audit trail; versioned assignment proposals.

Revision ID: s0006
Revises: s0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0006"
down_revision = "s0005"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
SERIAL = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("auth_users") as batch:
        batch.add_column(sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("deactivated_at", TZ))
    op.create_table(
        "admin_audit",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("at", TZ, nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("target", sa.String(200)),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
    )
    op.create_index("ix_admin_audit_at", "admin_audit", ["at"])
    op.create_table(
        "proposals",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("territory_id", sa.String(36)),
        sa.Column("reps", sa.Text),
        sa.Column("accounts", sa.Text),
        sa.Column("rollback_to", sa.Integer),
        sa.Column("note", sa.Text),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("applied_by", sa.String(80)),
        sa.Column("applied_at", TZ),
        sa.Column("changes", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("proposals")
    op.drop_index("ix_admin_audit_at", "admin_audit")
    op.drop_table("admin_audit")
    with op.batch_alter_table("auth_users") as batch:
        batch.drop_column("deactivated_at")
        batch.drop_column("active")
