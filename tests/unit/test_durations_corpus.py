"""Precision and recall of scrapers.durations on real HIT titles and descriptions labelled by hand.

tests/fixtures/durations/README.md says where every text comes from and how it was labelled.

- corpus.jsonl: split "tune" (the rules were written against these) and "holdout" (a fixed 30% by hash of
  the text, never used to write or adjust a rule).
- unseen.jsonl: real HITs from other sources, collected and labelled only after the rules were committed,
  so nobody looked at them while writing the rules. On those rules (commit 189ec99) it scored precision
  0.935 (43/46) and recall 0.915 (43/47) with no media length read; the five misses were then fixed, so
  its figures here are no longer independent (README.md).

Scoring, per text: a read equal to the label is a true positive; any other read is a false positive (a
wrong figure is as harmful as a made-up one); a labelled duration not read exactly is a false negative.

Thresholds, and why:
- No media length (a clip, video, audio, recording or song) may ever be read as a duration, in any part:
  those are what turned into "Good pay, up to $900/h" (issue 18).
- Precision >= 0.97 on every part: a wrong stated duration moves an hourly figure that is shown to a
  worker with nothing else behind it.
- Recall >= 0.90 on tune and holdout, >= 0.85 on unseen: a missed duration costs less (the figure falls
  back to "not stated"); unseen texts come from other requesters and wordings, so a little more slack.
  With about 30 stated durations in a part, each miss costs about 3 points of recall.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from scrapers.durations import stated_seconds_from_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "durations"
KINDS = {"duration", "media", "none"}

MIN_PRECISION = 0.97
MIN_RECALL = {"tune": 0.90, "holdout": 0.90, "unseen": 0.85}


def _rows(name: str) -> list[dict]:
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _part(part: str) -> list[dict]:
    if part == "unseen":
        return _rows("unseen.jsonl")
    return [row for row in _rows("corpus.jsonl") if row["split"] == part]


@dataclass(frozen=True)
class Score:
    part: str
    n: int
    stated: int
    media: int
    tp: int
    fp: int
    fn: int
    media_read: tuple[str, ...]
    wrong: tuple[str, ...]

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def line(self) -> str:
        return (
            f"durations [{self.part}]: {self.n} texts, {self.stated} with a stated duration, {self.media} with a"
            f" media length; precision {self.precision:.3f} ({self.tp}/{self.tp + self.fp}), recall"
            f" {self.recall:.3f} ({self.tp}/{self.tp + self.fn}), media lengths read as durations:"
            f" {len(self.media_read)}"
        )


def score(part: str, rows: Iterable[dict]) -> Score:
    rows = list(rows)
    tp = fp = fn = 0
    media_read: list[str] = []
    wrong: list[str] = []
    for row in rows:
        label, got = row["stated_seconds"], stated_seconds_from_text(row["text"])
        if got is not None and got == label:
            tp += 1
            continue
        if got is not None:
            fp += 1
        if label is not None:
            fn += 1
        if got != label:
            wrong.append(f"read {got}, labelled {label}: {row['text'][:160]}")
        if row["kind"] == "media" and got is not None:
            media_read.append(row["text"][:160])
    return Score(
        part, len(rows), sum(r["stated_seconds"] is not None for r in rows), sum(r["kind"] == "media" for r in rows),
        tp, fp, fn, tuple(media_read), tuple(wrong),
    )


@pytest.mark.parametrize("part", ["tune", "holdout", "unseen"])
def test_precision_and_recall(part: str) -> None:
    result = score(part, _part(part))
    print("\n" + result.line())
    for line in result.wrong:
        print("   ", line)
    assert result.stated >= 10, "too few stated durations to measure anything"
    assert result.media_read == (), result.media_read
    assert result.precision >= MIN_PRECISION, result.wrong
    assert result.recall >= MIN_RECALL[part], result.wrong


@pytest.mark.parametrize("name", ["corpus.jsonl", "unseen.jsonl"])
def test_files_are_well_formed(name: str) -> None:
    rows = _rows(name)
    seen: set[tuple[str, str]] = set()
    for row in rows:
        assert isinstance(row["text"], str) and row["text"].strip(), row
        # unseen.jsonl also holds sentences of HIT preview pages ("instructions"): the text a worker reads
        # before accepting, where requesters state durations in full sentences.
        assert row["field"] in ({"title", "description"} if name == "corpus.jsonl" else {"title", "description", "instructions"}), row
        label = row["stated_seconds"]
        assert label is None or (type(label) is int and label > 0), row
        assert row["kind"] in KINDS, row
        assert (row["kind"] == "duration") == (label is not None), row
        if row["kind"] == "media":
            assert row.get("why"), f"a media length says why: {row}"
        assert isinstance(row["source"], str) and row["source"].strip(), row
        if name == "corpus.jsonl":
            assert row["split"] in {"tune", "holdout"}, row
        key = (row["field"], row["text"])
        assert key not in seen, f"duplicate: {key}"
        seen.add(key)


def test_corpus_is_big_enough_and_covers_the_traps() -> None:
    corpus = _rows("corpus.jsonl")
    unseen = _rows("unseen.jsonl")
    assert len(corpus) + len(unseen) >= 300
    assert len(corpus) >= 200
    for rows, min_media in ((corpus, 20), (unseen, 3)):
        assert sum(r["kind"] == "duration" for r in rows) >= 40
        # Real media-length HIT texts outside the capture the rules were tuned on are rare in public
        # sources; the unseen file holds the few found (README.md).
        assert sum(r["kind"] == "media" for r in rows) >= min_media
        assert sum(r["kind"] == "none" for r in rows) >= 100
    holdout = [r for r in corpus if r["split"] == "holdout"]
    assert 0.2 <= len(holdout) / len(corpus) <= 0.4


def test_readme_names_every_source() -> None:
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    for row in _rows("corpus.jsonl") + _rows("unseen.jsonl"):
        # "owner/repo/path@commit" or a URL: the README names the repository or the site.
        source = row["source"]
        name = source.split("://", 1)[1].split("/", 1)[0] if "://" in source else "/".join(source.split("/")[:2])
        assert name in readme, f"README.md does not name the source {name!r}"
