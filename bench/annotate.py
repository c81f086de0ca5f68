"""Annotate throughput against two references of the same size, on a real server process.

    python bench/annotate.py [--requesters 10000 --reviews 100000 --concurrency 16 --duration 20 --tasks 100] [--warm]

1. Data: bench/generate.py at the given sizes, cached as bench/results/data-<sizes>.db (reused while the
   generator version, the schema's migration head and the row counts are unchanged; --regenerate forces a
   new one). Each run works on a copy (SQLite backup API), so the cached database stays as generated.
2. Server: `fairfinder serve` on 127.0.0.1 (a free port, one process, log level WARNING,
   FAIRFINDER_BENCH_ROUTES=1), pinned to CPU 0 when there are two or more CPUs.
3. Pages: --pages distinct annotate bodies of --tasks tasks each (known task types drawn with the
   requesters' popularity, plus --unseen never-seen tasks per page: new requesters and new task types
   of known requesters). One real annotate response becomes both references' answer (PUT).
4. Load: bench/loadgen.py in its own process (pinned to CPU 1): --concurrency keep-alive connections
   for --duration seconds per run, five runs in the palindromic order bytes baseline, typed baseline,
   annotate, typed baseline, bytes baseline. Each reference's two runs sit symmetrically around annotate,
   so a drift that is linear in time cancels in its mean; the typed baseline, which the bar is judged
   against, runs next to annotate. Any non-200 response or client error fails the run.
   * bytes baseline (`POST /api/v1/_bench/baseline`): reads the raw body, returns the stored bytes;
     the HTTP transport's ceiling.
   * typed baseline (`POST /api/v1/_bench/baseline-typed`): `data: AnnotateIn` decoded and validated
     by Litestar as annotate's body is, returns the stored response as an `AnnotateOut` that Litestar
     encodes per request; the framework's ceiling for this request and response. The bar is judged here.
5. Results: a table on stdout and the section of docs/benchmarks.md for this benchmark (replaced; a
   new section goes before the hand-kept "## History" table).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shlex
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import closing
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.generate import GENERATOR_VERSION, DESCRIPTIONS, Sizes, add_size_arguments, generate  # noqa: E402

RESULTS = ROOT / "bench" / "results"
DOCS = ROOT / "docs" / "benchmarks.md"
ANNOTATE = "/api/v1/annotate"
BASELINE_BYTES = "/api/v1/_bench/baseline"  # raw body in, stored bytes out: the HTTP transport's ceiling
BASELINE_TYPED = "/api/v1/_bench/baseline-typed"  # AnnotateIn in, AnnotateOut out: the framework's ceiling
# The palindromic run order: (run name, path). See the module docstring.
RUN_ORDER = (("bytes_1", BASELINE_BYTES), ("typed_1", BASELINE_TYPED), ("annotate", ANNOTATE),
             ("typed_2", BASELINE_TYPED), ("bytes_2", BASELINE_BYTES))
TARGET_RATIO = 0.3
SIGNED_IN_WORKERS = 8

console = Console(stderr=True)


# --- data ---------------------------------------------------------------------------------------


def cached_database(sizes: Sizes, regenerate: bool) -> tuple[Path, dict, bool]:
    """(database, generation report, reused?) for these sizes."""
    from server.db.migrate import current_revision, head_revision  # noqa: PLC0415

    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"data-{sizes.key()}"
    db, report_file = stem.with_suffix(".db"), stem.with_suffix(".json")
    url = f"sqlite+aiosqlite:///{db}"
    if not regenerate and db.exists() and report_file.exists():
        report = json.loads(report_file.read_text())
        if current_revision(url) != head_revision():
            console.print("[yellow]Cached database is at an older migration; generating again.[/yellow]")
        elif (found := row_counts(db)) != (expected := {k: report["counts"].get(k) for k in found}):
            console.print(f"[yellow]Cached database was written to since it was generated ({found} rows, "
                          f"generated {expected}); generating again.[/yellow]")
        else:
            console.print(f"Reusing {db.relative_to(ROOT)}")
            return db, report, True
    report = asdict(generate(url, sizes, console=console, force=True))
    report_file.write_text(json.dumps(report, indent=2))
    return db, report, False


def row_counts(db: Path) -> dict[str, int]:
    """Rows that annotate and the other routes add to, to tell a cached database that was written to."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        return {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - fixed names
                for table in ("requesters", "task_types", "workers", "reviews", "timings")}


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy, WAL included (a plain file copy would miss committed pages still in the -wal file)."""
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def count_task_types(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT count(*) FROM task_types").fetchone()[0]


def build_pages(db: Path, n_pages: int, tasks_per_page: int, unseen: int, seed: int) -> list[list[dict]]:
    """Pages of mturk tasks as the extension would send them (normalized `tasks`), in page order.

    Known tasks: a requester drawn with weight = its reviews + 1 (popular requesters fill the list,
    as on a real task list), then one of its task types; as listed now (same hit set id, so annotate
    has nothing to write for them). Unseen tasks: half from brand-new requesters, half new task types
    of known requesters; each page's are recorded the first time that page is annotated.
    """
    with sqlite3.connect(db) as connection:
        requesters = connection.execute(
            "SELECT r.id, r.external_id, r.name, (SELECT count(*) FROM reviews v WHERE v.requester_id = r.id) "
            "FROM requesters r WHERE r.platform = 'mturk' AND r.external_id LIKE 'bench-%' ORDER BY r.id").fetchall()
        types: dict[int, list[tuple]] = {}
        for row in connection.execute(
                "SELECT requester_id, title, reward_cents, currency, latest_hit_set_id, stated_seconds FROM task_types "
                "ORDER BY id"):
            types.setdefault(row[0], []).append(row[1:])
    requesters = [r for r in requesters if r[0] in types]
    if not requesters:
        raise SystemExit("the database holds no mturk bench requesters")
    weights = [r[3] + 1 for r in requesters]
    rng = random.Random(seed * 7919 + 1)
    known = max(0, tasks_per_page - unseen)
    pages = []
    for page in range(n_pages):
        tasks, used = [], set()
        attempts = 0
        while len(tasks) < known and attempts < known * 50:
            attempts += 1
            rid, external_id, name, _ = rng.choices(requesters, weights)[0]
            title, reward, currency, hit_set_id, stated = rng.choice(types[rid])
            if (rid, title, reward) in used:
                continue
            used.add((rid, title, reward))
            tasks.append(_task(rng, external_id, name, title, reward, currency, hit_set_id, stated))
        for k in range(tasks_per_page - len(tasks)):
            tag = f"p{page:04d}-{k:02d}"
            if k % 2 == 0:
                external_id, name = f"bench-new-{tag}", f"Bench new requester {tag}"
            else:
                _, external_id, name, _ = rng.choices(requesters, weights)[0]
            minutes = rng.choice([2, 5, 10, 15])
            tasks.append(_task(rng, external_id, name, f"New batch {tag}: survey about {rng.choice(['apps', 'food', 'travel'])} "
                               f"(~{minutes} minutes)", rng.randint(10, 300), "USD", f"bench-hs-new-{tag}", minutes * 60))
        rng.shuffle(tasks)
        pages.append(tasks)
    return pages


def _task(rng: random.Random, requester_id: str, name: str, title: str, reward: int, currency: str,
          hit_set_id: str | None, stated: int | None) -> dict:
    return {
        "platform": "mturk", "requester_id": requester_id, "requester_name": name, "title": title,
        "reward_cents": reward, "currency": currency, "hit_set_id": hit_set_id, "description": rng.choice(DESCRIPTIONS),
        "stated_seconds": stated, "time_allotted_seconds": rng.choice([600, 1800, 3600, 7200]),
        "available": rng.randint(1, 5000), "qualified": rng.random() < 0.9, "masters_required": rng.random() < 0.05,
        "url": f"https://worker.mturk.com/projects/{hit_set_id}/tasks" if hit_set_id else None,
    }


def mturk_search_json(tasks: list[dict]) -> dict:
    """The same page as worker.mturk.com's search JSON (`--body raw`)."""
    return {"results": [{
        "hit_set_id": t["hit_set_id"], "requester_id": t["requester_id"], "requester_name": t["requester_name"],
        "title": t["title"], "description": t["description"], "assignment_duration_in_seconds": t["time_allotted_seconds"],
        "assignable_hits_count": t["available"], "caller_meets_requirements": t["qualified"],
        "monetary_reward": {"currency_code": t["currency"], "amount_in_dollars": t["reward_cents"] / 100},
        "project_tasks_url": f"/projects/{t['hit_set_id']}/tasks", "project_requirements": [],
    } for t in tasks]}


