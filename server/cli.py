"""The `fairfinder` command: serve, migrate, demo, recompute, export, import, backup, restore, set-role, sign-in-link,
page-reports, certificate verify.

Every command that uses the data says where first (the data folder, the database, on standard error). A command
that would make a new database or server secret does so only when asked to: `--create`, a data folder named with
`--data-dir` / FAIRFINDER_DATA_DIR (or DATABASE_URL), or a "yes" at a terminal; `make run` passes --create.
"""
from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from server import __version__
from server.settings import Settings, SettingsError, load_settings, settings_table

# soft_wrap: without a terminal rich wraps at 80 columns, which split long paths in two in logs and tests.
console = Console(stderr=True, soft_wrap=True)

# Exit statuses, the same for every command (`fairfinder --help`, docs/cli.md).
EXIT_OK = 0
EXIT_NOT_VALID = 1  # the check ran and the answer is no (a certificate is not genuine), or the work failed
EXIT_INVALID = 2  # what was given cannot be used: arguments, settings, a file of the wrong kind; or refused
EXIT_NOT_FOUND = 3  # the file, database, account or source named does not exist (or would have to be made)
EXIT_BUSY = 4  # cannot run now: the port is in use
EXIT_STATUSES = (f"Exit status: {EXIT_OK} done; {EXIT_NOT_VALID} not valid or failed (a certificate that is not "
                 f"genuine, an import or backup that failed); {EXIT_INVALID} invalid (arguments, settings or a file "
                 f"that cannot be used); {EXIT_NOT_FOUND} not found (no such file, database, account or source; or "
                 f"a new database or secret would have to be made: pass --create); {EXIT_BUSY} busy (the port is in "
                 "use).")


def _progress() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=console, transient=False)


class Where:
    """How the command was told where to work: given explicitly (--data-dir, FAIRFINDER_DATA_DIR, DATABASE_URL)
    and whether making a new database or secret is allowed (--create)."""

    def __init__(self, explicit: bool = False, create: bool = False) -> None:
        self.explicit, self.create = explicit, create


def _where() -> Where:
    context = click.get_current_context(silent=True)
    found = context.find_object(Where) if context is not None else None
    return found or Where(explicit=bool(os.environ.get("FAIRFINDER_DATA_DIR") or os.environ.get("DATABASE_URL")))


