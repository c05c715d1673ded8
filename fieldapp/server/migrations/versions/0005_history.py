"""history: the audit trail (append-only, hash-chained) and its counter; erasures.

Changes applied before this revision were not recorded; the chain starts empty.

Revision ID: s0005
Revises: s0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0005"
down_revision = "s0004"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "history",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("user_id", sa.String(36)),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("device", sa.String(36)),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("op", sa.String(10), nullable=False),
        sa.Column("version", sa.BigInteger),
        sa.Column("changes", sa.Text),
        sa.Column("salt", sa.String(32)),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("redacted_at", TZ),
    )
    op.create_index("ix_history_record", "history", ["entity", "record_id", "seq"])
    op.create_table(
        "erasures",
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("erased_at", TZ, nullable=False),
        sa.Column("erased_by", sa.String(36), nullable=False),
    )
    op.create_index("ix_erasures_seq", "erasures", ["seq"])
    op.bulk_insert(
        sa.table("counters", sa.column("name", sa.String), sa.column("value", sa.BigInteger)),
        [{"name": "history", "value": 0}],
    )


def downgrade() -> None:
    op.execute("DELETE FROM counters WHERE name = 'history'")
    op.drop_index("ix_erasures_seq", "erasures")
    op.drop_table("erasures")
    op.drop_index("ix_history_record", "history")
    op.drop_table("history")
