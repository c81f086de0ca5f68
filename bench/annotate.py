"""Annotate throughput and latency against two references of the same size, on a real server process.

    python bench/annotate.py [--database sqlite|postgresql] [sizes: --requesters 50000 --task-types … --reviews 1000000]
                             [--concurrency 16 --duration 20 --tasks 100] [--rate 200 --fresh-every 20] [--no-burst]

1. Data: bench/generate.py at the given sizes (default: the issue's scale), through bench/common.py: on
   SQLite a copy of the cached bench/results/data-<sizes>.db (generated with its aggregates when missing
   or stale; --regenerate forces a new one), on PostgreSQL a throwaway cluster the same generator fills.
2. Server: `fairfinder serve` on 127.0.0.1 (a free port, one process, log level WARNING,
   FAIRFINDER_BENCH_ROUTES=1, rate limits off), pinned to CPU 0 when there are two or more CPUs;
   24 workers registered (signed-in requests carry their tokens).
3. Pages: two sets ("a" anonymous, "s" signed in) of --pages distinct annotate bodies of --tasks tasks each
   (known task types drawn with the requesters' popularity, plus --unseen never-seen tasks per page: new
   requesters and new task types of known requesters). One real annotate response becomes both
   references' answer (PUT).
4. Throughput, closed loop: bench/loadgen.py in its own process (pinned to CPU 1): --concurrency
   keep-alive connections for --duration seconds per run, eight runs in the palindromic order bytes
   baseline, typed baseline, annotate cold anonymous (set a, first views during the run), cold signed in
   (set s), warm anonymous (set a again: all known), warm signed in, typed baseline, bytes baseline. Each
   reference's two runs sit symmetrically around the annotate runs, so a drift that is linear in time
   cancels in its mean. Any non-200 response or client error is reported.
   * bytes baseline (`POST /api/v1/_bench/baseline`): reads the raw body, returns the stored bytes;
     the HTTP transport's ceiling (the physical limit on the machine).
   * typed baseline (`POST /api/v1/_bench/baseline-typed`): `data: AnnotateIn` decoded and validated
     by Litestar's typed handling, returns the stored response as an `AnnotateOut` that Litestar
     encodes per request: the framework's ceiling for this request and response.
5. Latency, open loop (--rate, 0 to skip): requests on a fixed schedule of --rate per second for
   --duration seconds, whatever the server answers, latency counted from each request's scheduled time
   (no coordinated omission): the bytes and typed baselines (the floors), then annotate signed in, where
   every --fresh-every-th request is a page nobody has shown yet (--unseen new tasks).
6. Burst: 24 signed-in clients at once, 8 pages each of 20 never-seen tasks (each page once); then one
   GET /ready, timed. Answers must be 200 or 503 with Retry-After (shed).
7. Memory: the server's peak RSS (VmHWM from /proc/<pid>/status) at the end, and sampled during each run.
8. Results: a table on stdout and this benchmark's section of docs/benchmarks.md (one per database;
   replaced; a new section goes before the hand-kept "## History" table). Every figure is given as a
   ratio to both references measured in the same run.
"""
from __future__ import annotations

import argparse
import json
from typing import Any
import math
import random
import re
import shlex
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.common import (  # noqa: E402
    add_run_arguments,
    DOCS,
    RssSampler,
    Server,
    bench_database,
    cpu_pins,
    git_revision,
    machine,
    now_utc,
    pinned,
    process_cpu_seconds,
    status_kib,
    write_section,
)
from bench.generate import DESCRIPTIONS, GENERATOR_VERSION, add_size_arguments, sizes_from_args  # noqa: E402

__all__ = ["DOCS", "git_revision", "write_section"]  # bench/listening.py takes these from here

ANNOTATE = "/api/v1/annotate"
BASELINE_BYTES = "/api/v1/_bench/baseline"  # raw body in, stored bytes out: the HTTP transport's ceiling
BASELINE_TYPED = "/api/v1/_bench/baseline-typed"  # AnnotateIn in, AnnotateOut out: the framework's ceiling
# The palindromic run order: (run name, path, page set). See the module docstring. Page sets: "a" anonymous
# pages, "s" signed-in pages (every request with a worker's token), each with --unseen never-seen tasks.
RUN_ORDER = (("bytes_1", BASELINE_BYTES, "a"), ("typed_1", BASELINE_TYPED, "a"), ("cold", ANNOTATE, "a"),
             ("cold_signed", ANNOTATE, "s"), ("warm", ANNOTATE, "a"), ("warm_signed", ANNOTATE, "s"),
             ("typed_2", BASELINE_TYPED, "a"), ("bytes_2", BASELINE_BYTES, "a"))