def _database_words(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    path = settings.sqlite_path()
    if settings.is_sqlite:
        return f"SQLite {path}" if path is not None else "SQLite in memory"
    return make_url(settings.database_url).render_as_string(hide_password=True)


def _may_create(where: Where, what: str, folder: Path) -> bool:
    """Making `what` is allowed: explicitly, or by a "yes" at a terminal. Without a terminal: refused."""
    if where.create or where.explicit:
        return True
    if sys.stdin.isatty():
        try:
            return click.confirm(f"There is no Fairfinder {what} in {folder}. Make a new one there?", default=False,
                                 err=True)
        except click.Abort:
            return False
    return False


def _settings(*, database: str = "use", secret: str = "use", log_line: bool = False) -> Settings:
    """The settings, after saying where the command works (data folder, database).

    `database`: "use" (it must exist: exit 3 otherwise), "create" (migrate: may make it), "none" (not needed).
    `secret`: "use" (made with the database when missing, if allowed), "existing" (must exist: a new one would be
    useless, as for certificate verify), "none". A value that cannot be used is exit status 2 with a message that
    names the variable, the value given and what is allowed (e.g. FAIRFINDER_PORT=abc, a bad sources.toml)."""
    from server.settings import secret_file

    try:
        settings = load_settings(make_secret=False)
    except SettingsError as error:
        console.print(f"Settings: {error}", style="red", markup=False, highlight=False)
        console.print("`fairfinder settings` lists every setting and what it allows.", markup=False, highlight=False)
        sys.exit(EXIT_INVALID)
    where = _where()
    origin = "" if where.explicit else " (the default: set FAIRFINDER_DATA_DIR or --data-dir for another)"
    said = f"Data folder: {settings.data_dir.resolve()}{origin}; database: {_database_words(settings)}"
    if log_line and settings.log_format == "json":
        # `serve` with JSON logs: its stderr stays one JSON object per line (docs/monitoring.md)
        import logging

        from server.observability import JsonFormatter

        record = logging.LogRecord("fairfinder.cli", logging.INFO, __file__, 0, said, None, None)
        sys.stderr.write(JsonFormatter().format(record) + "\n")
        sys.stderr.flush()
    else:
        console.print(said, markup=False, highlight=False)
    path = settings.sqlite_path()
    missing_database = database != "none" and path is not None and not path.exists()
    secret_path = secret_file(settings)
    missing_secret = secret != "none" and not settings.secret
    if missing_database and database == "use":
        console.print(f"[red]There is no database at {path}.[/red] Check FAIRFINDER_DATA_DIR / --data-dir, or make "
                      "one with `fairfinder --create migrate` (`make run` does).")
        sys.exit(EXIT_NOT_FOUND)
    if missing_secret and secret == "existing":
        console.print(f"[red]There is no server secret at {secret_path}[/red] (and FAIRFINDER_SECRET is not set): "
                      "this is not the data folder of the server that signed it. Check FAIRFINDER_DATA_DIR / "
                      "--data-dir.")
        sys.exit(EXIT_NOT_FOUND)
    if missing_database or missing_secret:
        what = "database" if missing_database else "server secret"
        folder = path.parent if missing_database and path is not None else secret_path.parent
        if not _may_create(where, what, folder):
            console.print(f"[red]Nothing was made: no new {what} in {folder}.[/red] To make one there, pass --create "
                          "(`fairfinder --create migrate`; `make run` does), or name the data folder with --data-dir "
                          "or FAIRFINDER_DATA_DIR.")
            sys.exit(EXIT_NOT_FOUND)
        if missing_secret:
            settings = load_settings()  # makes the secret (and the folder)
            console.print(f"Made a new server secret in {secret_path}; keep it with your backups.", markup=False,
                          highlight=False)
        if missing_database:
            console.print(f"Making a new database at {path}.", markup=False, highlight=False)
    return settings


def _check_migrations(settings: Settings) -> None:
    from server.db.migrate import current_revision, head_revision

    current, head = current_revision(settings.database_url), head_revision()
    if current != head:
        console.print(f"[red]The database is at migration {current or 'none'}, the code needs {head}.[/red]\n"
                      "Run `fairfinder migrate` first (it keeps all data).")
        sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_STATUSES)
@click.version_option(__version__, prog_name="fairfinder")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="DIR",
              help="The data folder (database, secret, backups) [default: FAIRFINDER_DATA_DIR or ./var].")
@click.option("--create", is_flag=True, help="Make a new database and server secret when there are none, without "
                                             "asking (`make run` passes it).")
@click.pass_context
def main(context: click.Context, data_dir: Path | None, create: bool) -> None:
    """Fairfinder: crowd reviews and effective hourly pay for microtask workers.

    Every command first says which data folder and database it uses. A command that would make a new database or
    server secret asks first at a terminal, and refuses without one, unless --create or a data folder is given
    (--data-dir, FAIRFINDER_DATA_DIR or DATABASE_URL).

    Settings come from the environment (`fairfinder settings` lists them all): DATABASE_URL (default: SQLite in ./var/fairfinder.db),
    FAIRFINDER_DATA_DIR (default ./var), FAIRFINDER_SECRET (generated once and kept beside the
    database when unset), FAIRFINDER_HOST, FAIRFINDER_PORT, FAIRFINDER_LOG_LEVEL. Community sharing:
    FAIRFINDER_SOURCES_FILE (default <data dir>/sources.toml), FAIRFINDER_SCHEDULER=off, and the
    others listed in docs/community.md. Web security (CORS, rate limits, FAIRFINDER_RATE_LIMITS=off,
    FAIRFINDER_FORWARDED_ALLOW_IPS): docs/security.md. Logs (FAIRFINDER_LOG_FORMAT=json|text) and
    metrics: docs/monitoring.md. Backups (`backup`, `restore`; scheduled ones: FAIRFINDER_BACKUP_INTERVAL,
    FAIRFINDER_BACKUP_DIR, FAIRFINDER_BACKUP_KEEP): docs/backups.md. Work certificates
    (FAIRFINDER_PUBLIC_URL, `certificate verify`): docs/certificate.md.
    """
    explicit = bool(data_dir or os.environ.get("FAIRFINDER_DATA_DIR") or os.environ.get("DATABASE_URL"))
    if data_dir is not None:
        os.environ["FAIRFINDER_DATA_DIR"] = str(data_dir)
    context.obj = Where(explicit=explicit, create=create)


