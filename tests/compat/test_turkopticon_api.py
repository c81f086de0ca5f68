"""The Turkopticon-compatible routes in-process: shapes against the reconstructed fixtures, values from known
reviews (local through the API, imported through SQL), the odd cases, errors and the open CORS header."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.testing import TestClient

from server.compat.mapping import USAGE, ReviewFacts
from server.compat.routes import COMPAT_ROUTES
from server.db.engine import create_engine, session_factory
from server.deps import provide_db_session
from server.settings import Settings
from tests.compat.conftest import Sql, fixture, post_review, recompute, same_shape, shown_attrs

TO2_ACCEPT = {"Accept": "application/vnd.api+json"}


def multi_attrs(client: TestClient, ids: str | None, **kwargs: Any):
    response = client.get("/api/multi-attrs.php", params={} if ids is None else {"ids": ids}, **kwargs)
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return response


def parsed(response) -> Any:
    """What a userscript does: JSON.parse the text, whatever the Content-Type says."""
    return json.loads(response.text)


@pytest.fixture
def scenario(client: TestClient, sql: Sql) -> dict[str, int]:
    """AREQ1: four local reviews and two imported ones, covering every rule; AREQ2: one plain review."""
    ids = {
        "r1": post_review(client, ratings={"pay": 5, "fairness": 5, "speed": 4, "communication": 5}, worked_seconds=600,
                          outcome="approved", approval_seconds=86400, bonus_cents=50)["id"],
        "r2": post_review(client, ratings={"pay": 2, "communication": 3}, worked_seconds=1200, outcome="rejected",
                          flags=["broken"])["id"],
        "r3": post_review(client, task=None, worked_seconds=300, outcome="returned", flags=["personal_data"])["id"],
        "r4": post_review(client, task=("Survey B", 20), ratings={"fairness": 4, "speed": 4}, worked_seconds=60,
                          outcome="blocked", approval_seconds=3600, flags=["download_or_install", "broken"])["id"],
        "i1": sql.imported_review("AREQ1", ReviewFacts(communication=4, pay=3, worked_seconds=900, outcome="approved",
                                                       approval_seconds=7200, flags=("underpaid",), reward_cents=150)),
        "i2": sql.imported_review("AREQ1", ReviewFacts(communication=1, outcome="pending")),
    }
    post_review(client, "AREQ2", name="Other Lab", task=("Quick poll", 10), ratings={"pay": 1}, worked_seconds=30)
    return ids


# --- Turkopticon 1: multi-attrs.php ----------------------------------------------------------------


def test_multi_attrs_values_from_local_and_imported_reviews(client, scenario):
    recompute(client)
    body = parsed(multi_attrs(client, "AREQ1"))
    attrs = shown_attrs(client, "AREQ1")
    # comm 5, 3, 4, 1 · pay 5, 2, 3 · fair 5, 4 · fast 4, 4: weighed by who gave them, as /api/v1/requesters shows
    # (the plain means would be 3.25, 3.33, 4.50 and 4.00)
    assert all(value != "0.00" for value in attrs.values())
    assert body == {"AREQ1": {
        "name": "Shop Lab",
        "attrs": attrs,
        # (reward + bonus) per hour: $12 (r1, with its bonus), $4.50 (r2), $12 (r4), $6 (i1); r3 and i2 have no task
        "pay_buckets": [["$0-$4", 0], ["$4-$7", 2], ["$7-$10", 0], ["$10-$15", 2], ["$15+", 0]],
        "reviews": 6,
        "tos_flags": 2,  # personal_data (r3) and download_or_install (r4)
    }}


def test_multi_attrs_has_turkopticons_shape_key_order_and_types(client, scenario, sql):
    sql.imported_review("ANOPAY1", ReviewFacts(fairness=2, speed=4, flags=("personal_data",)))
    sql.imported_review("ANOPAY1", ReviewFacts(fairness=2, speed=3, worked_seconds=600))  # time, but no task: no rate
    recompute(client)
    expected = fixture("to1_multi_attrs.reconstructed.json")
    response = multi_attrs(client, "AREQ1,ANOPAY1,AUNKNOWN1")
    body = parsed(response)
    assert list(body) == ["AREQ1", "ANOPAY1", "AUNKNOWN1"]
    same_shape(body["AREQ1"], expected["A1EXAMPLE00001"])
    same_shape(body["ANOPAY1"], expected["A2EXAMPLE00002"])
    same_shape(body["AUNKNOWN1"], expected["A3EXAMPLE00003"])
    assert body["ANOPAY1"] == {"name": "", "attrs": {"comm": "0.00", "pay": "0.00", "fair": "2.00", "fast": "3.50"},
                               "pay_buckets": None, "reviews": 2, "tos_flags": 1}
    assert body["AUNKNOWN1"] == ""
    # Raw text: the attrs are JSON strings with two decimals, the counts bare integers, null is null.
    assert '"fair":"2.00"' in response.text and '"reviews":2,' in response.text and '"pay_buckets":null' in response.text


def test_multi_attrs_order_duplicates_and_spaces(client, scenario):
    body = parsed(multi_attrs(client, "AUNKNOWN1,AREQ2,AREQ1,AREQ2, AREQ1"))
    assert list(body) == ["AUNKNOWN1", "AREQ2", "AREQ1"]
    assert body["AREQ2"]["reviews"] == 1 and body["AREQ1"]["reviews"] == 6


@pytest.mark.parametrize("ids", [None, "", ",", "AREQ1,A-2", "AREQ1,<script>alert(1)</script>", "AREQ1;AREQ2", "A" * 65,
                                 ",".join(f"A{i}" for i in range(101))])
def test_multi_attrs_answers_the_usage_sentence_for_missing_or_malformed_ids(client, scenario, ids):
    response = multi_attrs(client, ids)
    assert response.status_code == 200  # as Turkopticon's PHP: it echoed the sentence with the default status
    assert response.text == USAGE
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


def test_multi_attrs_takes_a_hundred_ids(client, scenario):
    ids = ["AREQ1", *(f"AX{i}" for i in range(99))]
    body = parsed(multi_attrs(client, ",".join(ids)))
    assert list(body) == ids
    assert body["AREQ1"]["reviews"] == 6 and all(body[i] == "" for i in ids[1:])


def test_a_requester_seen_but_never_reviewed_is_unknown(client, scenario, sql):
    sql.requester("ASEENONLY", "Seen on a task page")
    assert parsed(multi_attrs(client, "ASEENONLY")) == {"ASEENONLY": ""}
    listed = client.get("/requesters", params={"rids": "ASEENONLY,AREQ2"}, headers=TO2_ACCEPT).json()
    assert [d["id"] for d in listed["data"]] == ["AREQ2"]
    assert client.get("/requesters/ASEENONLY").status_code == 404


def test_only_mturk_requesters_answer(client, scenario):
    post_review(client, "5f1e2d3c4b5a69788796a5b4", platform="prolific", ratings={"pay": 5})
    assert multi_attrs(client, "5f1e2d3c4b5a69788796a5b4").text == USAGE  # not an MTurk id at all
    assert client.get("/requesters/5f1e2d3c4b5a69788796a5b4").status_code == 404


def test_demo_reviews_count(client, scenario, sql):
    sql.run("UPDATE reviews SET is_demo = ?", True)
    assert parsed(multi_attrs(client, "AREQ1"))["AREQ1"]["reviews"] == 6


def test_a_name_with_markup_is_inert_as_html_and_intact_as_json(client, sql):
    name = '<script>alert("x")</script> & <b>Lab</b>'
    post_review(client, "AXSS1", name=name, ratings={"pay": 4})
    response = multi_attrs(client, "AXSS1")
    assert "<" not in response.text and ">" not in response.text and "&" not in response.text
    assert parsed(response)["AXSS1"]["name"] == name
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_means_round_half_up_like_mysql(client, sql):
    # 27 fives and 13 fours: the exact mean is 187/40 = 4.675, which "%.2f" of a float would print as 4.67.
    for rating in [5] * 27 + [4] * 13:
        sql.imported_review("AROUND1", ReviewFacts(communication=rating, pay=3))
    recompute(client)
    assert shown_attrs(client, "AROUND1")["comm"] == "4.68"  # the same figure on /api/v1/requesters
    attrs = parsed(multi_attrs(client, "AROUND1"))["AROUND1"]["attrs"]
    assert attrs == {"comm": "4.68", "pay": "3.00", "fair": "0.00", "fast": "0.00"}


def test_pay_bucket_edges_through_sql(client, sql):
    # Exactly $4, $7, $10 and $15 an hour fall in the bucket they start; a second more falls below.
    for dollars in (4, 7, 10, 15):
        sql.imported_review("AEDGES1", ReviewFacts(worked_seconds=3600, reward_cents=dollars * 100))
        sql.imported_review("AEDGES1", ReviewFacts(worked_seconds=3601, reward_cents=dollars * 100))
    sql.imported_review("AEDGES1", ReviewFacts(worked_seconds=3600, reward_cents=0))
    sql.imported_review("AEDGES1", ReviewFacts(worked_seconds=60, reward_cents=50, bonus_cents=200))  # $150/h with bonus
    buckets = parsed(multi_attrs(client, "AEDGES1"))["AEDGES1"]["pay_buckets"]
    assert buckets == [["$0-$4", 2], ["$4-$7", 2], ["$7-$10", 2], ["$10-$15", 2], ["$15+", 2]]


# --- Turkopticon 2: /requesters --------------------------------------------------------------------


EXPECTED_ALL = {
    "reward": [4.7, 2760, 4],  # rewards $1.50 + $1.50 + $0.20 + $1.50 (no bonus), over 600 + 1200 + 60 + 900 seconds
    "pending": 32400.0,  # (86400 + 3600 + 7200) / 3
    "comm": [2, 4, 6],
    "recommend": [2, 5, 6],  # r1 (mean 4.75) and r4 (4.0); r3 gave no rating
    "rejected": [2, 5, 6],  # rejected (r2) and blocked (r4); returned (r3) is not an outcome here
    "tos": [2, 6],
    "broken": [2, 6],
}


def test_to2_index_values_shape_and_status_member(client, scenario):
    response = client.get("/requesters", params={"rids": "AREQ1,AUNKNOWN1,AREQ2"}, headers=TO2_ACCEPT)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["access-control-allow-origin"] == "*"
    body = response.json()
    expected = fixture("to2_requesters_index.reconstructed.json")
    assert list(body) == ["data", "status"] and body["status"] == 200
    assert [d["id"] for d in body["data"]] == ["AREQ1", "AREQ2"]  # unknown left out, order kept
    same_shape(body["data"][0], expected["data"][0], skip=frozenset({"$.attributes.aliases"}))
    first = body["data"][0]
    assert first["type"] == "requesters" and first["attributes"]["rid"] == "AREQ1"
    assert first["attributes"]["name"] == "Shop Lab" and first["attributes"]["aliases"] == []
    assert first["attributes"]["aggregates"]["all"] == EXPECTED_ALL
    assert first["attributes"]["aggregates"]["recent"] == EXPECTED_ALL  # everything is fresh
    assert '"pending":32400.0' in response.text and '"reward":[4.7,2760,4]' in response.text


def test_to2_recent_is_the_last_ninety_days(client, scenario, sql):
    long_ago = datetime.now(timezone.utc) - timedelta(days=100)
    sql.age_review("reviews", scenario["r2"], long_ago)
    sql.age_review("imported_reviews", scenario["i2"], long_ago)
    sql.age_review("reviews", scenario["r1"], datetime.now(timezone.utc) - timedelta(days=89))
    aggregates = client.get("/requesters/AREQ1").json()["data"]["attributes"]["aggregates"]
    assert aggregates["all"] == EXPECTED_ALL
    assert aggregates["recent"] == {
        "reward": [3.2, 1560, 3], "pending": 32400.0, "comm": [2, 2, 4], "recommend": [2, 3, 4],
        "rejected": [1, 3, 4], "tos": [2, 4], "broken": [1, 4]}


def test_to2_recent_without_reviews_is_turkopticons_empty_period(client, scenario, sql):
    sql.age_review("reviews", post_review(client, "AOLD1", ratings={"pay": 3})["id"],
                   datetime.now(timezone.utc) - timedelta(days=400))
    response = client.get("/requesters/AOLD1")
    recent = fixture("to2_requesters_show.reconstructed.json")["data"]["attributes"]["aggregates"]["recent"]
    assert response.json()["data"]["attributes"]["aggregates"]["recent"] == recent
    assert '"recent":{"reward":[0,0,0],"pending":0.0,' in response.text


def test_to2_show_follows_the_fixture(client, scenario):
    response = client.get("/requesters/AREQ1", headers=TO2_ACCEPT)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["access-control-allow-origin"] == "*"
    body = response.json()
    expected = fixture("to2_requesters_show.reconstructed.json")
    same_shape(body, expected, skip=frozenset({"$.data.attributes.aggregates.recent"}))  # no name, no aliases
    same_shape(body["data"]["attributes"]["aggregates"]["recent"], expected["data"]["attributes"]["aggregates"]["all"])
    assert body["data"]["id"] == "AREQ1" and body["data"]["attributes"]["aggregates"]["all"] == EXPECTED_ALL


def test_to2_sparse_fieldsets(client, scenario):
    picked = client.get("/requesters", params={"rids": "AREQ1", "fields[requesters]": "rid,name,bogus"}).json()
    assert picked["data"] == [{"type": "requesters", "id": "AREQ1", "attributes": {"rid": "AREQ1", "name": "Shop Lab"}}]
    shown = client.get("/requesters/AREQ1", params={"fields[requesters]": "name"}).json()
    assert shown["data"]["attributes"] == {"name": "Shop Lab"}
    for path, params in (("/requesters", {"rids": "AREQ1", "fields[reviews]": "x"}), ("/requesters/AREQ1", {"fields": "rid"})):
        response = client.get(path, params=params)
        assert response.status_code == 400
        assert response.json() == fixture("to2_errors.reconstructed.json")["bad_fields_400"]


def test_to2_errors_in_turkopticons_shape(client, scenario):
    errors = fixture("to2_errors.reconstructed.json")
    for params in ({}, {"rids": ""}):
        response = client.get("/requesters", params=params, headers=TO2_ACCEPT)
        assert response.status_code == 400 and response.json() == errors["missing_rids_400"]
        assert response.headers["access-control-allow-origin"] == "*"
    response = client.get("/requesters/A1EXAMPLE00009", headers=TO2_ACCEPT)
    assert response.status_code == 404 and response.json() == errors["unknown_requester_404"]
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    response = client.get("/requesters", params={"rids": "AREQ1"}, headers={"Accept": "text/html"})
    assert response.status_code == 415 and response.json() == errors["non_json_accept_on_known_path_415"]
    response = client.get("/requesters", params={"rids": "AREQ1"}, headers={"Accept": "application/vnd.turkopticon.v7+json"})
    assert response.status_code == 404 and response.json() == errors["unknown_path_or_version_404"]
    response = client.get("/requesters/AREQ1", headers={"Accept": "text/html"})
    assert response.status_code == 404 and response.json() == errors["unknown_path_or_version_404"]
    response = client.get("/requesters", params={"rids": ",".join(f"A{i}" for i in range(101))})
    assert response.status_code == 400 and response.json()["errors"][0]["title"] == "Bad Request"


def test_to2_accepts_what_clients_send(client, scenario):
    for accept in ("application/vnd.api+json", "application/json", "*/*", "application/vnd.turkopticon.v2+json",
                   "application/vnd.turkopticon+json", "text/html,application/xhtml+xml,*/*;q=0.8"):
        response = client.get("/requesters", params={"rids": "AREQ1"}, headers={"Accept": accept})
        assert response.status_code == 200, accept
    assert client.get("/requesters?rids=,,").json() == {"data": [], "status": 200}


def test_root_stays_ours(client):
    assert client.get("/").json()["service"] == "Fairfinder"  # not TO2's {"meta": {"version": "2"}}: documented


# --- CORS --------------------------------------------------------------------------------------------


def test_exactly_one_open_cors_header_with_an_origin(client, scenario):
    origin = {"Origin": "https://worker.mturk.com"}
    for path in ("/api/multi-attrs.php?ids=AREQ1", "/api/multi-attrs.php", "/requesters?rids=AREQ1", "/requesters",
                 "/requesters/AREQ1", "/requesters/ANOPE1"):
        response = client.get(path, headers=origin)
        assert response.headers.get_list("access-control-allow-origin") == ["*"], path


def test_compat_routes_stay_open_under_a_strict_app_wide_cors_policy(settings: Settings, sql):
    """Another change will narrow the app's CORS origins: these routes still answer any page's scripts."""
    engine = create_engine(settings.database_url)
    app = Litestar(route_handlers=COMPAT_ROUTES, dependencies={"db_session": Provide(provide_db_session)},
                   cors_config=CORSConfig(allow_origins=["https://fairfinder.example"]),
                   state=State({"sessionmaker": session_factory(engine)}), on_shutdown=[engine.dispose])
    sql.imported_review("ASTRICT1", ReviewFacts(pay=4))
    with TestClient(app=app) as strict:
        for path in ("/api/multi-attrs.php?ids=ASTRICT1", "/api/multi-attrs.php", "/requesters?rids=ASTRICT1",
                     "/requesters/ASTRICT1", "/requesters/ANOPE1", "/requesters"):
            response = strict.get(path, headers={"Origin": "https://worker.mturk.com"})
            assert response.status_code < 500, path
            assert response.headers.get_list("access-control-allow-origin") == ["*"], path
        # Served from this app too (its attrs rest on aggregates an import computes: none here, so "0.00").
        assert parsed(strict.get("/api/multi-attrs.php?ids=ASTRICT1"))["ASTRICT1"]["reviews"] == 1


def test_an_unexpected_failure_still_answers_openly(client, scenario, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("server.compat.routes.tallies", broken)
    response = client.get("/api/multi-attrs.php?ids=AREQ1")
    assert response.status_code == 500 and response.headers["access-control-allow-origin"] == "*"
    assert "boom" not in response.text and "Traceback" not in response.text
    response = client.get("/requesters/AREQ1")
    assert response.status_code == 500 and response.headers["access-control-allow-origin"] == "*"
    assert response.json() == {"errors": [{"status": "500", "title": "Internal Server Error"}], "status": 500}


def test_the_routes_are_in_the_openapi_document(client):
    paths = client.get("/schema/openapi.json").json()["paths"]
    assert {"/api/multi-attrs.php", "/requesters", "/requesters/{rid}"} <= set(paths)


def test_ids_given_twice_the_last_counts_like_php(client, scenario):
    body = parsed(client.get("/api/multi-attrs.php?ids=AREQ2&ids=AREQ1"))
    assert list(body) == ["AREQ1"]


def test_token_gated_reviews_php_is_not_served(client):
    assert client.get("/api/reviews.php", params={"access_token": "x", "rids": "AREQ1"}).status_code == 404
