"""Review ingest through the API (aggregates kept current), beside a write-free baseline, on SQLite or PostgreSQL.

    python bench/ingest.py [--database sqlite|postgresql] [--requesters N --task-types N --reviews N ...]
                           [--workers-online 200] [--concurrency 16] [--duration 20] [--sample 300]
                           [--regenerate] [--keep] [--no-pin] [--no-docs] [--json FILE]

1. Data: as bench/rebuild.py (a copy of the cached SQLite database, or a throwaway PostgreSQL cluster
   filled by the same generator), aggregates included.
2. A real server: `fairfinder serve` (one uvicorn process; FAIRFINDER_RATE_LIMITS=off,
   FAIRFINDER_SCHEDULER=off, log level WARNING). --workers-online accounts register through the API
   (POST /api/v1/workers) and are then backdated by a year in the database, so they count as
   established accounts: full weight, and no burst check on low ratings (docs/moderation.md), as for
   most reviews on a real server.
3. Bodies: each is a new review (POST /api/v1/reviews) of an existing task type, named as the extension
   names it (platform, requester id, title, reward, hit set id), with random ratings, time and outcome.
   Task types are drawn with weight = their stored reviews + 1, so busy requesters get most of the new
   reviews, as in the data; each (worker, task type) pair is used once, so every review is new (201).
4. Three runs of bench/loadgen.py (raw client, N keep-alive connections, closed loop, its own process,
   pinned to another CPU than the server when there are two): baseline, ingest, baseline. The baseline
   posts the same bodies with one rating out of range (9): the same route, token and body size; the
   token is looked up (a database read), the body decoded and refused by validation (422), nothing
   written. It is this route's floor without the write. The ingest run stops at --duration or when
   the bodies run out.
5. Memory: the server's peak RSS (the process tree's RSS sampled every 0.1 s during each run, and
   VmHWM, the kernel's high-water mark since start).
6. Checks after the server stopped: the reviews in the database equal the 201 answers; a sample of the
   requesters the run touched (the 5 busiest and random others) have stored aggregates equal to a full
   recompute (`rebuild_all` in a transaction that is rolled back), platform sums included.
7. Size: the database on disk before and after (SQLite file after a WAL checkpoint; pg_database_size).

The result goes to docs/benchmarks.md between `<!-- bench:ingest-<database>:start/end -->`.
Exit status: 0; 1 when a check failed or a response was unexpected; 2 when a target is missed
(SQLite, default scale: 1,000 reviews/s, peak RSS under 400 MB).
"""
from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import json
import random
import sys
import time
from typing import Any, cast
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.common import (  # noqa: E402
    add_run_arguments,
    provenance_lines,
    DOCS,
    Server,
    bench_database,
    console,
    cpu_pins,
    differences,
    git_revision,
    is_default_scale,
    machine,
    mib,
    now_utc,
    reproduce_command,
    row_counts,
    run_loadgen,
    snapshot_aggregates,
    write_section,
)
from bench.generate import COMMENTS, _sync_engine, add_size_arguments, sizes_from_args  # noqa: E402
from server.errors import FairfinderError  # noqa: E402

REVIEWS = "/api/v1/reviews"
TARGET_REVIEWS_PER_S = 1_000.0  # issue 7 (SQLite, default scale, 2 cores)
TARGET_RSS_MIB = 400.0
HANDLE_PREFIX = "bench-ingest-"
BASELINE_STATUS = 422  # a rating out of range: refused by validation (invalid_field)
BODIES_PER_SECOND = 4_000  # bodies prepared per second of --duration: more than the server can take
BUSIEST = 5


# --- bodies ---------------------------------------------------------------------------------------