ANNOTATE_RUNS = ("cold", "cold_signed", "warm", "warm_signed")
# Open loop at --rate: the two references, then annotate signed in with every --fresh-every-th page new.
RATE_RUNS = (("rate_bytes", BASELINE_BYTES, "a"), ("rate_typed", BASELINE_TYPED, "a"), ("rate_annotate", ANNOTATE, "s"))
# The targets (issue 16; default scale, 2 cores): every annotate run >= 0.25x the bytes baseline with
# no answer but 200; open loop p99 under 25 ms; peak RSS under 250 MB; the burst answered (200, or 503 with
# Retry-After at once) with p99 under 1 s and /ready 200 within a second after.
TARGET_BYTES_RATIO = 0.25
TARGET_P99_MS = 25.0
TARGET_RSS_MB = 250.0
TARGET_BURST_P99_MS = 1000.0
TARGET_READY_MS = 1000.0
BURST_CLIENTS, BURST_PAGES, BURST_UNSEEN = 24, 8, 20
SIGNED_IN_WORKERS = 24

console = Console(stderr=True)


# --- data ---------------------------------------------------------------------------------------


def _sync_engine(database_url: str) -> Any:
    from sqlalchemy import create_engine  # noqa: PLC0415
    from sqlalchemy.pool import NullPool  # noqa: PLC0415

    from server.db.migrate import sync_url  # noqa: PLC0415

    return create_engine(sync_url(database_url), poolclass=NullPool)


def count_task_types(database_url: str) -> int:
    from sqlalchemy import text  # noqa: PLC0415

    engine = _sync_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM task_types")).scalar_one()
    finally:
        engine.dispose()


def load_catalog(database_url: str) -> tuple[list[tuple], dict[int, list[tuple]]]:
    """The generated mturk requesters (id, external id, name, reviews) and their task types, by requester."""
    from sqlalchemy import text  # noqa: PLC0415

    engine = _sync_engine(database_url)
    try:
        with engine.connect() as connection:
            reviews = dict(connection.execute(text(
                "SELECT requester_id, count(*) FROM reviews GROUP BY requester_id")).all())
            requesters = [(r[0], r[1], r[2], reviews.get(r[0], 0)) for r in connection.execute(text(
                "SELECT id, external_id, name FROM requesters WHERE platform = 'mturk' AND external_id LIKE 'ABENCHREQ%' "
                "ORDER BY id"))]
            types: dict[int, list[tuple]] = {}
            for row in connection.execute(text(
                    "SELECT requester_id, title, reward_cents, currency, latest_hit_set_id, stated_seconds FROM task_types "
                    "ORDER BY id")):
                types.setdefault(row[0], []).append(tuple(row[1:]))
    finally:
        engine.dispose()
    return requesters, types


def build_pages(catalog: tuple[list[tuple], dict[int, list[tuple]]], n_pages: int, tasks_per_page: int, unseen: int,
                seed: int, tag: str = "p") -> list[list[dict]]:
    """Pages of mturk tasks as the extension would send them (normalized `tasks`), in page order.

    Known tasks: a requester drawn with weight = its reviews + 1 (popular requesters fill the list,
    as on a real task list), then one of its task types; as listed now (same hit set id, so annotate
    has nothing to write for them). Unseen tasks: half from brand-new requesters, half new task types
    of known requesters; each page's are recorded the first time that page is annotated. `tag` keeps
    the unseen tasks of different page sets apart (and `seed` their known tasks).
    """
    requesters, types = catalog
    requesters = [r for r in requesters if r[0] in types]
    if not requesters:
        raise SystemExit("the database holds no mturk bench requesters")
    weights = [r[3] + 1 for r in requesters]
    rng = random.Random(seed * 7919 + 1)
    known = max(0, tasks_per_page - unseen)
    pages = []
    for page in range(n_pages):
        tasks: list[dict[str, Any]] = []
        used: set[Any] = set()
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
            label = f"{tag}{page:04d}-{k:02d}"
            ident = f"{tag.upper()}{page:04d}{k:02d}"  # the label as ids may spell it: upper-case letters, digits
            if k % 2 == 0:
                external_id, name = f"ABENCHNEW{ident}", f"Bench new requester {label}"
            else:
                _, external_id, name, _ = rng.choices(requesters, weights)[0]
            minutes = rng.choice([2, 5, 10, 15])
            topic = rng.choice(['apps', 'food', 'travel'])
            tasks.append(_task(rng, external_id, name, f"New batch {label}: survey about {topic} (~{minutes} minutes)",
                               rng.randint(10, 300), "USD", f"BENCHNEW{ident:0>22}", minutes * 60))
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


