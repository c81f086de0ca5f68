"""The migrations own the schema: they must build exactly what the models describe, and run both ways."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from server.db.migrate import alembic_config, current_revision, head_revision, upgrade
from server.db.models import Base


def test_migrations_build_exactly_the_models(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []
    assert current_revision(url) == head_revision()


def test_downgrade_to_nothing_and_up_again(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    tables = {row[0] for row in sqlite3.connect(tmp_path / "m.db").execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables <= {"alembic_version", "sqlite_sequence"}
    upgrade(url)
    assert current_revision(url) == head_revision()


def test_deleted_ids_are_never_reused(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    db = sqlite3.connect(tmp_path / "m.db")
    db.execute("INSERT INTO workers (handle, role, is_demo, created_at) VALUES ('a', 'worker', 0, '2026-01-01')")
    db.execute("DELETE FROM workers WHERE handle = 'a'")
    db.execute("INSERT INTO workers (handle, role, is_demo, created_at) VALUES ('b', 'worker', 0, '2026-01-01')")
    assert db.execute("SELECT id FROM workers WHERE handle = 'b'").fetchone()[0] == 2


def test_app_connections_use_wal_foreign_keys_and_normal_sync(tmp_path: Path) -> None:
    import asyncio

    from sqlalchemy import text

    from server.db.engine import create_engine as create_app_engine

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
    import asyncio

    from sqlalchemy import text

    from server.db.engine import create_engine as create_app_engine
    from server.settings import SettingsError, load_settings

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
