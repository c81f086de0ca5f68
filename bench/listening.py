"""Listening time: how long a worker listens before hearing five tasks that pay at least $7.25/h.

    python bench/listening.py [--tasks 100 --seed 1 --rate 100] [--no-docs] [--json out.json]

Two ways of hearing the same tasks, timed as spoken by espeak-ng (voice en-us, the words per minute of
`accessibility.speech.words_per_minute(--rate)`), in seconds of audio counted from the WAV's frames:

* **Platform list**: the platform's task table read row by row in page order, as a screen reader reads
  a table row: the column header, then the cell, for every column (Requester, Title, HITs, Reward,
  Created, Actions), until the row of the fifth task that meets the target has been read.
* **/listen**: the spoken list (`list_script` over `listen_items`, default filters, target 725 cents/h,
  best paid first, hidden tasks left out) from its start to the end of the fifth task meeting the target.

A task "meets the target" when annotate's effective hourly for it is at least 725 cents/h. When fewer than
five do, both ways are timed to the end of the last one that does (the whole list when none does).

Datasets: (1) the demo seed (the 27-task HIT dashboard of `fairfinder demo`, in the dashboard's order),
(2) a generated page of --tasks mturk tasks (seeded: titles in bench/generate.py's style, effective pay
mostly low, some good, with workers' timings so annotate measures it), in generated order. Both run in
this one process.
The durations depend only on the text, the voice and the rate, not on the machine's load, so one
rendering each is enough. The result goes to stdout and to its section of docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import platform as platform_module
import random
import shutil
import subprocess
import sys
from typing import Any
import tempfile
import wave
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402

from accessibility import speech  # noqa: E402
from bench.annotate import DOCS, git_revision, write_section  # noqa: E402
from bench.generate import MTURK_KINDS, THINGS  # noqa: E402
from scrapers.model import Task  # noqa: E402
from server.db.engine import create_engine, session_factory, write_transaction  # noqa: E402
from server.db.models import Timing, Worker, utcnow  # noqa: E402
from server.db.migrate import upgrade  # noqa: E402
from server.domain.filters import Filters  # noqa: E402
from server.listen.items import known_tasks, listen_items  # noqa: E402
from server.domain.money import format_cents  # noqa: E402
from server.stats.refresh import rebuild_all  # noqa: E402
from server.tasks.service import annotate_tasks  # noqa: E402
from server.tasks.records import record_tasks  # noqa: E402

SECTION_ID = "listening"
TARGET_CENTS_PER_HOUR = 725
WANTED = 5  # tasks meeting the target the worker wants to hear about
TARGET_RATIO = 5.0
VOICE = "en-us"
VERBOSITY = "normal"
COLUMNS = ("Requester", "Title", "HITs", "Reward", "Created", "Actions")

console = Console(stderr=True)


@dataclass
class Measure:
    dataset: str
    tasks: int
    meeting_target: int
    platform_rows_read: int
    platform_seconds: float
    listen_sentences: int
    listen_seconds: float

    @property
    def ratio(self) -> float:
        return self.platform_seconds / self.listen_seconds if self.listen_seconds else float("inf")


# --- what is spoken -----------------------------------------------------------------------------


def table_row_text(task: Task, hits: int, minutes_ago: int) -> str:
    """One platform table row as a screen reader reads it: each column's header, then its cell."""
    created = f"{minutes_ago} minute{'s' if minutes_ago != 1 else ''} ago"
    cells = (task.requester_name or task.requester_id, task.title, str(hits),
             format_cents(task.reward_cents, task.currency), created, "Preview, button. Accept & Work, button")
    return " ".join(f"{header}, {cell}." for header, cell in zip(COLUMNS, cells))


def platform_script(tasks: list[Task], meets: list[bool], seed: int) -> tuple[list[str], int]:
    """Rows read in page order up to the row of the WANTED-th task meeting the target, and how many rows that is."""
    rng = random.Random(seed)
    rows, minutes = [], 0
    for task in tasks[:_last_needed(meets) + 1]:
        minutes += rng.randint(0, 4)
        rows.append(table_row_text(task, rng.choice([1, 1, 2, 5, 12, 40, 150, 800, 2400]), max(1, minutes)))
    return rows, len(rows)


