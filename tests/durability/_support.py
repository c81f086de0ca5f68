"""Shared pieces of the durability tests.

* `Writer` threads send a stream of writes (register, reviews created/edited/deleted, timings posted and
  deleted, filters saved) to a real server and keep a `Ledger` of every request: what state it would
  leave its entity in, when it was sent, and when a 2xx acknowledged it (never, when the server died).
* `ledger_problems` reads a database file and lists every entity whose stored state is not one the
  ledger allows: an acknowledged write must be there with its content (a deletion: absent); a write that
  got no answer may or may not be.
* `stats_snapshot` / `recomputed_snapshot` compare the stored aggregates with a full recompute.
"""
from __future__ import annotations

import asyncio
import contextlib
import math
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import JSON, inspect

from server.db.engine import WRITE_OPTION, create_engine, session_factory, write_transaction
from server.stats.refresh import rebuild_all
from tests.aggregates import close
from tests.database import Sql, json_value

ABSENT = "absent"
REQUESTERS = ["ADURABLE001", "ADURABLE002", "ADURABLE003"]
OUTCOMES = ["approved", "rejected", "pending", "returned"]


@dataclass
class Op:
    state: Any  # the entity's state once this write is applied (ABSENT for a deletion)
    sent: float  # time.monotonic() before the request
    acked: float | None  # time.monotonic() when a 2xx came back; None: no answer


