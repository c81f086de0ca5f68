"""Annotate throughput against the framework's own ceiling, on a real server process.

    python bench/annotate.py [--requesters 10000 --reviews 100000 --concurrency 16 --duration 20 --tasks 100]

1. Data: bench/generate.py at the given sizes, cached as bench/results/data-<sizes>.db (reused while the
   generator version and the schema's migration head are unchanged; --regenerate forces a new one).
   Each run works on a copy, so the cached database stays as generated.
2. Server: `fairfinder serve` on 127.0.0.1 (a free port, one process, log level WARNING,
   FAIRFINDER_BENCH_ROUTES=1), pinned to CPU 0 when there are two or more CPUs.
3. Pages: --pages distinct annotate bodies of --tasks tasks each (known task types drawn with the
   requesters' popularity, plus --unseen never-seen tasks per page: new requesters and new task types
   of known requesters). One real annotate response becomes the baseline payload (PUT).
4. Load: bench/loadgen.py in its own process (pinned to CPU 1): --concurrency keep-alive connections
   for --duration seconds, first against the baseline route (same bodies, same response bytes, no
   work), then annotate, then the baseline again; the two baseline runs are averaged to cancel drift.
   Any non-200 response or client error fails the run.
5. Results: a table on stdout and the section of docs/benchmarks.md for this benchmark (replaced).
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
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.generate import GENERATOR_VERSION, DESCRIPTIONS, Sizes, generate  # noqa: E402

RESULTS = ROOT / "bench" / "results"
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION_START = "<!-- bench:annotate:start -->"
SECTION_END = "<!-- bench:annotate:end -->"
ANNOTATE = "/api/v1/annotate"
BASELINE = "/api/v1/_bench/baseline"
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
        if current_revision(url) == head_revision():
            console.print(f"Reusing {db.relative_to(ROOT)}")
            return db, json.loads(report_file.read_text()), True
        console.print("[yellow]Cached database is at an older migration; generating again.[/yellow]")
    report = asdict(generate(url, sizes, console=console, force=True))
    report_file.write_text(json.dumps(report, indent=2))
    return db, report, False


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
                    "FAIRFINDER_BENCH_ROUTES": "1", "FAIRFINDER_SECRET": "bench-secret-not-for-production"}
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

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


def run_load(url: str, path: str, bodies: Path, args: argparse.Namespace, cpu: int | None) -> dict:
    command = [sys.executable, str(ROOT / "bench" / "loadgen.py"), "--url", url, "--path", path, "--bodies", str(bodies),
               "--concurrency", str(args.concurrency), "--duration", str(args.duration), "--client", args.client]
    with console.status(f"{path}: {args.concurrency} connections for {args.duration:g} s"):
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.duration + 120, check=False,
                              preexec_fn=_pinned(cpu))
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    console.print(f"  {path:<26} {_fmt(result['requests_per_s'])} req/s  p50 {_fmt(result['p50_ms'])} ms  "
                  f"p99 {_fmt(result['p99_ms'])} ms  ({result['ok']}/{result['requests']} ok"
                  + (f", errors {result['errors']}" if result["errors"] else "") + ")")
    return result


# --- the benchmark ------------------------------------------------------------------------------


def check_and_store_baseline(server: Server, body: dict, tasks: int) -> tuple[bytes, Counter]:
    """One real annotate call: it must answer 200 with one annotation per task; its bytes become the baseline."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        response = client.post(ANNOTATE, json=body)
        if response.status_code != 200:
            raise RuntimeError(f"annotate answered {response.status_code}: {response.text[:2000]}")
        annotations = response.json()["tasks"]
        if len(annotations) != tasks:
            raise RuntimeError(f"annotate returned {len(annotations)} annotations for {tasks} tasks")
        stored = client.put(BASELINE, content=response.content, headers={"Content-Type": "application/json"})
        if stored.status_code != 204:
            raise RuntimeError(f"storing the baseline payload answered {stored.status_code} (bench routes enabled?)")
        echoed = client.post(BASELINE, json=body)
        if echoed.status_code != 200 or echoed.content != response.content:
            raise RuntimeError("the baseline route does not return the stored annotate response")
    return response.content, Counter(a["hourly"]["basis"] for a in annotations)


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
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                               text=True, timeout=10, check=True).stdout.strip()
        return head + (" + uncommitted changes" if dirty else "")
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
        shutil.copy(db, work_db)
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
            types_before = count_task_types(work_db)
            console.print(f"Server {server.url} (pid {server.process.pid}, CPU {server_cpu}); load generator on CPU "
                          f"{client_cpu}; {len(pages)} pages, request ~{request_bytes / 1024:.0f} KiB, "
                          f"response {len(payload) / 1024:.0f} KiB")
            runs = {"baseline_1": run_load(server.url, BASELINE, bodies, args, client_cpu)}
            types_mid = count_task_types(work_db)
            runs["annotate"] = run_load(server.url, ANNOTATE, bodies, args, client_cpu)
            types_after = count_task_types(work_db)
            runs["baseline_2"] = run_load(server.url, BASELINE, bodies, args, client_cpu)
        finally:
            server.stop()
        server_log = server.log.read_text(errors="replace")
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    bad = {name: (r["statuses"], r["errors"]) for name, r in runs.items() if r["ok"] != r["requests"] or r["errors"]}
    baseline = average(runs["baseline_1"], runs["baseline_2"])
    b1, b2 = runs["baseline_1"]["requests_per_s"], runs["baseline_2"]["requests_per_s"]
    return {
        "command": "python bench/annotate.py" + (" " + shlex.join(sys.argv[1:]) if sys.argv[1:] else ""),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
        "loadavg_before": loadavg_before, "revision": git_revision(), "sizes": asdict(sizes),
        "generation": generation, "generation_reused": reused, "options": {
            k: getattr(args, k) for k in ("concurrency", "duration", "tasks", "pages", "unseen", "client", "body", "signed_in")},
        "pins": {"server": server_cpu, "client": client_cpu}, "request_bytes": request_bytes, "response_bytes": len(payload),
        "check_bases": dict(bases), "runs": runs, "baseline": baseline,
        "baseline_drift": round(abs(b1 - b2) / ((b1 + b2) / 2), 3) if b1 + b2 else None,
        "ratio": round(runs["annotate"]["requests_per_s"] / baseline["requests_per_s"], 3),
        "new_task_types": {"during_baseline": types_mid - types_before, "during_annotate": types_after - types_mid},
        "errors": bad, "server_log_errors": len(re.findall(r"(?m)^(ERROR|Traceback)", server_log)),
    }