def _last_needed(meets: list[bool]) -> int:
    """Index of the WANTED-th True (or of the last True when fewer; the last item when none)."""
    hits = [i for i, ok in enumerate(meets) if ok]
    if not hits:
        return len(meets) - 1
    return hits[min(WANTED, len(hits)) - 1]


def listen_prefix(sentences: list[str], task_sentences: list[str], meets: list[bool]) -> list[str]:
    """The script from its start to the sentence of the WANTED-th shown task meeting the target."""
    if not meets:
        return sentences
    wanted = task_sentences[_last_needed(meets)]
    for index, sentence in enumerate(sentences):
        if wanted in sentence:
            return sentences[:index + 1]
    raise RuntimeError(f"the task sentence {wanted!r} is not in the script")


def _meets(cents_per_hour: float | None) -> bool:
    return cents_per_hour is not None and cents_per_hour >= TARGET_CENTS_PER_HOUR


async def scripts(database_url: str, page: list[Task] | None, limit: int, seed: int) -> dict:
    """Both scripts for one database. `page`: the platform's rows in order (None: the newest `limit` task types)."""
    engine = create_engine(database_url)
    filters = Filters(target_cents_per_hour=TARGET_CENTS_PER_HOUR)
    now = datetime.now(timezone.utc)
    try:
        async with session_factory(engine)() as session:
            if page is None:
                page = await known_tasks(session, "mturk", limit)
            async with write_transaction(session):  # annotate records what it has not seen (nothing, here)
                annotations = await annotate_tasks(session, "mturk", page, filters, now)
            shown, hidden = await listen_items(session, "mturk", filters, now, limit=limit)
    finally:
        await engine.dispose()
    meets = [_meets(a.hourly.cents_per_hour) for a in annotations]
    rows, rows_read = platform_script(page, meets, seed)
    spoken = [item.spoken for item in shown]
    sentences = speech.list_script(spoken, VERBOSITY, len(hidden))
    shown_meets = [_meets(item.annotation.hourly.cents_per_hour) for item in shown]
    prefix = listen_prefix(sentences, [speech.task_sentence(task, VERBOSITY) for task in spoken], shown_meets)
    return {"tasks": len(page), "meeting_target": sum(meets), "shown_meeting_target": sum(shown_meets),
            "rows": rows, "rows_read": rows_read, "listen": prefix}


# A generated page: what a worker finds on a task list. Effective hourly pay is drawn from a lognormal
# with a median of $3.50/h, so most tasks pay below the $7.25/h target and roughly one in eight above it
# (studies of MTurk report a median near $2/h and few tasks above the federal minimum wage).
MEDIAN_CENTS_PER_HOUR = 350
HOURLY_SIGMA = 0.65
GENERATED_REQUESTERS = 40
GENERATED_WORKERS = 30


def generated_page(n: int, seed: int) -> tuple[list[Task], list[float]]:
    """`n` mturk tasks in page order (titles in bench/generate.py's style) and each one's typical seconds."""
    rng = random.Random(seed)
    requesters = [(f"ABENCHLISTEN{i:04d}", name) for i, name in
                  enumerate(rng.sample([f"{a} {b}" for a in ("Acme", "Blue", "North", "Civic", "Delta", "Open", "Quick",
                                                            "Bright")
                                        for b in ("Labs", "Research", "Data", "Studies", "AI", "Insights")],
                                       GENERATED_REQUESTERS))]
    weights = [1 / (rank + 1) for rank in range(len(requesters))]
    tasks: list[Task] = []
    typical: list[Any] = []
    seen: set[Any] = set()
    while len(tasks) < n:
        template, per_item, _ = rng.choice(MTURK_KINDS)
        thing = rng.choice(THINGS)
        if per_item is None:
            minutes = rng.choice([1, 2, 3, 5, 7, 10, 15, 20, 30])
            title, seconds = template.format(x=thing, m=minutes), minutes * 60 * rng.uniform(0.8, 2.0)
        else:
            count = rng.choice([1, 3, 5, 10, 20, 25, 50])
            title, seconds = template.format(n=count, x=thing), max(15.0, per_item * count * rng.uniform(0.5, 1.5))
        hourly = rng.lognormvariate(math.log(MEDIAN_CENTS_PER_HOUR), HOURLY_SIGMA)
        reward = max(1, round(hourly * seconds / 3600))
        requester_id, name = rng.choices(requesters, weights)[0]
        if (requester_id, title, reward) in seen:
            continue
        seen.add((requester_id, title, reward))
        tasks.append(Task(platform="mturk", requester_id=requester_id, requester_name=name, title=title,
                          reward_cents=reward, hit_set_id=f"BENCHLISTEN{len(tasks):019d}",
                          stated_seconds=None if per_item is not None else minutes * 60))
        typical.append(seconds)
    return tasks, typical