@main.command()
@click.option("--host", default=None, help="Address to listen on [default: FAIRFINDER_HOST or 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port [default: FAIRFINDER_PORT or 8000].")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Server processes (uvicorn workers); docs/deploying.md.")
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the API (OpenAPI docs at /schema). The database must be migrated.

    With --workers N the processes act as one service: one of them runs the scheduler, /metrics adds up
    all of them, and on PostgreSQL rate limits and cache invalidation are shared too (docs/deploying.md).
    """
    import shutil

    import uvicorn

    settings = _settings(log_line=True)
    _check_migrations(settings)
    _check_port(host or settings.host, port or settings.port)
    from server.observability import uvicorn_log_config
    from server.security import HTTP_PROTOCOL, head_limit

    metrics_dir = _multiprocess_metrics(workers)
    try:
        # Proxy headers only from the proxies named in FAIRFINDER_FORWARDED_ALLOW_IPS (docs/security.md): the client
        # address feeds the rate limits. uvicorn's access log is off: ours (fairfinder.access) leaves out query strings.
        uvicorn.run("server.asgi:app", host=host or settings.host, port=port or settings.port, workers=workers,
                    log_level=settings.log_level.lower(), server_header=False, access_log=False,
                    log_config=uvicorn_log_config(settings.log_format, settings.log_level),
                    proxy_headers=bool(settings.forwarded_allow_ips),
                    forwarded_allow_ips=settings.forwarded_allow_ips or None,
                    http=HTTP_PROTOCOL, h11_max_incomplete_event_size=head_limit(settings))
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _check_port(host: str, port: int) -> None:
    """Say so, and stop, when the port is taken (uvicorn would log "ready" first, then a bare errno)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return  # uvicorn says what is wrong with the address
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError:
            console.print(f"[red]Port {port} on {host} is already in use[/red] (another Fairfinder, or another "
                          f"program). Stop it, or choose another port: `FAIRFINDER_PORT={port + 1} make run`, or "
                          f"`fairfinder serve --port {port + 1}`.")
            sys.exit(EXIT_BUSY)