# --- load ---------------------------------------------------------------------------------------


def run_load(url: str, path: str, bodies: Path, args: argparse.Namespace, cpu: int | None, server_pid: int,
             rate: float | None = None, fresh: Path | None = None, extra: list[str] | None = None) -> dict:
    """One run of bench/loadgen.py in its own process: closed loop, or open loop at `rate` (requests/s)."""
    command = [sys.executable, str(ROOT / "bench" / "loadgen.py"), "--url", url, "--path", path, "--bodies", str(bodies),
               "--duration", str(args.duration), "--client", args.client]
    if rate is None:
        command += ["--concurrency", str(args.concurrency)]
        what = f"{args.concurrency} connections for {args.duration:g} s"
    else:
        # Enough connections that a slow answer never holds back a due request (the queue is the server's).
        command += ["--concurrency", str(args.rate_connections), "--rate", f"{rate:g}"]
        if fresh is not None:
            command += ["--fresh", str(fresh), "--fresh-every", str(args.fresh_every)]
        what = f"{rate:g} requests/s for {args.duration:g} s"
    command += extra or []
    cpu_before = process_cpu_seconds(server_pid)
    with console.status(f"{path}: {what}"), RssSampler(server_pid) as rss:
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.duration + 900, check=False,
                              preexec_fn=pinned(cpu))
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["server_cpu"] = round((process_cpu_seconds(server_pid) - cpu_before) / result["duration_s"], 3)
    result["server_peak_rss_mb"] = round(rss.peak_kib * 1024 / 1e6, 1)
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


def register_workers(server: Server, n: int) -> list[str]:
    tokens = []
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for _ in range(n):
            response = client.post("/api/v1/workers", json={})
            if response.status_code != 201:
                raise RuntimeError(f"registering a worker answered {response.status_code}: {response.text[:500]}")
            tokens.append(response.json()["token"])
    return tokens


def average(*runs: dict) -> dict:
    keys = ("requests_per_s", "p50_ms", "p90_ms", "p99_ms")
    return {k: round(sum(r[k] for r in runs) / len(runs), 2) for k in keys} | {
        "requests": sum(r["requests"] for r in runs), "ok": sum(r["ok"] for r in runs)}


def write_bodies(path: Path, pages: list[list[dict]], args: argparse.Namespace, tokens: list[str],
                 token_rng: random.Random) -> list[str]:
    """One JSON line per page; with `tokens`, every request carries one of them (a signed-in worker's)."""
    lines = []
    for tasks in pages:
        body = {"platform": "mturk", "tasks": tasks} if args.body == "tasks" else {"platform": "mturk",
                                                                                  "raw": mturk_search_json(tasks)}
        headers = {"Authorization": f"Bearer {token_rng.choice(tokens)}"} if tokens else {}
        lines.append(json.dumps({"body": body, "headers": headers}))
    path.write_text("\n".join(lines) + "\n")
    return lines


def ready_latency(server: Server) -> tuple[int, float]:
    """(status, milliseconds) of one GET /ready."""
    started = time.perf_counter()
    try:
        status = httpx.get(f"{server.url}/ready", timeout=30).status_code
    except httpx.HTTPError:
        status = 0
    return status, (time.perf_counter() - started) * 1000


def recorded(server: Server, seconds: float = 30.0, still: float = 1.0) -> None:
    """Wait (bounded) until the server's background recorder has nothing queued (GET /ready's record_queue) and
    the batch it took last is committed: /ready counts only the queue, not the batch being written, so the task
    types are counted until they have not changed for `still` seconds with the queue empty."""
    deadline = time.monotonic() + seconds
    last: tuple[int, float] | None = None  # (task types, since when) while the queue is empty
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{server.url}/ready", timeout=5).json().get("record_queue", 0) == 0:
                count = count_task_types(server.env["DATABASE_URL"])
                if last is None or last[0] != count:
                    last = (count, time.monotonic())
                elif time.monotonic() - last[1] >= still:
                    return
            else:
                last = None
        except (httpx.HTTPError, ValueError):
            last = None
        time.sleep(0.1)


def run_burst(server: Server, bodies: Path, args: argparse.Namespace, cpu: int | None) -> dict:
    """24 signed-in clients x 8 pages of 20 never-seen tasks each, at once (closed loop, each page once)."""
    burst_args = argparse.Namespace(**{**vars(args), "concurrency": BURST_CLIENTS, "duration": 120.0})
    command_extra = ["--max-requests", str(BURST_CLIENTS * BURST_PAGES)]
    result = run_load(server.url, ANNOTATE, bodies, burst_args, cpu, server.pid, extra=command_extra)
    result["ready_status"], result["ready_ms"] = ready_latency(server)
    return result