async def seed_generated_database(database_url: str, n: int, seed: int) -> list[Task]:
    """The generated page recorded as seen, with 6-14 workers' timings per task type and aggregates built."""
    tasks, typical = generated_page(n, seed)
    rng = random.Random(seed + 1)
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, write_transaction(session):
            recorded = await record_tasks(session, tasks, in_transaction=True)
            workers = [Worker(handle=f"bench-listener-{i:02d}", role="worker") for i in range(GENERATED_WORKERS)]
            session.add_all(workers)
            await session.flush()
            now = utcnow()
            for task_type, seconds in zip(recorded.task_types, typical):
                for worker in rng.sample(workers, rng.randint(6, 14)):
                    took = max(10.0, rng.lognormvariate(math.log(seconds), 0.3))
                    ended = now - timedelta(days=rng.uniform(1, 60))
                    session.add(Timing(worker_id=worker.id, task_type_id=task_type.id, accepted_at=ended - timedelta(seconds=took),
                                       ended_at=ended, seconds=took, outcome="submitted"))
            await session.flush()
            await rebuild_all(session)
    finally:
        await engine.dispose()
    return tasks


async def seed_demo_database(database_url: str) -> list[Task]:
    from server.demo import read_seed_tasks, seed_demo  # noqa: PLC0415

    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, write_transaction(session):
            await seed_demo(session)
    finally:
        await engine.dispose()
    return read_seed_tasks()  # the dashboard's order


# --- how long it takes to hear --------------------------------------------------------------------


def spoken_seconds(text: str, rate: int, workdir: Path) -> float:
    """Seconds of audio espeak-ng makes of `text` (passed in a file, never on the command line)."""
    text_file, wav_file = workdir / "script.txt", workdir / "script.wav"
    text_file.write_text(text, encoding="utf-8")
    subprocess.run(["espeak-ng", "-b", "1", "-v", VOICE, "-s", str(speech.words_per_minute(rate)), "-w", str(wav_file),
                    "-f", str(text_file)], check=True, capture_output=True, timeout=600)
    with wave.open(str(wav_file)) as audio:
        return audio.getnframes() / audio.getframerate()


def measure(name: str, found: dict, rate: int, workdir: Path) -> Measure:
    with console.status(f"{name}: speaking"):
        platform_seconds = spoken_seconds("\n".join(found["rows"]), rate, workdir)
        listen_seconds = spoken_seconds(speech.to_text(found["listen"]), rate, workdir)
    result = Measure(dataset=name, tasks=found["tasks"], meeting_target=found["meeting_target"],
                     platform_rows_read=found["rows_read"], platform_seconds=round(platform_seconds, 1),
                     listen_sentences=len(found["listen"]), listen_seconds=round(listen_seconds, 1))
    print(f"{name}: platform list {result.platform_seconds:.1f} s ({result.platform_rows_read} rows), "
          f"/listen {result.listen_seconds:.1f} s ({result.listen_sentences} sentences), ratio {result.ratio:.1f}x "
          f"({result.meeting_target} of {result.tasks} tasks meet ${TARGET_CENTS_PER_HOUR / 100:.2f}/h)")
    return result


def benchmark(args: argparse.Namespace) -> dict:
    results = []
    with tempfile.TemporaryDirectory(prefix="fairfinder-listening-") as tmp:
        work = Path(tmp)
        demo_url = f"sqlite+aiosqlite:///{work / 'demo.db'}"
        upgrade(demo_url)
        page = asyncio.run(seed_demo_database(demo_url))
        demo = asyncio.run(scripts(demo_url, page, len(page), args.seed))
        results.append(measure("demo seed (27 tasks)", demo, args.rate, work))

        generated_url = f"sqlite+aiosqlite:///{work / 'generated.db'}"
        upgrade(generated_url)
        page = asyncio.run(seed_generated_database(generated_url, args.tasks, args.seed))
        generated = asyncio.run(scripts(generated_url, page, args.tasks, args.seed))
        results.append(measure(f"generated page ({generated['tasks']} tasks)", generated, args.rate, work))
    return {
        "results": [asdict(r) | {"ratio": round(r.ratio, 2)} for r in results],
        "options": {"rate": args.rate, "words_per_minute": speech.words_per_minute(args.rate), "tasks": args.tasks,
                    "seed": args.seed},
        "espeak": espeak_version(),
        "command": " ".join(["python bench/listening.py", *args.argv]),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "revision": git_revision(),
        "python": platform_module.python_version(),
    }


