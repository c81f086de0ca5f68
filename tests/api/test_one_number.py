"""One number everywhere (issue 18 item 5): one requester's figures, rounded once (server/domain/figures.py), read
the same on annotate, /api/v1/requesters, the requester page /r, /listen (and its speech) and the Turkopticon API."""
from __future__ import annotations

import html
import json

from accessibility.speech import say_hourly
from server.domain.figures import rating_text
from tests.api.conftest import a_review, a_task, a_timing, sign_up


def test_one_requester_shows_the_same_figures_on_every_surface(client):
    # Three workers, pay rated 1, 2 and 2 (mean 1.666…), each timed at a different, uneven pace.
    for handle, pay_rating, seconds in (("alice", 1, 700), ("bob", 2, 800), ("carol", 2, 910)):
        response = client.post("/api/v1/reviews", headers=sign_up(client, handle), json=a_review(
            ratings={"pay": pay_rating}, worked_seconds=seconds, comment=""))
        assert response.status_code == 201, response.text
    page = {"platform": "mturk", "tasks": [a_task()]}
    client.post("/api/v1/annotate", json=page)
    task = client.post("/api/v1/annotate", json=page).json()["tasks"][0]
    hourly = task["hourly"]
    cents = hourly["cents_per_hour"]
    # Rounded once, to whole cents: the number, its label and its band rest on the same value.
    assert hourly["basis"] == "task" and cents == int(cents) and cents > 0
    label = f"${cents / 100:.2f}/h"
    assert hourly["label"] == label
    for bound in ("low", "high", "median_rate", "pooled_rate"):
        assert hourly[bound] is None or hourly[bound] == int(hourly[bound])

    mean = task["requester"]["scores"]["pay"]["mean"]
    assert mean == 1.67  # two decimals, half away from zero
    assert task["requester"]["scores"]["pay"]["score"] == round(task["requester"]["scores"]["pay"]["score"], 2)

    # /api/v1/requesters: the same summary, one and batch.
    one = client.get("/api/v1/requesters/mturk/AREQ1").json()
    assert one == task["requester"]
    assert client.get("/api/v1/requesters", params={"platform": "mturk", "ids": "AREQ1"}).json()["AREQ1"] == one

    # The Turkopticon 1 API: the same mean, as its two-decimal text.
    to1 = json.loads(client.get("/api/multi-attrs.php", params={"ids": "AREQ1"}).text)
    assert to1["AREQ1"]["attrs"]["pay"] == rating_text(mean) == "1.67"

    # The requester page: the same mean and the task's hourly as annotate's label.
    requester_page = html.unescape(client.get("/r/mturk/AREQ1").text)
    assert ">1.67<" in requester_page
    assert label.removesuffix("/h") in requester_page

    # /listen and its speech: the same amount, said once.
    listen = html.unescape(client.get("/listen/", params={"platform": "mturk"}).text)
    assert say_hourly(cents) in listen


def test_bonuses_count_and_the_figure_says_so(client):
    # Three workers took 10 minutes on the same task; bonuses of 30, 30 and 15 cents (mean bonus 25 cents; a bonus
    # one account alone reports does not count: server/domain/bonus.py).
    for handle, bonus in (("alice", 30), ("bob", 30), ("carol", 15)):
        response = client.post("/api/v1/reviews", headers=sign_up(client, handle), json=a_review(
            ratings={"pay": 3}, worked_seconds=600, bonus_cents=bonus, comment=""))
        assert response.status_code == 201, response.text
    page = {"platform": "mturk", "tasks": [a_task()]}
    client.post("/api/v1/annotate", json=page)
    hourly = client.post("/api/v1/annotate", json=page).json()["tasks"][0]["hourly"]
    with_bonus, without = hourly["cents_per_hour"], hourly["without_bonus_cents_per_hour"]
    assert hourly["typical_bonus_cents"] == 25
    assert without is not None and with_bonus > without and without == int(without)
    # pay 100 + 25 against 100 for the same time and approval: the two figures are in that ratio (to the cent).
    assert abs(with_bonus - without * 125 / 100) <= 1
    assert hourly["bonus"] == f"with typical bonuses of $0.25; ${without / 100:.2f}/h without"

    requester_page = html.unescape(client.get("/r/mturk/AREQ1").text)
    assert hourly["bonus"] in requester_page
    listen = html.unescape(client.get("/listen/", params={"platform": "mturk"}).text)
    assert f"{say_hourly(with_bonus)} with typical bonuses, {say_hourly(without)} without" in listen


