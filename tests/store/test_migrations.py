"""A data dir made by an older release upgrades in place, never wiped."""

from __future__ import annotations

import shutil
from contextlib import closing
from pathlib import Path

import pytest

from fieldapp.errors import DataDirError
from fieldapp.store import encryption, search, services
from fieldapp.store.db import DB_FILENAME, PAGE_SIZE, open_replica

FIXTURES = Path(__file__).parent.parent / "data"


@pytest.mark.outbox_unchecked  # a database made by release 0001, rows written by hand
def test_database_from_first_migration_upgrades(tmp_path: Path) -> None:
    # A replica as release 0.1's first migration wrote it, with data in it.
    old = open_replica(tmp_path, migrate_to="0001")
    with old.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO accounts (id, name, type, status, city, created_at, updated_at) VALUES "
            "('a0000000-0000-4000-8000-000000000001', 'Old Firm', 'customer', 'active', "
            "'Dresden', '2025-01-01 10:00:00', '2025-01-01 10:00:00')"
        )
    old.close()
    replica = open_replica(tmp_path)
    with replica.read_session() as s:
        assert (
            services.get(s, "accounts", "a0000000-0000-4000-8000-000000000001")["city"] == "Dresden"
        )
        # 0002 indexed the existing row for search and added the default pipeline.
        assert search.search_ids(s, "accounts", "old fi") == [
            "a0000000-0000-4000-8000-000000000001"
        ]
        assert len(services.pipeline(s)) == 7
    replica.close()


def test_search_indexes_batch_bulk_inserts_in_memory_after_upgrade(tmp_path: Path) -> None:
    open_replica(tmp_path, migrate_to="0003").close()
    replica = open_replica(tmp_path)
    with replica.engine.connect() as conn:
        for table in search.FTS_COLUMNS:
            size = conn.exec_driver_sql(
                f"SELECT v FROM {table}_fts_config WHERE k = 'hashsize'"
            ).scalar()
            assert size == 16 * 1024 * 1024, table
    replica.close()


@pytest.mark.outbox_unchecked  # rows written by hand into an old schema
@pytest.mark.parametrize("encrypt", [True, False], ids=["encrypted", "left plain"])
def test_kept_database_of_release_0_1_upgrades(tmp_path: Path, encrypt: bool) -> None:
    shutil.copy(FIXTURES / "replica-0001.sqlite3", tmp_path / DB_FILENAME)
    replica = open_replica(tmp_path, encrypt=encrypt)
    assert replica.protection.encrypted is encrypt
    assert encryption.file_state(tmp_path / DB_FILENAME) == ("encrypted" if encrypt else "plain")
    with replica.read_session() as s:
        [row] = services.list_records(s, "accounts")
        assert row["name"] == "Kept Since Release 0.1"
        assert search.search_ids(s, "accounts", "kept") == [row["id"]]
    with replica.engine.connect() as conn:
        # A plain replica is never rewritten for the larger pages of new ones; the
        # encrypted copy is a new file, written with them.
        page_size = int(conn.exec_driver_sql("PRAGMA page_size").scalar())
        assert page_size == (PAGE_SIZE if encrypt else 4096)
    with replica.session() as s:
        services.bulk_create(s, "accounts", [{"name": f"Later {i}"} for i in range(300)])
    with replica.read_session() as s:
        assert len(search.search_ids(s, "accounts", "later", limit=500)) == 300
    replica.close()


def test_open_is_idempotent_and_wal(tmp_path: Path) -> None:
    open_replica(tmp_path).close()
    replica = open_replica(tmp_path)
    with replica.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert int(conn.exec_driver_sql("PRAGMA page_size").scalar()) == PAGE_SIZE == 16384
    replica.close()


def test_corrupt_file_gives_a_clear_error_and_is_kept(tmp_path: Path) -> None:
    (tmp_path / DB_FILENAME).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DataDirError, match="damaged"):
        open_replica(tmp_path)
    assert (tmp_path / DB_FILENAME).read_bytes().startswith(b"this is not sqlite")


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    open_replica(tmp_path).close()
    with closing(encryption.connect_file(tmp_path / DB_FILENAME)) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(DataDirError, match="newer fieldapp"):
        open_replica(tmp_path)


def test_unwritable_data_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DataDirError, match="cannot create data dir"):
        open_replica(blocker / "sub")


def test_schema_head_constant_matches_the_migrations() -> None:
    from alembic.script import ScriptDirectory

    from fieldapp.store.db import SCHEMA_HEAD, alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == SCHEMA_HEAD


def test_opening_an_up_to_date_replica_does_not_load_alembic(tmp_path: Path) -> None:
    import subprocess
    import sys

    open_replica(tmp_path).close()
    probe = (
        "import sys; from fieldapp.store.db import open_replica; "
        f"open_replica({str(tmp_path)!r}).close(); print('alembic' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.outbox_unchecked  # a row written by hand into the 0004 schema
def test_source_ids_are_added_in_place(tmp_path: Path) -> None:
    old = open_replica(tmp_path, migrate_to="0004")
    with old.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO accounts (id, name, type, status, created_at, updated_at) VALUES "
            "('a0000000-0000-4000-8000-000000000004', 'Before Source Ids', 'customer', "
            "'active', '2026-01-01 10:00:00', '2026-01-01 10:00:00')"
        )
    old.close()
    replica = open_replica(tmp_path)
    with replica.read_session() as s:
        [row] = services.list_records(s, "accounts")
        assert (row["name"], row["source_id"]) == ("Before Source Ids", None)
        assert search.search_ids(s, "accounts", "before") == [row["id"]]  # triggers kept
    with replica.engine.connect() as conn:
        for table in ("accounts", "contacts", "leads", "opportunities"):
            indexes = {r[1] for r in conn.exec_driver_sql(f"PRAGMA index_list({table})")}
            assert f"ix_{table}_source_id" in indexes
    with replica.session() as s:
        services.update(s, "accounts", row["id"], {"source_id": "SF-1", "name": "After"})
    with replica.read_session() as s:
        assert search.search_ids(s, "accounts", "after") == [row["id"]]
    replica.close()


@pytest.mark.outbox_unchecked  # a replica of the schema before 0007, rows written by hand
def test_replica_before_visit_plans_upgrades_with_its_visits(tmp_path: Path) -> None:
    old = open_replica(tmp_path, migrate_to="0008")
    with old.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO accounts (id, name, type, status, created_at, updated_at) VALUES "
            "('a0000000-0000-4000-8000-000000000007', 'Before Plans', 'customer', 'active', "
            "'2025-01-01 10:00:00', '2025-01-01 10:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO visits (id, account_id, checkin_at, checkin_latitude, "
            "checkin_longitude, created_at, updated_at) VALUES "
            "('b0000000-0000-4000-8000-000000000007', 'a0000000-0000-4000-8000-000000000007', "
            "'2025-03-01 09:00:00', 50.9, 6.9, '2025-03-01 09:00:00', '2025-03-01 09:00:00')"
        )
    old.close()
    replica = open_replica(tmp_path)
    with replica.read_session() as s:
        account = services.get(s, "accounts", "a0000000-0000-4000-8000-000000000007")
        visit = services.get(s, "visits", "b0000000-0000-4000-8000-000000000007")
    # Nothing is made up for what was never measured: no frequency, no verdict.
    assert account["visit_frequency_days"] is None
    assert visit["checkin_latitude"] == 50.9
    assert (visit["checkin_distance_m"], visit["checkin_flag"]) == (None, None)
    with replica.engine.connect() as conn:
        names = set(
            conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars()
        )
    assert "ix_visits_account_checkin" in names
    replica.close()
