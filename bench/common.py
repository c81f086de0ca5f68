"""Shared pieces of the benchmark scripts: the data (cached SQLite file or a throwaway PostgreSQL cluster),
a real `fairfinder serve` process with its memory sampled, aggregate snapshots for correctness guards,
and the marked sections of docs/benchmarks.md. Small functions, no measurement logic of their own.
"""
from __future__ import annotations

import fcntl
import json
import math
import os
import platform
import shlex
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/x.py` from anywhere
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from rich.console import Console  # noqa: E402

from bench.generate import TABLES, Sizes, database_bytes, generate, sqlite_path  # noqa: E402

RESULTS = ROOT / "bench" / "results"  # gitignored: cached databases and run folders
DOCS = ROOT / "docs" / "benchmarks.md"
DATABASES = ("sqlite", "postgresql")
HISTORY = "\n## History\n"

console = Console(stderr=True)


# --- the data -----------------------------------------------------------------------------------


def row_counts(database_url: str) -> dict[str, int]:
    """Rows of the generated tables: a cached database that was written to since is not reused."""
    from bench.generate import _sync_engine  # noqa: PLC0415
    from sqlalchemy import text  # noqa: PLC0415

    engine = _sync_engine(database_url)
    try:
        with engine.connect() as connection:
            return {t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}  # noqa: S608
    finally:
        engine.dispose()


def cached_sqlite(sizes: Sizes, regenerate: bool = False) -> tuple[Path, dict, bool]:
    """(database file, generation report, reused?): bench/results/data-<sizes>.db, generated with its
    aggregates when missing, stale (older migration, rows changed) or when `regenerate`."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"data-{sizes.key()}"
    with open(stem.with_suffix(".lock"), "w") as lock:  # two scripts at once: the second waits, then reuses
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _cached_sqlite(stem, sizes, regenerate)


def _cached_sqlite(stem: Path, sizes: Sizes, regenerate: bool) -> tuple[Path, dict, bool]:
    from server.db.migrate import current_revision, head_revision  # noqa: PLC0415

    db, report_file = stem.with_suffix(".db"), stem.with_suffix(".json")
    url = f"sqlite+aiosqlite:///{db}"
    if not regenerate and db.exists() and report_file.exists():
        report = json.loads(report_file.read_text())
        if current_revision(url) != head_revision():
            console.print("[yellow]Cached database is at an older migration; generating again.[/yellow]")
        elif (found := row_counts(url)) != {t: report["counts"].get(t) for t in found}:
            console.print(f"[yellow]Cached database was written to since it was generated ({found}); generating again.")
        elif report.get("rebuild_seconds") is None:
            console.print("[yellow]Cached database has no aggregates; generating again.[/yellow]")
        else:
            console.print(f"Reusing {db.relative_to(ROOT)}")
            return db, report, True
    report = asdict(generate(url, sizes, console=console, force=True))
    report_file.write_text(json.dumps(report, indent=2))
    return db, report, False


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy, WAL included (the backup API), so the cached database stays as generated."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL")


@dataclass
class BenchDatabase:
    """A database to measure on, with what it took to make it."""

    backend: str
    url: str
    generation: dict  # bench/generate.py's report
    reused: bool  # SQLite: the cached file; its generation times are from when it was generated
    workdir: Path
    load_seconds: float = 0.0  # copying the cached file, or generating into PostgreSQL
    cluster: Any = field(default=None, repr=False)

    def size_bytes(self) -> int:
        if self.backend == "sqlite":
            checkpoint_sqlite(self.url)
        return database_bytes(self.url)


def checkpoint_sqlite(url: str) -> None:
    with closing(sqlite3.connect(sqlite_path(url))) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@contextmanager
def bench_database(backend: str, sizes: Sizes, *, regenerate: bool = False, rebuild: bool = True,
                   keep: bool = False) -> Iterator[BenchDatabase]:
    """A fresh database with the generated data for one benchmark run, removed afterwards (unless `keep`).

    SQLite: a copy of the cached file (always with aggregates). PostgreSQL: a throwaway cluster
    (tests/postgres.py) that the same generator fills (same seed, same rows), with its aggregates
    unless `rebuild` is False; nothing is cached, the cluster goes with the run.
    """
    RESULTS.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f"run-{backend}-", dir=RESULTS))
    cluster = None
    try:
        started = time.perf_counter()
        if backend == "sqlite":
            source, report, reused = cached_sqlite(sizes, regenerate)
            started = time.perf_counter()
            with console.status("Copying the cached database"):
                copy_sqlite(source, workdir / "fairfinder.db")
            database = BenchDatabase(backend, f"sqlite+aiosqlite:///{workdir / 'fairfinder.db'}", report, reused, workdir)
        elif backend == "postgresql":
            from tests.postgres import start_cluster  # noqa: PLC0415

            with console.status("Starting a throwaway PostgreSQL cluster"):
                cluster = start_cluster()
            url = cluster.create_database("fairfinder")
            report = asdict(generate(url, sizes, console=console, rebuild_aggregates=rebuild))
            database = BenchDatabase(backend, url, report, False, workdir, cluster=cluster)
        else:
            raise ValueError(f"database must be one of {DATABASES}, not {backend!r}")
        database.load_seconds = time.perf_counter() - started
        yield database
    finally:
        if cluster is not None:
            cluster.stop()
        if not keep:
            for path in sorted(workdir.glob("**/*"), reverse=True):
                path.unlink() if path.is_file() else path.rmdir()
            workdir.rmdir()


# --- a real server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_pins(enabled: bool = True) -> tuple[int | None, int | None]:
    """(server CPU, load generator CPU): two different CPUs when there are two or more, else no pinning."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    return (cpus[0], cpus[1]) if enabled and len(cpus) >= 2 else (None, None)


def pinned(cpu: int | None) -> Callable[[], None] | None:
    """A preexec_fn that pins the child to one CPU (None: no pinning)."""
    return (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None


def fairfinder_command() -> list[str]:
    script = Path(sys.executable).parent / "fairfinder"
    return [str(script)] if script.exists() else [sys.executable, "-m", "server.cli"]


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (uvicorn workers), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def status_kib(pid: int, key: str) -> int:
    """A /proc/<pid>/status figure in KiB (VmRSS, VmHWM), 0 when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), 0 where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


class RssSampler:
    """Samples the summed RSS of a process tree every `interval` seconds in a thread; `peak_mib` is the
    largest sum seen while it ran (VmHWM is per process and counts shared pages once per process)."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid, self.interval = pid, interval
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, sum(status_kib(p, "VmRSS") for p in process_tree(self.pid)))
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mib(self) -> float:
        return self.peak_kib / 1024


class Server:
    """`fairfinder serve` on loopback against `database_url`: no rate limits, no scheduler, WARNING logs."""

    def __init__(self, workdir: Path, database_url: str, cpu: int | None = None, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "server.log"
        self.cpu = cpu
        self.env = {**os.environ, "DATABASE_URL": database_url, "FAIRFINDER_DATA_DIR": str(workdir),
                    "FAIRFINDER_HOST": "127.0.0.1", "FAIRFINDER_PORT": str(self.port), "FAIRFINDER_LOG_LEVEL": "WARNING",
                    "FAIRFINDER_SECRET": "bench-secret-not-for-production",
                    "FAIRFINDER_SCHEDULER": "off",  # no background jobs competing with the load
                    # a load test exceeds any per-address limit by design; text logs keep the ERROR-line count simple
                    "FAIRFINDER_RATE_LIMITS": "off", "FAIRFINDER_LOG_FORMAT": "text", **(extra_env or {})}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        self.process = subprocess.Popen([*fairfinder_command(), "serve"], env=self.env, cwd=ROOT,
                                        stdout=self.log.open("wb"), stderr=subprocess.STDOUT, preexec_fn=pinned(self.cpu))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"server did not start:\n{self.log.read_text(errors='replace')[-3000:]}")

    def check_alive(self) -> None:
        """Fail rather than report numbers of a server that died mid-run."""
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError(f"the server process is gone (exit code {self.process and self.process.returncode}):\n"
                               f"{self.log.read_text(errors='replace')[-3000:]}")

    def peak_hwm_mib(self) -> float:
        """The largest VmHWM (peak RSS since start) of the server's processes."""
        return max((status_kib(p, "VmHWM") for p in process_tree(self.pid)), default=0) / 1024

    def log_errors(self) -> int:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return sum(1 for line in text.splitlines() if "ERROR" in line or "Traceback" in line)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


def run_loadgen(url: str, path: str, bodies: Path, *, concurrency: int, duration: float, max_requests: int,
                cpu: int | None, server_pid: int) -> dict:
    """One closed-loop run of bench/loadgen.py (raw client) in its own process; its JSON result plus the
    server's CPU share and the server tree's peak RSS during the run."""
    command = [sys.executable, str(ROOT / "bench" / "loadgen.py"), "--url", url, "--path", path, "--bodies", str(bodies),
               "--concurrency", str(concurrency), "--duration", str(duration), "--max-requests", str(max_requests)]
    cpu_before = process_cpu_seconds(server_pid)
    with RssSampler(server_pid) as rss:
        done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 180, check=False,
                              preexec_fn=pinned(cpu))
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["server_cpu"] = round((process_cpu_seconds(server_pid) - cpu_before) / result["duration_s"], 3)
    result["server_peak_rss_mib"] = round(rss.peak_mib, 1)
    return result


# --- aggregates ---------------------------------------------------------------------------------


def close(a: Any, b: Any, rel_tol: float = 1e-9) -> bool:
    """Equal, with floats compared to a tolerance (sums built by additions in another order)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k], rel_tol) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(close(x, y, rel_tol) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=rel_tol, abs_tol=1e-6)
    return a == b


async def snapshot_aggregates(session: Any, requester_ids: list[int]) -> dict[str, Any]:
    """The stored aggregates of these requesters (their requester_stats rows and their task types'
    task_type_stats rows) and the platform sums, without updated_at: what a recompute must reproduce."""
    from sqlalchemy import select  # noqa: PLC0415

    from server.db.models import PlatformStats, RequesterStats, TaskType, TaskTypeStats  # noqa: PLC0415

    def values(row: Any, skip: tuple[str, ...]) -> dict[str, Any]:
        return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in skip}

    requesters, task_types = {}, {}
    for start in range(0, len(requester_ids), 500):
        chunk = requester_ids[start:start + 500]
        for row in await session.scalars(select(RequesterStats).where(RequesterStats.requester_id.in_(chunk))):
            requesters[row.requester_id] = values(row, ("updated_at",))
        for row in await session.scalars(select(TaskTypeStats).join(TaskType, TaskType.id == TaskTypeStats.task_type_id)
                                         .where(TaskType.requester_id.in_(chunk))):
            task_types[row.task_type_id] = values(row, ("updated_at",))
    platforms = {row.platform: values(row, ("updated_at",)) for row in await session.scalars(select(PlatformStats))}
    session.expunge_all()  # the next snapshot must read the rows again, not these objects
    return {"requesters": requesters, "task_types": task_types, "platforms": platforms}


def differences(stored: dict[str, Any], fresh: dict[str, Any], limit: int = 5) -> list[str]:
    """Where two snapshots disagree (platform sums to 1e-6: they add millions of terms in another order)."""
    found = []
    for kind in ("requesters", "task_types", "platforms"):
        a, b = stored[kind], fresh[kind]
        for key in sorted(a.keys() | b.keys(), key=str):
            if not close(a.get(key), b.get(key), 1e-6 if kind == "platforms" else 1e-9):
                found.append(f"{kind} {key}: stored {json.dumps(a.get(key), default=str)[:300]} "
                             f"recomputed {json.dumps(b.get(key), default=str)[:300]}")
    return found[:limit] + ([f"… {len(found) - limit} more"] if len(found) > limit else [])


# --- reporting ----------------------------------------------------------------------------------


def machine() -> dict:
    model = ""
    try:
        model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("model name")), "")
    except OSError:
        pass
    try:
        memory = next(int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal:"))
    except (OSError, StopIteration, ValueError):
        memory = 0
    return {"nproc": os.cpu_count(), "cpu": model or platform.processor(), "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()}", "memory_mib": memory,
            "loadavg": [round(x, 2) for x in os.getloadavg()]}


def add_run_arguments(parser: Any) -> None:
    """The options every benchmark script takes besides the sizes: where the data lives and where results go."""
    parser.add_argument("--database", choices=DATABASES, default="sqlite",
                        help="sqlite: a copy of the cached generated file; postgresql: a throwaway cluster filled by the generator")
    parser.add_argument("--regenerate", action="store_true", help="generate the SQLite data again even when cached")
    parser.add_argument("--keep", action="store_true", help="keep the run folder (bench/results/run-*: data copy, server log)")
    parser.add_argument("--no-docs", action="store_true", help=f"do not write {DOCS.relative_to(ROOT)}")
    parser.add_argument("--json", type=Path, default=None, help="also write the full result as JSON here")


def provenance_lines(result: dict, counts: dict) -> list[str]:
    """The closing lines of a result section: how to reproduce it, when, where, on which data."""
    g = result["generation"]
    return [
        f"- Command: `{result['command']}`",
        f"- Date: {result['date']}; code: {result['revision']}",
        f"- Machine: {machine_line(result['machine'])}",
        f"- Data: {sizes_line(result['sizes'], counts)}",
        f"- Generation (`bench/generate.py`): {g['generate_seconds']:,.1f} s for the rows"
        + (f" (inserts {g['insert_seconds']:,.1f} s)" if g.get("insert_seconds") is not None else "")
        + (f", `rebuild_all` {g['rebuild_seconds']:,.1f} s when generated" if g.get("rebuild_seconds") is not None else "")
        + ("; cached database, times from when it was generated" if result["generation_reused"] else "")
        + (f"; copying it for this run took {result['load_seconds']:,.1f} s" if result["database"] == "sqlite" else
           f"; starting the cluster and loading it took {result['load_seconds']:,.1f} s in all"),
    ]


def machine_line(m: dict) -> str:
    return (f"{m['nproc']} CPUs ({m['cpu']}), {m['memory_mib'] / 1024:.0f} GiB RAM, {m['system']}, Python {m['python']}; "
            f"load average before the run {', '.join(f'{x:.2f}' for x in m['loadavg'])}")


def git_revision() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10, check=True).stdout
        dirty = sorted(line[3:].strip() for line in status.splitlines() if line.strip())
        if not dirty:
            return head
        return head + " + uncommitted changes to " + (", ".join(dirty) if len(dirty) <= 8 else f"{len(dirty)} files")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def now_utc() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def reproduce_command(script: str, argv: list[str]) -> str:
    return shlex.join(["python", script, *argv])


def sizes_line(sizes: dict, counts: dict) -> str:
    return (f"{sizes['requesters']:,} requesters, {counts.get('task_types', sizes.get('task_types') or 0):,} task types, "
            f"{counts.get('reviews', sizes['reviews']):,} reviews, {counts.get('timings', sizes['timings']):,} timings, "
            f"{sizes['workers']:,} workers (seed {sizes['seed']})")


def is_default_scale(sizes: dict) -> bool:
    resolved = asdict(Sizes().resolved())
    return all(sizes.get(k) == resolved[k] for k in ("requesters", "task_types", "reviews", "timings"))


def mib(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:,.0f} MiB"


def write_section(path: Path, sid: str, section: str) -> None:
    """Replace the section between `<!-- bench:<sid>:start/end -->` (which `section` must carry); a new
    section goes before the hand-kept History table, or at the end."""
    start, end = f"<!-- bench:{sid}:start -->", f"<!-- bench:{sid}:end -->"
    if start not in section or end not in section:
        raise ValueError(f"section {sid!r} must carry its own markers")
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + section + rest.split(end, 1)[1]
    elif HISTORY in text:
        before, after = text.split(HISTORY, 1)
        text = before.rstrip("\n") + "\n\n" + section + "\n" + HISTORY + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