def test_without_bonuses_nothing_is_said_about_them(client):
    assert client.post("/api/v1/reviews", headers=sign_up(client, "alice"), json=a_review(
        worked_seconds=600, bonus_cents=None)).status_code == 201
    page = {"platform": "mturk", "tasks": [a_task()]}
    client.post("/api/v1/annotate", json=page)
    hourly = client.post("/api/v1/annotate", json=page).json()["tasks"][0]["hourly"]
    assert hourly["typical_bonus_cents"] is None and hourly["without_bonus_cents_per_hour"] is None
    assert hourly["bonus"] == ""


def test_timings_bonuses_count_and_a_bad_bonus_changes_nothing(client, db):
    """Timings carry bonuses (issue 18 item 7): through the real app, they move annotate's typical bonus and words;
    one account's huge bonus does not; a bad one is refused in words and changes nothing."""
    page = {"platform": "mturk", "tasks": [a_task()]}
    client.post("/api/v1/annotate", json=page)

    def hourly() -> dict:
        return client.post("/api/v1/annotate", json=page).json()["tasks"][0]["hourly"]

    def timed(handle: str, assignment: str, bonus: int | None, expected: int = 201) -> dict:
        body = a_timing(assignment_id=assignment, outcome="approved", **({} if bonus is None else {"bonus_cents": bonus}))
        response = client.post("/api/v1/timings", headers=workers[handle], json=body)
        assert response.status_code == expected, response.text
        return response.json()

    workers = {handle: sign_up(client, handle) for handle in ("ann", "ben", "cat")}
    timed("ann", "A1", None)
    timed("ben", "B1", None)
    before = hourly()
    assert before["typical_bonus_cents"] is None and before["bonus"] == ""

    # one account's huge bonus does not set the typical bonus
    timed("cat", "C1", 90_000)
    assert hourly()["typical_bonus_cents"] is None

    # a second account sees a bonus: both count (cat's no higher than ben's)
    timed("ben", "B2", 40)
    after = hourly()
    # ann: none; ben: 40 (its timing without a bonus is not known, not none); cat: 90,000 counted as 40
    assert after["typical_bonus_cents"] == round(80 / 3)
    assert after["cents_per_hour"] > before["cents_per_hour"]
    # pay 100 + 80/3 against 100 for the same time and approval: the two figures are in that ratio (to the cent)
    assert abs(after["cents_per_hour"] - after["without_bonus_cents_per_hour"] * (100 + 80 / 3) / 100) <= 1
    assert after["bonus"] == (f"with typical bonuses of $0.27; ${after['without_bonus_cents_per_hour'] / 100:.2f}/h"
                              " without")

    # bad bonuses: a 422 in words, nothing stored, the figure unchanged
    stored = db.dump()
    for bad in (-1, 100_001, 2.5):
        error = timed("ann", "A9", bad, expected=422)
        assert error["field"] == "bonus_cents" and error["message"].startswith("bonus_cents: must be "), error
    assert db.dump() == stored
    assert hourly() == after