# --- processes ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_pins(enabled: bool) -> tuple[int | None, int | None]:
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    return (cpus[0], cpus[1]) if enabled and len(cpus) >= 2 else (None, None)


def _pinned(cpu: int | None):  # type: ignore[no-untyped-def]
    return (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None


def fairfinder_command() -> list[str]:
    script = Path(sys.executable).parent / "fairfinder"
    return [str(script)] if script.exists() else [sys.executable, "-m", "server.cli"]


class Server:
    def __init__(self, workdir: Path, db: Path, cpu: int | None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "server.log"
        self.cpu = cpu
        self.env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{db}", "FAIRFINDER_DATA_DIR": str(workdir),
                    "FAIRFINDER_HOST": "127.0.0.1", "FAIRFINDER_PORT": str(self.port), "FAIRFINDER_LOG_LEVEL": "WARNING",
                    "FAIRFINDER_BENCH_ROUTES": "1", "FAIRFINDER_SECRET": "bench-secret-not-for-production",
                    "FAIRFINDER_SCHEDULER": "off",  # no background jobs competing with the load
                    # a load test exceeds any per-address limit by design; text logs keep the ERROR-line count below
                    "FAIRFINDER_RATE_LIMITS": "off", "FAIRFINDER_LOG_FORMAT": "text"}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([*fairfinder_command(), "serve"], env=self.env, cwd=ROOT,
                                        stdout=self.log.open("wb"), stderr=subprocess.STDOUT, preexec_fn=_pinned(self.cpu))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"server did not start:\n{self.log.read_text()}")

    def check_alive(self) -> None:
        """Fail rather than report numbers of a server that died (or was stopped by someone else) mid-run."""
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError(f"the server process is gone (exit code {self.process and self.process.returncode}):\n"
                               f"{self.log.read_text(errors='replace')[-3000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), 0 where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def run_load(url: str, path: str, bodies: Path, args: argparse.Namespace, cpu: int | None, server_pid: int) -> dict:
    command = [sys.executable, str(ROOT / "bench" / "loadgen.py"), "--url", url, "--path", path, "--bodies", str(bodies),
               "--concurrency", str(args.concurrency), "--duration", str(args.duration), "--client", args.client]
    cpu_before = process_cpu_seconds(server_pid)
    with console.status(f"{path}: {args.concurrency} connections for {args.duration:g} s"):
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.duration + 120, check=False,
                              preexec_fn=_pinned(cpu))
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["server_cpu"] = round((process_cpu_seconds(server_pid) - cpu_before) / result["duration_s"], 3)
    console.print(f"  {path:<30} {_fmt(result['requests_per_s'])} req/s  p50 {_fmt(result['p50_ms'])} ms  "
                  f"p99 {_fmt(result['p99_ms'])} ms  ({result['ok']}/{result['requests']} ok"
                  + (f", errors {result['errors']}" if result["errors"] else "") + ")")
    return result


