"""Indexes the reports need on a manager's replica (1M visits).

``ix_visits_done`` holds what a visit report reads of each visit done, in check-in
order: a period is one range of the index, read without touching the table (with
the plain check-in index every visit in the period was a random table read: a
month of 40k visits took ~250 ms of CPU instead of ~50). It is partial: tombstoned
visits and planned visits without a check-in are not in it. (An account's last visit,
for coverage over 100k accounts, is one seek of ``ix_visits_account_checkin``, which
the visit plans' migration creates.)

The activity feed takes the newest notes, completed tasks and changed deals: with
an index on each one's time that is a short walk back from the end, not a scan and
sort of every note (200k on such a replica).

Revision ID: 0008
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None

DONE = "deleted_at IS NULL AND checkin_at IS NOT NULL"


# name -> (table, columns, condition); the models declare the same (a test compares).
INDEXES = {
    "ix_visits_done": ("visits", "checkin_at, owner_id, outcome, checkout_at, account_id", DONE),
    "ix_notes_created_at": ("notes", "created_at", "deleted_at IS NULL"),
    "ix_tasks_done_at": ("tasks", "done_at", "deleted_at IS NULL AND done_at IS NOT NULL"),
    "ix_opportunities_updated_at": ("opportunities", "updated_at", "deleted_at IS NULL"),
}


def upgrade() -> None:
    for name, (table, columns, where) in INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns}) WHERE {where}")


def downgrade() -> None:
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