def test_a_requester_known_only_from_imported_aggregates_shows_them_on_the_turkopticon_api(client, db):
    """A community that imported another's aggregates (a Turkopticon 1 file: means and counts, no single review):
    the Turkopticon API shows the requester with the figures /api/v1/requesters shows (it answered "" before)."""
    from server.db.engine import write_transaction  # noqa: PLC0415
    from server.db.models import Requester, Source, SourceRequesterStats  # noqa: PLC0415

    async def imported() -> None:
        async with client.app.state.sessionmaker() as session, write_transaction(session):
            source = Source(name="old-turkopticon", kind="fairfinder")
            requester = Requester(platform="mturk", external_id="AIMPORTED7X", name="Imported Lab")
            session.add_all([source, requester])
            await session.flush()
            # pay: 3 ratings summing to 10 (3.333…); communication: 2 summing to 9 (4.5)
            session.add(SourceRequesterStats(source_id=source.id, requester_id=requester.id, reviews=3,
                                             ratings={"pay": [3, 10.0], "communication": [2, 9.0]}))

    with client.portal() as portal:
        portal.call(imported)
    summary = client.get("/api/v1/requesters/mturk/AIMPORTED7X").json()
    assert summary["scores"]["pay"]["mean"] == 3.33 and summary["scores"]["communication"]["mean"] == 4.5
    to1 = json.loads(client.get("/api/multi-attrs.php", params={"ids": "AIMPORTED7X,ANOBODY1"}).text)
    assert to1["ANOBODY1"] == ""
    assert to1["AIMPORTED7X"]["name"] == "Imported Lab"
    assert to1["AIMPORTED7X"]["attrs"] == {"comm": "4.50", "pay": "3.33", "fair": "0.00", "fast": "0.00"}
    assert to1["AIMPORTED7X"]["reviews"] == summary["reviews"] == 3


def test_the_requester_pages_headline_is_the_apis_hourly(client):
    """/r's "Pays about $X an hour" is the requester's `median_hourly_cents` of /api/v1/requesters and of annotate's
    requester summary: one figure, the same whole cents (issue 18 item 5), saying what it rests on."""
    import re  # noqa: PLC0415

    from server.db.engine import write_transaction  # noqa: PLC0415
    from server.demo import seed_demo  # noqa: PLC0415
    from server.domain.money import format_cents  # noqa: PLC0415

    async def seed() -> None:
        async with client.app.state.sessionmaker() as session, write_transaction(session):
            await seed_demo(session)

    with client.portal() as portal:
        portal.call(seed)
    summaries = client.get("/api/v1/requesters", params={"platform": "mturk", "ids": ",".join(
        task["requester_id"] for task in _demo_page(client))}).json()
    timed = {rid: s for rid, s in summaries.items() if s["median_hourly_cents"] is not None}
    assert len(timed) >= 5
    annotated = client.post("/api/v1/annotate", json={"platform": "mturk", "tasks": _demo_page(client)}).json()["tasks"]
    for rid, summary in timed.items():
        cents = summary["median_hourly_cents"]
        assert cents == int(cents)  # whole cents, rounded once
        headline = html.unescape(client.get(f"/r/mturk/{rid}").text)
        found = re.search(r"Pays about (\$[0-9,]+\.\d\d) an hour across (\d+) timed task types? "
                          r"\(the median of their median rates\)", headline)
        assert found is not None, rid
        assert found.group(1) == format_cents(cents, "USD"), rid
        assert int(found.group(2)) >= 1
        assert all(task["requester"]["median_hourly_cents"] == cents for task in annotated if task["requester_id"] == rid)


def _demo_page(client) -> list[dict]:
    """One task of each of the first demo requesters, as a page (their titles and rewards as stored)."""
    from tests.helpers import Db  # noqa: PLC0415

    rows = Db(client.app.state.settings.database_url).rows(
        "SELECT r.external_id, MIN(t.title), MIN(t.reward_cents) FROM requesters r JOIN task_types t "
        "ON t.requester_id = r.id WHERE r.platform = 'mturk' GROUP BY r.external_id ORDER BY r.external_id LIMIT 15")
    return [{"platform": "mturk", "requester_id": rid, "title": title, "reward_cents": reward}
            for rid, title, reward in rows]