# --- the benchmark ------------------------------------------------------------------------------


def check_and_store_baseline(server: Server, body: dict, tasks: int) -> tuple[bytes, Counter]:
    """One real annotate call: it must answer 200 with one annotation per task; its bytes become both
    references' answer. Both must then return exactly those bytes for the same request, and the typed
    reference must reject a bad body exactly as annotate does (it decodes and validates the same way)."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        response = client.post(ANNOTATE, json=body)
        if response.status_code != 200:
            raise RuntimeError(f"annotate answered {response.status_code}: {response.text[:2000]}")
        annotations = response.json()["tasks"]
        if len(annotations) != tasks:
            raise RuntimeError(f"annotate returned {len(annotations)} annotations for {tasks} tasks")
        stored = client.put(BASELINE_BYTES, content=response.content, headers={"Content-Type": "application/json"})
        if stored.status_code != 204:
            raise RuntimeError(f"storing the baseline payload answered {stored.status_code} (bench routes enabled?): "
                               f"{stored.text[:500]}")
        for path in (BASELINE_BYTES, BASELINE_TYPED):
            echoed = client.post(path, json=body)
            if echoed.status_code != 200 or echoed.content != response.content:
                raise RuntimeError(f"{path} answered {echoed.status_code} and not the stored annotate response "
                                   f"({len(echoed.content)} bytes, expected {len(response.content)})")
        bad_body = {**body, "not_a_field": 1}
        answers = {path: client.post(path, json=bad_body) for path in (ANNOTATE, BASELINE_TYPED)}
        if len({(r.status_code, r.content) for r in answers.values()}) != 1:
            raise RuntimeError("annotate and the typed baseline answer a bad body differently: "
                               + "; ".join(f"{p} {r.status_code} {r.text[:200]}" for p, r in answers.items()))
    return response.content, Counter(a["hourly"]["basis"] for a in annotations)


def warm_up(server: Server, lines: list[str]) -> float:
    """Annotate every page once, one at a time, so the measured runs see only known tasks (--warm)."""
    started = time.perf_counter()
    with httpx.Client(base_url=server.url, timeout=60) as client, console.status(f"Warming up: {len(lines)} pages"):
        for line in lines:
            item = json.loads(line)
            response = client.post(ANNOTATE, json=item["body"], headers=item["headers"])
            if response.status_code != 200:
                raise RuntimeError(f"warm-up annotate answered {response.status_code}: {response.text[:1000]}")
    return time.perf_counter() - started


def register_workers(server: Server, n: int) -> list[str]:
    tokens = []
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for _ in range(n):
            response = client.post("/api/v1/workers", json={})
            if response.status_code != 201:
                raise RuntimeError(f"registering a worker answered {response.status_code}: {response.text[:500]}")
            tokens.append(response.json()["token"])
    return tokens


def machine() -> dict:
    model = ""
    try:
        model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("model name")), "")
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model or platform.processor(), "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()}", "loadavg": os.getloadavg()}


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


def average(*runs: dict) -> dict:
    keys = ("requests_per_s", "p50_ms", "p90_ms", "p99_ms")
    return {k: round(sum(r[k] for r in runs) / len(runs), 2) for k in keys} | {
        "requests": sum(r["requests"] for r in runs), "ok": sum(r["ok"] for r in runs)}


def benchmark(args: argparse.Namespace) -> dict:
    sizes = Sizes(args.requesters, args.reviews, args.timings, args.workers, args.seed).resolved()
    db, generation, reused = cached_database(sizes, args.regenerate)
    server_cpu, client_cpu = cpu_pins(not args.no_pin)
    pages = build_pages(db, args.pages, args.tasks, args.unseen, args.seed)
    RESULTS.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="run-", dir=RESULTS))
    try:
        work_db = workdir / "fairfinder.db"
        copy_database(db, work_db)
        server = Server(workdir, work_db, server_cpu)
        loadavg_before = os.getloadavg()
        server.start()
        try:
            tokens = register_workers(server, SIGNED_IN_WORKERS) if args.signed_in > 0 else []
            token_rng = random.Random(args.seed)
            lines = []
            for tasks in pages:
                body = {"platform": "mturk", "tasks": tasks} if args.body == "tasks" else {"platform": "mturk",
                                                                                          "raw": mturk_search_json(tasks)}
                headers = {"Authorization": f"Bearer {token_rng.choice(tokens)}"} if tokens and token_rng.random() < args.signed_in else {}
                lines.append(json.dumps({"body": body, "headers": headers}))
            bodies = workdir / "bodies.jsonl"
            bodies.write_text("\n".join(lines) + "\n")
            request_bytes = sum(len(json.dumps(json.loads(line)["body"], separators=(",", ":"))) for line in lines) // len(lines)
            payload, bases = check_and_store_baseline(server, json.loads(lines[0])["body"], args.tasks)
            console.print(f"Server {server.url} (pid {server.process.pid}, CPU {server_cpu}); load generator on CPU "
                          f"{client_cpu}; {len(pages)} pages, request ~{request_bytes / 1024:.0f} KiB, "
                          f"response {len(payload) / 1024:.0f} KiB")
            warm_seconds = warm_up(server, lines) if args.warm else None
            runs, task_types = {}, {"start": count_task_types(work_db)}
            for name, path in RUN_ORDER:
                task_types[f"before_{name}"] = count_task_types(work_db)
                runs[name] = run_load(server.url, path, bodies, args, client_cpu, server.process.pid)
                server.check_alive()
            task_types["end"] = count_task_types(work_db)
        finally:
            server.stop()
        server_log = server.log.read_text(errors="replace")
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    bad = {name: (r["statuses"], r["errors"]) for name, r in runs.items() if r["ok"] != r["requests"] or r["errors"]}
    references = {ref: average(runs[f"{ref}_1"], runs[f"{ref}_2"]) for ref in ("typed", "bytes")}
    annotate_rps = runs["annotate"]["requests_per_s"]
    ratios = {ref: round(annotate_rps / b["requests_per_s"], 4) for ref, b in references.items()}
    drift = {}
    for ref in ("typed", "bytes"):
        r1, r2 = runs[f"{ref}_1"]["requests_per_s"], runs[f"{ref}_2"]["requests_per_s"]
        drift[ref] = round(abs(r1 - r2) / ((r1 + r2) / 2), 3) if r1 + r2 else None
    return {
        "command": reproduce_command(sys.argv[1:]),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
        "loadavg_before": loadavg_before, "revision": git_revision(), "sizes": asdict(sizes),
        "generation": generation, "generation_reused": reused, "options": {
            k: getattr(args, k) for k in ("concurrency", "duration", "tasks", "pages", "unseen", "client", "body", "signed_in",
                                          "warm")}, "warm_seconds": warm_seconds,
        "pins": {"server": server_cpu, "client": client_cpu}, "request_bytes": request_bytes, "response_bytes": len(payload),
        "check_bases": dict(bases), "run_order": [name for name, _ in RUN_ORDER], "runs": runs,
        "references": references, "drift": drift, "ratios": ratios,
        "ratio": ratios["typed"],  # the bar is judged against the typed baseline
        "typed_over_bytes": round(references["typed"]["requests_per_s"] / references["bytes"]["requests_per_s"], 4),
        "new_task_types": {"during_annotate": task_types["before_typed_2"] - task_types["before_annotate"],
                           "outside_annotate": (task_types["end"] - task_types["start"])
                           - (task_types["before_typed_2"] - task_types["before_annotate"])},
        "errors": bad, "server_log_errors": len(re.findall(r"(?m)^(ERROR|Traceback)", server_log)),
        "server_log_excerpt": _log_excerpt(server_log), "server_log_tail": _log_tail(server_log) if bad else "",
    }


def reproduce_command(argv: list[str]) -> str:
    """The command line that measures the same thing: options that only choose where output goes are left out."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--keep", "--no-docs") or arg.startswith("--json="):
            continue
        elif arg == "--json":
            skip = True
        else:
            kept.append(arg)
    return shlex.join(["python", "bench/annotate.py", *kept])