def benchmark(args: argparse.Namespace) -> dict:
    sizes = sizes_from_args(args).resolved()
    server_cpu, client_cpu = cpu_pins(not args.no_pin)
    with bench_database(args.database, sizes, regenerate=args.regenerate, keep=args.keep) as database:
        url, workdir = database.url, database.workdir
        with console.status("Reading the generated requesters and task types"):
            catalog = load_catalog(url)
        pages = {"a": build_pages(catalog, args.pages, args.tasks, args.unseen, args.seed, tag="a"),
                 "s": build_pages(catalog, args.pages, args.tasks, args.unseen, args.seed + 2, tag="s")}
        n_fresh = math.ceil(args.rate * args.duration / args.fresh_every) if args.rate else 0
        fresh_pages = build_pages(catalog, n_fresh, args.tasks, args.unseen, args.seed + 1, tag="f") if n_fresh else []
        burst_pages = build_pages(catalog, BURST_CLIENTS * BURST_PAGES, BURST_UNSEEN, BURST_UNSEEN, args.seed + 3,
                                  tag="b") if args.burst else []
        del catalog
        server = Server(workdir, url, server_cpu, extra_env={"FAIRFINDER_BENCH_ROUTES": "1"})
        loadavg_before = machine()["loadavg"]
        server.start()
        try:
            tokens = register_workers(server, SIGNED_IN_WORKERS)
            token_rng = random.Random(args.seed)
            bodies = {name: workdir / f"bodies-{name}.jsonl" for name in pages}
            lines = {name: write_bodies(bodies[name], pages[name], args, tokens if name == "s" else [], token_rng)
                     for name in pages}
            fresh, burst = workdir / "fresh.jsonl", workdir / "burst.jsonl"
            if fresh_pages:
                write_bodies(fresh, fresh_pages, args, tokens, token_rng)
            if burst_pages:
                write_bodies(burst, burst_pages, args, tokens, token_rng)
            request_bytes = sum(len(json.dumps(json.loads(line)["body"], separators=(",", ":")))
                                for line in lines["a"]) // len(lines["a"])
            payload, bases = check_and_store_baseline(server, json.loads(lines["a"][0])["body"], args.tasks)
            console.print(f"Server {server.url} (pid {server.pid}, CPU {server_cpu}) on {args.database}; load generator "
                          f"on CPU {client_cpu}; {args.pages} pages per set, request ~{request_bytes / 1024:.0f} KiB, "
                          f"response {len(payload) / 1024:.0f} KiB")
            runs, task_types = {}, {"start": count_task_types(url)}
            for name, path, page_set in RUN_ORDER:
                task_types[f"before_{name}"] = count_task_types(url)
                runs[name] = run_load(server.url, path, bodies[page_set], args, client_cpu, server.pid)
                server.check_alive()
            recorded(server)
            task_types["end"] = count_task_types(url)
            for name, path, page_set in RATE_RUNS if args.rate else ():
                runs[name] = run_load(server.url, path, bodies[page_set], args, client_cpu, server.pid, rate=args.rate,
                                      fresh=fresh if path == ANNOTATE and fresh_pages else None)
                server.check_alive()
            recorded(server)
            task_types["after_rate"] = count_task_types(url)
            burst_result = run_burst(server, burst, args, client_cpu) if burst_pages else None
            server.check_alive()
            peak_rss_mb = round(status_kib(server.pid, "VmHWM") * 1024 / 1e6, 1)
            recorded(server)  # the burst's tasks are recorded in the background
            task_types["after_burst"] = count_task_types(url)
        finally:
            server.stop()
        server_log = server.log.read_text(errors="replace")
        generation, reused = database.generation, database.reused
    bad = {name: (r["statuses"], r["errors"]) for name, r in runs.items() if r["ok"] != r["requests"] or r["errors"]}
    references = {ref: average(runs[f"{ref}_1"], runs[f"{ref}_2"]) for ref in ("typed", "bytes")}
    ratios = {name: {ref: round(runs[name]["requests_per_s"] / b["requests_per_s"], 4) for ref, b in references.items()}
              for name in ANNOTATE_RUNS}
    drift = {}
    for ref in ("typed", "bytes"):
        r1, r2 = runs[f"{ref}_1"]["requests_per_s"], runs[f"{ref}_2"]["requests_per_s"]
        drift[ref] = round(abs(r1 - r2) / ((r1 + r2) / 2), 3) if r1 + r2 else None
    rate_p99 = runs["rate_annotate"]["p99_ms"] if "rate_annotate" in runs else None
    targets = {f"ratio_{name}": ratios[name]["bytes"] >= TARGET_BYTES_RATIO and name not in bad for name in ANNOTATE_RUNS}
    targets |= {"p99": rate_p99 is not None and rate_p99 < TARGET_P99_MS and args.rate >= 200 and "rate_annotate" not in bad,
                "rss": peak_rss_mb < TARGET_RSS_MB}
    if burst_result is not None:
        statuses = {int(k): v for k, v in burst_result["statuses"].items()}
        burst_result["shed"] = statuses.get(503, 0)
        targets["burst"] = (set(statuses) <= {200, 503} and not burst_result["errors"]
                            and (burst_result["p99_ms"] or 0) < TARGET_BURST_P99_MS)
        targets["ready"] = burst_result["ready_status"] == 200 and burst_result["ready_ms"] < TARGET_READY_MS
    return {
        "command": reproduce_command(sys.argv[1:]), "database": args.database,
        "date": now_utc(), "machine": machine() | {"loadavg": loadavg_before}, "loadavg_before": loadavg_before,
        "loadavg_after": [round(x, 2) for x in __import__("os").getloadavg()],
        "revision": git_revision(), "sizes": asdict(sizes),
        "generation": generation, "generation_reused": reused, "options": {
            k: getattr(args, k) for k in ("concurrency", "duration", "tasks", "pages", "unseen", "client", "body",
                                          "rate", "fresh_every", "rate_connections")},
        "pins": {"server": server_cpu, "client": client_cpu}, "request_bytes": request_bytes, "response_bytes": len(payload),
        "check_bases": dict(bases), "run_order": [name for name, _, _ in RUN_ORDER], "runs": runs, "burst": burst_result,
        "references": references, "drift": drift, "ratios": ratios,
        "typed_over_bytes": round(references["typed"]["requests_per_s"] / references["bytes"]["requests_per_s"], 4),
        "new_task_types": {"during_annotate": task_types["before_typed_2"] - task_types["before_cold"],
                           "during_rate": task_types["after_rate"] - task_types["end"],
                           "during_burst": task_types["after_burst"] - task_types["after_rate"]},
        "peak_rss_mb": peak_rss_mb, "targets": targets,
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


RUN_LABELS = {"bytes_1": "bytes baseline", "typed_1": "typed baseline", "cold": "annotate, cold, anonymous",
              "cold_signed": "annotate, cold, signed in", "warm": "annotate, warm, anonymous",
              "warm_signed": "annotate, warm, signed in", "typed_2": "typed baseline", "bytes_2": "bytes baseline",
              "rate_bytes": "bytes baseline, open loop", "rate_typed": "typed baseline, open loop",
              "rate_annotate": "annotate, open loop, signed in, fresh pages", "burst": "burst"}
REFERENCE_LABELS = {"typed": "typed baseline, mean of runs 2 and 7", "bytes": "bytes baseline, mean of runs 1 and 8"}


def _out() -> Console:
    return Console() if sys.stdout.isatty() else Console(width=140)


def _ratio(value: float | None, reference: float | None) -> str:
    return "–" if not value or not reference else f"{value / reference:.3f}"


def _table_rows(result: dict) -> list[tuple[str, str, dict, str, str, str, str]]:
    """(run, label, figures, × typed, × bytes, server CPU, client CPU): closed-loop runs in order, the
    references' means, then the open-loop runs (their ratios are of p99 latency, to the open-loop references)."""
    runs, refs = result["runs"], result["references"]
    rows = []
    for number, name in enumerate(result["run_order"], 1):
        r = runs[name]
        rows.append((str(number), RUN_LABELS[name], r, _ratio(r["requests_per_s"], refs["typed"]["requests_per_s"]),
                     _ratio(r["requests_per_s"], refs["bytes"]["requests_per_s"]), f"{r['server_cpu']:.0%}",
                     f"{r['client_cpu']:.0%}"))
    for ref, label in REFERENCE_LABELS.items():
        rows.append(("", label, refs[ref], "1.000" if ref == "typed" else _ratio(refs["bytes"]["requests_per_s"],
                                                                               refs["typed"]["requests_per_s"]),
                     _ratio(refs[ref]["requests_per_s"], refs["bytes"]["requests_per_s"]), "", ""))
    number = len(result["run_order"])
    for name, _, _ in RATE_RUNS:
        if name in runs:
            number += 1
            r = runs[name]
            rows.append((str(number), f"{RUN_LABELS[name]}, {r['rate']:g}/s", r,
                         _ratio(r["p99_ms"], runs["rate_typed"]["p99_ms"]), _ratio(r["p99_ms"], runs["rate_bytes"]["p99_ms"]),
                         f"{r['server_cpu']:.0%}", f"{r['client_cpu']:.0%}"))
    if result.get("burst"):
        r = result["burst"]
        rows.append((str(number + 1), f"burst: {BURST_CLIENTS} signed-in clients × {BURST_PAGES} pages of "
                                      f"{BURST_UNSEEN} never-seen tasks", r, "", "", f"{r['server_cpu']:.0%}",
                     f"{r['client_cpu']:.0%}"))
    return rows


COLUMNS = ("run", "route", "req/s", "× typed", "× bytes", "p50 ms", "p90 ms", "p99 ms", "200 OK / requests",
           "server CPU", "client CPU")


def print_table(result: dict) -> None:
    o = result["options"]
    table = Table(title=f"annotate vs. typed and bytes baselines ({o['concurrency']} connections, {o['duration']:g} s per run)")
    for column in COLUMNS:
        table.add_column(column, justify="left" if column == "route" else "right")
    for number, label, r, typed, bytes_, server_cpu, client_cpu in _table_rows(result):
        table.add_row(number, label, _fmt(r["requests_per_s"]), typed, bytes_, _fmt(r["p50_ms"]), _fmt(r["p90_ms"]),
                      _fmt(r["p99_ms"]), f"{r['ok']:,} / {r['requests']:,}", server_cpu, client_cpu)
    out = _out()
    out.print(table)
    for line in summary_lines(result):
        out.print(line, markup=False, highlight=False)
    if result["errors"]:
        out.print(f"Not every response was 200: {_describe_errors(result)}. {result['server_log_excerpt']}",
                  markup=False, highlight=False)
        out.print("Server log (last lines):\n" + result["server_log_tail"], markup=False, highlight=False)


def summary_lines(result: dict) -> list[str]:
    """The verdicts, one line per target, in words (shared by stdout and the docs section)."""
    runs, targets, ratios = result["runs"], result["targets"], result["ratios"]
    lines = []
    for name in ANNOTATE_RUNS:
        met = targets[f"ratio_{name}"]
        lines.append(f"- {RUN_LABELS[name]}: **{ratios[name]['bytes']:.3f}× the bytes baseline** "
                     f"({ratios[name]['typed']:.3f}× the typed) — "
                     + ("meets" if met else "**misses**") + f" the {TARGET_BYTES_RATIO}× target"
                     + ("" if met or ratios[name]["bytes"] >= TARGET_BYTES_RATIO else
                        f" by {1 - ratios[name]['bytes'] / TARGET_BYTES_RATIO:.0%}")
                     + ("; not every answer was 200" if name in result["errors"] else "") + ".")
    if "rate_annotate" in runs:
        rate = runs["rate_annotate"]
        lines.append(f"- Open loop at {rate['rate']:g} requests/s, signed in, every {result['options']['fresh_every']}th "
                     f"page never seen before: p99 **{_fmt(rate['p99_ms'])} ms** — "
                     + ("meets" if targets["p99"] else "**misses**") + f" the {TARGET_P99_MS:g} ms target (p99 of the "
                     f"typed baseline at the same rate {_fmt(runs['rate_typed']['p99_ms'])} ms, of the bytes baseline "
                     f"{_fmt(runs['rate_bytes']['p99_ms'])} ms); the {rate['fresh']['requests']:,} fresh pages: p50 "
                     f"{_fmt(rate['fresh']['p50_ms'])} / p99 {_fmt(rate['fresh']['p99_ms'])} ms.")
    lines.append(f"- Server peak RSS (VmHWM at the end): **{result['peak_rss_mb']:.0f} MB** — "
                 + ("meets" if targets["rss"] else "**misses**") + f" the {TARGET_RSS_MB:g} MB target.")
    burst = result.get("burst")
    if burst:
        lines.append(f"- Burst ({BURST_CLIENTS} signed-in clients × {BURST_PAGES} pages of {BURST_UNSEEN} never-seen "
                     f"tasks): {burst['ok']:,} × 200, {burst['shed']:,} × 503 shed, "
                     + (f"other answers {burst['statuses']}, " if set(burst["statuses"]) - {"200", "503", 200, 503} else "")
                     + f"p50 {_fmt(burst['p50_ms'])} / p99 **{_fmt(burst['p99_ms'])} ms** — "
                     + ("meets" if targets["burst"] else "**misses**") + f" the {TARGET_BURST_P99_MS:g} ms target; "
                     f"/ready right after: {burst['ready_status']} in **{_fmt(burst['ready_ms'])} ms** — "
                     + ("meets" if targets["ready"] else "**misses**") + " the 1 s target.")
    return lines


def _describe_errors(result: dict) -> str:
    parts = []
    for name, (statuses, errors) in result["errors"].items():
        total = result["runs"][name]["requests"] + sum(errors.values())
        bad = [f"{n} × HTTP {code}" for code, n in statuses.items() if code != "200"]
        bad += [f"{n} × {error}" for error, n in errors.items()]
        parts.append(f"{name} ({RUN_LABELS[name]}) {', '.join(bad)} of {total:,}")
    return "; ".join(parts)


def section_id(result: dict) -> str:
    return "annotate" if result["database"] == "sqlite" else f"annotate-{result['database']}"


def markdown_section(result: dict) -> str:
    m, s, g, o, runs = result["machine"], result["sizes"], result["generation"], result["options"], result["runs"]
    drift = result["drift"]
    rebuild = g.get("rebuild_seconds")
    rows = [f"| {number} | {label} | {_fmt(r['requests_per_s'])} | {typed} | {bytes_} | {_fmt(r['p50_ms'])} | "
            f"{_fmt(r['p90_ms'])} | {_fmt(r['p99_ms'])} | {r['ok']:,} / {r['requests']:,} | {server_cpu} | {client_cpu} |"
            for number, label, r, typed, bytes_, server_cpu, client_cpu in _table_rows(result)]
    counts = g.get("counts", {})
    database = "SQLite" if result["database"] == "sqlite" else "PostgreSQL"
    new, pins = result["new_task_types"], result["pins"]
    pin_text = (f"server pinned to CPU {pins['server']}, load generator to CPU {pins['client']}"
                if pins["server"] is not None else "no CPU pinning")
    sid = section_id(result)
    view_lines = []
    for name in ("cold", "cold_signed"):
        first, repeat = runs[name]["first_view"], runs[name]["repeat_view"]
        view_lines.append(f"{RUN_LABELS[name]}: first view of a page p50 {_fmt(first['p50_ms'])} / p99 "
                          f"{_fmt(first['p99_ms'])} ms ({first['requests']:,}), repeat views p50 {_fmt(repeat['p50_ms'])} "
                          f"/ p99 {_fmt(repeat['p99_ms'])} ms ({repeat['requests']:,})")
    lines = [
        f"<!-- bench:{sid}:start -->",
        f"## Annotate vs. baselines, {database} (`bench/annotate.py`)",
        "",
        "Runs 3-6 are annotate: **cold** runs take pages whose never-seen tasks are first shown during the run "
        f"({o['unseen']} per page; answered at once, recorded in the background), **warm** runs the same pages again "
        "(all known); **signed in** means every request carries a worker's token (their saved filters are read). "
        "× typed and × bytes: requests/s as a share of each reference's mean in this same run; for the open-loop "
        "runs, p99 latency as a multiple of each reference's p99 at the same rate.",
        "",
        *summary_lines(result),
    ]
    if result["errors"]:
        lines += ["", f"**Not every response was 200**: {_describe_errors(result)}. Server log: "
                      f"{result['server_log_excerpt'] or 'no exception logged'}."]
    lines += [
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|---:|---|" + "---:|" * (len(COLUMNS) - 2),
        *rows,
        "",
        "- Latency by view: " + "; ".join(view_lines) + ". New task types recorded during the annotate runs: "
        f"{new['during_annotate']:,}; during the open-loop runs: {new['during_rate']:,}; by the burst: "
        f"{new['during_burst']:,}. Latency in the open-loop runs counts from each request's scheduled time; the load "
        "generator's own lateness in queueing them: p99 "
        + ", ".join(f"{_fmt(runs[n]['schedule_lag_p99_ms'], 2)} ms" for n, _, _ in RATE_RUNS if n in runs) + ".",
        "- Server memory: peak RSS sampled during each run, MB: "
        + ", ".join(f"{RUN_LABELS[n]} {runs[n]['server_peak_rss_mb']:.0f}" for n in [*result["run_order"],
                    *(n for n, _, _ in RATE_RUNS if n in runs)]) + ".",
        f"- Drift between a reference's two runs: typed {drift['typed']:.1%}, bytes {drift['bytes']:.1%}; the typed "
        f"baseline runs at {result['typed_over_bytes']:.3f}× the bytes baseline (what Litestar's typed decoding and "
        f"encoding of this request and response cost); ERROR and Traceback lines in the server log: "
        f"{result['server_log_errors']}",
        f"- Command: `{result['command']}`",
        f"- Date: {result['date']}; code: {result['revision']}",
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['system']}, Python {m['python']}; load average before the run "
        f"{', '.join(f'{x:.2f}' for x in result['loadavg_before'])}, after it "
        f"{', '.join(f'{x:.2f}' for x in result['loadavg_after'])} (other engineers' work shares the machine: "
        f"trust the same-run ratios); {pin_text}; database {database}",
        f"- Data: {s['requesters']:,} requesters, {s['reviews']:,} reviews, {s['timings']:,} timings, {s['workers']:,} workers "
        f"(seed {s['seed']}); {counts.get('task_types', 0):,} task types; aggregates for {counts.get('task_type_stats', 0):,} "
        f"task types and {counts.get('requester_stats', 0):,} requesters; database {g.get('database_bytes', 0) / 2**20:.0f} MiB",
        f"- Generation (`bench/generate.py`): {g['generate_seconds']:.1f} s for the rows (bulk inserts {g['insert_seconds']:.1f} s); "
        + (f"`rebuild_all` {rebuild:.1f} s" if rebuild is not None else "`rebuild_all` not run")
        + ("; cached database, times from when it was generated" if result["generation_reused"] else ""),
        f"- Load: {o['concurrency']} keep-alive connections (open loop: up to {o['rate_connections']}), {o['duration']:g} s per run, "
        f"`{o['client']}` client; per page set {o['pages']} distinct pages of {o['tasks']} mturk tasks taken in turn "
        f"({o['tasks'] - o['unseen']} known task types drawn by requester popularity, {o['unseen']} never seen: new "
        f"requesters and new task types), body `{o['body']}`; signed-in runs spread over {SIGNED_IN_WORKERS} workers' "
        f"tokens (default filters saved); request ~{result['request_bytes'] / 1024:.0f} KiB, response "
        f"{result['response_bytes'] / 1024:.0f} KiB",
        "- Hourly basis of the annotations of the check request (page 1): "
        + ", ".join(f"{k} {v}" for k, v in sorted(result["check_bases"].items())),
        f"<!-- bench:{sid}:end -->",
    ]
    return "\n".join(lines)


