"""The migrations own the schema: they must build exactly what the models describe, and run both ways."""
from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy import inspect as sa_inspect

from server.db.migrate import alembic_config, current_revision, head_revision, sync_url, upgrade
from server.db.models import Base
from tests.database import Sql


def test_migrations_build_exactly_the_models(empty_database_url: str) -> None:
    url = empty_database_url
    upgrade(url)
    engine = create_engine(sync_url(url))
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []
    assert current_revision(url) == head_revision()


def test_downgrade_to_nothing_and_up_again(empty_database_url: str) -> None:
    url = empty_database_url
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    assert set(Sql(url).tables()) <= {"alembic_version"}
    if Sql(url).dialect == "postgresql":  # no enum types, sequences or functions left behind either
        assert Sql(url).rows("SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                             "WHERE n.nspname = 'public' AND relkind IN ('S', 'r', 'i', 'v') AND relname <> 'alembic_version' "
                             "AND relname <> 'alembic_version_pkc'") == []
    upgrade(url)
    assert current_revision(url) == head_revision()


def test_deleted_ids_are_never_reused(database_url: str) -> None:
    db = Sql(database_url)
    db.execute("INSERT INTO workers (handle, role, is_demo, created_at) VALUES ('a', 'worker', FALSE, '2026-01-01')")
    db.execute("DELETE FROM workers WHERE handle = 'a'")
    db.execute("INSERT INTO workers (handle, role, is_demo, created_at) VALUES ('b', 'worker', FALSE, '2026-01-01')")
    assert db.value("SELECT id FROM workers WHERE handle = 'b'") == 2


@pytest.mark.sqlite_only
def test_app_connections_use_wal_foreign_keys_and_normal_sync(tmp_path: Path) -> None:
    import asyncio  # noqa: PLC0415

    from sqlalchemy import text  # noqa: PLC0415

    from server.db.engine import create_engine as create_app_engine  # noqa: PLC0415

    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    upgrade(url)

    async def pragmas() -> tuple:
        engine = create_app_engine(url)
        try:
            async with engine.connect() as connection:
                return tuple([(await connection.execute(text(f"PRAGMA {name}"))).scalar()
                              for name in ("journal_mode", "foreign_keys", "synchronous")])
        finally:
            await engine.dispose()

    assert asyncio.run(pragmas()) == ("wal", 1, 1)  # synchronous 1 = NORMAL (see server/db/engine.py)


def test_sqlite_synchronous_full_reaches_the_connections(tmp_path: Path) -> None:
    import asyncio  # noqa: PLC0415

    from sqlalchemy import text  # noqa: PLC0415

    from server.db.engine import create_engine as create_app_engine  # noqa: PLC0415
    from server.settings import SettingsError, load_settings  # noqa: PLC0415

    settings = load_settings({"FAIRFINDER_DATA_DIR": str(tmp_path), "FAIRFINDER_SQLITE_SYNCHRONOUS": "FULL"})
    assert settings.sqlite_synchronous == "full"
    try:
        load_settings({"FAIRFINDER_DATA_DIR": str(tmp_path), "FAIRFINDER_SQLITE_SYNCHRONOUS": "off"})
        raise AssertionError("an unknown mode must be refused")
    except SettingsError as error:
        assert "FAIRFINDER_SQLITE_SYNCHRONOUS" in str(error)
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    upgrade(url)

    async def synchronous() -> int:
        engine = create_app_engine(url, synchronous=settings.sqlite_synchronous)
        try:
            async with engine.connect() as connection:
                return (await connection.execute(text("PRAGMA synchronous"))).scalar()
        finally:
            await engine.dispose()

    assert asyncio.run(synchronous()) == 2  # FULL


def test_0011_timing_bonus_keeps_every_timing_both_ways(empty_database_url: str) -> None:
    """0011 adds timings.bonus_cents: stored timings keep every value and get NULL (no bonus known, not "none");
    the downgrade drops the bonuses sent since (their column) and keeps the timings."""
    url = empty_database_url
    upgrade(url, "0010")
    sql = Sql(url)
    at = "2026-01-10 10:00:00"
    worker = sql.run("INSERT INTO workers (handle, role, is_demo, created_at) VALUES ('ann', 'worker', ?, ?)", False, at)
    requester = sql.run("INSERT INTO requesters (platform, external_id, name, is_demo, first_seen_at) "
                        "VALUES ('mturk', 'AREQ1', 'Shop Lab', ?, ?)", False, at)
    task_type = sql.run("INSERT INTO task_types (requester_id, title, title_key, reward_cents, currency, is_demo, "
                        "first_seen_at) VALUES (?, 'Survey', 'survey', 100, 'USD', ?, ?)", requester, False, at)
    kept = "SELECT worker_id, task_type_id, assignment_id, seconds, outcome FROM timings ORDER BY id"
    for assignment, seconds, outcome in (("A1", 600.0, "approved"), ("A2", 30.5, "returned")):
        sql.run("INSERT INTO timings (worker_id, task_type_id, assignment_id, accepted_at, ended_at, seconds, outcome, "
                "is_demo, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                worker, task_type, assignment, at, at, seconds, outcome, False, at)
    before = sql.rows(kept)

    upgrade(url, "0011")
    assert sql.rows(kept) == before
    assert sql.rows("SELECT bonus_cents FROM timings") == [(None,), (None,)]
    sql.run("UPDATE timings SET bonus_cents = 25 WHERE assignment_id = 'A1'")

    command.downgrade(alembic_config(url), "0010")
    assert sql.rows(kept) == before
    assert "bonus_cents" not in {c["name"] for c in sa_inspect(sql.engine).get_columns("timings")}
    upgrade(url)
    assert sql.rows(kept) == before
    assert sql.rows("SELECT bonus_cents FROM timings") == [(None,), (None,)]
