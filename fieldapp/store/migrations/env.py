"""Alembic environment for the replica; run from :func:`fieldapp.store.db.migrate`."""

from __future__ import annotations

from alembic import context

from fieldapp.store.models import Base

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()
