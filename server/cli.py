"""The `fairfinder` command: serve, migrate, demo, recompute."""
from __future__ import annotations

import asyncio
import logging
import sys

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from server import __version__
from server.settings import Settings, load_settings

console = Console(stderr=True)


def _progress() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=console, transient=False)


def _check_migrations(settings: Settings) -> None:
    from server.db.migrate import current_revision, head_revision

    current, head = current_revision(settings.database_url), head_revision()
    if current != head:
        console.print(f"[red]The database is at migration {current or 'none'}, the code needs {head}.[/red]\n"
                      "Run `fairfinder migrate` first (it keeps all data).")
        sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fairfinder")
def main() -> None:
    """Fairfinder: crowd reviews and effective hourly pay for microtask workers.

    Settings come from the environment: DATABASE_URL (default: SQLite in ./var/fairfinder.db),
    FAIRFINDER_DATA_DIR (default ./var), FAIRFINDER_SECRET (generated once and kept beside the
    database when unset), FAIRFINDER_HOST, FAIRFINDER_PORT, FAIRFINDER_LOG_LEVEL.
    """


@main.command()
@click.option("--host", default=None, help="Address to listen on [default: FAIRFINDER_HOST or 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port [default: FAIRFINDER_PORT or 8000].")
@click.option("--workers", type=int, default=1, show_default=True, help="Server processes.")
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the API (OpenAPI docs at /schema). The database must be migrated."""
    import uvicorn

    settings = load_settings()
    _check_migrations(settings)
    uvicorn.run("server.asgi:app", host=host or settings.host, port=port or settings.port, workers=workers,
                log_level=settings.log_level.lower(), proxy_headers=False, server_header=False)


@main.command()
@click.option("--revision", default="head", show_default=True, help="Alembic revision to upgrade to.")
def migrate(revision: str) -> None:
    """Create or upgrade the database schema. Safe to run again; never drops data."""
    from server.db.migrate import current_revision, upgrade

    settings = load_settings()
    before = current_revision(settings.database_url)
    upgrade(settings.database_url, revision)
    after = current_revision(settings.database_url)
    console.print(f"Database at migration [bold]{after}[/bold]" + (f" (was {before or 'empty'})" if before != after else ", nothing to do"))


@main.command()
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds requesters.")
def demo(if_empty: bool) -> None:
    """Seed demo data: the 27-task HIT dashboard plus generated reviews and timings (marked as demo)."""
    settings = load_settings()
    _check_migrations(settings)
    asyncio.run(_demo(settings, if_empty))


async def _demo(settings: Settings, if_empty: bool) -> None:
    from server.db.engine import create_engine, session_factory, write_transaction
    from server.demo import database_is_empty, seed_demo

    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            if not await database_is_empty(session):
                if if_empty:
                    console.print("Database already has data; demo seed skipped.")
                    return
                console.print("[yellow]Adding demo data beside existing data.[/yellow]")
            with _progress() as progress:
                bar = progress.add_task("Seeding demo tasks", total=None)
                async with write_transaction(session):
                    counts = await seed_demo(session, lambda done, total: progress.update(bar, completed=done, total=total))
            console.print("Seeded " + ", ".join(f"{n} {what}" for what, n in counts.items()) + ".")
    finally:
        await engine.dispose()


@main.command()
def recompute() -> None:
    """Rebuild every aggregate from reviews and timings (one transaction; readers keep the old ones until done)."""
    settings = load_settings()
    _check_migrations(settings)
    asyncio.run(_recompute(settings))


async def _recompute(settings: Settings) -> None:
    from server.db.engine import create_engine, session_factory, write_transaction
    from server.stats.refresh import rebuild_all

    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            with _progress() as progress:
                bar = progress.add_task("Rebuilding aggregates", total=None)
                async with write_transaction(session):
                    done = await rebuild_all(session, lambda n, total: progress.update(bar, completed=n, total=total))
        console.print(f"Rebuilt aggregates of {done} requesters.")
    finally:
        await engine.dispose()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    main()
