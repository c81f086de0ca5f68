"""The `fairfinder` command: serve, migrate, demo, recompute, export."""
from __future__ import annotations

import asyncio
import logging
import os
import sys
from datetime import datetime
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from server import __version__
from server.settings import Settings, load_settings

console = Console(stderr=True)


def _progress() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=console, transient=False)


def _settings() -> Settings:
    """The settings, or a clear message and exit status 2 when one cannot be used (e.g. a bad sources.toml)."""
    from server.settings import SettingsError  # noqa: PLC0415

    try:
        return load_settings()
    except (SettingsError, ValueError) as error:
        console.print(f"[red]Settings: {error}[/red]")
        sys.exit(2)


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
    database when unset), FAIRFINDER_HOST, FAIRFINDER_PORT, FAIRFINDER_LOG_LEVEL. Community sharing:
    FAIRFINDER_SOURCES_FILE (default <data dir>/sources.toml), FAIRFINDER_SCHEDULER=off, and the
    others listed in docs/community.md.
    """


@main.command()
@click.option("--host", default=None, help="Address to listen on [default: FAIRFINDER_HOST or 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port [default: FAIRFINDER_PORT or 8000].")
@click.option("--workers", type=int, default=1, show_default=True, help="Server processes.")
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the API (OpenAPI docs at /schema). The database must be migrated."""
    import uvicorn

    settings = _settings()
    _check_migrations(settings)
    uvicorn.run("server.asgi:app", host=host or settings.host, port=port or settings.port, workers=workers,
                log_level=settings.log_level.lower(), proxy_headers=False, server_header=False)


@main.command()
@click.option("--revision", default="head", show_default=True, help="Alembic revision to upgrade to.")
def migrate(revision: str) -> None:
    """Create or upgrade the database schema. Safe to run again; never drops data."""
    from server.db.migrate import current_revision, upgrade

    settings = _settings()
    before = current_revision(settings.database_url)
    upgrade(settings.database_url, revision)
    after = current_revision(settings.database_url)
    console.print(f"Database at migration [bold]{after}[/bold]" + (f" (was {before or 'empty'})" if before != after else ", nothing to do"))


@main.command()
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds requesters.")
def demo(if_empty: bool) -> None:
    """Seed demo data: the 27-task HIT dashboard plus generated reviews and timings (marked as demo)."""
    settings = _settings()
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
    settings = _settings()
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


@main.command()
@click.option("--since", default=None, metavar="CURSOR",
              help="Only what changed since this cursor (the next_since of an earlier dump): an incremental dump.")
@click.option("-o", "--output", default="-", metavar="FILE", show_default=True,
              help="Where to write the .jsonl.gz; '-' is stdout, which must not be a terminal.")
def export(since: str | None, output: str) -> None:
    """Write the open ratings dump (docs/ratings-dump.md): the same bytes as GET /api/v1/export/ratings.

    Settings FAIRFINDER_DUMP_LICENCE (default ODbL-1.0) and FAIRFINDER_COMMUNITY_NAME (default Fairfinder)
    go into its first line.
    """
    from server.community.export import parse_since

    to_stdout = output == "-"
    if to_stdout and sys.stdout.isatty():
        console.print("[red]Refusing to write gzip-compressed data to a terminal.[/red]\n"
                      "Give a file (`fairfinder export -o ratings.jsonl.gz`) or redirect stdout.")
        sys.exit(2)
    since_at = None
    if since is not None:
        try:
            since_at = parse_since(since)
        except ValueError as error:
            console.print(f"[red]--since: {error}[/red]")
            sys.exit(2)
    settings = _settings()
    _check_migrations(settings)
    asyncio.run(_export(settings, since_at, None if to_stdout else output))


async def _export(settings: Settings, since: datetime | None, output: str | None) -> None:
    from server.community.export import count_records, export_ratings
    from server.db.engine import create_engine, session_factory

    engine = create_engine(settings.database_url)
    target = Path(output) if output else None
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp") if target else None
    written = 0
    try:
        async with session_factory(engine)() as session:
            total = await count_records(session, since)
            await session.commit()
            with _progress() as progress:
                bar = progress.add_task("Exporting records", total=total)

                def advance(n: int) -> None:
                    nonlocal written
                    written += n
                    progress.update(bar, completed=written, total=max(total, written))

                sink = temp.open("xb") if temp else sys.stdout.buffer
                try:
                    async for chunk in export_ratings(session, since=since, licence=settings.dump_licence,
                                                      community=settings.community_name, progress=advance):
                        sink.write(chunk)
                    sink.flush()
                    if temp:
                        os.fsync(sink.fileno())
                finally:
                    if temp:
                        sink.close()
        if temp and target:
            os.replace(temp, target)  # readers never see half a dump
            console.print(f"Wrote {written} records to {target}.")
    except BrokenPipeError:
        # The reader went away (`| head`): say nothing more, and keep Python's exit flush from failing too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(1) from None
    finally:
        if temp and temp.exists():
            temp.unlink()
        await engine.dispose()