def _log_tail(log: str, lines: int = 60) -> str:
    """The server log's last lines (kept in the JSON result when a response was not a 200)."""
    return "\n".join(log.splitlines()[-lines:])


def _log_excerpt(log: str) -> str:
    """The last line of each distinct exception in the server log (e.g. `sqlite3.OperationalError: database is locked`)."""
    finals = re.findall(r"(?m)^(\w[\w.]*(?:Error|Exception)\b.*)$", log)
    return "; ".join(f"{line} (×{n})" for line, n in Counter(finals).most_common(3))


# --- reporting ----------------------------------------------------------------------------------


def _fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


RUN_LABELS = {"bytes_1": "bytes baseline", "typed_1": "typed baseline", "annotate": "annotate",
              "typed_2": "typed baseline", "bytes_2": "bytes baseline"}
REFERENCE_LABELS = {"typed": "typed baseline, mean of runs 2 and 4", "bytes": "bytes baseline, mean of runs 1 and 5"}


def _out() -> Console:
    return Console() if sys.stdout.isatty() else Console(width=120)


def _table_rows(result: dict) -> list[tuple[str, str, dict, str, str]]:
    """(run, label, figures, server CPU, client CPU) in run order, then the two references' means."""
    rows = []
    for number, name in enumerate(result["run_order"], 1):
        r = result["runs"][name]
        rows.append((str(number), RUN_LABELS[name], r, f"{r['server_cpu']:.0%}", f"{r['client_cpu']:.0%}"))
    for ref, label in REFERENCE_LABELS.items():
        rows.append(("", label, result["references"][ref], "", ""))
    return rows


