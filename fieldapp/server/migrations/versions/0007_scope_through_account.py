"""Records hanging off an account are in scope through it; scope exits by sequence.

Until now every visit, deal or contact carried its account's territory, so moving 10k
accounts rewrote their 100k dependent rows. They carry none now (server/scope.py finds
them through ``account_id``), and the exits a pull reads (``seq > the client's scope
sequence``) get an index of their own. On PostgreSQL, statistics over entity and
territory together: with a NULL territory on most rows the planner otherwise takes
"accounts with no territory" for half the table and plans the scope's sub-query badly.

Revision ID: s0007
Revises: s0006
"""

from __future__ import annotations

from alembic import op

revision = "s0007"
down_revision = "s0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE records SET territory_id = NULL "
        "WHERE entity <> 'accounts' AND account_id IS NOT NULL AND territory_id IS NOT NULL"
    )
    op.create_index("ix_scope_exits_seq", "scope_exits", ["seq"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE STATISTICS st_records_entity_territory (mcv, dependencies) "
            "ON entity, territory_id FROM records"
        )
        op.execute("ANALYZE records")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_records_entity_territory")
    op.drop_index("ix_scope_exits_seq", "scope_exits")
    op.execute(
        "UPDATE records SET territory_id = (SELECT a.territory_id FROM records a "
        "WHERE a.id = records.account_id) "
        "WHERE entity <> 'accounts' AND account_id IS NOT NULL"
    )
