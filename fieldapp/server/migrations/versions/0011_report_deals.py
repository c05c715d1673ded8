"""Report table of deals: stage, amount in cents, currency, dates, reason; back-filled.

The pipeline, forecast and won/lost reports on the server read it (server/reporting/
deals.py); the records' one writer keeps it in step from here on.

Revision ID: s0011
Revises: s0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "s0011"
down_revision = "s0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_deals",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(36)),
        sa.Column("owner_id", sa.String(36)),
        sa.Column("stage", sa.Text),
        sa.Column("cents", sa.BigInteger),
        sa.Column("currency", sa.String(3)),
        sa.Column("probability", sa.Integer),
        sa.Column("close_date", sa.String(10)),
        sa.Column("changed_at", sa.DateTime(timezone=True)),
        sa.Column("reason", sa.Text),
    )
    from fieldapp.server.reporting import rows

    # A savepoint the session releases, never the migration's own transaction.
    with Session(bind=op.get_bind(), join_transaction_mode="create_savepoint") as session:
        rows.backfill(session, ("opportunities",))
        session.commit()
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ANALYZE report_deals")


def downgrade() -> None:
    op.drop_table("report_deals")
