"""The SQL counting agrees with mapping.tally_reviews (the same rules written per review) on random reviews,
local and imported, fresh and old: every count of both Turkopticon documents; TO1's rating attrs are the means
/api/v1/requesters shows."""
from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone

import pytest

from server.compat import mapping
from server.compat.mapping import ReviewFacts
from server.domain.vocab import FLAGS, OUTCOMES
from tests.compat.conftest import post_review

REQUESTERS = ("ARAND1", "ARAND2", "ARAND3")


def random_facts(rng: random.Random) -> ReviewFacts:
    def rating() -> int | None:
        return rng.choice([None, None, 1, 2, 3, 4, 5])

    return ReviewFacts(
        pay=rating(), fairness=rating(), speed=rating(), communication=rating(),
        worked_seconds=rng.choice([None, 1, 17, 60, 600, 3600, rng.randint(1, 20000)]),
        outcome=rng.choice([None, *OUTCOMES]),
        approval_seconds=rng.choice([None, 0, 60, rng.randint(1, 500000)]),
        bonus_cents=rng.choice([None, 0, 5, rng.randint(0, 1000)]),
        flags=tuple(sorted(rng.sample(FLAGS, rng.choice([0, 0, 1, 2, 3])))),
        reward_cents=rng.choice([None, 0, 1, 10, 50, 100, rng.randint(0, 2000)]),
    )


def local_body(facts: ReviewFacts, rng: random.Random) -> dict:
    body = {"ratings": {"pay": facts.pay, "fairness": facts.fairness, "speed": facts.speed,
                        "communication": facts.communication},
            "worked_seconds": facts.worked_seconds, "outcome": facts.outcome, "approval_seconds": facts.approval_seconds,
            "bonus_cents": facts.bonus_cents, "flags": list(facts.flags)}
    body["task"] = None if facts.reward_cents is None else (f"Task {rng.randint(1, 10**9)}", facts.reward_cents)
    return body


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_counts_like_the_reference(client, sql, seed):
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    everything: dict[str, list[ReviewFacts]] = {r: [] for r in REQUESTERS}
    recent: dict[str, list[ReviewFacts]] = {r: [] for r in REQUESTERS}
    for _ in range(150):
        requester = rng.choice(REQUESTERS)
        facts = random_facts(rng)
        days = rng.choice([0, 1, 30, 80, 100, 200, 1000])  # none near the 90-day line
        sql.imported_review(requester, facts, updated_at=now - timedelta(days=days, minutes=rng.randint(1, 600)),
                            task_title=f"Task {rng.randint(1, 5)}")
        everything[requester].append(facts)
        if days < 90:
            recent[requester].append(facts)
    for _ in range(8):  # and some through the API, fresh
        requester = rng.choice(REQUESTERS)
        facts = random_facts(rng)
        body = local_body(facts, rng)
        task = body.pop("task")
        post_review(client, requester, name="", task=task, **body)
        everything[requester].append(facts)
        recent[requester].append(facts)

    asked = ",".join(REQUESTERS)
    to1 = json.loads(client.get("/api/multi-attrs.php", params={"ids": asked}).text)
    to2 = {d["id"]: d["attributes"]["aggregates"] for d in client.get("/requesters", params={"rids": asked}).json()["data"]}
    for requester in REQUESTERS:
        expected_all = mapping.tally_reviews(everything[requester])
        expected_recent = mapping.tally_reviews(recent[requester])
        # The attrs are the requester's rating means as /api/v1/requesters shows them (one definition, issue 18);
        # every count follows Turkopticon's rules.
        scores = client.get(f"/api/v1/requesters/mturk/{requester}").json()["scores"]
        means = {dimension: score["mean"] for dimension, score in scores.items()}
        assert to1[requester] == mapping.to1_entry("", expected_all, means), requester
        assert to1[requester]["attrs"] == {attr: mapping.rating_string(means[dimension])
                                           for attr, dimension in mapping.TO1_ATTRS}, requester
        assert to2[requester]["all"] == mapping.to2_period(expected_all), requester
        assert to2[requester]["recent"] == mapping.to2_period(expected_recent), requester
