"""Report tables: accounts' and visits' figures in typed columns, back-filled.

Reports on the server (``GET /reports/{kind}``) read these instead of parsing every
record's JSON document (server/reporting/tables.py). The back-fill reads every account
and visit once; from then on the records' one writer keeps the tables in step.

Revision ID: s0009
Revises: s0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "s0009"
down_revision = "s0008"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "report_accounts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("territory_id", sa.String(36)),
        sa.Column("owner_id", sa.String(36)),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("frequency_days", sa.Integer),
        sa.Column("last_visit_at", WHEN),
    )
    op.create_index("ix_report_accounts_scope", "report_accounts", ["territory_id", "owner_id"])
    op.create_table(
        "report_visits",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(36)),
        sa.Column("owner_id", sa.String(36)),
        sa.Column("checkin_at", WHEN, nullable=False),
        sa.Column("minutes", sa.Float),
        sa.Column("outcome", sa.String(40)),
    )
    op.create_index(
        "ix_report_visits_checkin", "report_visits", ["checkin_at", "owner_id", "account_id"]
    )
    op.create_index("ix_report_visits_account", "report_visits", ["account_id", "checkin_at"])
    # The code that keeps the tables fills them: one definition of each row.
    from fieldapp.server.reporting import rows

    # Inside the migration's transaction: a savepoint the session releases, never the
    # migration's own (a plain session on the connection would roll it back on close).
    with Session(bind=op.get_bind(), join_transaction_mode="create_savepoint") as session:
        rows.backfill(session)
        session.commit()
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ANALYZE report_accounts")
        op.execute("ANALYZE report_visits")


def downgrade() -> None:
    op.drop_table("report_visits")
    op.drop_table("report_accounts")