def task_types_by_popularity(database_url: str) -> list[tuple]:
    """(weight, platform, requester external id, requester name, title, reward, currency, hit set id) of every
    task type; weight = its stored reviews + 1."""
    from sqlalchemy import text  # noqa: PLC0415

    engine = _sync_engine(database_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(
                "SELECT coalesce(s.reviews, 0) + 1, r.platform, r.external_id, r.name, t.title, t.reward_cents, t.currency, "
                "t.latest_hit_set_id FROM task_types t JOIN requesters r ON r.id = t.requester_id "
                "LEFT JOIN task_type_stats s ON s.task_type_id = t.id ORDER BY t.id"))]
    finally:
        engine.dispose()


def review_bodies(task_types: list[tuple], tokens: list[str], n: int, seed: int) -> list[dict]:
    """n new reviews: task types by popularity, workers at random, each (worker, task type) pair once. Pure."""
    if n > len(task_types) * len(tokens) // 2:
        raise SystemExit(f"{n:,} distinct (worker, task type) pairs asked of {len(tokens)} workers and "
                         f"{len(task_types):,} task types: register more workers")
    rng = random.Random(seed)
    cumulative = list(itertools.accumulate(t[0] for t in task_types))
    used: set[tuple[int, int]] = set()
    bodies: list[dict[str, Any]] = []
    while len(bodies) < n:
        index = bisect.bisect_right(cumulative, rng.random() * cumulative[-1])
        worker = rng.randrange(len(tokens))
        if (worker, index) in used:
            continue
        used.add((worker, index))
        _, platform, requester_id, requester_name, title, reward, currency, hit_set_id = task_types[index]
        rating = lambda: rng.choice((1, 2, 3, 4, 4, 5, 5, None))  # noqa: E731
        bodies.append({"body": {
            "platform": platform, "requester_id": requester_id, "requester_name": requester_name,
            "task": {"title": title, "reward_cents": reward, "currency": currency, "hit_set_id": hit_set_id},
            "ratings": {"pay": rating(), "fairness": rating(), "speed": rating(), "communication": rating()},
            "worked_seconds": rng.randint(20, 3600), "outcome": rng.choice(("approved", "approved", "pending", "rejected")),
            "comment": rng.choice(COMMENTS)},
            "headers": {"Authorization": f"Bearer {tokens[worker]}"}})
    return bodies


def invalid(item: dict) -> dict:
    """The same request with a rating out of range: answered by validation, nothing written."""
    body = {**item["body"], "ratings": {**item["body"]["ratings"], "pay": 9}}
    return {"body": body, "headers": item["headers"]}


def write_bodies(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(item, separators=(",", ":")) + "\n" for item in items))
    return path


# --- set-up and checks ----------------------------------------------------------------------------


def register_workers(server: Server, n: int) -> list[str]:
    tokens = []
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for i in range(n):
            response = client.post("/api/v1/workers", json={"handle": f"{HANDLE_PREFIX}{i + 1:04d}"})
            if response.status_code != 201:
                raise RuntimeError(f"registering a worker answered {response.status_code}: {response.text[:500]}")
            tokens.append(response.json()["token"])
    return tokens


def backdate_workers(database_url: str) -> int:
    """Make the registered accounts a year old (established: full weight, no burst hold)."""
    from sqlalchemy import update  # noqa: PLC0415

    from server.db.models import Worker  # noqa: PLC0415

    engine = _sync_engine(database_url)
    try:
        with engine.begin() as connection:
            return connection.execute(update(Worker).where(Worker.handle.like(f"{HANDLE_PREFIX}%"))
                                      .values(created_at=datetime.now(timezone.utc) - timedelta(days=365))).rowcount
    finally:
        engine.dispose()


def stored_ingest_reviews(database_url: str) -> int:
    from sqlalchemy import text  # noqa: PLC0415

    engine = _sync_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM reviews JOIN workers ON workers.id = reviews.worker_id "
                                           "WHERE workers.handle LIKE :prefix"), {"prefix": f"{HANDLE_PREFIX}%"}).scalar_one()
    finally:
        engine.dispose()


