"""Synthetic benchmark data: requesters, task types, workers, reviews and timings, then aggregates.

    python bench/generate.py [--requesters 50000] [--task-types 300000] [--reviews 1000000] [--timings 2000000]
                             [--workers N] [--seed 1] [--no-rebuild] [--force]
                             [--database-url URL | --postgres]   (default DATABASE_URL, else FAIRFINDER_DATA_DIR)

The defaults are issue 7's default scale. The database must be new, or migrated and still empty (an
empty PostgreSQL database, a fresh test database), or is emptied first with --force. It is migrated
with the project's own Alembic migrations, filled in one transaction (SQLite: `executemany` on the
sqlite3 driver; PostgreSQL: `COPY` through psycopg, then the id sequences are moved past the rows and
the tables ANALYZEd), and then every aggregate is built with `server.stats.refresh.rebuild_all`,
exactly as `fairfinder recompute` runs it. The two phases are timed apart. `--postgres` runs the whole
thing on a throwaway PostgreSQL cluster (tests/postgres.py) that is deleted afterwards: it measures
the generation, it keeps nothing.

The shape is skewed like a real marketplace: requester activity follows a Zipf-like law (a few
requesters post most of the work and get most of the reviews), busy requesters have many task types,
and a few workers write most reviews. Rows are real rows (is_demo = False) but every identifier is
plainly synthetic, yet valid for its platform (scrapers/ids.py): mturk requesters are `ABENCHREQ…`, their hit
sets `BENCHHS…` (30 characters), prolific requesters and studies 24 hex digits starting `be0c4…`, workers
`bench-worker-…`.
Everything follows from --seed and the sizes, so the same options give the same rows on either
database. Times are fixed around 2025-06-01 (EPOCH), so the data are reproducible; it also means no
generated review is "recent" (90 days) when the benchmarks run.
"""
from __future__ import annotations

import argparse
import asyncio
import bisect
import functools
import itertools
import json
import math
import os
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
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
from sqlalchemy import inspect, make_url, text  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from scrapers.durations import stated_seconds_from_text  # noqa: E402
from server.domain.identity import identity_title  # noqa: E402

# Bump when the generated data changes shape, so cached databases (bench/results/) are generated again.
# 3: ids valid per platform (scrapers/ids.py); 4: title_key as the server keys task types (identity_title: case
# folded, punctuation as spaces), so a page's known tasks are found, not taken for never-seen ones
GENERATOR_VERSION = 4
BATCH = 20_000
REQUESTER_ZIPF = 1.1  # activity (reviews, timings) of the requester of rank r ∝ 1 / r^1.1
TYPE_SHARE_POWER = 0.8  # task types beyond the first ∝ activity^0.8: busy requesters have many, not all
WORKER_ZIPF = 0.9  # weight of the worker of rank r ∝ 1 / r^0.9
TYPE_ZIPF = 1.0  # within a requester, task type of rank k ∝ 1 / k
PROLIFIC_SHARE = 0.15
REQUESTER_LEVEL_REVIEWS = 0.03  # reviews of a requester as a whole (no task type)
TIMINGS_PER_REVIEW = 2  # default --timings: issue 7's 2,000,000 per 1,000,000 reviews
TASK_TYPES_PER_REVIEW = 0.3  # default --task-types: 300,000 per 1,000,000 reviews
EPOCH = datetime(2025, 6, 1)  # "now" of the data (naive UTC), fixed so the data are reproducible
TABLES = ("requesters", "task_types", "workers", "reviews", "timings")


