"""The local replica: models, the outbox, migrations, search, import and export."""
