"""Server migrations upgrade a database in place, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from fieldapp.server.db import MIGRATIONS, make_engine
from fieldapp.server.models import Record
from fieldapp.server.scope import Scope
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
            command.upgrade(cfg, "s0006")
            with engine.connect() as conn:
                rows = conn.execute(
                    text("SELECT id, territory_id, origin FROM records ORDER BY id")
                ).all()
            # Until s0007 the contact carried its account's territory for the scope filter.
            assert [tuple(r) for r in rows] == [("a", "T", None), ("c", "T", None)]
            command.upgrade(cfg, "head")
            with Session(engine) as session:
                rows = session.execute(
                    text("SELECT id, territory_id, origin FROM records ORDER BY id")
                ).all()
                # Now it is in scope through its account, and carries no territory.
                assert [tuple(r) for r in rows] == [("a", "T", None), ("c", None, None)]
                scope = Scope(("rep",), ("T",))
                seen = session.scalars(select(Record.id).where(scope.condition())).all()
                assert sorted(seen) == ["a", "c"]
                elsewhere = Scope(("rep",), ("U",))
                assert session.scalars(select(Record.id).where(elsewhere.condition())).all() == []
        finally:
            engine.dispose()