def print_table(result: dict) -> None:
    o = result["options"]
    table = Table(title=f"annotate vs. typed and bytes baselines ({o['concurrency']} connections, {o['duration']:g} s "
                        f"per run{', warm: all tasks known' if o['warm'] else ''})")
    for column in ("run", "route", "req/s", "p50 ms", "p90 ms", "p99 ms", "200 OK / requests", "server CPU", "client CPU"):
        table.add_column(column, justify="left" if column == "route" else "right")
    for number, label, r, server_cpu, client_cpu in _table_rows(result):
        table.add_row(number, label, _fmt(r["requests_per_s"]), _fmt(r["p50_ms"]), _fmt(r["p90_ms"]), _fmt(r["p99_ms"]),
                      f"{r['ok']:,} / {r['requests']:,}", server_cpu, client_cpu)
    out = _out()
    out.print(table)
    runs = result["runs"]
    first, repeat = runs["annotate"]["first_view"], runs["annotate"]["repeat_view"]
    if not o["warm"]:
        out.print(f"annotate latency, first view of a page: p50 {_fmt(first['p50_ms'])} ms, p99 {_fmt(first['p99_ms'])} ms "
                  f"({first['requests']}); repeat views: p50 {_fmt(repeat['p50_ms'])} ms, p99 {_fmt(repeat['p99_ms'])} ms "
                  f"({repeat['requests']})")
    ratios, drift = result["ratios"], result["drift"]
    verdict = "meets" if ratios["typed"] >= TARGET_RATIO else "is BELOW"
    out.print(f"annotate / typed baseline = [bold]{ratios['typed']:.3f}[/bold] ({verdict} the {TARGET_RATIO}× bar); "
              f"annotate / bytes baseline = [bold]{ratios['bytes']:.3f}[/bold]; typed / bytes = "
              f"{result['typed_over_bytes']:.3f}; drift between a reference's two runs: typed {drift['typed']:.1%}, "
              f"bytes {drift['bytes']:.1%}")
    if result["errors"]:
        out.print(f"[red]Not every response was 200: {_describe_errors(result)}[/red]. {result['server_log_excerpt']}")
        out.print("Server log (last lines):\n" + result["server_log_tail"], markup=False, highlight=False)


