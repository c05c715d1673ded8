"""Server schema: users, tokens, assignments, records, conflicts, applied mutations.

Revision ID: s0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "counters",
        sa.Column("name", sa.String(20), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(
        sa.table("counters", sa.column("name", sa.String), sa.column("value", sa.BigInteger)),
        [{"name": "seq", "value": 0}, {"name": "scope", "value": 0}],
    )
    op.create_table(
        "auth_users",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("username", sa.String(80), nullable=False, unique=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("manager_id", sa.String(36)),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        sa.Column("last_failed_at", TZ),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("auth_users.id"), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("revoked_at", TZ),
    )
    op.create_index("ix_tokens_user_id", "tokens", ["user_id"])
    op.create_table(
        "assignments",
        sa.Column("territory_id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("auth_users.id"), primary_key=True),
    )
    op.create_table(
        "records",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False, unique=True),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("account_id", sa.String(36)),
        sa.Column("territory_id", sa.String(36)),
        sa.Column("owner_id", sa.String(36)),
    )
    op.create_index("ix_records_account", "records", ["account_id"])
    op.create_index("ix_records_entity_territory", "records", ["entity", "territory_id"])
    op.create_table(
        "conflicts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("row_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("field", sa.String(80)),
        sa.Column("base", sa.Text, nullable=False),
        sa.Column("mine", sa.Text, nullable=False),
        sa.Column("theirs", sa.Text, nullable=False),
        sa.Column("user_id", sa.String(36)),
        sa.Column("mutation_id", sa.String(36)),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("resolved_at", TZ),
        sa.Column("resolution", sa.String(8)),
    )
    op.create_index("ix_conflicts_seq", "conflicts", ["seq"])
    op.create_index("ix_conflicts_row_id", "conflicts", ["row_id"])
    op.create_table(
        "applied_mutations",
        sa.Column("mutation_id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("applied_at", TZ, nullable=False),
    )
    op.create_table(
        "scope_exits",
        sa.Column("account_id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(36), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True),
    )


def downgrade() -> None:
    for table in (
        "scope_exits",
        "applied_mutations",
        "conflicts",
        "records",
        "assignments",
        "tokens",
        "auth_users",
        "counters",
    ):
        op.drop_table(table)
