"""The report visits' period index holds every column a visit report reads.

With (check-in, owner, account) only, each visit of a period was a table read, and the
visits lie in the table in the order they were written (by account, for an import or
the back-fill), so a month of 1M visits was ~80k random page reads. Holding minutes and
outcome too, a period is one range of the index (PostgreSQL: an index-only scan once
the table is vacuumed; SQLite: a covering index).

Revision ID: s0010
Revises: s0009
"""

from __future__ import annotations

from alembic import op

revision = "s0010"
down_revision = "s0009"
branch_labels = None
depends_on = None

DONE = ["checkin_at", "owner_id", "account_id", "minutes", "outcome"]


def upgrade() -> None:
    op.drop_index("ix_report_visits_checkin", "report_visits")
    op.create_index("ix_report_visits_done", "report_visits", DONE)


def downgrade() -> None:
    op.drop_index("ix_report_visits_done", "report_visits")
    op.create_index(
        "ix_report_visits_checkin", "report_visits", ["checkin_at", "owner_id", "account_id"]
    )