def _describe_errors(result: dict) -> str:
    parts = []
    for name, (statuses, errors) in result["errors"].items():
        total = result["runs"][name]["requests"] + sum(errors.values())
        bad = [f"{n} × HTTP {code}" for code, n in statuses.items() if code != "200"]
        bad += [f"{n} × {error}" for error, n in errors.items()]
        parts.append(f"{name} ({RUN_LABELS[name]}) {', '.join(bad)} of {total:,}")
    return "; ".join(parts)


def section_id(result: dict) -> str:
    return "annotate-warm" if result["options"]["warm"] else "annotate"


def markdown_section(result: dict) -> str:
    m, s, g, o, runs = result["machine"], result["sizes"], result["generation"], result["options"], result["runs"]
    references, ratios, drift = result["references"], result["ratios"], result["drift"]
    rebuild = g.get("rebuild_seconds")
    rows = [f"| {number} | {f'**{label}**' if label == 'annotate' else label} | {_fmt(r['requests_per_s'])} | "
            f"{_fmt(r['p50_ms'])} | {_fmt(r['p90_ms'])} | {_fmt(r['p99_ms'])} | {r['ok']:,} / {r['requests']:,} | "
            f"{server_cpu} | {client_cpu} |" for number, label, r, server_cpu, client_cpu in _table_rows(result)]
    passed = ratios["typed"] >= TARGET_RATIO
    counts = g.get("counts", {})
    new, pins = result["new_task_types"], result["pins"]
    first, repeat = runs["annotate"]["first_view"], runs["annotate"]["repeat_view"]
    pin_text = (f"server pinned to CPU {pins['server']}, load generator to CPU {pins['client']}"
                if pins["server"] is not None else "no CPU pinning")
    sid = section_id(result)
    if o["warm"]:
        title = "Annotate vs. baselines, known pages only (`bench/annotate.py --warm`)"
        mode = (f"Every page was annotated once before measuring ({result['warm_seconds']:.1f} s, one at a time), so the "
                "measured annotate run is read-only: the steady state of pages whose tasks are all known.")
    else:
        title = "Annotate vs. baselines, cold pages (`bench/annotate.py`)"
        mode = ("Pages are measured cold: each page's unseen tasks are recorded (a write transaction) the first time "
                "that page is annotated during the annotate run, and every later view of it is read-only.")
    typed_rps = references["typed"]["requests_per_s"]
    lines = [
        f"<!-- bench:{sid}:start -->",
        f"## {title}",
        "",
        mode,
        "",
        f"Result: annotate / typed baseline = **{ratios['typed']:.3f}** — "
        + ("meets the bar" if passed else f"**below the {TARGET_RATIO}× bar**")
        + f" ({TARGET_RATIO}× of the typed baseline would be {TARGET_RATIO * typed_rps:,.0f} req/s here). "
        f"Annotate / bytes baseline = **{ratios['bytes']:.3f}**. The typed baseline itself runs at "
        f"{result['typed_over_bytes']:.3f}× the bytes baseline: that is what decoding and validating the request and "
        "encoding the response cost the framework, before annotate does any work.",
    ]
    if result["errors"]:
        lines += ["", f"**Not every response was 200**: {_describe_errors(result)}. Server log: "
                      f"{result['server_log_excerpt'] or 'no exception logged'}."]
    lines += [
        "",
        "| run | route | req/s | p50 ms | p90 ms | p99 ms | 200 OK / requests | server CPU | client CPU |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        (f"- Annotate latency by view: first view of a page p50 {_fmt(first['p50_ms'])} / p99 {_fmt(first['p99_ms'])} ms "
         f"({first['requests']:,} requests); repeat views p50 {_fmt(repeat['p50_ms'])} / p99 {_fmt(repeat['p99_ms'])} ms "
         f"({repeat['requests']:,} requests). " if not o["warm"] else "- ")
        + f"New task types recorded during the annotate run: {new['during_annotate']:,} (during the reference runs: "
        f"{new['outside_annotate']:,}). Server CPU and client CPU: share of one CPU each process used during the run.",
        f"- Drift between a reference's two runs: typed {drift['typed']:.1%}, bytes {drift['bytes']:.1%}; ERROR and "
        f"Traceback lines in the server log: {result['server_log_errors']}",
        f"- Command: `{result['command']}`",
        f"- Date: {result['date']}; code: {result['revision']}",
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['system']}, Python {m['python']}; load average before the run "
        f"{', '.join(f'{x:.2f}' for x in result['loadavg_before'])}; {pin_text}",
        f"- Data: {s['requesters']:,} requesters, {s['reviews']:,} reviews, {s['timings']:,} timings, {s['workers']:,} workers "
        f"(seed {s['seed']}); {counts.get('task_types', 0):,} task types; aggregates for {counts.get('task_type_stats', 0):,} "
        f"task types and {counts.get('requester_stats', 0):,} requesters; database {g.get('database_bytes', 0) / 2**20:.0f} MiB",
        f"- Generation (`bench/generate.py`): {g['generate_seconds']:.1f} s for the rows (bulk inserts {g['insert_seconds']:.1f} s); "
        + (f"`rebuild_all` {rebuild:.1f} s ({rebuild / max(1, g['rebuilt_requesters']) * 1000:.1f} ms per requester)"
           if rebuild is not None else "`rebuild_all` not run")
        + ("; cached database, times from when it was generated" if result["generation_reused"] else ""),
        f"- Load: {o['concurrency']} keep-alive connections, {o['duration']:g} s per run, `{o['client']}` client; "
        f"{o['pages']} distinct pages of {o['tasks']} mturk tasks taken in turn ({o['tasks'] - o['unseen']} known task "
        f"types drawn by requester popularity, {o['unseen']} unseen: new requesters and new task types), body "
        f"`{o['body']}`, " + (f"{o['signed_in']:.0%} signed in" if o["signed_in"] else "anonymous (default filters)")
        + f"; request ~{result['request_bytes'] / 1024:.0f} KiB, response {result['response_bytes'] / 1024:.0f} KiB",
        "- Hourly basis of the annotations of the check request (page 1): "
        + ", ".join(f"{k} {v}" for k, v in sorted(result["check_bases"].items())),
        f"<!-- bench:{sid}:end -->",
    ]
    return "\n".join(lines)


