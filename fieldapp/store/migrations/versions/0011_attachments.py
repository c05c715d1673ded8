"""Attachments: photos and files on accounts, visits and deals, and the upload queue.

- ``attachments``: a synced record per file (its blob's SHA-256, name, type, size,
  image size); the bytes live in the data dir's ``blobs/`` (fieldapp.store.blobs).
- ``blob_uploads``: this device's blobs not yet on the server and how far each got, so
  an upload resumes where it stopped (device state, never synced).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("parent_entity", sa.String(20), nullable=False),
        sa.Column("parent_id", sa.String(36), nullable=False),
        sa.Column("owner_id", sa.String(36)),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("width", sa.Integer),
        sa.Column("height", sa.Integer),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("server_version", sa.Integer),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("deleted_at", sa.DateTime),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_attachments_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index(op.f("ix_attachments_account_id"), "attachments", ["account_id"])
    op.create_index(op.f("ix_attachments_parent_id"), "attachments", ["parent_id"])
    op.create_index(op.f("ix_attachments_sha256"), "attachments", ["sha256"])
    op.create_table(
        "blob_uploads",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sent", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_blob_uploads")),
    )


def downgrade() -> None:
    op.drop_table("blob_uploads")
    op.drop_index(op.f("ix_attachments_sha256"), "attachments")
    op.drop_index(op.f("ix_attachments_parent_id"), "attachments")
    op.drop_index(op.f("ix_attachments_account_id"), "attachments")
    op.drop_table("attachments")