def mark_periodic_jobs_done(database_url: str) -> None:
    """Record that the 90-day refresh and the timing purge just ran, as they have on a running community (the
    generator's rebuild computed every figure a moment ago). Otherwise their first run, at startup, would
    recompute every requester in the middle of the load; the settle job is the one this benchmark needs."""
    from sqlalchemy import Table, insert  # noqa: PLC0415

    from server.db.models import JobRun  # noqa: PLC0415

    engine = _sync_engine(database_url)
    now = datetime.now(timezone.utc)
    try:
        with engine.begin() as connection:
            connection.execute(insert(cast("Table", JobRun.__table__)), [
                {"job": job, "started_at": now, "finished_at": now, "status": "ok", "attempts": 1,
                 "message": "marked by bench/ingest.py", "counts": {}} for job in ("refresh-recent", "purge-timings")])
    finally:
        engine.dispose()


def wait_until_settled(database_url: str, timeout: float) -> float | None:
    """Seconds until no settle marker is left (big requesters' figures caught up), or None after `timeout`."""
    from sqlalchemy import text  # noqa: PLC0415

    engine = _sync_engine(database_url)
    started = time.monotonic()
    try:
        while time.monotonic() - started < timeout:
            with engine.connect() as connection:
                if not connection.execute(text("SELECT count(*) FROM dirty_requesters")).scalar_one():
                    return time.monotonic() - started
            time.sleep(0.25)
        return None
    finally:
        engine.dispose()


class _RollBack(FairfinderError):
    """Leaves the check's transaction without committing."""


async def check_kept_current(database_url: str, touched: list[str], sample: int, seed: int) -> dict:
    """Stored aggregates of a sample of touched requesters (external ids) against a full rebuild, rolled back."""
    from sqlalchemy import select  # noqa: PLC0415

    from server.db.engine import create_engine, session_factory, write_transaction  # noqa: PLC0415
    from server.db.models import Requester, RequesterStats  # noqa: PLC0415
    from server.stats.refresh import rebuild_all  # noqa: PLC0415

    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            reviews: dict[int, int] = {}  # touched requester id → its stored reviews
            for start in range(0, len(touched), 500):
                reviews |= dict((await session.execute(
                    select(Requester.id, RequesterStats.reviews).outerjoin(RequesterStats, RequesterStats.requester_id == Requester.id)
                    .where(Requester.external_id.in_(touched[start:start + 500])))).all())
            ranked = sorted(reviews, key=lambda i: (-(reviews[i] or 0), i))
            ids, others = ranked, sorted(ranked[BUSIEST:])
            chosen = ranked[:BUSIEST] + random.Random(seed).sample(others, min(len(others), max(0, sample - BUSIEST)))
            await session.commit()
            started = time.perf_counter()
            try:
                async with write_transaction(session):
                    stored = await snapshot_aggregates(session, chosen)
                    await rebuild_all(session)
                    await session.flush()
                    session.expunge_all()
                    fresh = await snapshot_aggregates(session, chosen)
                    raise _RollBack
            except _RollBack:
                pass
    finally:
        await engine.dispose()
    return {"touched_requesters": len(ids), "requesters": len(chosen), "task_types": len(stored["task_types"]),
            "differences": differences(stored, fresh), "rebuild_seconds": time.perf_counter() - started}


# --- the benchmark --------------------------------------------------------------------------------


def _status_count(run: dict, status: int) -> int:
    return run["statuses"].get(str(status), 0)


def _unexpected(run: dict, expected: int) -> dict[str, int]:
    return {k: v for k, v in run["statuses"].items() if k != str(expected)} | run["errors"]


