"""Clients written the way the Turkopticon userscripts call the API, against a real server process
(`fairfinder serve` on loopback): only the host differs from turkopticon.ucsd.edu / api.turkopticon.info."""
from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from server.compat import mapping
from server.compat.mapping import ReviewFacts
from tests.compat.conftest import Sql
from tests.conftest import LiveServer, backdate_account
from tests import database
from tests.database import json_value

PAGE_ORIGIN = {"Origin": "https://worker.mturk.com"}  # the scripts run in MTurk's pages: every call is cross-origin


class ClassicTurkopticonScript:
    """turkopticon.user.js (2020): builds `API_BASE + "multi-attrs.php?ids=" + ids.join(",")` by hand, sends a plain
    XMLHttpRequest and does `JSON.parse(xhr.response)` whatever the Content-Type says."""

    def __init__(self, host: str) -> None:
        self.api_base = host + "/api/"

    def multi_attrs(self, requester_ids: list[str]) -> dict[str, Any]:
        response = httpx.get(self.api_base + "multi-attrs.php?ids=" + ",".join(requester_ids), headers=PAGE_ORIGIN)
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "*"  # else the browser hides the response
        return json.loads(response.text)  # JSON.parse(xhr.response)

    @staticmethod
    def dropdown(resp: dict[str, Any], rid: str) -> dict[str, Any]:
        """What the script's dropDown() reads, with its JavaScript coercions."""
        ro = resp[rid]
        if ro == "":  # `if (resp[rid] == "")`: no data in the database for this ID
            return {"known": False}
        buckets = ro["pay_buckets"]
        return {
            "known": True,
            "bars": {key: float(value) / 5 for key, value in ro["attrs"].items()},  # visualize(i, 5, 25): "4.20" / 5
            "has_pay_data": bool(buckets) and any(count != 0 for _, count in buckets),
            "reviews": ro["reviews"],
            "tos": ro["tos_flags"],
        }


class Turkopticon2Script:
    """A Turkopticon 2 script: GET /requesters?rids=… with the JSON:API Accept, hourly = p / t * 3600."""

    def __init__(self, host: str) -> None:
        self.host = host

    def requesters(self, rids: list[str]) -> dict[str, dict[str, Any]]:
        response = httpx.get(f"{self.host}/requesters?rids={','.join(rids)}",
                             headers={"Accept": "application/vnd.api+json", **PAGE_ORIGIN})
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "*"
        return {datum["id"]: datum["attributes"] for datum in response.json()["data"]}

    @staticmethod
    def hourly(attributes: dict[str, Any], period: str = "all") -> float | None:
        p, t, _ = attributes["aggregates"][period]["reward"]
        return p / t * 3600 if t else None


def post(client: httpx.Client, headers: dict[str, str], **body: Any) -> None:
    response = client.post("/api/v1/reviews", headers=headers, json={"platform": "mturk", **body})
    assert response.status_code == 201, response.text


@pytest.fixture
def demo_server(live_server: LiveServer) -> LiveServer:
    seeded = live_server.cli("demo", "--if-empty")
    assert seeded.returncode == 0, seeded.stderr
    return live_server


def test_classic_and_to2_scripts_against_a_real_server(demo_server: LiveServer) -> None:
    with httpx.Client(base_url=demo_server.url, timeout=30) as client:
        for n, (seconds, ratings) in enumerate([(600, {"pay": 4, "communication": 5}), (900, {"pay": 3, "fairness": 5})]):
            created = client.post("/api/v1/workers", json={"handle": f"script-{n}"}).json()
            backdate_account(demo_server.database_url, created["worker"]["id"])  # established: their ratings count
            worker = created["token"]
            post(client, {"Authorization": f"Bearer {worker}"}, requester_id="ASCRIPT1",
                 requester_name="Script Lab", task={"title": "Survey", "reward_cents": 150}, ratings=ratings,
                 worked_seconds=seconds, outcome="approved", approval_seconds=7200)
    Sql(demo_server.database_url).imported_review(
        "ASCRIPT1", ReviewFacts(pay=2, worked_seconds=300, outcome="rejected", reward_cents=150, flags=("personal_data",)))

    classic = ClassicTurkopticonScript(demo_server.url)
    resp = classic.multi_attrs(["ASCRIPT1", "ANOBODY1"])
    assert list(resp) == ["ASCRIPT1", "ANOBODY1"]
    # The requester's means as /api/v1/requesters shows them (one definition, issue 18): pay 4 and 3 from two
    # accounts weighed alike; the imported review counts once its community's aggregates are computed (an import).
    assert resp["ASCRIPT1"]["attrs"] == _shown_attrs(demo_server, "ASCRIPT1")
    assert resp["ASCRIPT1"]["attrs"] == {"comm": "5.00", "pay": "3.50", "fair": "5.00", "fast": "0.00"}
    shown = classic.dropdown(resp, "ASCRIPT1")
    assert shown == {"known": True, "bars": {"comm": 1.0, "pay": 0.7, "fair": 1.0, "fast": 0.0}, "has_pay_data": True,
                     "reviews": 3, "tos": 1}
    assert resp["ASCRIPT1"]["pay_buckets"] == [["$0-$4", 0], ["$4-$7", 1], ["$7-$10", 1], ["$10-$15", 0], ["$15+", 1]]
    assert classic.dropdown(resp, "ANOBODY1") == {"known": False}

    to2 = Turkopticon2Script(demo_server.url)
    found = to2.requesters(["ANOBODY1", "ASCRIPT1"])
    assert list(found) == ["ASCRIPT1"]
    assert found["ASCRIPT1"]["aggregates"]["all"]["reward"] == [4.5, 1800, 3]
    assert to2.hourly(found["ASCRIPT1"]) == pytest.approx(9.0)  # $4.50 over half an hour
    assert found["ASCRIPT1"]["aggregates"]["all"]["rejected"] == [1, 3, 3]


