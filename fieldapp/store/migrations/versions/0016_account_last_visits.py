"""Each account's last visit, kept by triggers on visits (fieldapp.store.last_visits).

The coverage report and the due-for-a-visit list read it for every account instead
of searching the visits once per account. Filled from the visits here: one pass
over ``ix_visits_account_checkin``.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# Keeping the latest check-in: a visit done (new, checked in, restored, or checked in
# later than before) can only raise its account's; anything else that changes a
# visit's check-in, account or tombstone makes its accounts' be worked out again.
_RAISE = (
    "INSERT INTO account_last_visits (account_id, checkin_at) "
    "VALUES (new.account_id, new.checkin_at) "
    "ON CONFLICT (account_id) DO UPDATE SET checkin_at = excluded.checkin_at "
    "WHERE excluded.checkin_at > account_last_visits.checkin_at;"
)
_RECOMPUTE = (
    "DELETE FROM account_last_visits WHERE account_id IN ({ids}); "
    "INSERT INTO account_last_visits (account_id, checkin_at) "
    "SELECT account_id, max(checkin_at) FROM visits "
    "WHERE account_id IN ({ids}) AND deleted_at IS NULL AND checkin_at IS NOT NULL "
    "GROUP BY account_id;"
)
_DONE = "new.deleted_at IS NULL AND new.checkin_at IS NOT NULL"
_RAISES = (
    f"old.account_id = new.account_id AND {_DONE} AND (old.deleted_at IS NOT NULL "
    "OR old.checkin_at IS NULL OR new.checkin_at >= old.checkin_at)"
)
# Sync re-applies whole rows: a visit whose check-in, account and tombstone did not
# change leaves its account's last visit alone.
_CHANGED = (
    "(old.account_id IS NOT new.account_id OR old.checkin_at IS NOT new.checkin_at "
    "OR old.deleted_at IS NOT new.deleted_at)"
)

TRIGGERS = {
    "visits_last_ai": f"CREATE TRIGGER visits_last_ai AFTER INSERT ON visits WHEN {_DONE} "
    f"BEGIN {_RAISE} END",
    "visits_last_au_raise": "CREATE TRIGGER visits_last_au_raise "
    f"AFTER UPDATE OF account_id, checkin_at, deleted_at ON visits WHEN {_CHANGED} AND "
    f"{_RAISES} BEGIN {_RAISE} END",
    "visits_last_au": "CREATE TRIGGER visits_last_au "
    f"AFTER UPDATE OF account_id, checkin_at, deleted_at ON visits WHEN {_CHANGED} AND NOT "
    f"({_RAISES}) BEGIN " + _RECOMPUTE.format(ids="old.account_id, new.account_id") + " END",
    "visits_last_ad": "CREATE TRIGGER visits_last_ad AFTER DELETE ON visits BEGIN "
    + _RECOMPUTE.format(ids="old.account_id")
    + " END",
}

# Fills the table from the visits, for the migration that adds it.
BACKFILL = (
    "INSERT INTO account_last_visits (account_id, checkin_at) "
    "SELECT account_id, max(checkin_at) FROM visits "
    "WHERE deleted_at IS NULL AND checkin_at IS NOT NULL GROUP BY account_id"
)


def upgrade() -> None:
    op.create_table(
        "account_last_visits",
        sa.Column("account_id", sa.String(36), primary_key=True),
        sa.Column("checkin_at", sa.String(), nullable=False),
        sqlite_with_rowid=False,
    )
    op.execute(BACKFILL)
    for sql in TRIGGERS.values():
        op.execute(sql)


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("account_last_visits")
