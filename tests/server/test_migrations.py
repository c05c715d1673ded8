"""Server migrations upgrade a database in place, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from fieldapp.server.db import MIGRATIONS, make_engine
from tests.syncutil import database_url


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_upgrade_from_first_schema_keeps_scope_of_existing_records(
    kind: str, tmp_path: Path
) -> None:
    with database_url(kind, tmp_path) as url:
        engine = make_engine(url)
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["engine"] = engine
        try:
            command.upgrade(cfg, "s0001")
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO records (id, entity, version, data, deleted, account_id, "
                        "territory_id) VALUES ('a', 'accounts', 1, '{}', false, 'a', 'T'), "
                        "('c', 'contacts', 2, '{}', false, 'a', NULL)"
                    )
                )
            command.upgrade(cfg, "head")
            with engine.connect() as conn:
                rows = conn.execute(
                    text("SELECT id, territory_id, origin FROM records ORDER BY id")
                ).all()
            # The contact now carries its account's territory, which the scope filter uses.
            assert [tuple(r) for r in rows] == [("a", "T", None), ("c", "T", None)]
        finally:
            engine.dispose()