def benchmark(args: argparse.Namespace) -> dict:
    sizes = sizes_from_args(args).resolved()
    loadavg = machine()
    server_cpu, client_cpu = cpu_pins(not args.no_pin)
    with bench_database(args.database, sizes, regenerate=args.regenerate, keep=args.keep) as db:
        counts = row_counts(db.url)
        with console.status("Reading task types"):
            task_types = task_types_by_popularity(db.url)
        size_before = db.size_bytes()
        mark_periodic_jobs_done(db.url)
        # The scheduler runs: its settle-aggregates job keeps big requesters' figures current (docs/architecture.md).
        server = Server(db.workdir, db.url, cpu=server_cpu, extra_env={"FAIRFINDER_SCHEDULER": "on"})
        server.start()
        try:
            with console.status(f"Registering {args.workers_online} workers"):
                tokens = register_workers(server, args.workers_online)
            backdate_workers(db.url)
            with console.status("Preparing review bodies"):
                items = review_bodies(task_types, tokens, int(args.duration * BODIES_PER_SECOND), args.seed)
                valid = write_bodies(db.workdir / "reviews.jsonl", items)
                invalid_bodies = write_bodies(db.workdir / "invalid.jsonl", [invalid(item) for item in items[:5_000]])
            load = {"concurrency": args.concurrency, "duration": args.duration, "cpu": client_cpu, "server_pid": server.pid}
            runs = {}
            for name, bodies, budget in (("baseline_1", invalid_bodies, 10_000_000), ("ingest", valid, len(items)),
                                         ("baseline_2", invalid_bodies, 10_000_000)):
                with console.status(f"{name}: {args.concurrency} connections for up to {args.duration:g} s"):
                    runs[name] = run_loadgen(server.url, REVIEWS, bodies, max_requests=budget, **load)
                server.check_alive()
                r = runs[name]
                console.print(f"  {name:<11} {r['requests_per_s']:8,.1f} req/s  p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms  "
                              f"statuses {r['statuses']}  peak RSS {r['server_peak_rss_mib']:.0f} MiB")
            with console.status("Waiting for the settle job to catch up with the big requesters"):
                settled_after = wait_until_settled(db.url, timeout=300)
            hwm = server.peak_hwm_mib()
            log_errors = server.log_errors()
        finally:
            server.stop()
        stored = stored_ingest_reviews(db.url)
        size_after = db.size_bytes()  # before the check: its rolled-back rebuild leaves dead rows on PostgreSQL
        taken = runs["ingest"]["requests"] + sum(runs["ingest"]["errors"].values())  # timed out ones were sent too
        touched = sorted({item["body"]["requester_id"] for item in items[:taken]})
        with console.status("Checking the touched requesters' aggregates against a full rebuild"):
            guard = asyncio.run(check_kept_current(db.url, touched, args.sample, args.seed))
        generation, reused, load_seconds = db.generation, db.reused, db.load_seconds
    baseline_rps = (runs["baseline_1"]["requests_per_s"] + runs["baseline_2"]["requests_per_s"]) / 2
    ingest = runs["ingest"]
    created = _status_count(ingest, 201)
    return {
        "database": args.database, "sizes": generation["sizes"], "counts": counts, "generation": generation,
        "generation_reused": reused, "load_seconds": load_seconds, "runs": runs,
        "reviews_per_s": created / ingest["duration_s"], "baseline_rps": baseline_rps,
        "ratio": (created / ingest["duration_s"]) / baseline_rps if baseline_rps else None,
        "baseline_drift": abs(runs["baseline_1"]["requests_per_s"] - runs["baseline_2"]["requests_per_s"]) / baseline_rps
        if baseline_rps else 0.0,
        "created": created, "stored": stored, "bodies": len(items), "bodies_ran_out": ingest["requests"] >= len(items),
        "unexpected": {name: _unexpected(r, 201 if name == "ingest" else BASELINE_STATUS) for name, r in runs.items()},
        "peak_rss_mib": max(r["server_peak_rss_mib"] for r in runs.values()), "vmhwm_mib": round(hwm, 1),
        "server_log_errors": log_errors, "guard": guard, "settled_after_s": settled_after, "size_bytes_before": size_before, "size_bytes_after": size_after,
        "options": {"workers_online": args.workers_online, "concurrency": args.concurrency, "duration": args.duration},
        "pins": {"server": server_cpu, "client": client_cpu},
        "machine": loadavg, "date": now_utc(), "revision": git_revision(),
        "command": reproduce_command("bench/ingest.py", args.argv),
    }


