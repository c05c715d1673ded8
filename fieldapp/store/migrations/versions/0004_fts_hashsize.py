"""Let search indexes gather a bulk insert in memory before writing it.

FTS5 writes its in-memory index as a new segment every time it passes ``hashsize``
bytes (1 MB by default) and merges segments as they pile up: indexing 100k accounts
wrote ~70 segments and merged them again, a third of its time. With 16 MB a typical
import is written as a handful of segments. Small transactions are unaffected: the
limit is a ceiling on memory, flushed at every commit, not an allocation.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

FTS_TABLES = ("accounts_fts", "contacts_fts", "leads_fts", "notes_fts")
HASHSIZE = 16 * 1024 * 1024
DEFAULT_HASHSIZE = 1024 * 1024


def _set(size: int) -> None:
    for fts in FTS_TABLES:
        op.execute(f"INSERT INTO {fts}({fts}, rank) VALUES ('hashsize', {size})")


def upgrade() -> None:
    _set(HASHSIZE)


def downgrade() -> None:
    _set(DEFAULT_HASHSIZE)
