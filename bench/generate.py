"""Synthetic benchmark data: requesters, task types, workers, reviews and timings, then aggregates.

    python bench/generate.py --requesters 10000 --reviews 100000 [--timings N] [--workers N] [--seed 1]
                             [--database-url sqlite+aiosqlite:///path/x.db | FAIRFINDER_DATA_DIR=dir] [--force]

The database must be new (or is replaced with --force): it is migrated with the project's own Alembic
migrations, filled with bulk `executemany` inserts through SQLAlchemy Core (the model tables, so the
stored formats are the application's own), and then every aggregate is built with
`server.stats.refresh.rebuild_all`, exactly as `fairfinder recompute` does. Both phases are timed.

The shape is skewed like a real marketplace: requester activity follows a Zipf-like law (a few
requesters post most of the work and get most of the reviews), busy requesters have many task types,
and a few workers write most reviews. Rows are real rows (is_demo = False) but every identifier is
plainly synthetic: requesters are `bench-req-…`, workers `bench-worker-…`, hit sets `bench-hs-…`.
Everything follows from --seed and the sizes, so the same options give the same database.
"""
from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import json
import math
import os
import random
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/generate.py` from anywhere
    sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.progress import (  # noqa: E402
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy import create_engine as create_sync_engine  # noqa: E402
from sqlalchemy import event, func, select, text  # noqa: E402

from scrapers.durations import stated_seconds_from_text  # noqa: E402
from server.db.models import Requester, Review, TaskType, Timing, Worker  # noqa: E402
from server.tasks.identity import title_key  # noqa: E402

# Bump when the generated data changes shape, so cached databases (bench/annotate.py) are rebuilt.
GENERATOR_VERSION = 1
BATCH = 20_000
REQUESTER_ZIPF = 1.1  # weight of the requester of rank r ∝ 1 / r^1.1
WORKER_ZIPF = 0.9  # weight of the worker of rank r ∝ 1 / r^0.9
TYPE_ZIPF = 1.0  # within a requester, task type of rank k ∝ 1 / k
PROLIFIC_SHARE = 0.15
REQUESTER_LEVEL_REVIEWS = 0.03  # reviews of a requester as a whole (no task type)
EPOCH = datetime(2025, 6, 1, tzinfo=timezone.utc)  # "now" of the data, fixed so the data are reproducible


@dataclass(frozen=True)
class Sizes:
    requesters: int = 10_000
    reviews: int = 100_000
    timings: int | None = None  # default: as many as reviews
    workers: int | None = None  # default: reviews / 20 (at least 50)
    seed: int = 1

    def resolved(self) -> Sizes:
        return Sizes(requesters=self.requesters, reviews=self.reviews,
                     timings=self.reviews if self.timings is None else self.timings,
                     workers=max(50, self.reviews // 20) if self.workers is None else self.workers, seed=self.seed)

    def key(self) -> str:
        s = self.resolved()
        return f"r{s.requesters}-v{s.reviews}-t{s.timings}-w{s.workers}-s{s.seed}-g{GENERATOR_VERSION}"


@dataclass
class Report:
    sizes: dict
    counts: dict = field(default_factory=dict)
    generate_seconds: float = 0.0  # planning rows in Python + bulk inserts
    insert_seconds: float = 0.0  # of which: the inserts
    rebuild_seconds: float | None = None  # rebuild_all over all requesters
    rebuilt_requesters: int = 0
    database_bytes: int = 0


# --- the marketplace ----------------------------------------------------------------------------

# (title template, typical seconds, reward range in cents). {n}: a count, {m}: minutes, {x}: a thing.
MTURK_KINDS = [
    ("Transcribe a shopping receipt with {n} items", 25, (5, 60)),
    ("Categorize {n} product images", 12, (3, 40)),
    ("Survey about {x} (~{m} minutes)", None, None),
    ("Find the official website of {n} businesses", 45, (10, 90)),
    ("Rate {n} search results for relevance", 20, (5, 60)),
    ("Write a one-sentence description of a {x}", 90, (10, 50)),
    ("Draw boxes around every {x} in {n} photos", 30, (5, 80)),
    ("Transcribe a {n}-second audio clip", 6, (5, 75)),
    ("Check {n} business addresses on a map", 35, (5, 70)),
    ("Answer {n} questions about a short video", 25, (10, 120)),
    ("Tag the sentiment of {n} tweets", 8, (2, 30)),
    ("Copy the text from {n} scanned forms", 60, (20, 150)),
]
PROLIFIC_KINDS = [
    "Study on {x} and decision making ({m} minutes)",
    "Short questionnaire about {x} (~{m} min)",
    "Memory experiment with {x} (about {m} minutes)",
    "Opinions on {x}: an online study ({m} minutes)",
]
THINGS = ["car", "street sign", "shopping habits", "coffee", "online privacy", "public transport", "pet",
          "smartphone", "news media", "sleep", "food labels", "remote work", "music", "bicycle", "weather apps",
          "tree", "storefront", "video games", "recycling", "healthy eating"]
DESCRIPTIONS = [
    "Look at each item and choose the best matching option. Instructions inside; please read them first.",
    "Quick task for experienced workers. Bonus for high accuracy on the gold questions.",
    "Academic research. Your answers are anonymous. Attention checks are included.",
    "Please complete the whole task in one go; partial submissions cannot be approved.",
    "",
]
COMMENTS = ["Fair pay, quick approval.", "Took longer than stated.", "Instructions were unclear at first.",
            "Good requester, answered my email.", "Broken link halfway through; returned it.",
            "Lots of attention checks but paid fine.", "", "", "", ""]
FLAG_SETS = [["underpaid"], ["attention_checks"], ["broken"], ["timer_too_short"], ["writing_required"],
             ["webcam_or_phone", "needs_sight"], ["personal_data"], ["unpaid_screener"], ["captcha"],
             ["screen_reader_ok"], ["needs_hearing"]]


@dataclass
class _Type:
    id: int
    requester: int  # index into requesters
    typical_seconds: float
    reward_cents: int
    flags: list[str]


def _zipf_cum(n: int, s: float) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank ** s) for rank in range(1, n + 1)))


def _pick(rng: random.Random, cum: list[float]) -> int:
    return bisect.bisect_right(cum, rng.random() * cum[-1])


class Plan:
    """All rows, decided up front from the seed. Requester i (0-based) has Zipf rank i + 1."""

    def __init__(self, sizes: Sizes) -> None:
        self.sizes = sizes = sizes.resolved()
        rng = random.Random(sizes.seed)
        self.rng = rng
        self.requester_cum = _zipf_cum(sizes.requesters, REQUESTER_ZIPF)
        self.worker_cum = _zipf_cum(sizes.workers, WORKER_ZIPF)
        self.requesters: list[dict] = []
        self.types: list[_Type] = []
        self.type_rows: list[dict] = []
        self.types_of: list[list[int]] = []  # requester index → indexes into self.types
        self.approval: list[float] = []  # requester index → probability a decided task is approved
        self.blocky: list[bool] = []
        for i in range(sizes.requesters):
            platform = "prolific" if rng.random() < PROLIFIC_SHARE else "mturk"
            self.requesters.append({
                "id": i + 1, "platform": platform, "external_id": f"bench-req-{i + 1:06d}",
                "name": f"Bench requester {i + 1:06d}", "is_demo": False,
                "first_seen_at": EPOCH - timedelta(days=rng.uniform(0, 900)),
            })
            self.approval.append(rng.choice([0.995, 0.99, 0.98, 0.95, 0.9, 0.8, 0.6]))
            self.blocky.append(rng.random() < 0.01)
            # Busy requesters post many kinds of work: 1-4 task types, plus up to ~150 for the busiest.
            n_types = rng.randint(1, 4) + int(150 * (i + 1) ** -0.8)
            self.types_of.append(self._task_types(i, platform, n_types))
        self.type_cum = {i: _zipf_cum(len(t), TYPE_ZIPF) for i, t in enumerate(self.types_of) if len(t) > 1}

    def _task_types(self, requester: int, platform: str, n: int) -> list[int]:
        rng = self.rng
        seen: set[tuple[str, int]] = set()
        indexes = []
        while len(indexes) < n:
            thing = rng.choice(THINGS)
            if platform == "prolific":
                minutes = rng.choice([2, 3, 5, 8, 10, 12, 15, 20, 25, 30, 45])
                title = rng.choice(PROLIFIC_KINDS).format(x=thing, m=minutes)
                typical = minutes * 60 * rng.uniform(0.7, 1.5)
                reward = max(10, round(minutes * rng.uniform(8, 20)))  # pence: ~£5-12/h as stated
            else:
                template, per_item, reward_range = rng.choice(MTURK_KINDS)
                if per_item is None:  # a survey with a stated time
                    minutes = rng.choice([1, 2, 3, 5, 7, 10, 15, 20, 30])
                    title = template.format(x=thing, m=minutes)
                    typical = minutes * 60 * rng.uniform(0.8, 2.0)
                    reward = max(5, round(minutes * rng.uniform(3, 25)))
                else:
                    count = rng.choice([1, 3, 5, 10, 20, 25, 50])
                    title = template.format(n=count, x=thing)
                    typical = max(15.0, per_item * count * rng.uniform(0.5, 1.5))
                    reward = rng.randint(*reward_range) * max(1, count // 5)
            base, copy = title, 1
            while (title, reward) in seen:  # identity is (requester, title, reward, currency)
                copy += 1
                title = f"{base} [set {copy}]"
            seen.add((title, reward))
            type_id = len(self.types) + 1
            flags = rng.choice(FLAG_SETS) if rng.random() < 0.08 else []
            self.types.append(_Type(type_id, requester, typical, reward, flags))
            self.type_rows.append({
                "id": type_id, "requester_id": requester + 1, "title": title, "title_key": title_key(title),
                "reward_cents": reward, "currency": "GBP" if platform == "prolific" else "USD",
                "latest_hit_set_id": f"bench-hs-{type_id:07d}", "stated_seconds": stated_seconds_from_text(title),
                "is_demo": False, "first_seen_at": self.requesters[requester]["first_seen_at"] + timedelta(days=rng.uniform(0, 60)),
            })
            indexes.append(type_id - 1)
        return indexes

    def pick_type(self) -> _Type:
        requester = _pick(self.rng, self.requester_cum)
        kinds = self.types_of[requester]
        return self.types[kinds[_pick(self.rng, self.type_cum[requester])] if len(kinds) > 1 else kinds[0]]

    def pick_worker(self) -> int:
        return _pick(self.rng, self.worker_cum) + 1

    def workers(self) -> Iterator[dict]:
        for i in range(self.sizes.workers):
            yield {"id": i + 1, "handle": f"bench-worker-{i + 1:06d}", "role": "worker", "is_demo": False,
                   "created_at": EPOCH - timedelta(days=self.rng.uniform(0, 700))}

    def reviews(self) -> Iterator[dict]:
        """Unique per (worker, task type), or per (worker, requester) for requester-level reviews."""
        rng, seen = self.rng, set()
        made = attempts = 0
        self.reviewed_pairs: list[tuple[int, _Type]] = []
        while made < self.sizes.reviews and attempts < self.sizes.reviews * 20:
            attempts += 1
            task_type, worker = self.pick_type(), self.pick_worker()
            whole_requester = rng.random() < REQUESTER_LEVEL_REVIEWS
            key = ("r", worker, task_type.requester) if whole_requester else ("t", worker, task_type.id)
            if key in seen:
                continue
            seen.add(key)
            made += 1
            if not whole_requester:
                self.reviewed_pairs.append((worker, task_type))
            yield self._review(made, worker, task_type, whole_requester)

    def _review(self, review_id: int, worker: int, task_type: _Type, whole_requester: bool) -> dict:
        rng = self.rng
        seconds = max(10.0, rng.lognormvariate(math.log(task_type.typical_seconds), 0.45))
        draw = rng.random()
        if draw < 0.05:
            outcome = None
        elif draw < 0.10:
            outcome = "returned"
        elif draw < 0.18:
            outcome = "pending"
        elif self.blocky[task_type.requester] and draw < 0.30:
            outcome = "blocked"
        else:
            outcome = "approved" if rng.random() < self.approval[task_type.requester] else "rejected"
        rate = task_type.reward_cents * 3600 / seconds  # cents/h

        def rating(base: float) -> int:
            return max(1, min(5, round(rng.gauss(base, 0.9))))

        updated = EPOCH - timedelta(days=rng.expovariate(1 / 120))
        return {
            "id": review_id, "worker_id": worker, "requester_id": task_type.requester + 1,
            "task_type_id": None if whole_requester else task_type.id,
            "rating_pay": rating(1 + 4 * min(1.0, rate / 1500)),
            "rating_fairness": rating(2 if outcome in ("rejected", "blocked") else 4.5),
            "rating_speed": rating(4), "rating_communication": rating(3.5) if rng.random() < 0.5 else None,
            "worked_seconds": round(seconds) if rng.random() < 0.9 else None, "outcome": outcome,
            "approval_seconds": round(rng.uniform(600, 3 * 86400)) if outcome == "approved" and rng.random() < 0.7 else None,
            "bonus_cents": rng.randint(5, 100) if rng.random() < 0.05 else None,
            "flags": [f for f in task_type.flags if rng.random() < 0.6] + (["blocked"] if outcome == "blocked" else []),
            "comment": rng.choice(COMMENTS), "is_demo": False,
            "created_at": updated - timedelta(days=rng.choice([0, 0, 0, rng.uniform(0, 30)])), "updated_at": updated,
        }

    def timings(self) -> Iterator[dict]:
        """Half from workers who also reviewed the task type (the extension timed what they reviewed)."""
        rng = self.rng
        pairs = getattr(self, "reviewed_pairs", [])
        for i in range(self.sizes.timings):
            if pairs and rng.random() < 0.5:
                worker, task_type = pairs[rng.randrange(len(pairs))]
            else:
                worker, task_type = self.pick_worker(), self.pick_type()
            seconds = max(5.0, rng.lognormvariate(math.log(task_type.typical_seconds), 0.5))
            ended = EPOCH - timedelta(days=rng.expovariate(1 / 120))
            draw = rng.random()
            outcome = ("submitted" if draw < 0.80 else "returned" if draw < 0.86 else "approved" if draw < 0.94
                       else "pending" if draw < 0.97 else "rejected" if draw < 0.995 else "blocked")
            yield {"id": i + 1, "worker_id": worker, "task_type_id": task_type.id, "assignment_id": f"bench-asg-{i + 1:09d}",
                   "accepted_at": ended - timedelta(seconds=seconds), "ended_at": ended, "seconds": round(seconds, 2),
                   "outcome": outcome, "is_demo": False, "created_at": ended}


# --- writing ------------------------------------------------------------------------------------


def _batches(rows: Iterable[dict], size: int) -> Iterator[list[dict]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("[bold]{task.description:<22}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=console, transient=False)


def sqlite_path(database_url: str) -> Path:
    if not database_url.startswith("sqlite") or "///" not in database_url:
        raise SystemExit(f"bench data needs a SQLite file URL, not {database_url!r}")
    return Path(database_url.split("///", 1)[1].split("?", 1)[0])


def database_url_from(args_url: str | None) -> str:
    if args_url:
        return args_url
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    data_dir = Path(os.environ.get("FAIRFINDER_DATA_DIR", "var")).resolve()
    return f"sqlite+aiosqlite:///{data_dir / 'fairfinder.db'}"


def _fresh_database(database_url: str, force: bool, console: Console) -> Path:
    from server.db.migrate import upgrade  # noqa: PLC0415

    path = sqlite_path(database_url)
    if path.exists():
        if not force:
            raise SystemExit(f"{path} exists; bench data goes into a new database (use --force to replace it)")
        console.print(f"Replacing {path}")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    upgrade(database_url)
    return path


def insert_all(database_url: str, plan: Plan, console: Console) -> tuple[dict[str, int], float]:
    """Bulk-insert every planned row (Core executemany, BATCH rows per statement). Returns counts, insert time."""
    from server.db.migrate import sync_url  # noqa: PLC0415

    engine = create_sync_engine(sync_url(database_url))

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        for pragma in ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=OFF", "PRAGMA foreign_keys=ON",
                       "PRAGMA cache_size=-200000"):
            cursor.execute(pragma)
        cursor.close()

    sizes = plan.sizes
    tables = [
        ("requesters", Requester, plan.requesters, len(plan.requesters)),
        ("task types", TaskType, plan.type_rows, len(plan.type_rows)),
        ("workers", Worker, plan.workers(), sizes.workers),
        ("reviews", Review, plan.reviews(), sizes.reviews),
        ("timings", Timing, plan.timings(), sizes.timings),
    ]
    counts: dict[str, int] = {}
    insert_seconds = 0.0
    try:
        with _progress(console) as progress, engine.begin() as connection:
            for label, model, rows, total in tables:
                bar = progress.add_task(f"Inserting {label}", total=total)
                done = 0
                for batch in _batches(rows, BATCH):
                    started = time.perf_counter()
                    connection.execute(model.__table__.insert(), batch)
                    insert_seconds += time.perf_counter() - started
                    done += len(batch)
                    progress.update(bar, completed=done)
                progress.update(bar, total=done)
                counts[label.replace(" ", "_")] = done
    finally:
        engine.dispose()
    return counts, insert_seconds


async def rebuild(database_url: str, console: Console) -> tuple[int, float]:
    """`rebuild_all` in one write transaction, as `fairfinder recompute` runs it. Returns (requesters, seconds)."""
    from server.db.engine import create_engine, session_factory, write_transaction  # noqa: PLC0415
    from server.stats.refresh import rebuild_all  # noqa: PLC0415

    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            with _progress(console) as progress:
                bar = progress.add_task("Rebuilding aggregates", total=None)
                started = time.perf_counter()
                async with write_transaction(session):
                    done = await rebuild_all(session, lambda n, total: progress.update(bar, completed=n, total=total))
                return done, time.perf_counter() - started
    finally:
        await engine.dispose()


def _finish(path: Path) -> None:
    """Fold the WAL into the main file so the database is one file that can be copied."""
    import sqlite3  # noqa: PLC0415

    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def generate(database_url: str, sizes: Sizes, *, console: Console | None = None, force: bool = False,
             rebuild_aggregates: bool = True) -> Report:
    console = console or Console(stderr=True)
    sizes = sizes.resolved()
    report = Report(sizes=asdict(sizes))
    path = _fresh_database(database_url, force, console)
    started = time.perf_counter()
    with console.status("Planning requesters and task types"):
        plan = Plan(sizes)
    report.counts, report.insert_seconds = insert_all(database_url, plan, console)
    report.generate_seconds = time.perf_counter() - started
    console.print(f"Generated {', '.join(f'{n:,} {what}' for what, n in report.counts.items())} "
                  f"in {report.generate_seconds:.1f} s (inserts {report.insert_seconds:.1f} s)")
    if rebuild_aggregates:
        report.rebuilt_requesters, report.rebuild_seconds = asyncio.run(rebuild(database_url, console))
        console.print(f"rebuild_all: {report.rebuilt_requesters:,} requesters in {report.rebuild_seconds:.1f} s "
                      f"({report.rebuild_seconds / max(1, report.rebuilt_requesters) * 1000:.1f} ms each)")
    _finish(path)
    report.database_bytes = path.stat().st_size
    report.counts |= _stats_counts(database_url)
    return report


def _stats_counts(database_url: str) -> dict[str, int]:
    from server.db.migrate import sync_url  # noqa: PLC0415

    engine = create_sync_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            return {name: connection.execute(select(func.count()).select_from(text(name))).scalar_one()
                    for name in ("task_type_stats", "requester_stats")}
    finally:
        engine.dispose()


def add_size_arguments(parser: argparse.ArgumentParser) -> None:
    """The data-size options, shared with bench/annotate.py."""
    parser.add_argument("--requesters", type=int, default=Sizes.requesters)
    parser.add_argument("--reviews", type=int, default=Sizes.reviews)
    parser.add_argument("--timings", type=int, default=None, help="default: as many as reviews")
    parser.add_argument("--workers", type=int, default=None, help="worker accounts; default: reviews / 20")
    parser.add_argument("--seed", type=int, default=Sizes.seed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    add_size_arguments(parser)
    parser.add_argument("--database-url", default=None,
                        help="a SQLite URL; default DATABASE_URL, else FAIRFINDER_DATA_DIR/fairfinder.db")
    parser.add_argument("--force", action="store_true", help="replace the database file if it exists")
    parser.add_argument("--no-rebuild", action="store_true", help="skip rebuild_all (aggregates stay empty)")
    parser.add_argument("--report", type=Path, default=None, help="also write the timings and counts as JSON here")
    args = parser.parse_args(argv)
    if min(args.requesters, args.reviews) < 1:
        parser.error("--requesters and --reviews must be positive")
    sizes = Sizes(args.requesters, args.reviews, args.timings, args.workers, args.seed)
    report = generate(database_url_from(args.database_url), sizes, force=args.force,
                      rebuild_aggregates=not args.no_rebuild)
    if args.report:
        args.report.write_text(json.dumps(asdict(report), indent=2))
    print(json.dumps(asdict(report), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