def _multiprocess_metrics(workers: int) -> Path | None:
    """prometheus_client's multiprocess mode for several workers: a fresh folder where each process writes its
    values, named in PROMETHEUS_MULTIPROC_DIR before the workers start (they inherit it). Returns the folder
    to delete afterwards; a folder given by the operator is emptied of old values but kept."""
    import tempfile

    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):  # values of an earlier run would be added to this one's
            stale.unlink(missing_ok=True)
        return None
    if workers < 2:
        return None
    folder = Path(tempfile.mkdtemp(prefix="fairfinder-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return folder


@main.command(name="settings")
@click.option("--markdown", is_flag=True, help="As the Markdown table of docs/settings.md.")
def settings_command(markdown: bool) -> None:
    """List every setting: its environment variable, what it sets, its default and what it allows.

    All come from one declaration (server/settings.py); docs/settings.md is this list as a table.
    """
    click.echo(settings_table(markdown=markdown), nl=False)


@main.command()
@click.option("--revision", default="head", show_default=True, help="Alembic revision to upgrade to.")
def migrate(revision: str) -> None:
    """Create or upgrade the database schema. Safe to run again; never drops data."""
    from server.db.migrate import current_revision, upgrade

    settings = _settings(database="create")
    before = current_revision(settings.database_url)
    upgrade(settings.database_url, revision)
    after = current_revision(settings.database_url)
    console.print(f"Database at migration [bold]{after}[/bold]" + (f" (was {before or 'empty'})" if before != after else ", nothing to do"))
    if before is not None and before != after:
        # A new version may count differently (0.2.0 weighs new accounts' ratings less, leaves hidden reviews
        # out): stored aggregates are recomputed under its rules, so nothing stale is served after an upgrade.
        asyncio.run(_recompute(settings))


@main.command()
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds requesters.")
def demo(if_empty: bool) -> None:
    """Seed demo data: the 27-task HIT dashboard plus generated reviews and timings (marked as demo)."""
    settings = _settings()
    _check_migrations(settings)
    asyncio.run(_demo(settings, if_empty))


async def _demo(settings: Settings, if_empty: bool) -> None:
    from server.db.engine import create_engine, session_factory, write_transaction
    from server.demo import DEMO_ME, database_is_empty, seed_demo

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
            console.print(f"To see /me with the demo worker's earnings: `fairfinder sign-in-link {DEMO_ME}` prints a "
                          "link that signs you in (it works once, for a minute).", markup=False, highlight=False)
    finally:
        await engine.dispose()


@main.command()
def recompute() -> None:
    """Rebuild every aggregate from reviews and timings (one transaction; readers keep the old ones until done).

    Every account's standing (what its evidence weighs: docs/evidence.md) is computed and stored first, so the
    scheduler's next pass changes no figure.
    """
    settings = _settings()
    _check_migrations(settings)
    asyncio.run(_recompute(settings))


async def _recompute(settings: Settings) -> None:
    from server.db.engine import create_engine, session_factory, write_transaction
    from server.stats.standing import rebuild_with_standing

    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            with _progress() as progress:
                bar = progress.add_task("Rebuilding aggregates", total=None)
                started = time.perf_counter()
                async with write_transaction(session):
                    # every account's standing first: the scheduler's next pass then moves no figure
                    done = await rebuild_with_standing(
                        session, lambda n, total: progress.update(bar, completed=n, total=total))
        console.print(f"Rebuilt aggregates of {done} requesters in {time.perf_counter() - started:.1f} s.")
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
    from server.community.export import count_records, export_ratings, left_out
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
        async with session_factory(engine)() as session:
            left = await left_out(session)
        for count, what, why in left:
            console.print(f"Left out {count} {what}: {why}.", markup=False, highlight=False)
        if not written and not left:
            console.print("Nothing to export yet: no reviews or timings have been written to this server.")
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
    The whole input is checked before anything is written; a bad input changes nothing. Exit status: 0
    imported, 1 the source failed to answer, 2 the input cannot be used, 3 no such source or file.
    """
    settings = _settings()
    _check_migrations(settings)
    sys.exit(asyncio.run(_import(settings, source, kind, name, full)))


async def _import(settings: Settings, source: str, kind: str | None, name: str | None, full: bool) -> int:
    from pathlib import Path

    from scrapers.http import FetchError
    from scrapers.ratings import ImportError_
    from server.community.runner import guess_kind, import_file, import_source, make_fetcher
    from server.db.engine import create_engine, session_factory

    configured = {c.name: c for c in settings.sources}
    engine = create_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    try:
        sessionmaker = session_factory(engine)
        with _byte_progress() as progress:
            bars: dict[str, object] = {}

            def report(phase: str, done: int, total: int | None) -> None:
                if phase not in bars:
                    bars[phase] = progress.add_task(phase.capitalize(), total=total)
                progress.update(bars[phase], completed=done, total=total)  # type: ignore[arg-type]  # rich: None keeps the bar open-ended

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
                return EXIT_NOT_FOUND
            result = await import_file(sessionmaker, name or path.name.split(".")[0], kind or guess_kind(path), path,
                                       progress=report)
        console.print("Imported " + ", ".join(f"{v} {k}" for k, v in result.counts().items() if k != "full")
                      + (" (full: replaces what this source sent before)." if result.full else "."))
        return 0
    except ImportError_ as error:  # the input cannot be used
        console.print(f"[red]Nothing imported: {error}[/red]")
        return EXIT_INVALID
    except FetchError as error:  # the source did not answer as it should
        console.print(f"[red]Nothing imported: {error}[/red]")
        return EXIT_NOT_VALID
    finally:
        await engine.dispose()


def _byte_progress() -> Progress:
    from rich.progress import DownloadColumn

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
    from sqlalchemy import select, update

    from server.db.engine import create_engine, session_factory, write_transaction
    from server.db.models import Review, Worker
    from server.db.upsert import rows_affected
    from server.stats.settle import requester_changed

    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session, write_transaction(session):
            result = await session.execute(update(Worker).where(Worker.handle == handle).values(role=role))
            # A role changes how much a new account's ratings weigh (server/domain/moderation.py): recount them.
            for requester_id in sorted(set(await session.scalars(
                    select(Review.requester_id).join(Worker, Worker.id == Review.worker_id).where(Worker.handle == handle)))):
                await requester_changed(session, requester_id)
        if not rows_affected(result):
            console.print(f"[red]No worker has the handle {handle!r}.[/red]")
            return EXIT_NOT_FOUND
        console.print(f"{handle} is now {role}.")
        return 0
    finally:
        await engine.dispose()


@main.command(name="sign-in-link")
@click.argument("handle")
@click.option("--next", "next_path", type=click.Choice(["/me", "/me/certificate", "/listen", "/moderation"]),
              default="/me", show_default=True, help="The page the link opens.")
def sign_in_link(handle: str, next_path: str) -> None:
    """Print a one-time link that opens a page signed in as HANDLE (for the demo worker after `make run`, or to
    help a worker who lost their way in). It works once, for a minute; only a hash of it is kept. The address
    is FAIRFINDER_PUBLIC_URL, else http://FAIRFINDER_HOST:FAIRFINDER_PORT. Exit status 3: no such account."""
    settings = _settings()
    _check_migrations(settings)
    sys.exit(asyncio.run(_sign_in_link(settings, handle, next_path)))


async def _sign_in_link(settings: Settings, handle: str, next_path: str) -> int:
    from sqlalchemy import select

    from server.db.engine import create_engine, session_factory, write_transaction
    from server.db.models import Worker, utcnow
    from server.workers.sign_in import LINK_SECONDS, create_link

    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session, write_transaction(session):
            worker_id = await session.scalar(select(Worker.id).where(Worker.handle == handle,
                                                                     Worker.deleted_at.is_(None)))
            if worker_id is None:
                console.print(f"[red]No worker has the handle {handle!r}.[/red]")
                return EXIT_NOT_FOUND
            link = await create_link(session, worker_id, next_path, utcnow())
        console.print(f"Open this link within {LINK_SECONDS} seconds to be signed in as {handle} on {next_path}; "
                      "it works once.", markup=False, highlight=False)
        click.echo(settings.base_url + link.path)  # stdout: just the link, for scripts
        return EXIT_OK
    finally:
        await engine.dispose()


@main.command(name="page-reports")
@click.option("--platform", type=click.Choice(["mturk", "prolific"]), default=None, help="Only this platform's reports.")
@click.option("--extension-version", "version", default=None, metavar="VERSION",
              help="Only the reports of this extension version (e.g. 0.1.0).")
@click.option("--days", type=click.IntRange(min=1, max=3650), default=7, show_default=True,
              help="The last N UTC days, today included.")
@click.option("--limit", type=click.IntRange(min=1, max=200), default=50, show_default=True,
              help="Shapes listed at most (the most recently seen first).")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON of GET /api/v1/admin/page-reports instead.")
def page_reports(platform: str | None, version: str | None, days: int, limit: int, as_json: bool) -> None:
    """The page-shape reports extensions sent from pages they could not read, grouped by shape: first and last
    seen, reports per day, extension versions and browsers, and the shape itself (docs/page-reports.md).
    The database it reads is named on stderr."""
    from server.page_reports.cli import page_reports_command

    settings = _settings(secret="none")
    _check_migrations(settings)
    sys.exit(asyncio.run(page_reports_command(settings, console, platform=platform, version=version, days=days,
                                              limit=limit, as_json=as_json)))


@main.command()
@click.argument("dest", required=False, type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace DEST when it exists.")
def backup(dest: Path | None, force: bool) -> None:
    """Copy the database to DEST while the server keeps running, then check the copy.

    Uses SQLite's online backup API: the copy is the database as it was at one moment, whatever the
    server writes meanwhile. DEST defaults to <backup folder>/fairfinder-YYYYmmddTHHMMSSZ.db (the folder is
    FAIRFINDER_BACKUP_DIR, default <data dir>/backups); a folder puts that name in it. Exit status: 0 made
    and checked, 1 failed, 2 cannot be done here (not SQLite, DEST exists without --force), 3 no database.
    See docs/backups.md.
    """
    from server.db.backup import BackupError, backup_database, default_backup_path

    settings = _settings(secret="none")
    source = _sqlite_file(settings, "backup")
    target = dest if dest is not None else default_backup_path(settings.backups_path)
    if target.is_dir():
        target = default_backup_path(target)
    if not source.is_file():
        console.print(f"[red]There is no database at {source}.[/red] Check FAIRFINDER_DATA_DIR / DATABASE_URL.")
        sys.exit(EXIT_NOT_FOUND)
    if target.exists() and not force:
        console.print(f"[red]{target} already exists.[/red] Choose another name or pass --force to replace it.")
        sys.exit(2)
    try:
        with _progress() as progress:
            bar = progress.add_task("Copying pages", total=None)
            info = backup_database(source, target, force=force,
                                   progress=lambda done, total: progress.update(bar, completed=done, total=total))
    except BackupError as error:
        console.print(f"[red]No backup made: {error}[/red]")
        sys.exit(1)
    console.print(f"Backup written to [bold]{info.path}[/bold]: {_size(info.size)}, schema revision "
                  f"{info.revision}, integrity check ok.")
    secret = source.parent / "secret"
    if secret.exists():
        console.print(f"[dim]Keep a copy of {secret} with your backups too: linked platform ids are keyed with it.[/dim]")
    click.echo(str(info.path))  # stdout: just the path, for scripts


@main.command()
@click.argument("src", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--yes", is_flag=True, help="Restore without asking for confirmation.")
def restore(src: Path, yes: bool) -> None:
    """Replace the database with the backup SRC, then migrate it to this version's schema.

    Stop the server first (docs/backups.md says what happens otherwise). SRC must be a sound Fairfinder
    database (integrity check, a schema revision this version knows); an older one is upgraded. The
    current database is first copied to the backup folder as fairfinder-pre-restore-<time>.db. Exit status:
    0 restored, 1 not restored (failed or not confirmed), 2 refused (SRC unusable, not SQLite), 3 no file SRC.
    """
    from server.db.backup import IN_USE, BackupError, check_database, database_in_use, known_revisions, restore_database
    from server.db.migrate import current_revision, head_revision, upgrade

    settings = _settings(database="create", secret="none")
    live = _sqlite_file(settings, "restore")
    if not src.exists():
        console.print(f"[red]Not restored: there is no file {src}.[/red]")
        sys.exit(EXIT_NOT_FOUND)
    revisions, head = known_revisions(), head_revision()
    try:
        revision = check_database(src, revisions)
    except BackupError as error:
        console.print(f"[red]Not restored: {error}[/red]")
        sys.exit(2)
    if live.exists() and live.resolve() == src.resolve():
        console.print(f"[red]Not restored: {src} is the live database itself.[/red]")
        sys.exit(2)
    if database_in_use(live):
        console.print(f"[red]Not restored: {IN_USE.format(live=live)}[/red]")
        sys.exit(2)
    console.print(f"{src}: a Fairfinder database at schema revision {revision}"
                  + (f" (it will be upgraded to {head})." if revision != head else "."))
    if not yes:
        try:
            confirmed = click.confirm(f"Replace the database at {live} with it? The current one is copied to "
                                      f"{settings.backups_path} first", err=True)
        except click.Abort:
            console.print()
            confirmed = False
        if not confirmed:
            console.print("Nothing restored (pass --yes to restore without a question).")
            sys.exit(1)
    try:
        with _progress() as progress:
            bar = progress.add_task("Restoring pages", total=None)
            restored, safety = restore_database(src, live, settings.backups_path, revisions=revisions,
                                                progress=lambda done, total: progress.update(bar, completed=done, total=total))
    except BackupError as error:
        console.print(f"[red]Not restored: {error}[/red]")
        sys.exit(1)
    kept = f" The database as it was before is kept in {safety}." if safety else ""
    try:
        upgrade(settings.database_url)
    except Exception as error:  # noqa: BLE001 - say what failed and where the old data is, not a traceback
        console.print(f"[red]Restored {src}, but migrating it to schema {head} failed: {type(error).__name__}: "
                      f"{error}.[/red]{kept}")
        sys.exit(1)
    now_at = current_revision(settings.database_url)
    console.print(f"Restored {src} (schema {restored}) into {live}, now at schema {now_at}." + kept)
    if now_at != restored:  # upgraded: recompute under this version's rules (see `migrate`)
        asyncio.run(_recompute(settings))


@main.group()
def certificate() -> None:
    """Work certificates (docs/certificate.md)."""


@certificate.command(name="verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def certificate_verify(file: Path) -> None:
    """Check a work certificate (the signed JSON) with this server's key, offline. Needs this server's secret
    (FAIRFINDER_SECRET or the one in the data folder), nothing else: no database, no network.

    Exit status: 0 genuine and unchanged; 1 not valid (a certificate, but changed, or signed by a key this
    server does not hold: the reason is printed); 2 invalid (not a certificate at all: a PDF, not JSON, too
    large); 3 not found (no such file, or no server secret in the data folder)."""
    from server.certificate import signing
    from server.certificate.schemas import MAX_VERIFY_BYTES

    settings = _settings(database="none", secret="existing")
    try:
        with file.open("rb") as handle:
            data = handle.read(MAX_VERIFY_BYTES + 1)
    except FileNotFoundError:
        console.print(f"[red]Not verified: there is no file {file}.[/red]")
        sys.exit(EXIT_NOT_FOUND)
    except OSError as error:
        console.print(f"[red]Not verified: cannot read {file}: {error.strerror or error}.[/red]")
        sys.exit(EXIT_INVALID)
    if data.startswith(b"%PDF"):
        console.print(f"[red]Not verified: {file} is a PDF.[/red] Its signed certificate is attached inside it: "
                      "extract it with `pdfdetach -saveall` and verify work-certificate.json.")
        sys.exit(EXIT_INVALID)
    if len(data) > MAX_VERIFY_BYTES:
        console.print(f"[red]Not verified: {file} is larger than a certificate can be "
                      f"({MAX_VERIFY_BYTES // 1024} KiB).[/red]")
        sys.exit(EXIT_INVALID)
    key = signing.derive_key(settings.secret)
    try:
        verified = signing.verify_bytes(data, {key.key_id: key.public})
    except signing.VerificationError as error:
        console.print(f"[red]Not valid ({error.reason}):[/red] {error.message}", highlight=False)
        if error.reason == "unknown_key":
            console.print(f"The key of this server (data folder {settings.data_dir.resolve()}) is {key.key_id}; the "
                          "certificate names another. Was it issued by the server of another data folder?",
                          markup=False, highlight=False)
        sys.exit(EXIT_INVALID if error.reason in ("not_json", "not_a_credential") else EXIT_NOT_VALID)
    name = f"{verified.issuer_name} ({verified.issuer})" if verified.issuer_name else verified.issuer
    click.echo(f"Valid: issued by {name} on {verified.issued}, signed with key {verified.key_id}, unchanged since.")


def _sqlite_file(settings: Settings, command: str) -> Path:
    """The SQLite database file, or a clear message and exit status 2 for other databases."""
    path = settings.sqlite_path()
    if not settings.is_sqlite:
        console.print(f"[red]`fairfinder {command}` works on SQLite databases, and DATABASE_URL names another "
                      "database.[/red] For PostgreSQL use its own tools: pg_dump to back up, pg_restore to restore "
                      "(docs/backups.md).")
        sys.exit(2)
    if path is None:
        console.print(f"[red]`fairfinder {command}` needs a database file; DATABASE_URL names an in-memory database.[/red]")
        sys.exit(2)
    return path


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KiB"


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    main()