# --- reporting ----------------------------------------------------------------------------------


def _fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def print_table(result: dict) -> None:
    table = Table(title=f"annotate vs baseline ({result['options']['concurrency']} connections, "
                        f"{result['options']['duration']:g} s each)")
    for column in ("route", "req/s", "p50 ms", "p90 ms", "p99 ms", "ok / requests"):
        table.add_column(column, justify="left" if column == "route" else "right")
    runs = result["runs"]
    for name, label in (("baseline_1", "baseline (1st)"), ("annotate", "annotate"), ("baseline_2", "baseline (2nd)")):
        r = runs[name]
        table.add_row(label, _fmt(r["requests_per_s"]), _fmt(r["p50_ms"]), _fmt(r["p90_ms"]), _fmt(r["p99_ms"]),
                      f"{r['ok']:,} / {r['requests']:,}")
    b = result["baseline"]
    table.add_row("baseline (mean)", _fmt(b["requests_per_s"]), _fmt(b["p50_ms"]), _fmt(b["p90_ms"]), _fmt(b["p99_ms"]),
                  f"{b['ok']:,} / {b['requests']:,}")
    Console().print(table)
    verdict = "meets" if result["ratio"] >= TARGET_RATIO else "is BELOW"
    Console().print(f"annotate / baseline = [bold]{result['ratio']:.3f}[/bold] ({verdict} the {TARGET_RATIO}× bar); "
                    f"baseline drift between its two runs {result['baseline_drift']:.1%}")