@dataclass
class Ledger:
    histories: dict[tuple[str, str], list[Op]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    acked: int = 0
    unanswered: int = 0
    unexpected: list[str] = field(default_factory=list)  # non-2xx answers other than 503 busy

    def record(self, kind: str, key: str, op: Op) -> None:
        with self.lock:
            self.histories.setdefault((kind, key), []).append(op)
            if op.acked is None:
                self.unanswered += 1
            else:
                self.acked += 1

    def acked_between(self, start: float, end: float) -> int:
        with self.lock:
            return sum(1 for ops in self.histories.values() for op in ops
                       if op.acked is not None and op.sent >= start and op.acked <= end)


def allowed_states(history: list[Op], cutoff: float = math.inf, until: float = math.inf) -> list[Any]:
    """States a copy taken at a moment within [cutoff, until] may show (the live database: cutoff = ∞).

    The state of the last write acknowledged before `cutoff` (ABSENT when there is none), or that of any
    later write sent before `until` that was not acknowledged by `cutoff`.
    """
    last = max((i for i, op in enumerate(history) if op.acked is not None and op.acked <= cutoff), default=None)
    states = [history[last].state if last is not None else ABSENT]
    for op in history[(last + 1) if last is not None else 0:]:
        if op.sent <= until and (op.acked is None or op.acked > cutoff):
            states.append(op.state)
    return states


class Writer(threading.Thread):
    """One client sending writes until `stop` is set. An entity whose write got no answer (the server was
    killed) is not touched again: its state is one of two, and the ledger says which two."""

    def __init__(self, n: int, base_url: str, ledger: Ledger, stop: threading.Event, seed: int) -> None:
        super().__init__(daemon=True, name=f"writer-{n}")
        self.n, self.base_url, self.ledger, self.stop = n, base_url, ledger, stop
        self.rng = random.Random(seed * 100 + n)
        self.workers: list[tuple[str, dict[str, str]]] = []  # (handle, auth header)
        self.reviews: dict[str, tuple[int, int]] = {}  # title -> (worker index, review id)
        self.timings: dict[str, tuple[int, int]] = {}  # assignment id -> (worker index, timing id)
        self.counter = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with httpx.Client(base_url=self.base_url, timeout=15) as client:
                while not self.stop.is_set():
                    try:
                        self.step(client)
                    except httpx.TransportError:
                        time.sleep(0.02)  # the server is down: try again once it is back (not a timing assertion)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.error = error

    def _send(self, client: httpx.Client, kind: str, key: str, state: Any, method: str, url: str,
              **kwargs: Any) -> httpx.Response | None:
        sent = time.monotonic()
        try:
            response = client.request(method, url, **kwargs)
        except httpx.ConnectError:
            raise  # refused: the request never left, nothing can have been written
        except httpx.TransportError:
            self.ledger.record(kind, key, Op(state, sent, None))  # sent, but the answer was cut off
            raise
        if 200 <= response.status_code < 300:
            self.ledger.record(kind, key, Op(state, sent, time.monotonic()))
            return response
        if response.status_code != 503:  # busy: nothing written, the client may try again
            with self.ledger.lock:
                self.ledger.unexpected.append(f"{method} {url}: {response.status_code} {response.text[:200]}")
        return None

    def step(self, client: httpx.Client) -> None:
        self.counter += 1
        tag = f"w{self.n}-{self.counter}"
        choice = self.rng.random()
        if not self.workers or choice < 0.05:
            handle = f"durable-{tag}"
            response = self._send(client, "worker", handle, "present", "POST", "/api/v1/workers", json={"handle": handle})
            if response is not None:
                self.workers.append((handle, {"Authorization": f"Bearer {response.json()['token']}"}))
            return
        w = self.rng.randrange(len(self.workers))
        handle, headers = self.workers[w]
        if choice < 0.40:
            title = f"Durable task {tag}"
            state = (self.rng.randint(1, 5), self.rng.randint(30, 3000), self.rng.choice(OUTCOMES), f"comment {tag}")
            response = self._send(client, "review", title, state, "POST", "/api/v1/reviews", headers=headers, json={
                "platform": "mturk", "requester_id": self.rng.choice(REQUESTERS),
                "task": {"title": title, "reward_cents": self.rng.choice([25, 100, 250])},
                "ratings": {"pay": state[0], "fairness": self.rng.randint(1, 5)}, "worked_seconds": state[1],
                "outcome": state[2], "comment": state[3]})
            if response is not None:
                self.reviews[title] = (w, response.json()["id"])
        elif choice < 0.55 and self.reviews:
            title = self.rng.choice(sorted(self.reviews))
            owner, review_id = self.reviews.pop(title)
            state = (self.rng.randint(1, 5), self.rng.randint(30, 3000), self.rng.choice(OUTCOMES), f"edited {tag}")
            if self._send(client, "review", title, state, "PATCH", f"/api/v1/reviews/{review_id}",
                          headers=self.workers[owner][1], json={"ratings": {"pay": state[0]}, "worked_seconds": state[1],
                                                                "outcome": state[2], "comment": state[3]}) is not None:
                self.reviews[title] = (owner, review_id)
        elif choice < 0.62 and self.reviews:
            title = self.rng.choice(sorted(self.reviews))
            owner, review_id = self.reviews.pop(title)
            self._send(client, "review", title, ABSENT, "DELETE", f"/api/v1/reviews/{review_id}",
                       headers=self.workers[owner][1])
        elif choice < 0.85:
            assignment = f"asg-{tag}"
            seconds = self.rng.randint(20, 2000)
            ended = datetime.now(timezone.utc) - timedelta(minutes=self.rng.randint(1, 600))
            state = (self.rng.choice([10, 50, 120]), self.rng.choice(["submitted", "approved", "returned", "rejected"]))
            response = self._send(client, "timing", assignment, state, "POST", "/api/v1/timings", headers=headers, json={
                "platform": "mturk", "requester_id": self.rng.choice(REQUESTERS), "title": f"Timed task {self.rng.randint(1, 4)}",
                "reward_cents": state[0], "assignment_id": assignment,
                "accepted_at": (ended - timedelta(seconds=seconds)).isoformat(), "ended_at": ended.isoformat(),
                "outcome": state[1]})
            if response is not None:
                self.timings[assignment] = (w, response.json()["id"])
        elif choice < 0.90 and self.timings:
            assignment = self.rng.choice(sorted(self.timings))
            owner, timing_id = self.timings.pop(assignment)
            self._send(client, "timing", assignment, ABSENT, "DELETE", f"/api/v1/me/timings/{timing_id}",
                       headers=self.workers[owner][1])
        else:
            state = (100 * self.counter, [f"kw{tag}"])
            self._send(client, "filters", handle, state, "PUT", "/api/v1/me/filters", headers=headers,
                       json={"min_hourly_cents": state[0], "keywords_exclude": state[1]})


def run_writers(base_url: str, ledger: Ledger, count: int, seed: int) -> tuple[list[Writer], threading.Event]:
    stop = threading.Event()
    writers = [Writer(n, base_url, ledger, stop, seed) for n in range(count)]
    for writer in writers:
        writer.start()
    return writers, stop


def stop_writers(writers: list[Writer], stop: threading.Event) -> None:
    stop.set()
    for writer in writers:
        writer.join(timeout=60)
        assert not writer.is_alive(), f"{writer.name} did not stop"
        assert writer.error is None, f"{writer.name} failed: {writer.error!r}"


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    """Poll until `condition` holds; fail after `timeout` seconds (a bound on a hang, not a timing test)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _sql(db: Path | str) -> Sql:
    """A database file (SQLite) or a database URL (either backend)."""
    return Sql(db if isinstance(db, str) else f"sqlite+aiosqlite:///{db}")


def stored_states(db: Path | str) -> dict[tuple[str, str], Any]:
    """What the database holds of each entity the writers touch, as ledger states."""
    sql = _sql(db)
    states: dict[tuple[str, str], Any] = {}
    for (handle,) in sql.rows("SELECT handle FROM workers WHERE handle LIKE 'durable-%'"):
        states[("worker", handle)] = "present"
    for title, pay, seconds, outcome, comment in sql.rows(
            "SELECT t.title, r.rating_pay, r.worked_seconds, r.outcome, r.comment FROM reviews r "
            "JOIN task_types t ON t.id = r.task_type_id WHERE t.title LIKE 'Durable task %'"):
        states[("review", title)] = (pay, seconds, outcome, comment)
    for assignment, reward, outcome in sql.rows(
            "SELECT m.assignment_id, t.reward_cents, m.outcome FROM timings m JOIN task_types t ON t.id = m.task_type_id "
            "WHERE m.assignment_id LIKE 'asg-%'"):
        states[("timing", assignment)] = (reward, outcome)
    for handle, filters in sql.rows("SELECT w.handle, f.filters FROM saved_filters f JOIN workers w ON w.id = f.worker_id"):
        saved = json_value(filters)
        states[("filters", handle)] = (saved["min_hourly_cents"], saved["keywords_exclude"])
    return states


def ledger_problems(ledger: Ledger, db_path: Path | str, cutoff: float = math.inf, until: float = math.inf) -> list[str]:
    stored = stored_states(db_path)
    problems = []
    for key, history in ledger.histories.items():
        state = stored.get(key, ABSENT)
        allowed = allowed_states(history, cutoff, until)
        if state not in allowed:
            problems.append(f"{key}: stored {state!r}, allowed {allowed!r}")
    problems += [f"{key}: stored {state!r} but never written" for key, state in stored.items()
                 if key not in ledger.histories]
    return problems


def integrity(db_path: Path) -> str:
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        return "; ".join(row[0] for row in db.execute("PRAGMA integrity_check"))


STATS_TABLES = {"task_type_stats": "task_type_id", "requester_stats": "requester_id", "platform_stats": "platform"}


def stats_snapshot(db: Path | str) -> dict[str, dict[Any, dict[str, Any]]]:
    """The stored aggregates, without their updated_at; JSON columns decoded."""
    sql = _sql(db)
    snapshot: dict[str, dict[Any, dict[str, Any]]] = {}
    with sql.engine.connect() as connection:
        described = {table: inspect(connection).get_columns(table) for table in STATS_TABLES}
    for table, key in STATS_TABLES.items():
        columns = [c["name"] for c in described[table] if c["name"] != "updated_at"]
        is_json = {c["name"]: isinstance(c["type"], JSON) for c in described[table]}
        rows = {}
        for values in sql.rows(f"SELECT {', '.join(columns)} FROM {table}"):  # noqa: S608 - our names
            row = {c: json_value(v) if is_json[c] and v is not None else v for c, v in zip(columns, values)}
            rows[row[key]] = row
        snapshot[table] = rows
    return snapshot


def recomputed_snapshot(db: Path | str, work_dir: Path) -> dict[str, dict[Any, dict[str, Any]]]:
    """The aggregates a full recompute (rebuild_all) gives, computed on a copy of the database (SQLite) or in a
    transaction that is rolled back (PostgreSQL)."""
    if isinstance(db, str) and not db.startswith("sqlite"):
        async def rebuild_and_read() -> None:
            engine = create_engine(db)
            try:
                async with session_factory(engine)() as session:
                    await session.connection(execution_options={WRITE_OPTION: True})
                    await rebuild_all(session)
                    await session.commit()
            finally:
                await engine.dispose()
        # The stored snapshot is taken first by the callers; recomputing in place then reading is the same thing.
        asyncio.run(rebuild_and_read())
        return stats_snapshot(db)
    db_path = Path(db.split("///", 1)[1]) if isinstance(db, str) else db
    copy = work_dir / f"recompute-{time.monotonic_ns()}.db"
    with contextlib.closing(sqlite3.connect(db_path)) as src, contextlib.closing(sqlite3.connect(copy)) as dst:
        src.backup(dst)

    async def rebuild() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{copy}")
        try:
            async with session_factory(engine)() as session, write_transaction(session):
                await rebuild_all(session)
        finally:
            await engine.dispose()

    asyncio.run(rebuild())
    try:
        return stats_snapshot(copy)
    finally:
        for path in copy.parent.glob(copy.name + "*"):
            path.unlink()


def aggregate_differences(stored: dict, rebuilt: dict) -> list[str]:
    problems = []
    for table in STATS_TABLES:
        for key in sorted(set(stored[table]) | set(rebuilt[table]), key=str):
            a, b = stored[table].get(key), rebuilt[table].get(key)
            if not close(a, b):
                problems.append(f"{table}[{key}]: stored {a!r} != recomputed {b!r}")
    return problems


def copy_database(db_path: Path, dest: Path) -> Path:
    """A consistent copy of a database file (through SQLite, so a -wal beside it is included)."""
    with contextlib.closing(sqlite3.connect(db_path)) as src, contextlib.closing(sqlite3.connect(dest)) as dst:
        src.backup(dst)
    return dest


def seed_from_env() -> int:
    """A random seed, or FAIRFINDER_TEST_SEED to replay a run (the tests print the seed they used)."""
    return int(os.environ.get("FAIRFINDER_TEST_SEED") or time.time_ns() % 1_000_000)