@dataclass(frozen=True)
class Sizes:
    """Positional order is kept for older callers: (requesters, reviews, timings, workers, seed, task_types)."""

    requesters: int = 50_000
    reviews: int = 1_000_000
    timings: int | None = None  # default: 2 per review
    workers: int | None = None  # default: reviews / 20 (at least 50)
    seed: int = 1
    task_types: int | None = None  # default: 0.3 per review, at least one per requester

    def resolved(self) -> Sizes:
        task_types = round(self.reviews * TASK_TYPES_PER_REVIEW) if self.task_types is None else self.task_types
        return Sizes(requesters=self.requesters, reviews=self.reviews,
                     timings=self.reviews * TIMINGS_PER_REVIEW if self.timings is None else self.timings,
                     workers=max(50, self.reviews // 20) if self.workers is None else self.workers, seed=self.seed,
                     task_types=max(self.requesters, task_types) if self.task_types is None else task_types)

    def key(self) -> str:
        s = self.resolved()
        return (f"r{s.requesters}-y{s.task_types}-v{s.reviews}-t{s.timings}-w{s.workers}-s{s.seed}"
                f"-g{GENERATOR_VERSION}")

    def check(self) -> str | None:
        """What is wrong with these sizes, or None."""
        s = self.resolved()
        if min(s.requesters, s.reviews, s.workers or 0) < 1 or min(s.timings or 0, s.task_types or 0) < 0:
            return "--requesters, --reviews and --workers must be positive, --timings not negative"
        if (s.task_types or 0) < s.requesters:
            return f"--task-types ({s.task_types:,}) must be at least --requesters ({s.requesters:,}): one each"
        return None


@dataclass
class Report:
    sizes: dict
    database: str = "sqlite"  # sqlite | postgresql
    counts: dict = field(default_factory=dict)
    generate_seconds: float = 0.0  # planning rows in Python + bulk inserts
    insert_seconds: float = 0.0  # of which: the load (reviews and timings are made as they stream in), indexes, commit
    generate_cpu_seconds: float = 0.0  # this process's CPU time for the rows: on a busy machine, wall time says less
    rebuild_seconds: float | None = None  # rebuild_all over all requesters
    rebuilt_requesters: int = 0
    database_bytes: int = 0  # file (SQLite, after a checkpoint) or pg_database_size


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
TIMING_OUTCOMES = (("submitted", 0.80), ("returned", 0.86), ("approved", 0.94), ("pending", 0.97),
                   ("rejected", 0.995), ("blocked", 1.0))

# Columns written, in the order of the row tuples below. Columns left out take their server default.
COLUMNS = {
    "requesters": ("id", "platform", "external_id", "name", "is_demo", "first_seen_at"),
    "task_types": ("id", "requester_id", "title", "title_key", "reward_cents", "currency", "latest_hit_set_id",
                   "stated_seconds", "is_demo", "first_seen_at"),
    "workers": ("id", "handle", "role", "is_demo", "created_at"),
    "reviews": ("id", "worker_id", "requester_id", "task_type_id", "rating_pay", "rating_fairness", "rating_speed",
                "rating_communication", "worked_seconds", "outcome", "approval_seconds", "bonus_cents", "flags",
                "comment", "is_demo", "created_at", "updated_at", "status"),
    "timings": ("id", "worker_id", "task_type_id", "assignment_id", "accepted_at", "ended_at", "seconds", "outcome",
                "is_demo", "created_at"),
}


def stamp(moment: datetime) -> str:
    """A naive UTC datetime as both databases read it: SQLAlchemy's SQLite format; PostgreSQL (session
    time zone UTC) parses the same text."""
    return moment.isoformat(" ", "microseconds")


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


def task_type_counts(requesters: int, task_types: int) -> list[int]:
    """Task types per requester (by Zipf rank): one each, the rest shared in proportion to the requester's
    activity^TYPE_SHARE_POWER, rounded by largest remainder so the total is exact. Pure."""
    weights = [rank ** (-REQUESTER_ZIPF * TYPE_SHARE_POWER) for rank in range(1, requesters + 1)]
    total, extra = math.fsum(weights), task_types - requesters
    shares = [extra * w / total for w in weights]
    counts = [1 + int(share) for share in shares]
    left = task_types - sum(counts)
    for i in sorted(range(requesters), key=lambda i: int(shares[i]) - shares[i])[:left]:
        counts[i] += 1
    return counts


def requester_external_id(platform: str, n: int) -> str:
    """The n-th generated requester's id, valid on its platform (scrapers/ids.py)."""
    return f"be0c4000{n:016x}" if platform == "prolific" else f"ABENCHREQ{n:06d}"


def hit_set_external_id(platform: str, n: int) -> str:
    """The n-th generated task type's hit set (MTurk: 30 upper-case characters) or study id (Prolific: 24 hex)."""
    return f"be0c4001{n:016x}" if platform == "prolific" else f"BENCHHS{n:023d}"


class Plan:
    """All rows, decided up front from the seed. Requester i (0-based) has Zipf rank i + 1.

    Rows are tuples in COLUMNS order, with datetimes already as text (stamp) and flags as JSON text,
    so the writers pass them to the driver as they are.
    """

    def __init__(self, sizes: Sizes) -> None:
        self.sizes = sizes = sizes.resolved()
        assert sizes.workers is not None and sizes.task_types is not None and sizes.timings is not None  # resolved
        rng = random.Random(sizes.seed)
        self.rng = rng
        self.requester_cum = _zipf_cum(sizes.requesters, REQUESTER_ZIPF)
        self.worker_cum = _zipf_cum(sizes.workers, WORKER_ZIPF)
        self.requesters: list[tuple] = []
        self.types: list[_Type] = []
        self.type_rows: list[tuple] = []
        self.types_of: list[list[int]] = []  # requester index → indexes into self.types
        self.approval: list[float] = []  # requester index → probability a decided task is approved
        self.blocky: list[bool] = []
        for i, n_types in enumerate(task_type_counts(sizes.requesters, sizes.task_types)):
            platform = "prolific" if rng.random() < PROLIFIC_SHARE else "mturk"
            first_seen = EPOCH - timedelta(days=rng.uniform(0, 900))
            self.requesters.append((i + 1, platform, requester_external_id(platform, i + 1),
                                    f"Bench requester {i + 1:06d}", False, stamp(first_seen)))
            self.approval.append(rng.choice([0.995, 0.99, 0.98, 0.95, 0.9, 0.8, 0.6]))
            self.blocky.append(rng.random() < 0.01)
            self.types_of.append(self._task_types(i, platform, first_seen, n_types))
        self.type_cum = {i: _zipf_cum(len(t), TYPE_ZIPF) for i, t in enumerate(self.types_of) if len(t) > 1}
        self.pair = len(self.types) + len(self.requesters) + 1  # packs (worker, id) into one int key
        self.reviewed_pairs: list[int] = []  # worker * pair + task type index, of the reviews made

    def _task_types(self, requester: int, platform: str, first_seen: datetime, n: int) -> list[int]:
        rng = self.rng
        seen: set[tuple[str, int]] = set()
        indexes: list[int] = []
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
                    low, high = reward_range or (1, 1)  # every kind with a count has a range
                    reward = rng.randint(low, high) * max(1, count // 5)
            base, copy, key = title, 1, identity_title(title)
            while (key, reward) in seen:  # identity is (requester, title key, reward, currency)
                copy += 1
                title = f"{base} [set {copy}]"
                key = identity_title(title)
            seen.add((key, reward))
            type_id = len(self.types) + 1
            flags = rng.choice(FLAG_SETS) if rng.random() < 0.08 else []
            self.types.append(_Type(type_id, requester, typical, reward, flags))
            self.type_rows.append((
                type_id, requester + 1, title, key, reward, "GBP" if platform == "prolific" else "USD",
                hit_set_external_id(platform, type_id), stated_seconds_from_text(title), False,
                stamp(first_seen + timedelta(days=rng.uniform(0, 60)))))
            indexes.append(type_id - 1)
        return indexes

    def pick_type(self) -> _Type:
        requester = _pick(self.rng, self.requester_cum)
        kinds = self.types_of[requester]
        return self.types[kinds[_pick(self.rng, self.type_cum[requester])] if len(kinds) > 1 else kinds[0]]

    def pick_worker(self) -> int:
        return _pick(self.rng, self.worker_cum) + 1

    def workers(self) -> Iterator[tuple]:
        for i in range(self.sizes.workers or 0):
            yield (i + 1, f"bench-worker-{i + 1:06d}", "worker", False,
                   stamp(EPOCH - timedelta(days=self.rng.uniform(0, 700))))

    def reviews(self) -> Iterator[tuple]:
        """Unique per (worker, task type), or per (worker, requester) for requester-level reviews."""
        rng, seen, pair = self.rng, set(), self.pair
        made = attempts = 0
        while made < self.sizes.reviews and attempts < self.sizes.reviews * 20:
            attempts += 1
            task_type, worker = self.pick_type(), self.pick_worker()
            whole_requester = rng.random() < REQUESTER_LEVEL_REVIEWS
            key = -(worker * pair + task_type.requester) if whole_requester else worker * pair + task_type.id
            if key in seen:
                continue
            seen.add(key)
            made += 1
            if not whole_requester:
                self.reviewed_pairs.append(worker * pair + task_type.id - 1)
            yield self._review(made, worker, task_type, whole_requester)

    def _review(self, review_id: int, worker: int, task_type: _Type, whole_requester: bool) -> tuple:
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
        gauss = rng.gauss

        def rating(base: float) -> int:
            return max(1, min(5, round(gauss(base, 0.9))))

        updated = EPOCH - timedelta(days=rng.expovariate(1 / 120))
        created = updated - timedelta(days=rng.choice([0, 0, 0, rng.uniform(0, 30)]))
        flags = [f for f in task_type.flags if rng.random() < 0.6]
        return (
            review_id, worker, task_type.requester + 1, None if whole_requester else task_type.id,
            rating(1 + 4 * min(1.0, rate / 1500)), rating(2 if outcome in ("rejected", "blocked") else 4.5), rating(4),
            rating(3.5) if rng.random() < 0.5 else None,
            round(seconds) if rng.random() < 0.9 else None, outcome,
            round(rng.uniform(600, 3 * 86400)) if outcome == "approved" and rng.random() < 0.7 else None,
            rng.randint(5, 100) if rng.random() < 0.05 else None,
            json.dumps(flags), rng.choice(COMMENTS), False, stamp(created), stamp(updated), "visible",
        )

    def timings(self) -> Iterator[tuple]:
        """Half from workers who also reviewed the task type (the extension timed what they reviewed)."""
        rng, pairs, types, pair = self.rng, self.reviewed_pairs, self.types, self.pair
        for i in range(1, (self.sizes.timings or 0) + 1):
            if pairs and rng.random() < 0.5:
                worker, type_index = divmod(pairs[rng.randrange(len(pairs))], pair)
                task_type = types[type_index]
            else:
                worker, task_type = self.pick_worker(), self.pick_type()
            seconds = max(5.0, rng.lognormvariate(math.log(task_type.typical_seconds), 0.5))
            ended = EPOCH - timedelta(days=rng.expovariate(1 / 120))
            draw = rng.random()
            outcome = next(name for name, upto in TIMING_OUTCOMES if draw < upto)
            ended_text = stamp(ended)
            yield (i, worker, task_type.id, f"bench-asg-{i:09d}", stamp(ended - timedelta(seconds=seconds)), ended_text,
                   round(seconds, 2), outcome, False, ended_text)


# --- writing ------------------------------------------------------------------------------------


def _batches(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("[bold]{task.description:<22}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=console, transient=False)


def backend_of(database_url: str) -> str:
    if database_url.startswith("sqlite"):
        return "sqlite"
    if database_url.startswith("postgresql"):
        return "postgresql"
    raise SystemExit(f"bench data goes into SQLite or PostgreSQL, not {database_url.split(':', 1)[0]!r}")


def sqlite_path(database_url: str) -> Path:
    if not database_url.startswith("sqlite") or "///" not in database_url:
        raise SystemExit(f"expected a SQLite file URL, not {database_url!r}")
    return Path(database_url.split("///", 1)[1].split("?", 1)[0])


def libpq_url(database_url: str) -> str:
    """postgresql+asyncpg://… as a plain libpq URL for psycopg.connect."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def database_url_from(args_url: str | None) -> str:
    if args_url:
        return args_url
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    data_dir = Path(os.environ.get("FAIRFINDER_DATA_DIR", "var")).resolve()
    return f"sqlite+aiosqlite:///{data_dir / 'fairfinder.db'}"


def _sync_engine(database_url: str) -> Any:
    from server.db.migrate import sync_url  # noqa: PLC0415

    return create_sync_engine(sync_url(database_url), poolclass=NullPool)


def tables_with_rows(database_url: str) -> list[str]:
    """Tables that hold at least one row (Alembic's own left out); [] for an empty or unmigrated database."""
    engine = _sync_engine(database_url)
    try:
        with engine.connect() as connection:
            names = [n for n in inspect(connection).get_table_names() if n != "alembic_version" and not n.startswith("sqlite_")]
            return [n for n in names if connection.execute(text(f'SELECT 1 FROM "{n}" LIMIT 1')).first()]  # noqa: S608
    finally:
        engine.dispose()


def prepare_database(database_url: str, force: bool, console: Console) -> None:
    """Make the database migrated and empty: a new one, an empty (migrated or not) one, or --force."""
    from server.db.migrate import upgrade  # noqa: PLC0415

    backend = backend_of(database_url)
    if backend == "sqlite":
        path = sqlite_path(database_url)
        if force and path.exists():
            console.print(f"Replacing {path}")
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
    full = tables_with_rows(database_url) if backend == "postgresql" or sqlite_path(database_url).exists() else []
    if full and not force:
        raise SystemExit(f"the database holds data ({', '.join(full)}); bench data goes into an empty one "
                         "(use --force to empty it)")
    if full:  # PostgreSQL with --force
        console.print(f"Emptying {', '.join(full)}")
        engine = _sync_engine(database_url)
        try:
            with engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {', '.join(f'{chr(34)}{n}{chr(34)}' for n in full)} RESTART IDENTITY CASCADE"))
        finally:
            engine.dispose()
    upgrade(database_url)


class SqliteLoader:
    """Every row in one transaction on the sqlite3 driver. The file is new, so the rollback journal can live
    in memory and nothing is synced until the end; WAL (the server's mode) is switched on afterwards.
    The tables' own indexes are dropped for the load and created again before the commit: building an
    index from sorted keys once is several times faster than a million random B-tree inserts."""

    def __init__(self, database_url: str) -> None:
        import sqlite3  # noqa: PLC0415

        self.connection = sqlite3.connect(sqlite_path(database_url), isolation_level=None)
        for pragma in ("PRAGMA journal_mode=MEMORY", "PRAGMA synchronous=OFF", "PRAGMA foreign_keys=ON",
                       "PRAGMA cache_size=-262144"):
            self.connection.execute(pragma)
        self.connection.execute("BEGIN")
        self.indexes = self.connection.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "  # noqa: S608
            f"AND tbl_name IN ({', '.join('?' * len(TABLES))})", TABLES).fetchall()
        for name, _ in self.indexes:
            self.connection.execute(f'DROP INDEX "{name}"')

    def load(self, table: str, rows: Iterable[tuple], advance: Callable[[int], None]) -> int:
        columns = COLUMNS[table]
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608
        done = 0
        for batch in _batches(rows, BATCH):
            self.connection.executemany(sql, batch)
            done += len(batch)
            advance(len(batch))
        return done

    def finish(self) -> None:
        for _, sql in self.indexes:
            self.connection.execute(sql)
        self.connection.execute("COMMIT")
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.close()


class PostgresLoader:
    """Every row in one transaction with COPY (psycopg). As on SQLite, the indexes that back no constraint
    are dropped for the load and created again before the commit. Afterwards the id sequences are moved
    past the rows (COPY gives explicit ids, so the server's next insert must not reuse one) and the
    tables ANALYZEd, as autovacuum would soon do."""

    def __init__(self, database_url: str) -> None:
        import psycopg  # noqa: PLC0415 - only the PostgreSQL runs need it

        self.connection = psycopg.connect(libpq_url(database_url))
        self.connection.execute("SET TimeZone = 'UTC'")  # stamp() text is UTC
        self.connection.execute("SET maintenance_work_mem = '256MB'")  # index builds sort in memory
        self.indexes = self.connection.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE t.relname = ANY(%s) AND n.nspname = current_schema() "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)", (list(TABLES),)).fetchall()
        for name, _ in self.indexes:
            self.connection.execute(f"DROP INDEX {name}")

    def load(self, table: str, rows: Iterable[tuple], advance: Callable[[int], None]) -> int:
        done = 0
        with self.connection.cursor() as cursor, cursor.copy(
                f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN") as copy:  # fixed names
            for batch in _batches(rows, BATCH):
                for row in batch:
                    copy.write_row(row)
                done += len(batch)
                advance(len(batch))
        return done

    def finish(self) -> None:
        for _, definition in self.indexes:
            self.connection.execute(definition)
        for table in TABLES:
            self.connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)")  # noqa: S608
        self.connection.commit()
        self.connection.autocommit = True
        self.connection.execute(f"ANALYZE {', '.join(TABLES)}")
        self.connection.close()


def insert_all(database_url: str, plan: Plan, console: Console) -> tuple[dict[str, int], float]:
    """Write every planned row. Returns the counts and the time spent in the database driver's calls
    plus planning the rows that stream (reviews, timings): the whole load."""
    sizes = plan.sizes
    loader = SqliteLoader(database_url) if backend_of(database_url) == "sqlite" else PostgresLoader(database_url)
    tables = [
        ("requesters", plan.requesters, len(plan.requesters)),
        ("task_types", plan.type_rows, len(plan.type_rows)),
        ("workers", plan.workers(), sizes.workers),
        ("reviews", plan.reviews(), sizes.reviews),
        ("timings", plan.timings(), sizes.timings),
    ]
    counts: dict[str, int] = {}
    started = time.perf_counter()
    with _progress(console) as progress:
        for table, rows, total in tables:
            bar = progress.add_task(f"Inserting {table.replace('_', ' ')}", total=total)
            counts[table] = loader.load(table, rows, functools.partial(progress.advance, bar))
            progress.update(bar, total=counts[table], completed=counts[table])
    with console.status("Committing"):
        loader.finish()
    return counts, time.perf_counter() - started


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


def checkpoint(database_url: str) -> None:
    """SQLite: fold the WAL into the main file, so the database is one file that can be copied and measured."""
    if backend_of(database_url) == "sqlite":
        import sqlite3  # noqa: PLC0415

        with sqlite3.connect(sqlite_path(database_url)) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def database_bytes(database_url: str) -> int:
    """The database's size on disk: the SQLite file (and its WAL), or pg_database_size."""
    if backend_of(database_url) == "sqlite":
        path = sqlite_path(database_url)
        return sum(Path(f"{path}{suffix}").stat().st_size for suffix in ("", "-wal") if Path(f"{path}{suffix}").exists())
    engine = _sync_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
    finally:
        engine.dispose()


def generate(database_url: str, sizes: Sizes, *, console: Console | None = None, force: bool = False,
             rebuild_aggregates: bool = True) -> Report:
    console = console or Console(stderr=True)
    sizes = sizes.resolved()
    if problem := sizes.check():
        raise SystemExit(problem)
    report = Report(sizes=asdict(sizes), database=backend_of(database_url))
    prepare_database(database_url, force, console)
    started, cpu_started = time.perf_counter(), time.process_time()
    with console.status("Planning requesters and task types"):
        plan = Plan(sizes)
    report.counts, report.insert_seconds = insert_all(database_url, plan, console)
    report.generate_seconds = time.perf_counter() - started
    report.generate_cpu_seconds = time.process_time() - cpu_started
    console.print(f"Generated {', '.join(f'{n:,} {what}' for what, n in report.counts.items())} "
                  f"in {report.generate_seconds:.1f} s (inserts {report.insert_seconds:.1f} s; "
                  f"CPU {report.generate_cpu_seconds:.1f} s)")
    if rebuild_aggregates:
        report.rebuilt_requesters, report.rebuild_seconds = asyncio.run(rebuild(database_url, console))
        console.print(f"rebuild_all: {report.rebuilt_requesters:,} requesters in {report.rebuild_seconds:.1f} s "
                      f"({report.rebuild_seconds / max(1, report.rebuilt_requesters) * 1000:.2f} ms each)")
    checkpoint(database_url)
    report.database_bytes = database_bytes(database_url)
    report.counts |= _stats_counts(database_url)
    return report


def _stats_counts(database_url: str) -> dict[str, int]:
    engine = _sync_engine(database_url)
    try:
        with engine.connect() as connection:
            return {name: connection.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()  # noqa: S608
                    for name in ("task_type_stats", "requester_stats")}
    finally:
        engine.dispose()


def add_size_arguments(parser: argparse.ArgumentParser) -> None:
    """The data-size options, shared with the other bench scripts (read them back with sizes_from_args)."""
    parser.add_argument("--requesters", type=int, default=Sizes.requesters)
    parser.add_argument("--task-types", type=int, default=None,
                        help="default: 0.3 per review (300,000 at the default scale), at least one per requester")
    parser.add_argument("--reviews", type=int, default=Sizes.reviews)
    parser.add_argument("--timings", type=int, default=None, help="default: 2 per review")
    parser.add_argument("--workers", type=int, default=None, help="worker accounts; default: reviews / 20")
    parser.add_argument("--seed", type=int, default=Sizes.seed)


def sizes_from_args(args: argparse.Namespace) -> Sizes:
    return Sizes(requesters=args.requesters, reviews=args.reviews, timings=args.timings, workers=args.workers,
                 seed=args.seed, task_types=getattr(args, "task_types", None))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    add_size_arguments(parser)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", default=None,
                       help="sqlite+aiosqlite:///file.db or postgresql+asyncpg://…; default DATABASE_URL, "
                            "else FAIRFINDER_DATA_DIR/fairfinder.db")
    where.add_argument("--postgres", action="store_true",
                       help="generate into a throwaway PostgreSQL cluster, deleted afterwards (measures only)")
    parser.add_argument("--force", action="store_true", help="replace (SQLite) or empty (PostgreSQL) a database that holds data")
    parser.add_argument("--no-rebuild", action="store_true", help="skip rebuild_all (aggregates stay empty)")
    parser.add_argument("--report", type=Path, default=None, help="also write the timings and counts as JSON here")
    args = parser.parse_args(argv)
    sizes = sizes_from_args(args)
    if problem := sizes.check():
        parser.error(problem)
    cluster = None
    if args.postgres:
        from tests.postgres import start_cluster  # noqa: PLC0415

        cluster = start_cluster()
        database_url = cluster.create_database("bench")
    else:
        database_url = database_url_from(args.database_url)
    try:
        report = generate(database_url, sizes, force=args.force, rebuild_aggregates=not args.no_rebuild)
    finally:
        if cluster is not None:
            cluster.stop()
    if args.report:
        args.report.write_text(json.dumps(asdict(report), indent=2))
    print(json.dumps(asdict(report), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