def failures(result: dict) -> list[str]:
    problems = [f"{name}: unexpected {found}" for name, found in result["unexpected"].items() if found]
    if result["stored"] != result["created"]:
        timed_out = result["runs"]["ingest"]["errors"].get("TimeoutError", 0)
        problems.append(f"{result['stored']:,} reviews stored for {result['created']:,} answers 201"
                        + (f" (the load generator gave up on {timed_out:,} requests after 30 s; the server still "
                           "wrote them, and was still busy with them when the next run began)" if timed_out else ""))
    if result["guard"]["differences"]:
        problems.append(f"{len(result['guard']['differences'])} aggregate differences")
    if result["server_log_errors"]:
        problems.append(f"{result['server_log_errors']} ERROR/Traceback lines in the server log")
    if result["settled_after_s"] is None:
        problems.append("big requesters were still waiting to be settled 300 s after the load stopped")
    return problems


def targets(result: dict) -> list[tuple[str, bool]] | None:
    """(target, met?) where they apply: SQLite at the default scale."""
    if result["database"] != "sqlite" or not is_default_scale(result["sizes"]):
        return None
    return [(f"at least {TARGET_REVIEWS_PER_S:,.0f} reviews/s", result["reviews_per_s"] >= TARGET_REVIEWS_PER_S),
            (f"peak RSS under {TARGET_RSS_MIB:.0f} MB", max(result["peak_rss_mib"], result["vmhwm_mib"]) < TARGET_RSS_MIB)]


def _rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.2f}"


