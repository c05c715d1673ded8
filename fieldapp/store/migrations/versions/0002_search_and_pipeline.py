"""Full-text search (FTS5) and the default opportunity pipeline.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# table -> columns indexed for search. External-content FTS5 tables keyed on the
# table's rowid: the text is stored once, in the table itself.
FTS_COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": ("name", "street", "city", "postcode", "tags", "description"),
    "contacts": ("first_name", "last_name", "title", "email", "phone", "city"),
    "leads": ("first_name", "last_name", "company", "email", "city"),
    "notes": ("body",),
}

# Fixed ids so that every device (and the server) agrees on the default stages.
DEFAULT_STAGES = (
    ("5c0a3d1e-0000-4000-8000-000000000001", "Prospecting", 1, 10, 0, 0),
    ("5c0a3d1e-0000-4000-8000-000000000002", "Qualification", 2, 20, 0, 0),
    ("5c0a3d1e-0000-4000-8000-000000000003", "Needs Analysis", 3, 40, 0, 0),
    ("5c0a3d1e-0000-4000-8000-000000000004", "Proposal", 4, 60, 0, 0),
    ("5c0a3d1e-0000-4000-8000-000000000005", "Negotiation", 5, 80, 0, 0),
    ("5c0a3d1e-0000-4000-8000-000000000006", "Closed Won", 6, 100, 1, 0),
    ("5c0a3d1e-0000-4000-8000-000000000007", "Closed Lost", 7, 0, 0, 1),
)


def _fts_sql(table: str, cols: tuple[str, ...]) -> list[str]:
    fts = f"{table}_fts"
    col_list = ", ".join(cols)
    new_vals = ", ".join(f"new.{c}" for c in cols)
    old_vals = ", ".join(f"old.{c}" for c in cols)
    return [
        # prefix='1 2 3': short prefixes ("a", "ac") read one prebuilt doclist
        # instead of merging every term that starts with them.
        f"CREATE VIRTUAL TABLE {fts} USING fts5({col_list}, content='{table}', "
        f"content_rowid='rowid', tokenize='unicode61 remove_diacritics 2', "
        f"prefix='1 2 3')",
        f"CREATE TRIGGER {table}_fts_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, {col_list}) VALUES (new.rowid, {new_vals}); END",
        f"CREATE TRIGGER {table}_fts_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {col_list}) VALUES ('delete', old.rowid, {old_vals}); "
        "END",
        f"CREATE TRIGGER {table}_fts_au AFTER UPDATE OF {col_list} ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {col_list}) VALUES ('delete', old.rowid, {old_vals}); "
        f"INSERT INTO {fts}(rowid, {col_list}) VALUES (new.rowid, {new_vals}); END",
        # Index rows that existed before this migration.
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def upgrade() -> None:
    for table, cols in FTS_COLUMNS.items():
        for statement in _fts_sql(table, cols):
            op.execute(statement)
    for stage_id, name, position, probability, won, lost in DEFAULT_STAGES:
        op.execute(
            "INSERT OR IGNORE INTO pipeline_stages (id, name, position, probability, is_won, "
            "is_lost, created_at, updated_at) VALUES "
            f"('{stage_id}', '{name}', {position}, {probability}, {won}, {lost}, "
            "datetime('now'), datetime('now'))"
        )


def downgrade() -> None:
    for table in FTS_COLUMNS:
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {table}_fts")
    op.execute("DELETE FROM pipeline_stages WHERE id LIKE '5c0a3d1e-0000-4000-8000-%'")