@main.command(name="import")
@click.argument("source")
@click.option("--kind", type=click.Choice(["fairfinder", "turkopticon1", "turkopticon2", "csv"]), default=None,
              help="What the file is [default: guessed from its name: .jsonl.gz a Fairfinder dump, .csv a CSV].")
@click.option("--name", "name", default=None, help="The source's name, shown to workers [default: the file's name].")
@click.option("--full", is_flag=True, help="For a configured source: re-read everything, not just what changed.")
def import_(source: str, kind: str | None, name: str | None, full: bool) -> None:
    """Import ratings from another community: a configured source's name (fetched now), or a file.

    Files: a Fairfinder ratings dump (.jsonl.gz, see docs/ratings-dump.md), a community CSV
    (docs/importing.md), or a saved Turkopticon API response (--kind turkopticon1|turkopticon2).
    The whole input is checked before anything is written; a bad input changes nothing.
    """
    settings = _settings()
    _check_migrations(settings)
    sys.exit(asyncio.run(_import(settings, source, kind, name, full)))


async def _import(settings: Settings, source: str, kind: str | None, name: str | None, full: bool) -> int:
    from pathlib import Path  # noqa: PLC0415

    from scrapers.http import FetchError  # noqa: PLC0415
    from scrapers.ratings import ImportError_  # noqa: PLC0415
    from server.community.runner import guess_kind, import_file, import_source, make_fetcher  # noqa: PLC0415
    from server.db.engine import create_engine, session_factory  # noqa: PLC0415

    configured = {c.name: c for c in settings.sources}
    engine = create_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    try:
        sessionmaker = session_factory(engine)
        with _byte_progress() as progress:
            bars: dict[str, object] = {}

            def report(phase: str, done: int, total: int | None) -> None:
                if phase not in bars:
                    bars[phase] = progress.add_task(phase.capitalize(), total=total)
                progress.update(bars[phase], completed=done, total=total)  # type: ignore[arg-type]

            if source in configured:
                fetcher = make_fetcher(settings)
                try:
                    outcome = await import_source(sessionmaker, settings, configured[source], fetcher, force_full=full,
                                                  progress=report)
                finally:
                    await fetcher.aclose()
                console.print(f"{source}: {outcome.status}, {outcome.message} {outcome.counts or ''}")
                return 0
            path = Path(source)
            if not path.is_file():
                console.print(f"[red]{source} is neither a configured source ({', '.join(configured) or 'none configured'}) "
                              "nor a file.[/red]")
                return 2
            result = await import_file(sessionmaker, name or path.name.split(".")[0], kind or guess_kind(path), path,
                                       progress=report)
        console.print("Imported " + ", ".join(f"{v} {k}" for k, v in result.counts().items() if k != "full")
                      + (" (full: replaces what this source sent before)." if result.full else "."))
        return 0
    except ImportError_ as error:
        console.print(f"[red]Nothing imported: {error}[/red]")
        return 1
    except FetchError as error:
        console.print(f"[red]Nothing imported: {error}[/red]")
        return 1
    finally:
        await engine.dispose()


def _byte_progress() -> Progress:
    from rich.progress import DownloadColumn  # noqa: PLC0415

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=console, transient=False)


@main.command(name="set-role")
@click.argument("handle")
@click.argument("role", type=click.Choice(["worker", "moderator", "admin"]))
def set_role(handle: str, role: str) -> None:
    """Give a worker account a role: moderators work the moderation queue; admins also read
    GET /api/v1/admin/jobs and hide a review with one flag."""
    settings = _settings()
    _check_migrations(settings)
    sys.exit(asyncio.run(_set_role(settings, handle, role)))


async def _set_role(settings: Settings, handle: str, role: str) -> int:
    from sqlalchemy import update  # noqa: PLC0415

    from server.db.engine import create_engine, session_factory, write_transaction  # noqa: PLC0415
    from server.db.models import Worker  # noqa: PLC0415

    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session, write_transaction(session):
            result = await session.execute(update(Worker).where(Worker.handle == handle).values(role=role))
        if not result.rowcount:
            console.print(f"[red]No worker has the handle {handle!r}.[/red]")
            return 1
        console.print(f"{handle} is now {role}.")
        return 0
    finally:
        await engine.dispose()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    main()