def write_docs(result: dict, path: Path) -> None:
    """Replace this benchmark's section; a new section goes before the hand-kept History table."""
    write_section(path, section_id(result), markdown_section(result))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    add_size_arguments(parser)
    add_run_arguments(parser)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per run (eight closed-loop runs)")
    parser.add_argument("--tasks", type=int, default=100, help="tasks per page (the API takes at most 100)")
    parser.add_argument("--pages", type=int, default=200, help="distinct pages per page set, taken in turn")
    parser.add_argument("--unseen", type=int, default=5, help="never-seen tasks per page")
    parser.add_argument("--body", choices=("tasks", "raw"), default="tasks",
                        help="normalized tasks, or the worker.mturk.com search JSON parsed by the server")
    parser.add_argument("--rate", type=float, default=200.0,
                        help="open-loop runs at this many requests/s after the closed-loop ones (0: none)")
    parser.add_argument("--fresh-every", type=int, default=20,
                        help="open loop: every Nth annotate request is a never-seen page (--unseen new tasks)")
    parser.add_argument("--rate-connections", type=int, default=64, help="open loop: most requests in flight")
    parser.add_argument("--no-burst", dest="burst", action="store_false",
                        help=f"skip the burst ({BURST_CLIENTS} clients × {BURST_PAGES} pages of {BURST_UNSEEN} new tasks)")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw", help="load generator client")
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and load generator to separate CPUs")
    args = parser.parse_args(argv)
    if not (1 <= args.tasks <= 100 and 0 <= args.unseen <= args.tasks and 1 <= args.pages <= 100_000
            and 1 <= args.concurrency <= 512 and 0 < args.duration <= 600
            and 0 <= args.rate <= 10_000 and 1 <= args.fresh_every and 1 <= args.rate_connections <= 1024):
        parser.error("need 1 ≤ tasks ≤ 100, 0 ≤ unseen ≤ tasks, 1 ≤ pages, 1 ≤ concurrency ≤ 512, 0 < duration ≤ 600, "
                     "0 ≤ rate ≤ 10000, fresh-every ≥ 1, 1 ≤ rate-connections ≤ 1024")
    sizes = sizes_from_args(args)
    if problem := sizes.check():
        parser.error(problem)
    console.print(f"Generator version {GENERATOR_VERSION}; sizes {sizes.key()}; database {args.database}")
    result = benchmark(args)
    print_table(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    if not args.no_docs:
        write_docs(result, DOCS)
        console.print(f"Wrote {DOCS.relative_to(ROOT)}")
    if result["errors"]:
        return 1
    return 0 if all(result["targets"].values()) else 2


if __name__ == "__main__":
    sys.exit(main())
