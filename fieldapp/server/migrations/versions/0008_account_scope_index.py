"""The accounts in a scope, read from one index (no table rows).

Every pull and fetch tests records against the accounts in the caller's scope (see
server/scope.py); for a manager of 50 reps that is 100k accounts, read through
``ix_records_entity_territory`` and then the table rows for their ids: ~1 s a pull on a
loaded machine. A partial index over the accounts holding territory, owner and id
answers it as an index-only scan (~0.15 s on the same machine).

Revision ID: s0008
Revises: s0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0008"
down_revision = "s0007"
branch_labels = None
depends_on = None

ACCOUNTS = sa.text("entity = 'accounts'")


def upgrade() -> None:
    op.create_index(
        "ix_records_account_scope",
        "records",
        ["territory_id", "owner_id", "id"],
        postgresql_where=ACCOUNTS,
        sqlite_where=ACCOUNTS,
    )


def downgrade() -> None:
    op.drop_index("ix_records_account_scope", "records")
