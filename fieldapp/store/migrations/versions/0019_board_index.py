"""The pipeline board's index: each stage's deals in display order.

``ix_opportunities_board`` holds every live deal by stage, then biggest first (then
by name and id, the board's order), then what the column headers sum and the filters
test. Opening the board reads the first cards of each column as a short walk from
its stage's start, the headers' grouped totals and the full id lists as one walk of
the index without touching the table: at 50k deals the first screenful no longer
waits for every id to be read and sorted.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# store/tables.py declares the same index (tests/store/test_board_index.py compares).
COLUMNS = (
    "stage, coalesce(amount, 0) DESC, name, id, currency, probability, close_date, "
    "updated_at, owner_id"
)


def upgrade() -> None:
    op.execute(
        f"CREATE INDEX IF NOT EXISTS ix_opportunities_board ON opportunities ({COLUMNS}) "
        "WHERE deleted_at IS NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_opportunities_board")
