"""Automation rules: the rules managers set, the flags they put on accounts, and what
each rule's work records (fieldapp.domain.rules).

- ``rules``: a synced record per rule (kind, enabled, territory, the follow-up's
  outcome, days, title and priority).
- ``flags``: a synced record per flagged account and overdue spell.
- ``tasks.rule_id``: the rule that made a task; ``leads.assigned_by_rule_id`` and
  ``leads.assigned_from_id``: the rule that assigned a lead and the owner it replaced.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _synced() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("server_version", sa.Integer),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("deleted_at", sa.DateTime),
    ]


def upgrade() -> None:
    op.create_table(
        "rules",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("territory_id", sa.String(36)),
        sa.Column("outcome", sa.String(20)),
        sa.Column("days", sa.Integer),
        sa.Column("task_title", sa.String(255)),
        sa.Column("priority", sa.String(8)),
        sa.Column("owner_id", sa.String(36)),
        *_synced(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rules")),
    )
    op.create_table(
        "flags",
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("rule_id", sa.String(36), nullable=False),
        sa.Column("visit_id", sa.String(36)),
        sa.Column("reason", sa.String(200)),
        *_synced(),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_flags_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flags")),
    )
    op.create_index(op.f("ix_flags_account_id"), "flags", ["account_id"])
    # Plain ADD COLUMN: nullable columns need no table copy (a batch would rebuild
    # 100k-row tables on open).
    op.add_column("tasks", sa.Column("rule_id", sa.String(36)))
    op.add_column("leads", sa.Column("assigned_by_rule_id", sa.String(36)))
    op.add_column("leads", sa.Column("assigned_from_id", sa.String(36)))


def downgrade() -> None:
    op.drop_column("leads", "assigned_from_id")
    op.drop_column("leads", "assigned_by_rule_id")
    op.drop_column("tasks", "rule_id")
    op.drop_index(op.f("ix_flags_account_id"), "flags")
    op.drop_table("flags")
    op.drop_table("rules")
