"""GET /r/{platform}/{requester_id}: the requester as an accessible HTML page (content, escaping, errors, math)."""
from __future__ import annotations

from urllib.parse import urlencode

import json
from datetime import datetime, timedelta, timezone

import pytest
from litestar.testing import TestClient

from server.db.engine import write_transaction
from server.db.models import Requester, Review, TaskType, Timing, Worker
from server.requesters import history, pages, queries, views
from server.settings import Settings
from tests.conftest import register
from tests.requester_page.dom import Node, facts, parse, table_rows
from tests.database import Sql

RID = "AREQ1"
NAME = "Careful <b>Lab</b>"


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def months_ago(count: int, day: int = 10) -> datetime:
    month = history.add_months(history.month_of(datetime.now(timezone.utc)), -count)
    return datetime(month.year, month.month, day, 12, 0, tzinfo=timezone.utc)


def timing(client: TestClient, headers: dict[str, str], title: str, reward: int, ended: datetime, seconds: float,
           outcome: str, assignment: str, requester: str = RID, platform: str = "mturk", currency: str = "USD") -> None:
    body = {"platform": platform, "requester_id": requester, "requester_name": NAME, "title": title,
            "reward_cents": reward, "currency": currency, "assignment_id": assignment,
            "accepted_at": iso(ended - timedelta(seconds=seconds)), "ended_at": iso(ended), "outcome": outcome}
    response = client.post("/api/v1/timings", json=body, headers=headers)
    assert response.status_code == 201, response.text