def markdown_section(result: dict) -> str:
    runs, counts, o, guard = result["runs"], result["counts"], result["options"], result["guard"]
    name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[result["database"]]
    checks = targets(result)
    verdict = ("; ".join(f"{'meets' if met else '**misses**'} the target of {what}" for what, met in checks) if checks else
               "targets are set for SQLite at the default scale" + ("" if result["database"] == "sqlite" else
                                                                      "; this is PostgreSQL"))
    problems = failures(result)
    table = [f"| {i} | {label} | {r['requests_per_s']:,.1f} | {r['p50_ms']} | {r['p90_ms']} | {r['p99_ms']} | "
             f"{', '.join(f'{k}: {v:,}' for k, v in r['statuses'].items())} | {r['server_cpu']:.0%} | {r['client_cpu']:.0%} | "
             f"{r['server_peak_rss_mib']:,.0f} |"
             for i, (label, r) in enumerate(((f"baseline: invalid review ({BASELINE_STATUS})", runs["baseline_1"]),
                                             ("**ingest: new review (201)**", runs["ingest"]),
                                             (f"baseline: invalid review ({BASELINE_STATUS})", runs["baseline_2"])), start=1)]
    pins = result["pins"]
    added = result["size_bytes_after"] - result["size_bytes_before"]
    reviews_after = counts["reviews"] + result["stored"]
    sid = f"ingest-{result['database']}"
    lines = [
        f"<!-- bench:{sid}:start -->",
        f"## Review ingest, {name} (`bench/ingest.py`)",
        "",
        f"Result: **{_rate(result['reviews_per_s'])} reviews/s** through `POST /api/v1/reviews` with aggregates kept current, "
        f"p50 {runs['ingest']['p50_ms']} / p99 {runs['ingest']['p99_ms']} ms; the server's peak RSS "
        f"**{max(result['peak_rss_mib'], result['vmhwm_mib']):,.0f} MiB** — {verdict}. The write-free baseline on the same "
        f"route answered {result['baseline_rps']:,.0f} requests/s (mean of runs 1 and 3): ingest runs at "
        f"**{result['ratio']:.{2 if result['ratio'] >= 0.1 else 4}f}×** the baseline.",
    ]
    if problems:
        lines += ["", "**Checks failed**: " + "; ".join(problems) + "."]
    lines += [
        "",
        "| run | what | req/s | p50 ms | p90 ms | p99 ms | statuses | server CPU | client CPU | server peak RSS MiB |",
        "|---:|---|---:|---:|---:|---:|---|---:|---:|---:|",
        *table,
        "",
        f"- Checks: {result['stored']:,} reviews stored for {result['created']:,} answers 201; "
        + (f"the stored aggregates of {guard['requesters']:,} of the {guard['touched_requesters']:,} requesters the run "
           f"touched ({BUSIEST} busiest + random; {guard['task_types']:,} task type rows) and the platform sums equal a "
           f"full recompute (`rebuild_all`, {guard['rebuild_seconds']:,.1f} s, rolled back)"
           if not guard["differences"] else
           f"**{len(guard['differences'])} aggregate differences** against a full recompute: "
           + "; ".join(f"`{d}`" for d in guard["differences"]))
        + f"; ERROR/Traceback lines in the server log: {result['server_log_errors']}.",
        (f"- Settling: the settle job had caught up with every big requester {result['settled_after_s']:.1f} s after the "
           "load stopped (markers of requesters with more than FAIRFINDER_SYNC_REFRESH_ROWS reviews + samples; "
           "docs/architecture.md); the check above ran after that.\n" if result["settled_after_s"] is not None else "")
        + f"- Memory: peak RSS of the server sampled every 0.1 s during the runs {result['peak_rss_mib']:,.0f} MiB; "
        f"VmHWM (the kernel's high-water mark since start, registration included) {result['vmhwm_mib']:,.0f} MiB.",
        f"- Size: {mib(result['size_bytes_before'])} before, {mib(result['size_bytes_after'])} after "
        f"({result['stored']:,} reviews added, {added / max(1, result['stored']):,.0f} bytes each with their aggregate "
        f"updates) = {result['size_bytes_after'] / max(1, reviews_after) * 1e6 / 2**20:,.0f} MiB per million reviews; "
        + ("SQLite file after a WAL checkpoint." if result["database"] == "sqlite" else "`pg_database_size`."),
        f"- Load: {o['concurrency']} keep-alive connections (bench/loadgen.py, raw client), up to {o['duration']:g} s per run"
        + (f" (the ingest run used all {result['bodies']:,} prepared bodies before the time was up)"
           if result["bodies_ran_out"] else "")
        + f"; {o['workers_online']} workers registered through the API and backdated a year (established accounts); "
        "new reviews of existing task types drawn by popularity (stored reviews + 1), each (worker, task type) once; "
        + (f"server pinned to CPU {pins['server']}, load generator to CPU {pins['client']}"
           if pins["server"] is not None else "no CPU pinning")
        + ("; PostgreSQL's own processes are not pinned" if result["database"] != "sqlite" else "")
        + f". Baseline drift between runs 1 and 3: {result['baseline_drift']:.1%}.",
        *provenance_lines(result, counts),
        f"<!-- bench:{sid}:end -->",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    add_size_arguments(parser)
    add_run_arguments(parser)
    parser.add_argument("--workers-online", type=int, default=200, help="worker accounts posting reviews")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per run (three runs)")
    parser.add_argument("--sample", type=int, default=300, help="touched requesters checked against a full recompute")
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and load generator to separate CPUs")
    args = parser.parse_args(argv)
    if problem := sizes_from_args(args).check():
        parser.error(problem)
    if not (1 <= args.workers_online <= 10_000 and 1 <= args.concurrency <= 512 and 0 < args.duration <= 600
            and 0 <= args.sample <= 100_000):
        parser.error("need 1 ≤ workers-online ≤ 10000, 1 ≤ concurrency ≤ 512, 0 < duration ≤ 600, 0 ≤ sample ≤ 100000")
    args.argv = list(sys.argv[1:] if argv is None else argv)
    result = benchmark(args)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    section = markdown_section(result)
    console.print(section, markup=False, highlight=False, soft_wrap=True)
    if not args.no_docs:
        write_section(DOCS, f"ingest-{args.database}", section)
        console.print(f"Wrote {DOCS.relative_to(ROOT)}")
    if failures(result):
        return 1
    return 2 if any(not met for _, met in targets(result) or []) else 0


if __name__ == "__main__":
    sys.exit(main())