INTRO = """# Benchmarks

Speed is measured here and only here, never in tests. The machines are small (2 CPUs) and noisy, so
each benchmark starts a real server process on loopback and measures, in the same run, reference
routes next to the route under test; ratios between runs of the same process move much less than raw
requests/s. Each section below is written by its script; run the command it shows to reproduce it.
The History table at the end is kept by hand.

## Method: annotate

`bench/annotate.py` generates (or reuses from `bench/results/`) a database with `bench/generate.py`,
starts `fairfinder serve` (one uvicorn process, uvloop + httptools, log level WARNING,
`FAIRFINDER_BENCH_ROUTES=1`) on a copy of it, and drives it with `bench/loadgen.py` in a separate
process: N keep-alive connections, each sending its next request as soon as the previous response
is complete, for a fixed time. With two or more CPUs the server and the load generator are pinned to
different CPUs. Every response must be a 200; the section says so when one was not.

Two references answer the same requests with one stored real annotate response (same size on the
wire). Both are bench-only routes, absent from the OpenAPI schema.

- **Typed baseline**, `POST /api/v1/_bench/baseline-typed`: takes `data: AnnotateIn`, decoded and
  validated by Litestar exactly as annotate's body is, and returns a precomputed `AnnotateOut` that
  Litestar encodes on every request. It is the framework's ceiling for this request and response:
  everything annotate cannot avoid without leaving Litestar's typed handlers. **The bar is judged
  against it: annotate(100 tasks) ≥ 0.3× the typed baseline.**
- **Bytes baseline**, `POST /api/v1/_bench/baseline`: reads the raw body and returns the stored
  bytes, with no decoding or encoding: the HTTP transport's ceiling (uvicorn, routing, the socket).
  The ratio against it is shown too; the gap between the two baselines is the price of typed
  request and response handling alone.

The five runs go in a palindromic order: bytes, typed, annotate, typed, bytes. Each reference's two
runs sit symmetrically around annotate, so a drift that is linear in time (a neighbour's load, heat,
the server's heap growing) cancels in the mean of the two, and the typed baseline, which carries
the bar, is the one measured closest to annotate. The drift between a reference's two runs is
reported; a large one means the machine was busy and the run is worth repeating.

The load generator's client matters. The default `raw` client writes prebuilt HTTP/1.1 requests on
asyncio streams and uses about 40% of a CPU at 5,000-9,000 bytes-baseline requests/s. An httpx
client (`--client httpx`) saturates its CPU at about 700 requests/s, so a fast reference then
measures the client, not the server, and the ratios come out several times higher for the same
server.
"""