def espeak_version() -> str:
    done = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, timeout=30, check=False)
    first = done.stdout.strip().splitlines()[0] if done.stdout.strip() else "espeak-ng"
    return first.split("  ")[0].strip()  # without "  Data at: <path>"


# --- docs -----------------------------------------------------------------------------------------


def markdown_section(result: dict) -> str:
    o = result["options"]
    rows = [f"| {r['dataset']} | {r['platform_seconds']:.1f} ({r['platform_rows_read']} rows) | "
            f"{r['listen_seconds']:.1f} ({r['listen_sentences']} sentences) | **{r['ratio']:.1f}×** | "
            f"{r['meeting_target']} of {r['tasks']} |" for r in result["results"]]
    worst = min(r["ratio"] for r in result["results"])
    return "\n".join([
        f"<!-- bench:{SECTION_ID}:start -->",
        "## Listening time (`bench/listening.py`)",
        "",
        f"Seconds of speech a worker hears before reaching the first {WANTED} tasks that pay at least "
        f"${TARGET_CENTS_PER_HOUR / 100:.2f}/h: the platform's task table read row by row by a screen reader "
        "(header and cell for every column: Requester, Title, HITs, Reward, Created, Actions; page order), "
        "against the spoken list of /listen (`list_script` over `listen_items`: default filters, best paid first). "
        "Seconds are counted from the frames of the WAV espeak-ng renders (voice en-us, "
        f"{o['words_per_minute']} words per minute, rate {o['rate']}%), so they do not depend on the machine's load.",
        "",
        f"Result: /listen reaches them **{worst:.1f}×** sooner in the worst dataset "
        + ("(the aim is 5× or more)." if worst >= TARGET_RATIO else f"— **below the {TARGET_RATIO:g}× aim**."),
        "",
        "| dataset | platform list, s | /listen, s | ratio | tasks meeting the target |",
        "|---|---:|---:|---:|---:|",
        *rows,
        "",
        f"- Generated page: {o['tasks']} mturk tasks (seed {o['seed']}) with titles in `bench/generate.py`'s style, "
        f"effective hourly drawn from a lognormal (median ${MEDIAN_CENTS_PER_HOUR / 100:.2f}/h, σ {HOURLY_SIGMA}: mostly "
        "low pay, some good), 6-14 workers' timings per task; read in generated order. Demo seed: the dashboard's "
        "order. HITs and Created cells come from a seeded generator; 'meeting the target' is annotate's hourly.",
        f"- Command: `{result['command']}`",
        f"- Date: {result['date']}; code: {result['revision']}; {result['espeak']}; Python {result['python']}",
        f"<!-- bench:{SECTION_ID}:end -->",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=100, help="tasks on the generated page (1-100)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated page")
    parser.add_argument("--rate", type=int, default=100, help="speaking rate in percent (50-400)")
    parser.add_argument("--no-docs", action="store_true", help=f"do not write {DOCS.relative_to(ROOT)}")
    parser.add_argument("--json", type=Path, default=None, help="also write the result as JSON here")
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if not (1 <= args.tasks <= 100 and 50 <= args.rate <= 400):
        parser.error("need 1 ≤ tasks ≤ 100 and 50 ≤ rate ≤ 400")
    if shutil.which("espeak-ng") is None:
        console.print("[red]espeak-ng is not installed (Debian: apt-get install espeak-ng; or make system-deps).[/red]")
        return 1
    result = benchmark(args)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    if not args.no_docs:
        write_section(DOCS, SECTION_ID, markdown_section(result))
        console.print(f"Wrote {DOCS.relative_to(ROOT)}")
    return 0 if all(r["ratio"] >= TARGET_RATIO for r in result["results"]) else 2


if __name__ == "__main__":
    sys.exit(main())