def _shown_attrs(server: LiveServer, rid: str) -> dict[str, str]:
    scores = httpx.get(f"{server.url}/api/v1/requesters/mturk/{rid}", timeout=30).json()["scores"]
    return {attr: mapping.rating_string(scores[dimension]["mean"]) for attr, dimension in mapping.TO1_ATTRS}


def _demo_facts(db: database.Sql, rid: str) -> list[ReviewFacts]:
    rows = db.rows(
        "SELECT r.rating_pay, r.rating_fairness, r.rating_speed, r.rating_communication, r.worked_seconds, r.outcome,"
        " r.approval_seconds, r.bonus_cents, r.flags, t.reward_cents FROM reviews r JOIN requesters q ON q.id = r.requester_id"
        " LEFT JOIN task_types t ON t.id = r.task_type_id WHERE q.platform = 'mturk' AND q.external_id = ?", rid)
    return [ReviewFacts(pay, fairness, speed, comm, worked, outcome, approval, bonus, tuple(json_value(flags)), reward)
            for pay, fairness, speed, comm, worked, outcome, approval, bonus, flags, reward in rows]


def test_the_demo_data_is_served(demo_server: LiveServer) -> None:
    db = demo_server.sql()
    rids = [rid for rid, in db.rows(
        "SELECT q.external_id FROM requesters q JOIN reviews r ON r.requester_id = q.id WHERE q.platform = 'mturk'"
        " GROUP BY q.id ORDER BY count(*) DESC LIMIT 30")]
    assert len(rids) >= 10
    resp = ClassicTurkopticonScript(demo_server.url).multi_attrs(rids)
    found = Turkopticon2Script(demo_server.url).requesters(rids)
    assert list(resp) == rids and list(found) == rids
    for rid in rids:
        expected = mapping.tally_reviews(_demo_facts(db, rid))
        name = db.value("SELECT name FROM requesters WHERE external_id = ?", rid)
        means = {d: score["mean"] for d, score in httpx.get(f"{demo_server.url}/api/v1/requesters/mturk/{rid}")
                 .json()["scores"].items()}
        assert resp[rid] == mapping.to1_entry(name, expected, means), rid
        assert resp[rid]["attrs"] == _shown_attrs(demo_server, rid), rid
        assert found[rid]["aggregates"]["all"] == mapping.to2_period(expected), rid


def test_scripts_see_requesters_known_only_from_imported_turkopticon_files(live_server: LiveServer, tmp_path) -> None:
    """`fairfinder import` of saved Turkopticon 1 and 2 responses, then the scripts against the running server: both
    find the requesters (issue 18 item 5), with the counts the files carry and no made-up ones."""
    from tests.compat.conftest import FIXTURES  # noqa: PLC0415

    for kind, name in (("turkopticon2", "to2_requesters_index.reconstructed.json"),
                       ("turkopticon1", "to1_multi_attrs.reconstructed.json")):
        copy = tmp_path / name
        copy.write_bytes((FIXTURES / name).read_bytes())
        done = live_server.cli("import", str(copy), "--kind", kind, "--name", kind)
        assert done.returncode == 0, done.stderr

    to2 = Turkopticon2Script(live_server.url)
    found = to2.requesters(["A2EXAMPLE00002", "A1EXAMPLE00001", "A3EXAMPLE00003"])
    assert list(found) == ["A2EXAMPLE00002", "A1EXAMPLE00001"]
    everything = found["A1EXAMPLE00001"]["aggregates"]["all"]
    # Both files know A1: the TO2 file's counts, and the TO1 file's 57 reviews in N (TO1 said no yes/no answers).
    assert everything["reward"] == [123.45, 98765, 40]
    assert to2.hourly(found["A1EXAMPLE00001"]) == pytest.approx(123.45 / 98765 * 3600)
    assert everything["comm"] == [5, 8, 52 + 57] and everything["rejected"] == [3, 45, 52 + 57]
    assert everything["tos"] == [1 + 0, 52 + 57] and everything["broken"] == [2, 52]
    assert found["A2EXAMPLE00002"]["aggregates"]["all"]["tos"] == [1, 2]
    shown = httpx.get(f"{live_server.url}/api/v1/requesters/mturk/A1EXAMPLE00001", timeout=30).json()
    assert shown["reviews"] == 52 + 57 == everything["recommend"][2]

    classic = ClassicTurkopticonScript(live_server.url)
    resp = classic.multi_attrs(["A1EXAMPLE00001", "A2EXAMPLE00002", "A3EXAMPLE00003"])
    assert classic.dropdown(resp, "A3EXAMPLE00003") == {"known": False}
    assert classic.dropdown(resp, "A2EXAMPLE00002")["reviews"] == 2 and resp["A2EXAMPLE00002"]["tos_flags"] == 1
    assert resp["A1EXAMPLE00001"]["reviews"] == shown["reviews"] and resp["A1EXAMPLE00001"]["tos_flags"] == 1
    assert resp["A1EXAMPLE00001"]["attrs"] == _shown_attrs(live_server, "A1EXAMPLE00001")
    assert resp["A1EXAMPLE00001"]["pay_buckets"] == [["$0-$4", 1], ["$4-$7", 3], ["$7-$10", 6], ["$10-$15", 2], ["$15+", 1]]
