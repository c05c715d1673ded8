"""Alembic environment for the server; run from :func:`fieldapp.server.db.migrate`."""

from __future__ import annotations

from alembic import context

from fieldapp.server.models import Base

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()