def markdown_section(result: dict) -> str:
    m, s, g, o, runs, b = (result["machine"], result["sizes"], result["generation"], result["options"], result["runs"],
                           result["baseline"])
    rebuild = g.get("rebuild_seconds")
    rows = []
    for name, label in (("baseline_1", "baseline, 1st run"), ("annotate", "**annotate**"), ("baseline_2", "baseline, 2nd run")):
        r = runs[name]
        rows.append(f"| {label} | {_fmt(r['requests_per_s'])} | {_fmt(r['p50_ms'])} | {_fmt(r['p90_ms'])} | "
                    f"{_fmt(r['p99_ms'])} | {r['ok']:,} / {r['requests']:,} |")
    rows.append(f"| baseline, mean of both | {_fmt(b['requests_per_s'])} | {_fmt(b['p50_ms'])} | {_fmt(b['p90_ms'])} | "
                f"{_fmt(b['p99_ms'])} | {b['ok']:,} / {b['requests']:,} |")
    passed = result["ratio"] >= TARGET_RATIO
    counts = g.get("counts", {})
    new = result["new_task_types"]
    pins = result["pins"]
    pin_text = (f"server pinned to CPU {pins['server']}, load generator to CPU {pins['client']}"
                if pins["server"] is not None else "no CPU pinning")
    return "\n".join([
        SECTION_START,
        "## Annotate vs. baseline (`bench/annotate.py`)",
        "",
        "`POST /api/v1/annotate` with a page of tasks, against `POST /api/v1/_bench/baseline`, which reads the same",
        "request body and returns a stored real annotate response of the same page without doing any work: the",
        "baseline is the ceiling of this server stack (uvicorn, Litestar, one process) for this request and",
        "response size, so the ratio is the share of that ceiling annotate keeps. The baseline runs before",
        "and after annotate and the two are averaged, to cancel some of the drift of a noisy machine.",
        f"Bar for the first milestone: annotate ≥ {TARGET_RATIO}× baseline throughput.",
        "",
        f"Result: annotate / baseline = **{result['ratio']:.3f}** — "
        + ("meets the bar." if passed else f"**below the {TARGET_RATIO}× bar.**"),
        "",
        "| route | req/s | p50 ms | p90 ms | p99 ms | 200 OK / requests |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
        "",
        f"- Command: `{result['command']}`",
        f"- Date: {result['date']}; code: {result['revision']}",
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['system']}, Python {m['python']}; load average before the run "
        f"{', '.join(f'{x:.2f}' for x in result['loadavg_before'])}; {pin_text}",
        f"- Data: {s['requesters']:,} requesters, {s['reviews']:,} reviews, {s['timings']:,} timings, {s['workers']:,} workers "
        f"(seed {s['seed']}); {counts.get('task_types', 0):,} task types, {counts.get('task_type_stats', 0):,} task types "
        f"and {counts.get('requester_stats', 0):,} requesters with aggregates; database "
        f"{g.get('database_bytes', 0) / 2**20:.0f} MiB",
        f"- Generation: {g['generate_seconds']:.1f} s for the rows (of which bulk inserts {g['insert_seconds']:.1f} s); "
        + (f"`rebuild_all` {rebuild:.1f} s ({rebuild / max(1, g['rebuilt_requesters']) * 1000:.1f} ms per requester)"
           if rebuild is not None else "`rebuild_all` not run")
        + (" (cached database, times from when it was generated)" if result["generation_reused"] else ""),
        f"- Load: {o['concurrency']} keep-alive connections, {o['duration']:g} s per run, `{o['client']}` client "
        f"(bench/loadgen.py, its own process); {o['pages']} distinct pages of {o['tasks']} tasks taken in turn "
        f"({o['tasks'] - o['unseen']} known task types drawn by requester popularity + {o['unseen']} never seen: new "
        f"requesters and new task types), body `{o['body']}`, "
        + (f"{o['signed_in']:.0%} signed in" if o["signed_in"] else "anonymous (default filters)")
        + f"; request ~{result['request_bytes'] / 1024:.0f} KiB, response {result['response_bytes'] / 1024:.0f} KiB",
        f"- Writes: annotate recorded {new['during_annotate']:,} new task types during its run (each page's unseen "
        "tasks on its first view; later views of a page are read-only)",
        f"- Check request: hourly basis of the 100 annotations of page 1: "
        + ", ".join(f"{k} {v}" for k, v in sorted(result["check_bases"].items())),
        f"- Baseline drift between its two runs: {result['baseline_drift']:.1%}; server log errors: {result['server_log_errors']}",
        SECTION_END,
    ])


INTRO = """# Benchmarks

Speed is measured here and only here (never in tests): the machines are small and noisy, so every
benchmark runs a real server process on loopback against a reference route measured in the same run,
and reports the ratio as well as the raw numbers. Raw requests/s move with the machine; ratios move much less.
Each section below is written by its script; run the command it shows to reproduce it.
"""


def write_docs(result: dict, path: Path) -> None:
    section = markdown_section(result)
    text = path.read_text() if path.exists() else INTRO
    if SECTION_START in text and SECTION_END in text:
        before, rest = text.split(SECTION_START, 1)
        text = before + section + rest.split(SECTION_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requesters", type=int, default=Sizes.requesters)
    parser.add_argument("--reviews", type=int, default=Sizes.reviews)
    parser.add_argument("--timings", type=int, default=None, help="default: as many as reviews")
    parser.add_argument("--workers", type=int, default=None, help="worker accounts; default: reviews / 20")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per run (three runs)")
    parser.add_argument("--tasks", type=int, default=100, help="tasks per page (the API takes at most 100)")
    parser.add_argument("--pages", type=int, default=200, help="distinct pages taken in turn")
    parser.add_argument("--unseen", type=int, default=5, help="never-seen tasks per page")
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
    console.print(f"Generator version {GENERATOR_VERSION}; sizes {Sizes(args.requesters, args.reviews, args.timings, args.workers, args.seed).key()}")
    result = benchmark(args)
    print_table(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    if result["errors"]:
        console.print(f"[red]Not every response was 200: {result['errors']}; docs not written.[/red]")
        return 1
    if not args.no_docs:
        write_docs(result, DOCS)
        console.print(f"Wrote {DOCS.relative_to(ROOT)}")
    return 0 if result["ratio"] >= TARGET_RATIO else 2


if __name__ == "__main__":
    sys.exit(main())