def review(client: TestClient, headers: dict[str, str], title: str | None, reward: int = 0, requester: str = RID,
           platform: str = "mturk", currency: str = "USD", **fields: object) -> dict:
    body: dict = {"platform": platform, "requester_id": requester, "requester_name": NAME, **fields}
    if title is not None:
        body["task"] = {"title": title, "reward_cents": reward, "currency": currency}
    response = client.post("/api/v1/reviews", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def db_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def add_imported(database_url: str, requester: str = RID) -> None:
    """Another community's data, as the importer stores it (direct SQL on the database)."""
    now = datetime.now(timezone.utc)
    with Sql(database_url).begin() as db:
        requester_pk = db.execute("SELECT id FROM requesters WHERE platform = 'mturk' AND external_id = ?",
                                  (requester,)).fetchone()[0]
        db.execute("INSERT INTO sources (id, name, kind, created_at) VALUES (1, 'Turkopticon', 'turkopticon2', ?)",
                   (db_time(now),))
        db.execute("INSERT INTO sources (id, name, kind, created_at) VALUES (2, 'Peer <i>Lab</i>', 'fairfinder', ?)",
                   (db_time(now),))
        for source, external, days, comment, pay_rating in (
            (1, "to-1", 1, "<img src=x onerror=alert(1)> paid late", 2),
            (2, "peer-1", 2, "Fine & quick", 4),
        ):
            db.execute(
                "INSERT INTO imported_reviews (source_id, external_id, requester_id, rating_pay, outcome, flags, comment, "
                "created_at, updated_at, imported_at) VALUES (?, ?, ?, ?, 'approved', ?, ?, ?, ?, ?)",
                (source, external, requester_pk, pay_rating, json.dumps(["broken"] if source == 1 else []), comment,
                 db_time(now - timedelta(days=days)), db_time(now - timedelta(days=days)), db_time(now)))
        db.execute(
            "INSERT INTO source_requester_stats (source_id, requester_id, reviews, summary, ratings, rejections, blocks, "
            "approval_seconds, median_hourly_cents, recent, flag_counts, extra, updated_at) "
            "VALUES (1, ?, 120, '{}', ?, 7, 1, 7200, 650, '{}', '{}', '{}', ?)",
            (requester_pk, json.dumps({"pay": [100, 250.0], "fairness": [80, 320.0]}), db_time(now)))


@pytest.fixture
def seeded(client: TestClient, settings: Settings) -> TestClient:
    """The worked example: three workers' timings and reviews over three months, and two other communities."""
    alice, bob, carol, dave = (register(client, name) for name in ("alice", "bob", "carol", "dave"))
    # two months ago: $1.00 for 10 minutes, and 20 minutes returned -> 100 * 3600 / 1800 = $2.00/h, 2 samples
    timing(client, alice, "Tag photos", 100, months_ago(2), 600, "submitted", "A1")
    timing(client, bob, "Tag photos", 100, months_ago(2, 11), 1200, "returned", "A2")
    # last month: $3.00 for 15 minutes, approved with a $0.60 bonus (said in the review) -> $14.40/h, 1 sample
    timing(client, alice, "Rate sentences", 300, months_ago(1), 900, "submitted", "A3")
    # 30 months ago: outside the 24 months charted
    timing(client, dave, "Tag photos", 100, months_ago(30), 60, "submitted", "A4")
    review(client, alice, "Rate sentences", 300, outcome="approved", bonus_cents=60, approval_seconds=86400,
           ratings={"pay": 5, "fairness": 5, "speed": 4}, flags=["attention_checks"], comment="Clear instructions.")
    review(client, bob, "Tag photos", 100, outcome="rejected", ratings={"pay": 2, "fairness": 1},
           comment="Rejected without a reason.")
    # this month: a review without timings, 30 minutes worked -> $6.00/h, 1 sample
    review(client, carol, "Rate sentences", 300, worked_seconds=1800, outcome="approved", ratings={"pay": 3},
           flags=["attention_checks"], comment="<script>alert('x')</script> & more\nsecond line")
    add_imported(settings.database_url)
    return client


def get_page(client: TestClient, path: str = f"/r/mturk/{RID}", status: int = 200) -> Node:
    response = client.get(path)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "Traceback" not in response.text
    return parse(response.text)


def test_header_summary_and_platform_link(seeded: TestClient) -> None:
    doc = get_page(seeded)
    assert [h.text() for h in doc.find_all("h1")] == [NAME]
    assert doc.find("title").text() == f"{NAME} on MTurk – Fairfinder"
    assert len(doc.find_all("main")) == 1 and doc.find("main").attrs["id"] == "main"
    sentence = doc.by_id("summary").text()
    assert sentence.startswith("Pays about $") and "an hour across 2 timed task types" in sentence
    # One number (issue 18 item 5): the figures /api/v1/requesters shows, other communities' aggregates counted
    # (here 3 reviews of ours, 120 from the imported Turkopticon summary with its 7 rejections and 1 block).
    api = seeded.get(f"/api/v1/requesters/mturk/{RID}").json()
    assert (api["reviews"], api["rejections"], api["blocks"]) == (123, 8, 1)
    assert sentence.endswith("; 8 rejections and 1 block reported in 123 reviews.")
    identity = facts(doc.find("dl", class_="facts identity"))
    assert identity["Platform"] == "MTurk" and identity["Requester id"] == RID
    link = doc.by_id("platform-link")
    assert link.attrs["href"] == f"https://worker.mturk.com/requesters/{RID}/projects"
    assert link.text() == f"{NAME}’s tasks on MTurk"
    # every heading level in order: one h1, sections are h2
    assert [h.text() for h in doc.find_all("h2")] == [
        "Ratings and reliability", "Hourly pay by task", "Hourly pay over time", "From other communities", "Recent reviews"]


def test_scores_rejections_and_flags(seeded: TestClient) -> None:
    doc = get_page(seeded)
    section = doc.by_id("scores")
    table = section.find("table")
    # the requester's figures as /api/v1/requesters shows them: the imported Turkopticon summary counts in them
    api = seeded.get(f"/api/v1/requesters/mturk/{RID}").json()
    assert table.find("caption").text() == "Ratings from 123 reviews (other communities' included), out of 5"
    assert [th.attrs.get("scope") for th in table.find("thead").find_all("th")] == ["col"] * 4
    rows = table_rows(table)
    assert [r[0] for r in rows] == ["Pay", "Fairness", "Speed", "Communication"]
    for row, dimension in zip(rows, ("pay", "fairness", "speed", "communication")):
        score = api["scores"][dimension]
        assert row[1:] == ([f"{score['mean']:.2f}", str(score["n"]), f"{score['score']:.2f}"] if score["n"]
                           else ["not rated yet", "0", "not rated yet"]), dimension
    assert api["scores"]["pay"]["n"] == 103 and rows[0][1] != "3.33"  # ours alone would be (5 + 2 + 3) / 3
    shown = facts(section.find("dl"))
    assert shown["Rejections"] == "8 rejections reported"
    assert shown["Blocks"] == "1 block reported"
    assert shown["Approval time"] == "Approves in about 3 hours"
    assert shown["Flags reported by several reviewers"] == "Has attention checks"


def test_task_type_table(seeded: TestClient) -> None:
    table = get_page(seeded).by_id("task-types").find("table")
    assert table.find("caption").text() == "Task types, most timings first"
    assert [th.text() for th in table.find("thead").find_all("th")] == [
        "Task", "Reward", "Effective hourly", "Based on", "Band", "Reviews"]
    rows = table_rows(table)
    assert all(th.attrs.get("scope") == "row" for th in table.find("tbody").find_all("th"))
    # Tag photos: 3 timings (one 30 months old); Rate sentences: 1 timing + 1 remembered time
    assert [(r[0], r[1], r[3], r[5]) for r in rows] == [
        ("Tag photos", "$1.00", "3 timings from 3 accounts", "1"),
        ("Rate sentences", "$3.00", "2 timings from 2 accounts", "2"),
    ]
    for row in rows:
        # The hourly, then what it says about bonuses when timed work was paid some (docs/figures.md).
        hourly, _, bonus = row[2].partition(" ")
        assert hourly.startswith("$") and hourly.endswith("/h")
        assert bonus == "" or (bonus.startswith("with typical bonuses of $") and bonus.endswith("/h without"))
        assert row[4] in {"good pay", "fair pay", "low pay"}


def test_history_worked_example_table_matches_chart(seeded: TestClient) -> None:
    doc = get_page(seeded)
    section = doc.by_id("history")
    rows = table_rows(section.find("table"))
    assert rows == [
        [history.month_name(history.month_of(months_ago(2))), "$2.00/h", "2"],
        [history.month_name(history.month_of(months_ago(1))), "$14.40/h", "1"],
        [history.month_name(history.month_of(months_ago(0))), "$6.00/h", "1"],
    ]
    svg = section.find("svg")
    assert svg.attrs["role"] == "img" and svg.attrs["aria-labelledby"] == "chart-title"
    assert svg.attrs["aria-describedby"] == "chart-desc"
    assert svg.find("title").attrs["id"] == "chart-title" and "hourly pay by month" in svg.find("title").text()
    description = svg.find("desc").text()
    assert description.startswith(doc.by_id("history-trend").text())
    assert "rose from $2.00 an hour to $6.00 an hour" in description and "(3 months with timed work, 4 samples)" in description
    # one labelled point per table row, same values, in the same order
    assert len(svg.find_all("circle", class_="point")) == len(rows)
    assert [t.text() for t in svg.find_all("text", class_="point-label")] == ["$2", "$14.40", "$6"]
    # the target line is dashed and labelled, not told apart by colour alone
    target = svg.find("line", class_="target")
    assert target.attrs.get("stroke-dasharray")
    assert svg.find("text", class_="target-label").text() == "Target $7.25 an hour"
    assert section.find("table").find("caption").text() == "Effective hourly pay by month: the chart’s data"


def test_other_communities_apart_and_labelled(seeded: TestClient) -> None:
    doc = get_page(seeded)
    section = doc.by_id("communities")
    articles = section.find_all("article")
    assert [a.find("h3").text() for a in articles] == ["From Turkopticon", "From Peer <i>Lab</i>"]
    turkopticon = facts(articles[0].find("dl"))
    assert turkopticon == {
        "Its reviews shown here": "1", "Reviews counted by Turkopticon": "120",
        "Pay": "2.50 of 5, from 100 ratings", "Fairness": "4.00 of 5, from 80 ratings",
        "Rejections": "7 reported", "Blocks": "1 reported", "Approval time": "Approves in about 2 hours",
        "Typical hourly pay": "$6.50 an hour"}
    peer = facts(articles[1].find("dl"))
    assert peer == {"Its reviews shown here": "1", "Summary": "Peer <i>Lab</i> publishes no summary of this requester."}


def test_recent_reviews_local_and_imported(seeded: TestClient) -> None:
    doc = get_page(seeded)
    items = doc.by_id("reviews").find("ol").find_all("article")
    assert len(items) == 5
    bylines = [a.find("p", class_="byline").text() for a in items]
    assert [b.split(",")[0] for b in bylines] == [
        "By carol", "By bob", "By alice", "Other community: By a reviewer at Turkopticon",
        "Other community: By a reviewer at Peer <i>Lab</i>"]
    carol = items[0]
    assert carol.find("h3").text() == "Rate sentences"
    assert facts(carol.find("dl")) == {
        "Ratings": "Pay 3 of 5; fairness, speed and communication not rated", "Outcome": "Approved",
        "Time worked": "about 30 minutes", "Flags": "Has attention checks"}
    assert carol.find("p", class_="comment").text() == "<script>alert('x')</script> & more second line"
    alice = facts(items[2].find("dl"))
    assert alice["Outcome"] == "Approved in about a day" and alice["Bonus"] == "$0.60"
    assert alice["Ratings"] == "Pay 5 of 5, fairness 5 of 5, speed 4 of 5; communication not rated"
    assert facts(items[1].find("dl"))["Outcome"] == "Rejected"
    imported = facts(items[3].find("dl"))
    assert imported["Flags"] == "Reported as broken" and imported["Ratings"].startswith("Pay 2 of 5")
    assert items[3].find("h3").text() == "The requester as a whole"
    assert items[0].find("time").attrs["datetime"] == datetime.now(timezone.utc).date().isoformat()


def test_user_text_is_always_escaped(seeded: TestClient) -> None:
    html = seeded.get(f"/r/mturk/{RID}").text
    assert "<script" not in html and "<img" not in html and "<b>Lab" not in html and "<i>Lab" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Careful &lt;b&gt;Lab&lt;/b&gt;" in html


def test_headers_and_stylesheet(seeded: TestClient) -> None:
    response = seeded.get(f"/r/mturk/{RID}")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "style-src 'self'" in csp
    doc = parse(response.text)
    sheets = [link.attrs["href"] for link in doc.find_all("link", rel="stylesheet")]
    assert sheets == ["/listen/static/listen.css", pages.REFLOW_URL, pages.CSS_URL]
    for url in (pages.CSS_URL, pages.REFLOW_URL):  # the phone-width reflow is the web layer's, shared with /me
        css = seeded.get(url)
        assert css.status_code == 200 and "max-age=31536000" in css.headers["cache-control"]
        assert css.headers["content-type"].startswith("text/css")
    assert "table.stack td::before" in seeded.get(pages.REFLOW_URL).text
    assert "table.stack td::before" not in seeded.get(pages.CSS_URL).text  # one copy
    assert all(not (tag.attrs.get("src") or tag.attrs.get("href") or "").startswith(("http:", "//"))
               for tag in doc.walk() if tag.tag in ("script", "link", "img"))


def test_sorted_by_evidence_and_capped(client: TestClient) -> None:
    alice, bob = register(client, "alice"), register(client, "bob")
    now = datetime.now(timezone.utc) - timedelta(hours=1)
    for i in range(3):
        timing(client, alice, "Most timed", 50, now - timedelta(days=i), 300, "submitted", f"M{i}")
    timing(client, alice, "One timing, two reviews", 50, now, 300, "submitted", "B1")
    review(client, alice, "One timing, two reviews", 50, ratings={"pay": 3})
    review(client, bob, "One timing, two reviews", 50, ratings={"pay": 3})
    timing(client, bob, "One timing", 50, now, 300, "submitted", "E1")
    review(client, bob, "Only a review", 50, ratings={"pay": 4})
    tasks = [{"platform": "mturk", "requester_id": RID, "requester_name": NAME, "title": f"Seen only {i:02d}",
              "reward_cents": 10} for i in range(50)]
    assert client.post("/api/v1/annotate", json={"platform": "mturk", "tasks": tasks}).status_code == 200
    doc = get_page(client)
    rows = table_rows(doc.by_id("task-types").find("table"))
    assert len(rows) == views.MAX_TASK_TYPES
    assert [r[0] for r in rows[:5]] == ["Most timed", "One timing, two reviews", "One timing", "Only a review", "Seen only 00"]
    # without timings of its own, a task type is judged by the requester's 5 timings on the others
    assert rows[3][3] == rows[4][3] == "5 timings of the requester's other tasks, from 2 accounts"
    assert doc.by_id("tasks-note").text() == "Showing the 50 task types with the most evidence, of 54."


def test_reviews_capped_newest_first(client: TestClient) -> None:
    alice = register(client, "alice")
    for i in range(views.MAX_REVIEWS + 2):
        review(client, alice, f"Task {i:02d}", 10, comment=f"comment {i:02d}")
    items = get_page(client).by_id("reviews").find_all("article")
    assert len(items) == views.MAX_REVIEWS
    assert [a.find("h3").text() for a in items][:2] == ["Task 21", "Task 20"]


def test_requester_with_no_data_yet(client: TestClient) -> None:
    task = {"platform": "mturk", "requester_id": RID, "requester_name": "", "title": "Just seen", "reward_cents": 10}
    assert client.post("/api/v1/annotate", json={"platform": "mturk", "tasks": [task]}).status_code == 200
    doc = get_page(client)
    assert doc.find("h1").text() == f"Requester {RID}"
    assert doc.by_id("summary").text() == "Hourly pay not known yet: no timings; no reviews yet."
    assert doc.find_all("svg") == []
    assert "nothing to chart" in doc.by_id("history-trend").text()
    assert "No other community has shared reviews" in doc.by_id("communities").text()
    assert doc.by_id("reviews").find("p").text() == "No reviews yet."
    assert table_rows(doc.by_id("task-types").find("table"))[0][2:4] == ["not known yet", "no timings yet"]


def test_prolific_requester_has_no_platform_link_and_pays_in_pounds(client: TestClient) -> None:
    worker = register(client, "alice")
    timing(client, worker, "A study", 150, datetime.now(timezone.utc) - timedelta(hours=1), 600, "approved", "P1",
           requester="5f00abc5f00abc5f00abc5f0", platform="prolific", currency="GBP")
    doc = get_page(client, "/r/prolific/5f00abc5f00abc5f00abc5f0")
    assert doc.find_all("a", id="platform-link") == []
    assert facts(doc.find("dl", class_="facts identity"))["On Prolific"] == "Prolific has no public page for a requester."
    assert doc.by_id("summary").text().startswith("Pays about £9.00 an hour")
    assert table_rows(doc.by_id("history").find("table"))[0][1] == "£9.00/h"


def test_ids_are_stripped(seeded: TestClient) -> None:
    doc = get_page(seeded, f"/r/mturk/%20{RID}%20")
    assert doc.find("h1").text() == NAME


@pytest.mark.parametrize(("path", "heading", "words"), [
    ("/r/mturk/ANOBODY", "Requester not found", "no requester with the id “ANOBODY” on MTurk"),
    ("/r/nowhere/AREQ1", "Platform not known", "does not know a platform called “nowhere”"),
    ("/r/mturk/" + "A" * 200, "Requester not found", "no requester with the id"),
    ("/r/mturk", "Requester not found", "(none given)"),
    ("/r/mturk/%3Cscript%3E", "Requester not found", "“<script>”"),
])
def test_not_found_pages(seeded: TestClient, path: str, heading: str, words: str) -> None:
    response = seeded.get(path)
    assert response.status_code == 404
    assert "<script>" not in response.text
    doc = get_page(seeded, path, 404)
    assert [h.text() for h in doc.find_all("h1")] == [heading]
    assert words in doc.find("main").find("p").text()
    assert doc.find("a", href="/").text()
    form = doc.find("main").find("form")
    assert form.attrs["action"] == "/r/" and form.attrs["method"] == "get"
    assert doc.find("label", for_="lookup-q").text() == "Name or id"


def test_lookup_form(seeded: TestClient) -> None:
    doc = get_page(seeded, "/r/")
    assert doc.find("h1").text() == "Find a requester"
    # The exact lookup of earlier versions still leads straight to the page.
    response = seeded.get(f"/r/?platform=mturk&id=%20{RID}%20", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/r/mturk/{RID}"
    response = seeded.get("/r/?platform=mturk&id=A%26B%3F", follow_redirects=False)
    assert response.headers["location"] == "/r/mturk/A%26B%3F"
    doc = get_page(seeded, "/r/?platform=mturk&id=a%2Fb", 404)
    assert doc.find("h1").text() == "Requester not found"
    doc = get_page(seeded, "/r/?q=", 400)
    assert doc.find("div", role="alert").find("a").attrs["href"] == "#lookup-q"
    assert doc.by_id("lookup-q").attrs["aria-invalid"] == "true"
    doc = get_page(seeded, "/r/?q=x&platform=upwork", 400)
    assert "Choose a platform from the list" in doc.find("div", role="alert").text()


@pytest.mark.parametrize("text", ["careful", "CAREFUL <b>", "areq", " AREQ1 ", "Lab"])
def test_search_finds_requesters_by_part_of_the_name_or_the_start_of_the_id(seeded: TestClient, text: str) -> None:
    doc = get_page(seeded, "/r/?" + urlencode({"q": text}))
    links = doc.find("ul", class_="result-list").find_all("a")
    assert [(a.attrs["href"], a.text()) for a in links] == [(f"/r/mturk/{RID}", NAME)]
    assert "reviews" in doc.find("ul", class_="result-list").text()


@pytest.mark.parametrize("text", ["nobody", "%", "_", "REQ1"])  # wildcards are plain characters; ids match from the start
def test_search_without_results_says_so(seeded: TestClient, text: str) -> None:
    doc = get_page(seeded, "/r/?" + urlencode({"q": text, "platform": "mturk"}))
    assert doc.find_all("ul", class_="result-list") == []
    assert doc.find("h2", id="results-heading").text().startswith("No requester matches")
    assert get_page(seeded, "/r/?" + urlencode({"q": "careful", "platform": "prolific"})).find_all(
        "ul", class_="result-list") == []


def test_unexpected_errors_are_plain_pages(seeded: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(pages, "load_page", broken)
    response = seeded.get(f"/r/mturk/{RID}")
    assert response.status_code == 500
    assert "secret internals" not in response.text and "Traceback" not in response.text
    assert parse(response.text).find("h1").text() == "Something went wrong"


def test_history_samples_date_and_window(client: TestClient) -> None:
    """Which reviews and timings become chart samples, and when: as refresh.py derives them, dated by the timing's
    end (or the review's creation without timings), within the 24 months shown."""
    now = datetime.now(timezone.utc)
    since = history.history_start(now)
    old, recent = since - timedelta(days=40), now - timedelta(days=3)

    async def run() -> tuple[list, views.HistoryView]:
        async with client.app.state.sessionmaker() as session:
            async with write_transaction(session):
                workers = [Worker(handle=f"w{i}") for i in range(4)]
                requester = Requester(platform="mturk", external_id=RID, name="x")
                session.add_all([*workers, requester])
                await session.flush()
                usd = TaskType(requester_id=requester.id, title="t", title_key="t", reward_cents=100)
                gbp = TaskType(requester_id=requester.id, title="g", title_key="g", reward_cents=100, currency="GBP")
                session.add_all([usd, gbp])
                await session.flush()

                def work(worker: Worker, task: TaskType, ended: datetime, outcome: str = "submitted") -> Timing:
                    return Timing(worker_id=worker.id, task_type_id=task.id, accepted_at=ended - timedelta(seconds=600),
                                  ended_at=ended, seconds=600.0, outcome=outcome)

                def said(worker: Worker, task: TaskType, created: datetime, **fields: object) -> Review:
                    return Review(worker_id=worker.id, requester_id=requester.id, task_type_id=task.id,
                                  created_at=created, updated_at=created, **fields)

                session.add_all([
                    # w0: an old review (rejected) of work timed recently: the timing counts, with the review's outcome
                    work(workers[0], usd, recent), said(workers[0], usd, old, outcome="rejected", worked_seconds=99),
                    # w1: a recent review of work timed before the window: nothing (its time is the old timing's)
                    work(workers[1], usd, old), said(workers[1], usd, recent, outcome="approved", worked_seconds=60),
                    # w2: a recent review without timings: its remembered time, dated by the review
                    said(workers[2], usd, recent, outcome="approved", worked_seconds=1200, bonus_cents=20),
                    # w3: work paid in pounds: not charted with dollars, but counted as left out
                    work(workers[3], gbp, recent),
                ])
            dated = await queries.history_samples(session, requester.id, since)
            return dated, views.history_view(dated, "USD", now)

    dated, view = client.blocking_portal.call(run)
    summary = sorted((sample.seconds, sample.outcome, sample.bonus_cents, currency) for _, sample, currency in dated)
    assert summary == [(600.0, "rejected", 0, "USD"), (600.0, "submitted", 0, "GBP"), (1200.0, "approved", 20, "USD")]
    assert all(moment >= since for moment, _, _ in dated)
    assert view.left_out == 1
    # rejected 10 minutes (no pay) + $1.20 for 20 minutes = 120 * 3600 / 1800 = $2.40/h (both in the same month,
    # unless the test runs in a month's first three days)
    assert sum(p.samples for p in view.points) == 2
    if len(view.points) == 1:
        assert view.rows[0][1:] == ("$2.40/h", 2)