HISTORY = "\n## History\n"


def write_docs(result: dict, path: Path) -> None:
    """Replace this benchmark's section; a new section goes before the hand-kept History table."""
    write_section(path, section_id(result), markdown_section(result))


def write_section(path: Path, sid: str, section: str) -> None:
    """Replace the section between `<!-- bench:<sid>:start/end -->` (which `section` must carry); a new
    section goes before the hand-kept History table. Shared by every benchmark script."""
    start, end = f"<!-- bench:{sid}:start -->", f"<!-- bench:{sid}:end -->"
    text = path.read_text() if path.exists() else INTRO
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    add_size_arguments(parser)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per run (five runs)")
    parser.add_argument("--tasks", type=int, default=100, help="tasks per page (the API takes at most 100)")
    parser.add_argument("--pages", type=int, default=200, help="distinct pages taken in turn")
    parser.add_argument("--unseen", type=int, default=5, help="never-seen tasks per page")
    parser.add_argument("--warm", action="store_true",
                        help="annotate every page once before measuring (measures known pages only; own docs section)")
    parser.add_argument("--body", choices=("tasks", "raw"), default="tasks",
                        help="normalized tasks, or the worker.mturk.com search JSON parsed by the server")
    parser.add_argument("--signed-in", type=float, default=0.0, help="share of pages sent with a worker's token")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw", help="load generator client")
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and load generator to separate CPUs")
    parser.add_argument("--regenerate", action="store_true", help="generate the data again even when cached")
    parser.add_argument("--keep", action="store_true", help="keep the run folder (database copy, bodies, server log)")
    parser.add_argument("--no-docs", action="store_true", help=f"do not write {DOCS.relative_to(ROOT)}")
    parser.add_argument("--json", type=Path, default=None, help="also write the full result as JSON here")
    args = parser.parse_args(argv)
    if not (1 <= args.tasks <= 100 and 0 <= args.unseen <= args.tasks and 1 <= args.pages <= 100_000
            and 1 <= args.concurrency <= 512 and 0 < args.duration <= 600 and 0 <= args.signed_in <= 1):
        parser.error("need 1 ≤ tasks ≤ 100, 0 ≤ unseen ≤ tasks, 1 ≤ pages, 1 ≤ concurrency ≤ 512, 0 < duration ≤ 600")
    sizes = Sizes(args.requesters, args.reviews, args.timings, args.workers, args.seed)
    console.print(f"Generator version {GENERATOR_VERSION}; sizes {sizes.key()}")
    result = benchmark(args)
    print_table(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    if not args.no_docs:
        write_docs(result, DOCS)
        console.print(f"Wrote {DOCS.relative_to(ROOT)}")
    if result["errors"]:
        return 1
    return 0 if result["ratios"]["typed"] >= TARGET_RATIO else 2


if __name__ == "__main__":
    sys.exit(main())
